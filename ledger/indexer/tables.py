"""Tables of the chain event index: events, the ids they mention, block hashes, the cursor.

The index is derived data: every row can be rebuilt from the chain (``cbp audit rebuild``).
Block hashes are kept so that a reorganisation is noticed and rolled back, and block timestamps
so that audit queries can answer "when" without asking the chain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.core.db.models import utcnow

# SQLite auto-numbers only an INTEGER PRIMARY KEY; elsewhere the id is 64-bit.
EVENT_ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class ChainEvent(SQLModel, table=True):
    """One log of a project contract, decoded.

    ``args`` holds the decoded arguments as JSON: bytes as ``0x`` hex, integers outside the
    signed 64-bit range as decimal strings. ``sender`` is the transaction's ``from``;
    ``actor_id`` the organisation holding that address when the event was indexed.
    """

    __tablename__ = "chain_events"
    __table_args__ = (
        UniqueConstraint("chain_id", "transaction_hash", "log_index", name="uq_chain_events_log"),
        Index("ix_chain_events_position", "chain_id", "block_number", "log_index"),
    )

    id: int | None = Field(default=None, sa_column=Column(EVENT_ID_TYPE, primary_key=True))
    chain_id: int = Field(sa_type=BigInteger)
    block_number: int = Field(sa_type=BigInteger)
    block_hash: str = Field(max_length=66)
    transaction_hash: str = Field(max_length=66)
    log_index: int
    contract: str = Field(max_length=64)
    address: str = Field(max_length=42)
    name: str = Field(index=True, max_length=64)
    args: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    sender: str = Field(max_length=42)
    actor_id: str | None = Field(default=None, index=True, max_length=64)


class ChainEventRef(SQLModel, table=True):
    """An id (an indexed ``bytes32`` argument) an event mentions, for history lookups.

    ``arg`` names the argument (``podId``, ``ownerId``), i.e. how the event concerns the id.
    """

    __tablename__ = "chain_event_refs"

    key: str = Field(primary_key=True, max_length=66)
    # No foreign key on purpose: SQLite would scan this table for every deleted event; the
    # indexer deletes refs with their events itself.
    event_id: int = Field(sa_column=Column(EVENT_ID_TYPE, primary_key=True, autoincrement=False))
    arg: str = Field(max_length=64)


class IndexedBlock(SQLModel, table=True):
    """A block the index relies on: one holding indexed events, or the end of a scanned range."""

    __tablename__ = "indexed_blocks"

    chain_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    number: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: str = Field(max_length=66)
    timestamp: int = Field(sa_type=BigInteger, description="Unix seconds of the block.")


class IndexerCursor(SQLModel, table=True):
    """The last block whose events are all indexed, per chain."""

    __tablename__ = "indexer_cursors"

    chain_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    last_block: int = Field(sa_type=BigInteger)
    updated_at: datetime = Field(default_factory=utcnow)
