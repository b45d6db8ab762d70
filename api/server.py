"""The API process entry point: ``uvicorn --factory api.server:build``.

Reads the settings from the environment, once, at start-up; ``CBP_RPC_URL`` and
``CBP_REDIS_URL`` are required here (``cbp up`` and ``make demo`` set them after starting the
local chain and broker).
"""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from ledger.capabilities import CAPABILITIES
from ledger.core.errors import Unavailable
from ledger.core.runtime import Runtime
from ledger.core.settings import Settings, read_settings
from workers.app import CeleryDispatcher, RedisLocks
from workers.app import create_app as create_celery


def platform_runtime(settings: Settings) -> Runtime:
    """The runtime of a platform process that enqueues tasks (the API, the UFTP endpoint)."""
    if not settings.rpc_url or not settings.redis_url:
        raise Unavailable("set CBP_RPC_URL and CBP_REDIS_URL (or start with `cbp up`)")
    return Runtime(
        settings=settings,
        rpc_url=settings.rpc_url,
        dispatcher=CeleryDispatcher(create_celery(settings)),
        capabilities=CAPABILITIES,
        locks=RedisLocks(settings.redis_url, ttl_s=settings.lock_ttl_s),
    )


def build() -> FastAPI:
    return create_app(platform_runtime(read_settings()))
