"""The core's tables: organisations, their API tokens, and operations. Each capability keeps
its own tables beside its services (``ledger/registry/tables.py``, ``ledger/market/tables.py``,
...); ``ledger/schema/migrations/env.py`` registers them all.

Resource tables mirror the chain-confirmed state: a row is written or changed only by the
worker, after the transaction that records it is mined. Pending intents live in
:class:`Operation` rows until then, so a refused transaction leaves nothing half-written.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _new_uuid() -> str:
    return str(uuid.uuid4())


class Organisation(SQLModel, table=True):
    """A TSO, DSO, BSP, infrastructure operator or auditor, with its own chain account."""

    __tablename__ = "organisations"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    role: str = Field(index=True, max_length=16)
    eic: str = Field(unique=True, max_length=16)
    address: str = Field(unique=True, max_length=42)
    callback_url: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    suspended_at: datetime | None = None
    """Set while the TSO has suspended the organisation: its role is revoked on chain and its
    API access refused."""


class ApiToken(SQLModel, table=True):
    """A bearer token of an organisation; only its SHA-256 is stored, ``id`` names it."""

    __tablename__ = "api_tokens"

    token_sha256: str = Field(primary_key=True, max_length=64)
    id: str = Field(
        default_factory=lambda: str(uuid.uuid4()), unique=True, index=True, max_length=36
    )
    organisation_id: str = Field(foreign_key="organisations.id", index=True)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class OperationStatus(StrEnum):
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


#: In a stored transaction (``Operation.signed_transactions``): the id of the operation that
#: carries it (a multicall's first member, which stores the signed transaction and the ids of
#: all operations sharing it).
CARRIED_BY = "carriedBy"


class Operation(SQLModel, table=True):
    """An accepted write: what was asked, by whom, and how far it got on chain."""

    __tablename__ = "operations"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: str = Field(primary_key=True, max_length=36)
    organisation_id: str = Field(foreign_key="organisations.id", index=True)
    kind: str = Field(index=True, max_length=40)
    target_id: str | None = Field(default=None, index=True, max_length=36)
    status: str = Field(default="accepted", index=True, max_length=16)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    signed_transactions: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    transaction_hashes: list[str] | None = Field(default=None, sa_column=Column(JSON))
    block_number: int | None = None
    gas_used: int | None = None
    # The chain head and the time when its transactions were last sent (or resent, or replaced
    # with a higher fee): the block follower re-drives an operation left without a receipt.
    sent_block: int | None = None
    sent_at: datetime | None = None
    # Waiting for its organisation's pending transaction, to go into its next one (coalesced).
    deferred: bool = Field(default=False, index=True)
    error: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    idempotency_key: str | None = Field(default=None, max_length=100)
    callback_status: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
