"""Follow the chain into the database: bounded ranges, a cursor, and reorganisation rollback.

One pass (:func:`index_once`) walks from the cursor to the head in ranges of blocks. Before each
range it compares the stored hash of the cursor block with the chain; when they differ the chain
has reorganised, so it walks back to the newest stored block that still matches, drops every
event above it and indexes again from there. Each range is written in one transaction together
with the cursor, so a crash leaves no half-written range and a restart resumes at the cursor.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError, OperationalError

from ledger.core.chain.client import ChainClient
from ledger.core.chain.errors import ChainError
from ledger.core.runtime import Runtime
from ledger.indexer import fetch, store
from ledger.indexer.encoding import id_arguments

log = logging.getLogger(__name__)

DEFAULT_BATCH_BLOCKS = 2000
#: Events per range the indexer aims at: bounds memory and the size of one transaction.
DEFAULT_RANGE_EVENTS = 5000
FIRST_SPAN = 8
ANCESTOR_PAGE = 64
#: A range that keeps changing under the indexer (or a node that lost a transaction) is an
#: error after this many attempts, not an endless loop.
MAX_FORKED_RETRIES = 10


@dataclass
class IndexProgress:
    """How far one pass (or a follower) got."""

    chain_id: int
    start_block: int
    cursor: int
    head: int
    events: int = 0
    ranges: int = 0
    reorgs: int = 0
    rolled_back_events: int = 0
    elapsed_s: float = 0.0

    @property
    def events_per_s(self) -> float:
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0


ProgressCallback = Callable[[IndexProgress], None]


class _Pass:
    """The state of one indexing pass over one chain."""

    def __init__(self, runtime: Runtime, progress_to: ProgressCallback | None) -> None:
        self.runtime = runtime
        self.chain: ChainClient = runtime.chain
        deployment = self.chain.deployment
        assert deployment is not None  # runtime.chain raises when nothing is deployed
        self.chain_id = self.chain.chain_id
        self.floor = deployment.deployed_block - 1
        self.id_args = id_arguments(self.chain.abis.values())
        self.progress_to = progress_to
        self.last, self.last_hash = self._load_cursor()
        head = self.chain.block_number()
        self.progress = IndexProgress(
            self.chain_id, start_block=self.last, cursor=self.last, head=head
        )

    def _load_cursor(self) -> tuple[int, str | None]:
        with self.runtime.session() as session:
            last = store.read_cursor(session, self.chain_id)
        if last is None:
            try:
                with self.runtime.session() as session:
                    store.create_cursor(session, self.chain_id, self.floor)
            except IntegrityError:
                log.info("another indexer created the cursor of chain %s", self.chain_id)
        with self.runtime.session() as session:
            last = store.read_cursor(session, self.chain_id)
            assert last is not None
            return last, store.stored_hash(session, self.chain_id, last)

    def cursor_matches(self, header: fetch.BlockHeader | None) -> bool:
        if self.last <= self.floor:
            return True
        return header is not None and header.hash == self.last_hash

    def roll_back(self) -> None:
        """Drop what the chain no longer holds, down to the newest block that still matches."""
        ancestor = self._common_ancestor()
        with self.runtime.session() as session:
            dropped = store.roll_back(
                session, chain_id=self.chain_id, expected_last=self.last, ancestor=ancestor
            )
        if dropped is None:
            log.info("the cursor of chain %s moved during a rollback; re-reading", self.chain_id)
        else:
            log.warning(
                "chain %s reorganised: rolled back from block %s to %s (%s events)",
                self.chain_id,
                self.last,
                ancestor,
                dropped,
            )
            self.progress.reorgs += 1
            self.progress.rolled_back_events += dropped
        self.last, self.last_hash = self._load_cursor()
        self.progress.cursor = self.last

    def _common_ancestor(self) -> int:
        upper = self.last
        while True:
            with self.runtime.session() as session:
                stored = store.stored_blocks(
                    session, self.chain_id, at_most=upper, limit=ANCESTOR_PAGE
                )
            if not stored:
                return self.floor
            on_chain = fetch.headers(self.chain, (number for number, _ in stored))
            for number, block_hash in stored:
                header = on_chain[number]
                if header is not None and header.hash == block_hash:
                    return number
            upper = stored[-1][0] - 1

    def write(self, fetched: fetch.FetchedRange) -> bool:
        with self.runtime.session() as session:
            written = store.write_range(
                session,
                chain_id=self.chain_id,
                expected_last=self.last,
                fetched=fetched,
                id_args=self.id_args,
            )
        if not written:
            log.info("another indexer advanced chain %s; re-reading the cursor", self.chain_id)
            self.last, self.last_hash = self._load_cursor()
            self.progress.cursor = self.last
            return False
        self.last, self.last_hash = fetched.last, fetched.blocks[fetched.last].hash
        progress = self.progress
        progress.cursor = self.last
        progress.events += len(fetched.events)
        progress.ranges += 1
        if self.progress_to is not None:
            self.progress_to(progress)
        return True


def _next_span(span: int, blocks: int, events: int, *, limit: int, range_events: int) -> int:
    """Blocks for the next range: about ``range_events`` events, growing at most fourfold."""
    if events == 0:
        return min(limit, span * 4)
    return max(1, min(limit, span * 4, blocks * range_events // events))


def index_once(
    runtime: Runtime,
    *,
    batch_blocks: int = DEFAULT_BATCH_BLOCKS,
    range_events: int = DEFAULT_RANGE_EVENTS,
    on_range: ProgressCallback | None = None,
) -> IndexProgress:
    """Index from the cursor up to the current head (rolling back a reorganisation first).

    Ranges hold at most ``batch_blocks`` blocks; within that, the span adapts so that a range
    carries about ``range_events`` events. ``on_range`` is called after each stored range.
    """
    started = time.monotonic()
    state = _Pass(runtime, on_range)
    progress = state.progress
    span = min(batch_blocks, FIRST_SPAN)
    forks = 0
    while True:
        to = min(state.last + span, progress.head)
        found = fetch.headers(state.chain, {to, state.last} if state.last > state.floor else {to})
        if not state.cursor_matches(found.get(state.last)):
            state.roll_back()
            continue
        if to <= state.last:
            break
        to_header = found[to]
        if to_header is None:  # the chain got shorter since the head was read
            progress.head = state.chain.block_number()
            continue
        try:
            fetched = fetch.fetch_range(state.chain, state.last + 1, to, to_header)
        except fetch.RangeRefused as refused:
            log.info("%s; halving the range", refused.message)
            span = max(1, (to - state.last) // 2)
            continue
        except fetch.ForkedDuringFetch as forked:
            forks += 1
            if forks > MAX_FORKED_RETRIES:
                raise
            log.info("%s; checking for a reorganisation", forked.message)
            time.sleep(0.05 * forks)
            continue
        forks = 0
        if state.write(fetched):
            span = _next_span(
                span,
                to - fetched.first + 1,
                len(fetched.events),
                limit=batch_blocks,
                range_events=range_events,
            )
    progress.elapsed_s = time.monotonic() - started
    return progress


def follow(
    runtime: Runtime,
    stop_event: threading.Event,
    poll_s: float = 1.0,
    *,
    batch_blocks: int = DEFAULT_BATCH_BLOCKS,
    on_pass: ProgressCallback | None = None,
) -> int:
    """Index passes every ``poll_s`` until ``stop_event`` is set; the events indexed in all.

    A failing pass (chain node or database unreachable) is logged and retried at the next
    poll: the cursor only moves with committed ranges, so nothing is lost or repeated.
    """
    total = 0
    while not stop_event.is_set():
        try:
            progress = index_once(runtime, batch_blocks=batch_blocks)
        except (ChainError, OperationalError):
            log.exception("indexing pass failed; retrying in %ss", poll_s)
        else:
            total += progress.events
            if on_pass is not None:
                on_pass(progress)
        stop_event.wait(poll_s)
    return total


def rebuild(runtime: Runtime, *, on_range: ProgressCallback | None = None) -> IndexProgress:
    """Wipe this chain's index and index it again from the deployment block."""
    chain_id = runtime.chain.chain_id
    with runtime.session() as session:
        dropped = store.wipe(session, chain_id)
    log.info("wiped %s indexed events of chain %s", dropped, chain_id)
    return index_once(runtime, on_range=on_range)
