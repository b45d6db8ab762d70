"""The block follower posts the first attempt of each callback itself.

Confirming an operation stores its callbacks in the same commit and then hands each to the
dispatcher (:data:`ledger.core.webhooks.TASK_DELIVER`). Through the task queue that is one
more hop (a worker must take the task) between the block and the receiver; a BSP told of an
activation a block late cannot deliver it in time. :class:`DeliveringDispatcher` wraps the
follower's dispatcher: a callback's first attempt runs at once on one of a few threads of the
follower (the one sender, :func:`ledger.core.webhooks.deliver`, signed and recorded as
always), so a slow receiver never holds up the next block's confirmations. An attempt that
asks for a retry goes to the task queue with its backoff (``not_before``); an attempt that
could not run at all (database busy) goes there at once. Every other task passes through.
A follower stopped while posting leaves those callbacks stored and unattempted: the next one
queues them when it starts (:meth:`DeliveringDispatcher.requeue_unattempted`).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlmodel import select

from ledger.core import webhooks
from ledger.core.db.delivery_models import WebhookMessage
from ledger.core.db.models import utcnow
from ledger.core.runtime import Dispatcher, Runtime

log = logging.getLogger(__name__)

#: Callbacks posted at the same time at most (more wait for a free thread).
DELIVERY_THREADS = 4
#: A callback stored this long ago and never attempted was lost by a stopped follower (a
#: queued one is attempted within seconds).
UNATTEMPTED_AFTER_S = 60.0


class DeliveringDispatcher:
    """A dispatcher that posts callbacks' first attempts itself (see the module)."""

    def __init__(self, inner: Dispatcher, runtime: Runtime) -> None:
        self.inner = inner
        self.runtime = runtime
        self._pool = ThreadPoolExecutor(DELIVERY_THREADS, thread_name_prefix="callback")

    def enqueue(self, task: str, **kwargs: Any) -> None:
        if task == webhooks.TASK_DELIVER and set(kwargs) == {"message_id"}:
            self._pool.submit(self._deliver, kwargs["message_id"])
        else:
            self.inner.enqueue(task, **kwargs)

    def _deliver(self, message_id: str) -> None:
        try:
            delivery = webhooks.deliver(self.runtime, message_id)
        except Exception:
            log.exception("callback %s not attempted here; queued for a worker", message_id)
            self.inner.enqueue(webhooks.TASK_DELIVER, message_id=message_id)
            return
        if delivery.retry_in_s is not None:
            self.inner.enqueue(
                webhooks.TASK_DELIVER,
                message_id=message_id,
                not_before=time.time() + delivery.retry_in_s,
            )

    def close(self) -> None:
        """Wait for the attempts under way."""
        self._pool.shutdown(wait=True)

    def requeue_unattempted(self, *, older_than_s: float = UNATTEMPTED_AFTER_S) -> int:
        """Queue the callbacks stored but never attempted for ``older_than_s`` (a follower
        stopped while posting them); run when the follower starts. Their number."""
        cutoff = utcnow() - timedelta(seconds=older_than_s)
        with self.runtime.session() as session:
            ids = session.exec(
                select(WebhookMessage.id)
                .where(WebhookMessage.status == webhooks.DeliveryStatus.PENDING)
                .where(WebhookMessage.attempts == 0)
                .where(WebhookMessage.created_at < cutoff)
            ).all()
        for message_id in ids:
            self.inner.enqueue(webhooks.TASK_DELIVER, message_id=message_id)
        return len(ids)
