"""Platform settings, read once from ``CBP_*`` environment variables with embedded defaults.

Defaults run everything on one machine from a local data folder: an Anvil node started by the
project, an SQLite file, and the Redis at ``redis://127.0.0.1:6379/0`` (or an embedded Valkey
when none answers, see :mod:`ledger.local_stack`). A real deployment sets the URLs.

Each process reads them once, at start-up (the API's ``api.server.build``, the worker's
``workers.tasks.worker_settings``, each ``cbp`` command), and passes the :class:`Settings` on in
its :class:`ledger.core.runtime.Runtime`; nothing else reads the environment. A bad value stops the
process with the variable's name and the reason (:func:`read_settings`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic_settings
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.core.calendar import DEFAULT_CALENDAR, parse_calendar
from ledger.market.config import MarketSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Everything configurable; each field maps to ``CBP_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CBP_", extra="ignore")

    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Local state folder.")
    rpc_url: str | None = Field(
        default=None, description="JSON-RPC URL of the chain; unset: start a local Anvil."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; unset: SQLite file in the data folder."
    )
    redis_url: str | None = Field(
        default=None, description="Broker URL; unset: local Redis, else an embedded Valkey."
    )
    funder_key: str | None = Field(
        default=None,
        description="Key that pays new organisations' gas money (the local Anvil's by default).",
    )
    queue: str = Field(
        default="chain",
        description="Celery queue of this platform's chain tasks (one per platform on a Redis).",
    )
    keystore_password: str = Field(
        default="cbp-local-dev", description="Password of the organisations' keystores."
    )
    chain_id: int = Field(default=31337, description="Chain id of the local Anvil.")
    chain_block_time_s: int = Field(
        default=0,
        ge=0,
        description="How the local Anvil mines: 0 a block per transaction as it arrives"
        " (instant), N a block every N seconds as production chains do.",
    )
    chain_confirmations: int = Field(
        default=0,
        ge=0,
        description="Blocks on top of a transaction's block before its result counts as final:"
        " 0 on chains with immediate finality (QBFT, IBFT), N on chains that can reorganise.",
    )
    simulated_time: bool = Field(
        default=True,
        description="Follow the simulated time that demos and tests move ahead on a development"
        " chain (the offset `cbp` keeps in the data folder, ledger/core/clock.py); false: the wall"
        " clock alone.",
    )
    chain_rpc_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Longest wait for one JSON-RPC answer; the API answers 503 past it, so a"
        " slow node never holds an API answer longer.",
    )
    broker_visibility_timeout_s: int = Field(
        default=300,
        ge=1,
        description="Seconds before the broker hands a task that no worker acknowledged (its"
        " worker died) to another worker.",
    )
    lock_ttl_s: int = Field(
        default=300,
        ge=1,
        description="Longest hold of an account's signing lock: a killed worker's lock frees"
        " itself after it.",
    )
    solc: Path | None = Field(
        default=None,
        description="Solidity compiler binary of `cbp chain compile`; unset: the project's solcjs.",
    )
    max_attachment_bytes: int = 5 * 1024 * 1024
    callback_timeout_s: float = 5.0
    callback_max_attempts: int = Field(
        default=8, ge=1, le=50, description="Delivery attempts of one callback before it fails."
    )
    callback_backoff_s: float = Field(
        default=2.0, gt=0, description="Wait before the first retry of a callback; doubles."
    )
    callback_backoff_max_s: float = Field(
        default=60.0,
        gt=0,
        le=240,
        description="Longest wait between two attempts (below the broker's visibility timeout).",
    )
    idempotency_retention_s: int = Field(
        default=86400, ge=60, description="How long an Idempotency-Key and its answer are kept."
    )
    receipt_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="How long a submitted operation may wait for its receipts before the block"
        " follower has a worker look at it (resend what the node forgot, replace with a higher"
        " fee); CLI waits give up after it.",
    )
    stuck_after_blocks: int = Field(
        default=3,
        ge=1,
        description="Blocks a sent transaction may stay unmined before it is replaced with a"
        " higher fee (same nonce).",
    )
    redrive_after_s: float = Field(
        default=60.0,
        ge=1,
        description="How long an accepted operation may wait for its task before the block"
        " follower enqueues the task again (lost with a broker's queue, or a worker's host);"
        " checked as often. Above the longest a task waits in the queue: a copy is harmless,"
        " but work.",
    )
    follower_poll_s: float = Field(
        default=0.1, gt=0, description="How often the block follower asks for the chain head."
    )
    auto_review: bool = Field(
        default=True,
        description="Run the TSO/DSO checks automatically; off: they wait for a person's decision.",
    )
    minimum_uvam_qualified_kw: int = Field(
        default=0, description="Demo relaxation of the 1 MW UVAM threshold (FLOW D5.5 §3)."
    )
    settlement_grace_s: int = Field(
        default=3600,
        ge=0,
        description="Measurement upload window after an activation's delivery ends: until it"
        " closes, an activation with missing measurements is not settled.",
    )
    settlement_tolerance_relative: Decimal = Field(
        default=Decimal("0.01"),
        ge=0,
        description="Meter tolerance between the DSO's POD meter and the BSP's devices"
        " (relative part, of the authoritative value).",
    )
    settlement_tolerance_wh: int = Field(
        default=10, ge=0, description="Meter tolerance, absolute part in Wh per period."
    )
    holiday_calendar: str = Field(
        default=DEFAULT_CALENDAR,
        description="Public holidays of the X-of-Y day types: a country code of the `holidays`"
        " library, optionally with a subdivision (`IT`, `IT-BZ`); frozen into each need's"
        " settlement terms.",
    )

    @field_validator("holiday_calendar")
    @classmethod
    def _known_calendar(cls, value: str) -> str:
        country, subdivision = parse_calendar(value)
        return f"{country}-{subdivision}" if subdivision else country

    settlement_answer_window_s: int = Field(
        default=7 * 86_400,
        gt=0,
        description="Default time the BSP has to accept or dispute a settlement.",
    )
    settlement_finalise_every_s: float = Field(
        default=60.0,
        gt=0,
        description="How often the worker finalises settlements whose answer window lapsed.",
    )
    api_max_in_flight: int = Field(
        default=128,
        ge=1,
        description="Requests one API process handles at once; beyond, 503 with Retry-After.",
    )
    bid_expiry_every_s: float = Field(
        default=60.0,
        gt=0,
        description="How often the worker marks bids whose validity has ended as Expired.",
    )

    uftp_domain: str = Field(
        default="cbp.localhost",
        pattern=r"^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}$",
        description="The platform's UFTP sender domain (its DSO-role endpoint, issue 15).",
    )
    uftp_time_zone: str = Field(
        default="Europe/Rome",
        description="The market's UFTP time zone: ISP numbers count from its local midnight.",
    )
    uftp_outbox_every_s: float = Field(
        default=0.5,
        gt=0,
        description="How often the UFTP endpoint looks for needs, activations and settlements"
        " to announce, and re-sends undelivered messages.",
    )

    market: MarketSettings = Field(
        default_factory=MarketSettings,
        description="Products and limits of the market, from the ``CBP_MARKET_*`` variables.",
    )

    @model_validator(mode="after")
    def _confirmations_need_blocks(self) -> Settings:
        if self.rpc_url is None and self.chain_confirmations > 0 and self.chain_block_time_s == 0:
            raise ValueError(
                f"CBP_CHAIN_CONFIRMATIONS={self.chain_confirmations} waits for blocks that an"
                " instant-mining local Anvil never makes: set CBP_CHAIN_BLOCK_TIME_S > 0"
            )
        return self

    def environment(self) -> dict[str, str]:
        """These settings as the ``CBP_*`` (and ``CBP_MARKET_*``) variables from which
        :func:`read_settings` reads equal settings back: what a process started with them is
        given (``cli.stack.Platform``). Unset fields are left out."""
        return _variables("CBP_", self, exclude={"market"}) | _variables(
            "CBP_MARKET_", self.market, exclude=set()
        )

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'cbp.sqlite3'}"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def keystores_dir(self) -> Path:
        return self.data_dir / "keystores"

    @property
    def deployments_dir(self) -> Path:
        return self.data_dir / "deployments"

    @property
    def uftp_key_file(self) -> Path:
        """The platform's UFTP signing key (base64 Ed25519 secret key), made on first use."""
        return self.data_dir / "uftp" / "signing-key"

    @property
    def chain_state_file(self) -> Path:
        return self.data_dir / "anvil-state.json"


