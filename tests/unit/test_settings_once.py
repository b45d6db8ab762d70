"""The settings are read once, at a process's start, under their documented ``CBP_*`` names; a
bad value stops the process with the variable's name and the reason; nothing else in the
platform reads the environment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, create_engine

from ledger.capabilities import CAPABILITIES
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.core.settings import PROJECT_ROOT, SettingsRefused, read_settings
from ledger.market.bids import bids_per_transaction
from ledger.market.config import MarketSettings
from workers.app import worker_settings

PRODUCT = (
    '[{"id": "X-UP", "name": "x", "directions": ["up"], "gate_closure_s": 60,'
    ' "activation_notice_s": 60, "acknowledgement_s": 60}]'
)


@pytest.fixture
def fresh_worker_settings() -> Iterator[None]:
    worker_settings.cache_clear()
    yield
    worker_settings.cache_clear()


def test_the_documented_variables_reach_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CBP_MARKET_PRODUCTS", PRODUCT)
    monkeypatch.setenv("CBP_MARKET_BIDS_PER_TRANSACTION", "7")
    monkeypatch.setenv("CBP_BROKER_VISIBILITY_TIMEOUT_S", "42")
    monkeypatch.setenv("CBP_LOCK_TTL_S", "43")
    monkeypatch.setenv("CBP_SOLC", str(tmp_path / "solc"))
    monkeypatch.setenv("CBP_SIMULATED_TIME", "false")
    settings = read_settings()
    assert settings.market.product("X-UP") is not None
    assert settings.market.bids_per_transaction == 7
    assert (settings.broker_visibility_timeout_s, settings.lock_ttl_s) == (42, 43)
    assert settings.solc == tmp_path / "solc"
    assert settings.simulated_time is False


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("CBP_LOCK_TTL_S", "0", "greater than or equal to 1"),
        ("CBP_REDRIVE_AFTER_S", "0.5", "greater than or equal to 1"),
        ("CBP_CHAIN_RPC_TIMEOUT_S", "soon", "valid number"),
        ("CBP_MARKET_BIDS_PER_TRANSACTION", "lots", "valid integer"),
        ("CBP_MARKET_PRODUCTS", "[{", "not valid JSON"),
        ("CBP_MARKET_PRODUCTS", '[{"id": "x"}]', "should match pattern"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsRefused, match=rf"^{variable}\b.*{reason}"):
        read_settings()


def test_a_running_component_keeps_the_settings_it_started_with(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_worker_settings: None
) -> None:
    monkeypatch.setenv("CBP_MARKET_BIDS_PER_TRANSACTION", "7")
    monkeypatch.setenv("CBP_LOCK_TTL_S", "43")
    worker = worker_settings()
    runtime = Runtime(
        settings=read_settings(data_dir=tmp_path),
        rpc_url="http://127.0.0.1:1",
        dispatcher=RecordingDispatcher(),
        capabilities=CAPABILITIES,
    )
    monkeypatch.setenv("CBP_MARKET_BIDS_PER_TRANSACTION", "9")
    monkeypatch.setenv("CBP_LOCK_TTL_S", "99")
    assert worker_settings() is worker
    assert worker.lock_ttl_s == 43
    with runtime.bind(Session(create_engine("sqlite://"))) as session:
        assert bids_per_transaction(session) == 7


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_worker_reads_its_settings_when_it_starts_not_at_import() -> None:
    imported = _python("import workers.tasks, api.server", CBP_LOCK_TTL_S="0")
    assert imported.returncode == 0, imported.stderr
    started = _python("import workers.tasks as t; t.app.conf.broker_url", CBP_LOCK_TTL_S="0")
    assert started.returncode != 0
    assert "CBP_LOCK_TTL_S: Input should be greater than or equal to 1" in started.stderr


def test_nothing_but_the_settings_reads_the_environment() -> None:
    readers = re.compile(r"os\.environ|getenv\(")
    found = [
        str(path.relative_to(PROJECT_ROOT))
        for package in ("ledger", "api", "workers")
        for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
        if readers.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_a_started_process_reads_back_the_settings_it_was_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``Settings.environment()`` is what ``cli.stack.Platform`` gives its API, worker and
    followers: every field, the market's included, must come back equal, not only the ones
    someone remembered to copy."""
    given = read_settings(
        data_dir=tmp_path,
        database_url="postgresql+psycopg://u@h/db",
        queue="q-1",
        chain_block_time_s=2,
        chain_confirmations=1,
        lock_ttl_s=43,
        redrive_after_s=7.5,
        simulated_time=False,
        settlement_tolerance_relative=Decimal("0.025"),
        holiday_calendar="IT-BZ",
        market=MarketSettings(products=json.loads(PRODUCT), bids_per_transaction=7),
    )
    for name in list(os.environ):
        if name.startswith("CBP_"):
            monkeypatch.delenv(name)
    for name, value in given.environment().items():
        monkeypatch.setenv(name, value)
    assert read_settings() == given
    assert given.environment()["CBP_SIMULATED_TIME"] == "false"
    assert "CBP_SOLC" not in given.environment()  # unset: left out, read back as unset
