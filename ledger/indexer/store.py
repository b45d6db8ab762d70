"""Writes and reads of the index tables. Each function works inside the caller's transaction.

Every change of the cursor is a compare-and-set (``UPDATE ... WHERE last_block = expected``),
so two indexers on one database never interleave: the second one's range is refused and it
re-reads the cursor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from ledger.core.db.models import Organisation, utcnow
from ledger.indexer.encoding import json_value
from ledger.indexer.fetch import FetchedRange
from ledger.indexer.tables import ChainEvent, ChainEventRef, IndexedBlock, IndexerCursor

IdArguments = Mapping[tuple[str, str], tuple[str, ...]]

EVENTS = ChainEvent.__table__  # type: ignore[attr-defined]
REFS = ChainEventRef.__table__  # type: ignore[attr-defined]
BLOCKS = IndexedBlock.__table__  # type: ignore[attr-defined]
CURSORS = IndexerCursor.__table__  # type: ignore[attr-defined]


def read_cursor(session: Session, chain_id: int) -> int | None:
    cursor = session.get(IndexerCursor, chain_id)
    return None if cursor is None else cursor.last_block


def create_cursor(session: Session, chain_id: int, last_block: int) -> None:
    """A new cursor; raises IntegrityError (at commit) when another indexer created it first."""
    session.connection().execute(
        insert(CURSORS).values(chain_id=chain_id, last_block=last_block, updated_at=utcnow())
    )


def stored_hash(session: Session, chain_id: int, number: int) -> str | None:
    block = session.get(IndexedBlock, (chain_id, number))
    return None if block is None else block.hash


def stored_blocks(
    session: Session, chain_id: int, *, at_most: int, limit: int
) -> list[tuple[int, str]]:
    """Stored (number, hash) pairs at or below ``at_most``, newest first."""
    rows = session.exec(
        select(IndexedBlock.number, IndexedBlock.hash)
        .where(IndexedBlock.chain_id == chain_id, IndexedBlock.number <= at_most)
        .order_by(col(IndexedBlock.number).desc())
        .limit(limit)
    ).all()
    return [(number, block_hash) for number, block_hash in rows]


def _move_cursor(session: Session, chain_id: int, expected: int, to: int) -> bool:
    moved = session.connection().execute(
        update(CURSORS)
        .where(CURSORS.c.chain_id == chain_id, CURSORS.c.last_block == expected)
        .values(last_block=to, updated_at=utcnow())
    )
    return moved.rowcount == 1


def write_range(
    session: Session,
    *,
    chain_id: int,
    expected_last: int,
    fetched: FetchedRange,
    id_args: IdArguments,
) -> bool:
    """Store a fetched range and advance the cursor to its end; False if the cursor moved."""
    if not _move_cursor(session, chain_id, expected_last, fetched.last):
        return False
    connection = session.connection()
    if fetched.events:
        actors = {
            address.lower(): organisation_id
            for address, organisation_id in session.exec(
                select(Organisation.address, Organisation.id)
            )
        }
        rows: list[dict[str, Any]] = []
        for event in fetched.events:
            sender = fetched.senders[event.transaction_hash]
            rows.append(
                {
                    "chain_id": chain_id,
                    "block_number": event.block_number,
                    "block_hash": event.block_hash,
                    "transaction_hash": event.transaction_hash,
                    "log_index": event.log_index,
                    "contract": event.contract,
                    "address": event.address,
                    "name": event.name,
                    "args": json_value(event.args),
                    "sender": sender,
                    "actor_id": actors.get(sender.lower()),
                }
            )
        ids = (
            connection.execute(
                insert(EVENTS).returning(EVENTS.c.id, sort_by_parameter_order=True), rows
            )
            .scalars()
            .all()
        )
        refs = [
            {"key": "0x" + event.args[name].hex(), "event_id": event_id, "arg": name}
            for event, event_id in zip(fetched.events, ids, strict=True)
            for name in id_args.get((event.contract, event.name), ())
        ]
        if refs:
            connection.execute(insert(REFS), refs)
    connection.execute(
        insert(BLOCKS),
        [
            {"chain_id": chain_id, "number": b.number, "hash": b.hash, "timestamp": b.timestamp}
            for b in sorted(fetched.blocks.values(), key=lambda b: b.number)
        ],
    )
    return True


def _delete_events(session: Session, chain_id: int, *, above: int | None) -> int:
    """Delete the events (and their refs and blocks) of ``chain_id`` above a block, or all."""
    connection = session.connection()
    event_filter = [EVENTS.c.chain_id == chain_id]
    block_filter = [BLOCKS.c.chain_id == chain_id]
    if above is not None:
        event_filter.append(EVENTS.c.block_number > above)
        block_filter.append(BLOCKS.c.number > above)
    doomed = EVENTS.select().with_only_columns(EVENTS.c.id).where(*event_filter)
    connection.execute(delete(REFS).where(REFS.c.event_id.in_(doomed)))
    deleted = connection.execute(delete(EVENTS).where(*event_filter)).rowcount
    connection.execute(delete(BLOCKS).where(*block_filter))
    return int(deleted)


def roll_back(session: Session, *, chain_id: int, expected_last: int, ancestor: int) -> int | None:
    """Forget everything above ``ancestor``; the number of events dropped, None if the cursor
    moved meanwhile."""
    if not _move_cursor(session, chain_id, expected_last, ancestor):
        return None
    return _delete_events(session, chain_id, above=ancestor)


def wipe(session: Session, chain_id: int) -> int:
    """Empty the index of ``chain_id`` (events, refs, blocks, cursor); the events dropped."""
    deleted = _delete_events(session, chain_id, above=None)
    session.connection().execute(delete(CURSORS).where(CURSORS.c.chain_id == chain_id))
    return deleted
