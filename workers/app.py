"""The Celery application. Broker and result backend are the platform's Redis.

The worker's :data:`app` exists at import (the tasks register on it) but reads its settings
only when Celery first needs its configuration: :func:`worker_settings` reads the environment
once per process, and the worker's runtime (``workers.tasks.runtime``) uses the same settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import redis
from celery import Celery
from kombu.exceptions import OperationalError as BrokerError

from ledger.core.runtime import DispatchFailed
from ledger.core.settings import Settings, read_settings
from ledger.local_stack import DEFAULT_REDIS_URL
from ledger.market.bids import TASK_EXPIRE_BIDS
from ledger.settlement.service import TASK_FINALISE_LAPSED

NONCE_COUNTER_TTL_S = 60
TASK_MODULES = ["workers.tasks", "workers.market_tasks", "workers.settlement_tasks"]


@lru_cache(maxsize=1)
def worker_settings() -> Settings:
    """The worker process's settings, read from the environment once, on first use (a bad
    value stops the worker with the variable's name)."""
    return read_settings()


def broker_url(settings: Settings) -> str:
    return settings.redis_url or DEFAULT_REDIS_URL


def beat_schedule(settings: Settings) -> dict[str, Any]:
    """Periodic tasks, run by the beat embedded in the platform's worker (``--beat``)."""
    return {
        "finalise-lapsed-settlements": {
            "task": TASK_FINALISE_LAPSED,
            "schedule": settings.settlement_finalise_every_s,
        },
        "expire-bids": {"task": TASK_EXPIRE_BIDS, "schedule": settings.bid_expiry_every_s},
    }


def restore_sweep_s(visibility_timeout_s: int) -> int:
    """Seconds between two sweeps for unacknowledged tasks past their visibility timeout."""
    return max(1, min(10, visibility_timeout_s // 10))


def celery_config(settings: Settings) -> dict[str, Any]:
    url = broker_url(settings)
    visibility_s = settings.broker_visibility_timeout_s
    return {
        "broker_url": url,
        "result_backend": url,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_expires": 3600,
        "broker_connection_retry_on_startup": True,
        # Unacknowledged tasks of a worker that died (or that a restarted broker left
        # unacknowledged) go back to the queue after this long ...
        "broker_transport_options": {
            "visibility_timeout": visibility_s,
            # ... once kombu sweeps for them. By default it scans every 10th call of a 10 s
            # timer: up to 100 s after the timeout (the fault tests saw 110 s on a worker
            # kill, and a registration still unsent 150 s after a broker restart). Scan on
            # every call, every tenth of the timeout (1 to 10 s).
            "unacked_restore_interval": restore_sweep_s(visibility_s),
            "unacked_restore_throttle": 1,
        },
        "task_default_queue": settings.queue,
        "worker_hijack_root_logger": False,
        "beat_schedule": beat_schedule(settings),
    }


def create_app(settings: Settings) -> Celery:
    """A Celery application configured by ``settings`` (a process that enqueues tasks)."""
    app = Celery("cbp", include=TASK_MODULES)
    app.conf.update(celery_config(settings))
    return app


#: The worker's application (``celery -A workers.tasks worker``): configured from
#: :func:`worker_settings` when Celery first reads its configuration, not at import.
app = Celery("cbp", include=TASK_MODULES)
app.add_defaults(lambda: celery_config(worker_settings()))


class CeleryDispatcher:
    """Enqueues ledger tasks by their stable names."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def enqueue(self, task: str, **kwargs: Any) -> None:
        # Nobody waits for a ledger task's return value (its outcome is in the database): no
        # subscription to its result by the sender, and no result stored by the worker.
        try:
            self.celery.send_task(task, kwargs=kwargs, ignore_result=True)
        except (BrokerError, redis.RedisError) as exc:
            raise DispatchFailed(f"{task} could not be queued: {exc}") from exc


class RedisNonceCounters:
    """Each account's next nonce, shared by every worker process through Redis (read and
    written under the account's signing lock)."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)

    @staticmethod
    def _key(address: str) -> str:
        return f"cbp:nonce:{address.lower()}"

    def get(self, address: str) -> int | None:
        value = self.client.get(self._key(address))
        return None if value is None else int(value)

    def set(self, address: str, next_nonce: int) -> None:
        # An account idle this long reseeds from the node: a counter left over from another
        # chain (a node started afresh on the same Redis) cannot hold its nonces back for long.
        self.client.set(self._key(address), next_nonce, ex=NONCE_COUNTER_TTL_S)

    def forget(self, address: str) -> None:
        self.client.delete(self._key(address))


class RedisLocks:
    """Per-account signing locks shared by every worker process through Redis."""

    def __init__(self, url: str, *, ttl_s: int) -> None:
        self.client = redis.Redis.from_url(url)
        self.ttl_s = ttl_s

    @contextmanager
    def hold(self, address: str) -> Iterator[None]:
        # A worker killed while holding a lock keeps it until it expires: the TTL bounds how
        # long its operations wait for a new worker.
        ttl = self.ttl_s
        # Polled every 10 ms (redis-py's default, 100 ms, adds up along an organisation's queue).
        with self.client.lock(
            f"cbp:signer:{address.lower()}", timeout=ttl, blocking_timeout=ttl, sleep=0.01
        ):
            yield

    @contextmanager
    def try_hold(self, address: str) -> Iterator[bool]:
        lock = self.client.lock(f"cbp:signer:{address.lower()}", timeout=self.ttl_s)
        held = lock.acquire(blocking=False)
        try:
            yield bool(held)
        finally:
            if held:
                lock.release()
