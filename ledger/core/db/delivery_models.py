"""Tables of the connector's delivery guarantees: answers kept for retried writes
(``Idempotency-Key``) and signed callbacks with every delivery attempt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.core.db.models import utcnow


class IdempotencyRecord(SQLModel, table=True):
    """One ``Idempotency-Key`` of one organisation: the request it named (by fingerprint) and,
    once answered with a 2xx, the answer that a retry gets again."""

    __tablename__ = "idempotency_keys"

    organisation_id: str = Field(primary_key=True, foreign_key="organisations.id", max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)
    method: str = Field(max_length=8)
    path: str = Field(sa_column=Column(Text, nullable=False))
    status_code: int | None = None
    response_body: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class WebhookSecret(SQLModel, table=True):
    """The organisation's signing secret (``whsec_<base64>``): shown once, used to sign."""

    __tablename__ = "webhook_secrets"

    organisation_id: str = Field(primary_key=True, foreign_key="organisations.id", max_length=64)
    secret: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


class WebhookMessage(SQLModel, table=True):
    """One callback: its id (``webhook-id``, the same on every retry) and the exact body sent."""

    __tablename__ = "webhook_messages"

    id: str = Field(primary_key=True, max_length=40)
    organisation_id: str = Field(foreign_key="organisations.id", index=True, max_length=64)
    event_type: str = Field(max_length=40)
    subject_kind: str = Field(max_length=16)
    subject_id: str = Field(index=True, max_length=36)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", index=True, max_length=16)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class WebhookAttempt(SQLModel, table=True):
    """One delivery attempt: when, where, and the receiver's HTTP status or the error."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (UniqueConstraint("message_id", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(foreign_key="webhook_messages.id", index=True, max_length=40)
    attempt: int
    attempted_at: datetime = Field(default_factory=utcnow)
    url: str = Field(sa_column=Column(Text, nullable=False))
    http_status: int | None = None
    error: str | None = Field(default=None, max_length=300)
