"""Celery tasks. Thin: each builds nothing, it calls one ledger service with simple arguments.

Tasks are idempotent (the services check state before acting and operations resume from their
stored transactions), acknowledged late and retried with backoff on transient failures.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from celery import Task, signals
from redis import RedisError
from sqlalchemy.exc import OperationalError as DatabaseUnreachable

from ledger.capabilities import CAPABILITIES
from ledger.core import operations, webhooks
from ledger.core.chain.errors import ChainError
from ledger.core.errors import Unavailable
from ledger.core.follower_callbacks import DeliveringDispatcher
from ledger.core.runtime import DispatchFailed, Runtime
from ledger.registry import pods, reviews, uvams
from workers.app import (
    CeleryDispatcher,
    RedisLocks,
    RedisNonceCounters,
    app,
    broker_url,
    worker_settings,
)

RETRY: dict[str, Any] = {
    # RedisError: the broker restarting, or a lock a killed worker held that outlived the wait;
    # DatabaseUnreachable: the database down or its pooled connections cut.
    "autoretry_for": (
        ChainError,
        Unavailable,
        ConnectionError,
        OSError,
        RedisError,
        DatabaseUnreachable,
    ),
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "max_retries": 20,
    "acks_late": True,
    "reject_on_worker_lost": True,
}

log = logging.getLogger(__name__)

T = TypeVar("T")
#: How long a task waits in place for the broker's Redis (its locks) to come back.
BROKER_PATIENCE_S = 60.0


def riding_out_broker_outage(function: Callable[..., T], *args: Any) -> T:
    """Call ``function``, retrying in place while the broker's Redis is unreachable.

    Celery's own retry publishes a new message, which fails while the broker is down; Celery
    then rejects the task without requeueing it and the operation would never run. The
    services are idempotent, so calling again in place is safe.
    """
    deadline = time.monotonic() + BROKER_PATIENCE_S
    delay = 0.5
    while True:
        try:
            return function(*args)
        except RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    settings = worker_settings()
    redis_url = broker_url(settings)
    rpc_url = settings.rpc_url
    if rpc_url is None:
        raise Unavailable("CBP_RPC_URL is not set for the worker")
    return Runtime(
        settings=settings,
        rpc_url=rpc_url,
        dispatcher=CeleryDispatcher(app),
        capabilities=CAPABILITIES,
        locks=RedisLocks(redis_url, ttl_s=settings.lock_ttl_s),
        nonces=RedisNonceCounters(redis_url),
    )


@signals.task_retry.connect
def note_operation_retrying(request: Any = None, **_: Any) -> None:
    """A task of an operation (``operation_id``) will try again after its backoff: say so in
    the operation, so that the block follower's re-drive of lost tasks leaves it alone. With
    the database down too there is nothing to note it in; the re-drive's copy is harmless."""
    operation_id = (getattr(request, "kwargs", None) or {}).get("operation_id")
    if operation_id is None:
        return
    try:
        operations.note_retrying(runtime(), operation_id)
    except DatabaseUnreachable:
        log.warning("operation %s retrying: not noted, the database is unreachable", operation_id)


class PatientDispatcher:
    """Enqueues, riding out a broker outage: the block follower enqueues follow-ups and
    callbacks after committing, so giving up would lose them."""

    def __init__(self, inner: CeleryDispatcher) -> None:
        self.inner = inner

    def enqueue(self, task: str, **kwargs: Any) -> None:
        deadline = time.monotonic() + BROKER_PATIENCE_S
        delay = 0.5
        while True:
            try:
                self.inner.enqueue(task, **kwargs)
                return
            except DispatchFailed:
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5.0)


def follower_runtime() -> Runtime:
    """The block follower's runtime: the workers' one, with a patient dispatcher."""
    base = runtime()
    follower = Runtime(
        settings=base.settings,
        rpc_url=base.rpc_url,
        dispatcher=PatientDispatcher(CeleryDispatcher(app)),
        capabilities=base.capabilities,
        locks=base.locks,
        nonces=base.nonces,
    )
    # callbacks' first attempts are posted by the follower itself: no queue hop after a block
    follower.dispatcher = DeliveringDispatcher(follower.dispatcher, follower)
    return follower


@app.task(name=operations.TASK_EXECUTE, bind=True, **RETRY)
def execute_operation(self: Task, *, operation_id: str, behind_pending: bool = False) -> str:
    operation = riding_out_broker_outage(
        functools.partial(operations.execute, behind_pending=behind_pending),
        runtime(),
        operation_id,
    )
    return str(operation.status)


@app.task(name=pods.TASK_TSO_VERIFY_POD, bind=True, **RETRY)
def tso_verify_pod(self: Task, *, pod_id: str) -> str | None:
    return riding_out_broker_outage(reviews.tso_verify_pod, runtime(), pod_id)


@app.task(name=reviews.TASK_DSO_VALIDATE_POD, bind=True, **RETRY)
def dso_validate_pod(self: Task, *, pod_id: str) -> str | None:
    return riding_out_broker_outage(reviews.dso_validate_pod, runtime(), pod_id)


@app.task(name=uvams.TASK_TSO_QUALIFY_UVAM, bind=True, **RETRY)
def tso_qualify_uvam(self: Task, *, uvam_id: str) -> str | None:
    return riding_out_broker_outage(reviews.tso_qualify_uvam, runtime(), uvam_id)


@app.task(name=webhooks.TASK_DELIVER, bind=True, acks_late=True)
def deliver_webhook(self: Task, *, message_id: str, not_before: float | None = None) -> str:
    """One attempt; the next is scheduled with the backoff the service computed (the number of
    attempts is counted in the database, so the bound holds across redeliveries). A retry
    handed over by the block follower (:mod:`ledger.core.follower_callbacks`) carries its
    backoff as ``not_before`` (unix seconds)."""
    if not_before is not None and time.time() < not_before:
        raise self.retry(countdown=not_before - time.time(), max_retries=None)
    delivery = webhooks.deliver(runtime(), message_id)
    if delivery.retry_in_s is not None:
        raise self.retry(countdown=delivery.retry_in_s, max_retries=None)
    return delivery.outcome
