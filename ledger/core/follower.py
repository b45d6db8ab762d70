"""The block follower: applies each new block's receipts to the operations they confirm.

Workers sign, send and are free again, leaving operations ``submitted``. One follower per
platform asks for the chain head every ``follower_poll_s``; whenever there is a new block (or a
newly submitted operation not yet looked at under the current head) it fetches the receipts of
every submitted operation's transactions in JSON-RPC batches and confirms the operations whose
transactions are all mined (:func:`ledger.core.operations.confirm`: the handler's ``apply``,
the callback, then the follow-ups after commit), in chain order. An operation left without
receipts for ``stuck_after_blocks`` blocks or ``receipt_timeout_s`` seconds is handed back to a
worker (resend what the node forgot, replace with a higher fee). All state is in the database:
a restarted follower resumes from the submitted operations.

Deferred operations (coalescing, :mod:`ledger.core.coalescing`) are started when their
organisation's pending transaction is mined, and also, on a chain that mines at a steady rhythm,
flushed once per block shortly before the next block is due: the worker then sends them as one
transaction with the next nonce, behind the pending one, so both are mined in the same block
instead of one block apart.

An accepted operation whose task was lost after the API committed it (a broker restarted
without persistence, a queue purged, a worker's host lost with the message) is re-driven: every
``redrive_after_s`` the follower enqueues again the task of the accepted, not deferred
operations that nothing touched for as long (the same task the API enqueued, its kind's:
:func:`ledger.core.operations.task_of`).
"""

from __future__ import annotations

import itertools
import logging
import statistics
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlmodel import col, select, update

from ledger.core import coalescing, operations
from ledger.core.chain.client import Receipt
from ledger.core.chain.errors import ChainError
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.runtime import Runtime

log = logging.getLogger(__name__)

#: Submitted operations looked at in one pass, oldest first (the rest wait for the next pass).
PASS_LIMIT = 5000
#: Accepted operations whose task is enqueued again in one sweep, the longest waiting first.
REDRIVE_LIMIT = 500
#: Block intervals remembered to estimate the chain's rhythm, and the fewest that make one.
INTERVALS_KEPT = 8
INTERVALS_NEEDED = 3
#: Chains whose blocks come faster than this are treated as mining on arrival: no flushes.
SHORTEST_RHYTHM_S = 0.5
#: How long before the next block is due deferred operations are flushed (never earlier than
#: halfway through the interval): time for a worker to simulate, sign and send them.
FLUSH_LEAD_S = 1.0
#: While the next block is due (from this long before it, on a steady rhythm) the follower asks
#: for the head this often, so a block's confirmations and callbacks do not wait for the poll.
DUE_WINDOW_S = 0.3
DUE_POLL_S = 0.02


@dataclass
class FollowerState:
    """What one follower remembers between passes (nothing that a restart would miss)."""

    head: int | None = None
    #: Operations found unconfirmed at ``head``: looked at again once the head moves.
    seen_at_head: set[str] = field(default_factory=set)
    #: When each operation was last handed back to a worker: (head, monotonic seconds).
    redriven: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: When each organisation's deferred operations were last handed to a worker.
    started: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: When the current head was first seen (monotonic seconds), and the last block intervals.
    head_seen_at: float | None = None
    intervals: deque[float] = field(default_factory=lambda: deque(maxlen=INTERVALS_KEPT))
    #: The head at which each organisation's deferred operations were last flushed.
    flushed: dict[str, int] = field(default_factory=dict)
    #: When accepted operations were last looked at for a lost task (monotonic seconds).
    swept_at: float | None = None

    def saw_head(self, head: int, at: float) -> None:
        """Note a new head, and the interval since the last one (per block when it jumped)."""
        if self.head is not None and self.head_seen_at is not None and head > self.head:
            self.intervals.append((at - self.head_seen_at) / (head - self.head))
        self.head = head
        self.head_seen_at = at

    def flush_due(self, at: float) -> bool:
        """True when the next block is due soon on a chain with a steady rhythm: the median
        interval is known, and the time since the head falls between the flush moment and one
        and a half intervals (a chain overdue by more, paused or stalled, gets no flushes)."""
        if len(self.intervals) < INTERVALS_NEEDED or self.head_seen_at is None:
            return False
        interval = statistics.median(self.intervals)
        if interval < SHORTEST_RHYTHM_S:
            return False
        since = at - self.head_seen_at
        return max(interval / 2, interval - FLUSH_LEAD_S) <= since < 1.5 * interval

    def block_due_in(self, at: float) -> float | None:
        """Seconds until the next block's due window opens (0: it is open: the block is
        expected within :data:`DUE_WINDOW_S`, or overdue by less than half an interval);
        None without a steady rhythm or once the block is overdue by more."""
        if len(self.intervals) < INTERVALS_NEEDED or self.head_seen_at is None:
            return None
        interval = statistics.median(self.intervals)
        if interval < SHORTEST_RHYTHM_S:
            return None
        since = at - self.head_seen_at
        if since >= 1.5 * interval:
            return None
        return max(0.0, interval - DUE_WINDOW_S - since)