def _variables(prefix: str, settings: BaseSettings, *, exclude: set[str]) -> dict[str, str]:
    variables = {}
    for name, value in settings.model_dump(mode="json", exclude=exclude).items():
        if value is not None:
            text = value if isinstance(value, str) else json.dumps(value)
            variables[f"{prefix}{name.upper()}"] = text
    return variables


class SettingsRefused(ValueError):
    """An environment variable the settings refuse; the message names it and says why."""


def read_settings(**overrides: object) -> Settings:
    """The settings from the ``CBP_*`` environment variables (``overrides`` take precedence):
    what each process's entry point calls, once. A bad value raises :class:`SettingsError`
    naming each refused variable and the reason."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        # the market's part fails on its own, as MarketSettings (Settings.market)
        prefix = "CBP_MARKET_" if exc.title == MarketSettings.__name__ else "CBP_"
        raise SettingsRefused("; ".join(_problem(prefix, p) for p in exc.errors())) from None
    except pydantic_settings.SettingsError as exc:  # a value that is not JSON where JSON is due
        field = re.search(r'field "(\w+)"', str(exc))
        name = field.group(1) if field else "?"
        prefix = "CBP_" if name in Settings.model_fields else "CBP_MARKET_"
        raise SettingsRefused(f"{prefix}{name.upper()}: not valid JSON") from None


def _problem(prefix: str, problem: Mapping[str, Any]) -> str:
    location = [str(part) for part in problem["loc"]]
    if not location:  # a check of several variables, whose message names them
        return str(problem["msg"]).removeprefix("Value error, ")
    inner = f" (at {'.'.join(location[1:])})" if len(location) > 1 else ""
    return f"{prefix}{location[0].upper()}{inner}: {problem['msg']}"
