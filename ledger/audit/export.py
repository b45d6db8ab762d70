"""``export``: indexed events filtered by organisation, kind of record and time, for a regulator.

The organisation is the one that sent the transaction (the actor). Times are block times.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from ledger.audit.render import change_text, event_label, readable, summary, timestamp_text
from ledger.core.errors import InvalidInput
from ledger.indexer.tables import ChainEvent, IndexedBlock

#: Kinds of record and the events that change them; later issues add bids, settlements, trades.
EVENT_KINDS: dict[str, frozenset[str]] = {
    "pod": frozenset({"PodRegistered", "PodUpdated", "PodStatusChanged"}),
    "device": frozenset({"FlexDeviceRegistered", "FlexDeviceUpdated"}),
    "uvam": frozenset({"UvamRegistered", "UvamUpdated", "UvamStatusChanged"}),
    "connection": frozenset({"ConnectionRegistered", "ConnectionUpdated"}),
    "relation": frozenset({"RelationStarted", "RelationEnded"}),
    "attachment": frozenset({"AttachmentCreated", "AttachmentUpdated"}),
    "role": frozenset(
        {
            "RoleGranted",
            "RoleRevoked",
            "AccountRotated",
            "TsoHandoverProposed",
            "TsoHandoverAccepted",
        }
    ),
}
EXPORT_COLUMNS = (
    "blockNumber",
    "time",
    "transactionHash",
    "logIndex",
    "contract",
    "event",
    "actor",
    "sender",
    "summary",
    "args",
)


def _unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise InvalidInput("give times with a timezone, e.g. 2026-01-01T00:00:00Z", field="since")
    return int(moment.timestamp())


def export(
    session: Session,
    *,
    chain_id: int | None = None,
    organisation: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Rows (one per event, in chain order) with the columns of :data:`EXPORT_COLUMNS`."""
    query = select(ChainEvent, IndexedBlock.timestamp).join(
        IndexedBlock,
        and_(
            col(IndexedBlock.chain_id) == col(ChainEvent.chain_id),
            col(IndexedBlock.number) == col(ChainEvent.block_number),
        ),
    )
    if chain_id is not None:
        query = query.where(ChainEvent.chain_id == chain_id)
    if organisation is not None:
        query = query.where(ChainEvent.actor_id == organisation)
    if kind is not None:
        if kind not in EVENT_KINDS:
            known = ", ".join(EVENT_KINDS)
            raise InvalidInput(f"unknown kind {kind!r}; one of {known}", field="kind")
        query = query.where(col(ChainEvent.name).in_(EVENT_KINDS[kind]))
    # Block times never decrease, so a time window is a block window: the events' own index
    # serves the filter instead of a scan of every block's time.
    if since is not None:
        first = select(func.min(IndexedBlock.number)).where(IndexedBlock.timestamp >= _unix(since))
        query = query.where(col(ChainEvent.block_number) >= first.scalar_subquery())
    if until is not None:
        last = select(func.max(IndexedBlock.number)).where(IndexedBlock.timestamp <= _unix(until))
        query = query.where(col(ChainEvent.block_number) <= last.scalar_subquery())
    query = query.order_by(
        col(ChainEvent.chain_id), col(ChainEvent.block_number), col(ChainEvent.log_index)
    )
    return [
        {
            "blockNumber": event.block_number,
            "time": timestamp_text(timestamp),
            "transactionHash": event.transaction_hash,
            "logIndex": event.log_index,
            "contract": event.contract,
            "event": event.name,
            "label": event_label(event.name),
            "change": change_text(event.name, event.args),
            "actor": event.actor_id,
            "sender": event.sender,
            "summary": summary(event.name, event.args),
            "args": {key: readable(value) for key, value in event.args.items()},
        }
        for event, timestamp in session.exec(query)
    ]