@dataclass(frozen=True)
class PassResult:
    head: int
    looked_at: int
    confirmed: int
    redriven: int


def follow_once(runtime: Runtime, state: FollowerState) -> PassResult:
    """One pass: confirm what the chain confirmed, re-drive what is stuck."""
    chain = runtime.chain
    head = chain.block_number()
    if head != state.head:
        if state.head is None:  # just started: the chain's rhythm from its latest blocks
            state.intervals.extend(recent_intervals(runtime, head))
        state.saw_head(head, time.monotonic())
        state.seen_at_head.clear()
    with runtime.session() as session:
        submitted = session.exec(
            select(Operation.id)
            .where(Operation.status == operations.OperationStatus.SUBMITTED)
            .order_by(Operation.created_at)  # type: ignore[arg-type]
            .limit(PASS_LIMIT)
        ).all()
        # the stored transactions (large: signed multicalls) only of those not looked at yet
        unseen = [i for i in submitted if i not in state.seen_at_head]
        stored = dict(
            session.exec(
                select(Operation.id, Operation.signed_transactions).where(
                    col(Operation.id).in_(unseen)
                )
            ).all()
            if unseen
            else []
        )
    started = _start_deferred(runtime, state, head=head) + redrive_accepted(runtime, state)
    still = set(submitted)
    state.redriven = {k: v for k, v in state.redriven.items() if k in still}
    todo = [(i, stored[i] or []) for i in unseen if i in stored]
    if not todo:
        return PassResult(head, 0, 0, started)
    receipts = chain.receipts([entry["hash"] for _, txs in todo for entry in txs])
    due: list[tuple[tuple[int, int], str, Sequence[Mapping[str, Any]]]] = []
    waiting: list[str] = []
    for operation_id, txs in todo:
        mined = operations.mined_receipts(txs, receipts)
        if mined is None:
            waiting.append(operation_id)
        else:
            last = max(mined, key=lambda r: (r.block_number, r.transaction_index))
            due.append(((last.block_number, last.transaction_index), operation_id, txs))
    confirmed = 0
    # chain order: a POD's registration before its status; the operations one multicall
    # carried (same last transaction) are confirmed together, in one database transaction, in
    # the order of their items (a POD's opening before its review request)
    due.sort(key=lambda entry: (entry[0], _first_item(entry[2], receipts), entry[1]))
    held_back: set[str] = set()  # organisations whose next operation a worker holds
    for _, group in itertools.groupby(due, key=lambda entry: entry[0]):
        ids = [operation_id for _, operation_id, _ in group]
        for operation_id, outcome in operations.confirm_together(
            runtime, ids, receipts, head=head, held_back=held_back
        ).items():
            if outcome:
                confirmed += 1
            elif outcome is False:
                state.seen_at_head.add(operation_id)  # confirmations not reached yet
            # None: a worker holds it (or an earlier one of its organisation) this moment;
            # looked at again at the next pass
    state.seen_at_head.update(waiting)
    redriven = _redrive_stuck(runtime, state, waiting, head=head)
    return PassResult(head, len(todo), confirmed, redriven + started)


