"""Where an activation's time goes, from the TSO's call to the BSP's callback.

``cbp market bench activations`` times each activation from the start of its API call to the
callback's arrival. This module splits that time into the platform's steps, from the
timestamps the platform stores anyway (the operation's creation and sending, the callback
message's creation, its delivery attempt) and from when the benchmark itself first saw each
block (:class:`BlockClock`, polling the node every few milliseconds):

* **to sent**: the API call, the queue and the worker (simulate, sign, send);
* **block wait**: from sending to the block that mined it (a block time at most);
* **to applied**: from that block to the confirmed activation and its stored callback
  (the block follower seeing the head, fetching the receipts, applying them);
* **to posted**: from the stored callback to the end of its delivery attempt (the receiver
  noted the callback's arrival a moment before).
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlmodel import col, select

from ledger.core.db.delivery_models import WebhookAttempt, WebhookMessage
from ledger.core.db.engine import session_scope
from ledger.core.db.models import Operation

#: How often the benchmark asks the node for its head.
POLL_S = 0.01
STEPS = ("to sent", "block wait", "to applied", "to posted")


class BlockClock:
    """Notes the wall-clock time at which each block number was first seen (a thread)."""

    def __init__(self, rpc_url: str) -> None:
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=5.0)
        self._url = rpc_url
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                answer = self._client.post(
                    self._url,
                    json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
                )
                self.seen.setdefault(int(answer.json()["result"], 16), time.time())
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            self._stop.wait(POLL_S)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._client.close()


@dataclass(frozen=True)
class Sent:
    """One activation as the benchmark sent it: wall-clock start and callback arrival."""

    operation_id: str
    activation_id: str
    started: float
    arrived: float


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def breakdown(database_url: str, clock: BlockClock, sent: Sequence[Sent]) -> dict[str, list[float]]:
    """Milliseconds per step (:data:`STEPS`) for each activation whose steps are all known."""
    steps: dict[str, list[float]] = {step: [] for step in STEPS}
    with session_scope(database_url) as session:
        operations = {
            o.id: o
            for o in session.exec(
                select(Operation).where(col(Operation.id).in_([s.operation_id for s in sent]))
            ).all()
        }
        messages = {
            m.subject_id: m
            for m in session.exec(
                select(WebhookMessage)
                .where(WebhookMessage.event_type == "activation.sent")
                .where(col(WebhookMessage.subject_id).in_([s.activation_id for s in sent]))
            ).all()
        }
        attempts = {
            a.message_id: a
            for a in session.exec(
                select(WebhookAttempt)
                .where(col(WebhookAttempt.message_id).in_([m.id for m in messages.values()]))
                .where(WebhookAttempt.attempt == 1)
            ).all()
        }
        for one in sent:
            operation = operations.get(one.operation_id)
            message = messages.get(one.activation_id)
            attempt = attempts.get(message.id) if message else None
            if (
                operation is None
                or operation.sent_at is None
                or operation.block_number not in clock.seen
                or message is None
                or attempt is None
            ):
                continue
            mined = clock.seen[operation.block_number]
            sent_at = _epoch(operation.sent_at)
            stored = _epoch(message.created_at)
            marks = [one.started, sent_at, mined, stored, _epoch(attempt.attempted_at)]
            for step, (a, b) in zip(STEPS, itertools.pairwise(marks), strict=True):
                steps[step].append(1000 * (b - a))
    return steps


def summary(steps: dict[str, list[float]]) -> list[tuple[str, str]]:
    """Rows "step: median / p95 ms" for a table."""
    rows = []
    for step, values in steps.items():
        if not values:
            continue
        ordered = sorted(values)
        p95 = ordered[max(0, min(len(ordered) - 1, round(0.95 * (len(ordered) - 1))))]
        rows.append((f"{step}, median / p95", f"{statistics.median(values):.0f} / {p95:.0f} ms"))
    return rows
