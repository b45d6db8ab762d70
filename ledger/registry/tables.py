"""The registry's tables: PODs, metering point claims, flex devices, UVAMs, memberships,
attachments and the status history of PODs and UVAMs.

They mirror the chain-confirmed state: a row is written or changed only after the transaction
that records it is mined (``ledger/core/db/models.py`` says how)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from ledger.core.db.models import utcnow


class Pod(SQLModel, table=True):
    __tablename__ = "pods"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    bsp_id: str = Field(foreign_key="organisations.id", index=True)
    dso_eic: str = Field(index=True, max_length=16)
    metering_point_id: str = Field(index=True, max_length=32)
    resource_name: str = Field(max_length=200)
    status: str = Field(index=True, max_length=16)
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    salt: str = Field(max_length=64)
    record_hash: str = Field(max_length=66)
    constraints: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    reasons: list[str] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class MeteringPointClaim(SQLModel, table=True):
    """One POD per metering point: claimed when a registration is accepted, so that two
    registrations of the same POD code in flight cannot both pass; released only if the
    registration (or the update that moved the POD to this code) fails."""

    __tablename__ = "metering_point_claims"

    metering_point_id: str = Field(primary_key=True, max_length=32)
    pod_id: str = Field(index=True, max_length=36)
    created_at: datetime = Field(default_factory=utcnow)


class FlexDevice(SQLModel, table=True):
    __tablename__ = "flex_devices"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    pod_id: str = Field(foreign_key="pods.id", index=True)
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    salt: str = Field(max_length=64)
    record_hash: str = Field(max_length=66)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Uvam(SQLModel, table=True):
    __tablename__ = "uvams"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    bsp_id: str = Field(foreign_key="organisations.id", index=True)
    name: str = Field(max_length=200)
    status: str = Field(index=True, max_length=16)
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    salt: str = Field(max_length=64)
    record_hash: str = Field(max_length=66)
    connection: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    connection_hash: str | None = Field(default=None, max_length=66)
    reasons: list[str] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    """A POD-UVAM relation (Table 10); ended by End Relation (Table 16)."""

    __tablename__ = "memberships"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    uvam_id: str = Field(foreign_key="uvams.id", index=True)
    pod_id: str = Field(foreign_key="pods.id", index=True)
    active: bool = True
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None


class Attachment(SQLModel, table=True):
    """Metadata of a document attached to a POD or UVAM; the file is content-addressed."""

    __tablename__ = "attachments"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    owner_kind: str = Field(max_length=8)
    owner_id: str = Field(index=True, max_length=36)
    content_sha256: str = Field(max_length=64)
    size_bytes: int
    mime_type: str = Field(max_length=40)
    metadata_record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    salt: str = Field(max_length=64)
    metadata_hash: str = Field(max_length=66)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class StatusChange(SQLModel, table=True):
    """Every confirmed status transition, with the transaction that made it."""

    __tablename__ = "status_changes"

    id: int | None = Field(default=None, primary_key=True)
    resource_kind: str = Field(max_length=8)
    resource_id: str = Field(index=True, max_length=36)
    from_status: str = Field(max_length=16)
    to_status: str = Field(max_length=16)
    actor_id: str = Field(max_length=64)
    reasons: list[str] | None = Field(default=None, sa_column=Column(JSON))
    transaction_hash: str = Field(max_length=66)
    block_number: int
    at: datetime = Field(default_factory=utcnow)