def recent_intervals(runtime: Runtime, head: int) -> list[float]:
    """The intervals between the timestamps of the chain's latest blocks (up to
    :data:`INTERVALS_KEPT`), oldest first: a follower that just started knows the chain's
    rhythm at once instead of after :data:`INTERVALS_NEEDED` blocks of its own. Timestamps
    are whole seconds: blocks mined within one second (on arrival) give 0, no rhythm."""
    first = max(0, head - INTERVALS_KEPT)
    if head - first < 1:
        return []
    answers = runtime.chain.rpc.batch(
        [("eth_getBlockByNumber", [hex(number), False]) for number in range(first, head + 1)]
    )
    if any(error is not None or result is None for result, error in answers):
        return []
    stamps = [int(result["timestamp"], 16) for result, _ in answers]
    return [float(later - earlier) for earlier, later in itertools.pairwise(stamps)]


def _first_item(stored: Sequence[Mapping[str, Any]], receipts: Mapping[str, Receipt]) -> int:
    """Where an operation's items start in the mined multicall that carried it (0 for a
    transaction of its own)."""
    for entry in stored:
        if receipts.get(entry["hash"]) is not None and entry.get("items"):
            return int(entry["items"][0])
    return 0


def _start_deferred(runtime: Runtime, state: FollowerState, *, head: int) -> int:
    """Hand each organisation's oldest deferred operation to a worker once its pending
    transaction is mined: the worker puts all its deferred operations into one transaction."""
    with runtime.session() as session:
        rows = session.exec(
            select(Operation.organisation_id, Operation.id, Organisation.address)
            .join(Organisation, Organisation.id == Operation.organisation_id)  # type: ignore[arg-type]
            .where(Operation.status == operations.OperationStatus.ACCEPTED)
            .where(Operation.deferred == True)  # noqa: E712
            .order_by(Operation.created_at)  # type: ignore[arg-type]
        ).all()
    oldest: dict[str, tuple[str, str]] = {}
    for organisation_id, operation_id, address in rows:
        oldest.setdefault(organisation_id, (operation_id, address))
    state.started = {k: v for k, v in state.started.items() if k in oldest}
    count = 0
    timeout_s = runtime.settings.receipt_timeout_s
    state.flushed = {k: v for k, v in state.flushed.items() if k in oldest}
    flush_due = state.flush_due(time.monotonic())
    for organisation_id, (operation_id, address) in oldest.items():
        busy = coalescing.signer_busy(runtime.chain, address)
        if busy and flush_due and state.flushed.get(organisation_id) != head:
            # behind the pending transaction, mined in the same block
            state.flushed[organisation_id] = head
            runtime.dispatcher.enqueue(
                operations.TASK_EXECUTE, operation_id=operation_id, behind_pending=True
            )
            count += 1
            continue
        last = state.started.get(organisation_id)
        if last is not None and last[0] == head and time.monotonic() - last[1] < timeout_s:
            continue  # handed over at this head already
        if busy and (last is None or time.monotonic() - last[1] < timeout_s):
            continue
        state.started[organisation_id] = (head, time.monotonic())
        runtime.dispatcher.enqueue(operations.TASK_EXECUTE, operation_id=operation_id)
        count += 1
    return count


def redrive_accepted(runtime: Runtime, state: FollowerState) -> int:
    """Enqueue again, at most every ``redrive_after_s``, the task of the accepted operations
    (not deferred: :func:`_start_deferred` starts those) that nothing touched for that long:
    their task was lost after the commit. One conditional update moves each one's
    ``updated_at`` on, so it is handed over once per ``redrive_after_s``, and one a worker took
    meanwhile is left alone. A copy of a task that was merely slow is harmless: the task runs
    under the operation's lock and leaves a submitted or finished operation alone."""
    after_s = runtime.settings.redrive_after_s
    now = time.monotonic()
    if state.swept_at is not None and now - state.swept_at < after_s:
        return 0
    state.swept_at = now
    waiting = (
        (col(Operation.status) == operations.OperationStatus.ACCEPTED)
        & (col(Operation.deferred) == False)  # noqa: E712
        & (col(Operation.updated_at) < utcnow() - timedelta(seconds=after_s))
    )
    with runtime.session() as session:
        oldest = session.exec(
            select(Operation.id)
            .where(waiting)
            .order_by(col(Operation.updated_at))
            .limit(REDRIVE_LIMIT)
        ).all()
        if not oldest:
            return 0
        taken = session.execute(
            update(Operation)
            .where(col(Operation.id).in_(oldest))
            .where(waiting)
            .values(updated_at=utcnow())
            .returning(col(Operation.id), col(Operation.kind)),
            execution_options={"synchronize_session": False},
        ).all()
        session.commit()
    for operation_id, kind in taken:
        runtime.dispatcher.enqueue(operations.task_of(runtime, kind), operation_id=operation_id)
    if taken:
        log.warning(
            "%d accepted operations waited %.0f s for their task: enqueued again",
            len(taken),
            after_s,
        )
    return len(taken)


def _redrive_stuck(runtime: Runtime, state: FollowerState, waiting: list[str], *, head: int) -> int:
    """Enqueue the execution of operations left without receipts too long, once per stuck
    window (the worker resends forgotten transactions or replaces stuck ones)."""
    if not waiting:
        return 0
    settings = runtime.settings
    stuck_blocks = getattr(settings, "stuck_after_blocks", 3)
    count = 0
    with runtime.session() as session:
        found = session.exec(select(Operation).where(col(Operation.id).in_(waiting))).all()
        position = {operation_id: n for n, operation_id in enumerate(waiting)}
        for operation in sorted(found, key=lambda o: position[o.id]):
            operation_id = operation.id
            if not operations.is_stuck(runtime, operation, head=head):
                continue
            last = state.redriven.get(operation_id)
            if last is not None and (
                head - last[0] < stuck_blocks
                and time.monotonic() - last[1] < settings.receipt_timeout_s
            ):
                continue
            state.redriven[operation_id] = (head, time.monotonic())
            log.info("operation %s has no receipt yet: handing it back to a worker", operation_id)
            runtime.dispatcher.enqueue(operations.TASK_EXECUTE, operation_id=operation_id)
            count += 1
    return count


def follow(runtime: Runtime, stop_event: threading.Event, *, poll_s: float | None = None) -> int:
    """Follow the chain until ``stop_event`` is set; return the operations confirmed.

    A failing pass (chain node, database or broker unreachable) is logged and retried at the
    next poll: nothing is marked done before it is committed.
    """
    poll = poll_s if poll_s is not None else getattr(runtime.settings, "follower_poll_s", 0.1)
    state = FollowerState()
    total = 0
    while not stop_event.is_set():
        try:
            result = follow_once(runtime, state)
        except (ChainError, OperationalError, ConnectionError, OSError) as exc:
            log.warning("follower pass failed (%s); retrying", exc)
            state.seen_at_head.clear()
            stop_event.wait(max(poll, 0.5))
            continue
        except Exception:  # one bad operation must not stop the platform's confirmations
            log.exception("follower pass failed; retrying")
            state.seen_at_head.clear()
            stop_event.wait(max(poll, 0.5))
            continue
        total += result.confirmed
        _wait_for_next_pass(runtime, state, stop_event, poll)
    return total


def _wait_for_next_pass(
    runtime: Runtime, state: FollowerState, stop_event: threading.Event, poll: float
) -> None:
    """Wait ``poll`` seconds, but while a block is due ask for the head every
    :data:`DUE_POLL_S` and return as soon as it moved."""
    deadline = time.monotonic() + poll
    while not stop_event.is_set():
        now = time.monotonic()
        if now >= deadline:
            return
        due_in = state.block_due_in(now)
        if due_in is None or due_in > 0:
            stop_event.wait(min(deadline - now, due_in if due_in else poll))
            continue
        try:
            if runtime.chain.block_number() != state.head:
                return
        except ChainError:
            return  # the pass reports it
        stop_event.wait(DUE_POLL_S)
