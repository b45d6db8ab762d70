"""SQLModel tables of the UFTP endpoint (issue 15): the participants the platform talks to, and
every UFTP message it accepted or sent.

A participant is identified by its UFTP domain and role, verified by its public signing key,
and acts as one organisation (its EIC and chain account are the organisation's). A message row
is written only for a message that was accepted (inbound) or composed (outbound): a rejected
message leaves nothing behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.core.db.models import utcnow


class UftpParticipant(SQLModel, table=True):
    """A UFTP participant (an aggregator's system, or a DSO's) and the organisation it acts as."""

    __tablename__ = "uftp_participants"

    domain: str = Field(primary_key=True, max_length=253)
    """The participant's UFTP sender domain (``SenderDomain``)."""
    role: str = Field(primary_key=True, max_length=3)
    """Its USEF role: ``AGR`` (a BSP's aggregator system) or ``DSO``."""
    organisation_id: str = Field(foreign_key="organisations.id", index=True, max_length=64)
    public_key: str = Field(max_length=64)
    """Base64 of its 32-byte Ed25519 public signing key (as published in ``_<role>._usef``)."""
    endpoint: str = Field(max_length=500)
    """The URL its UFTP messages are delivered to."""
    created_at: datetime = Field(default_factory=utcnow)


class UftpMessage(SQLModel, table=True):
    """One UFTP message accepted from a participant (``in``) or sent to it (``out``)."""

    __tablename__ = "uftp_messages"
    __table_args__ = (UniqueConstraint("direction", "message_id", name="uq_uftp_messages_id"),)

    id: int | None = Field(default=None, primary_key=True)
    direction: str = Field(max_length=3)
    message_id: str = Field(index=True, max_length=36)
    conversation_id: str = Field(max_length=36)
    message_type: str = Field(index=True, max_length=40)
    participant_domain: str = Field(index=True, max_length=253)
    reference_message_id: str | None = Field(default=None, index=True, max_length=36)
    """The message this one answers or is based on (a FlexOffer's FlexRequest, a response's
    request)."""
    subject: str | None = Field(default=None, index=True, max_length=80)
    """What the message is about on the platform: ``need:<id>:<uvamId>``, ``bid:<id>``,
    ``activation:<id>``, ``settlement:<id>``."""
    links: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """Platform ids the message led to or came from (needId, uvamId, bidIds, operationId, ...)."""
    digest: str = Field(max_length=64)
    """SHA-256 of the message's XML: a repeated MessageID with other content is refused."""
    body: str = Field(sa_column=Column(Text, nullable=False))
    """The (unsealed) message XML."""
    sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """Inbound: base64 of the sealed body as it arrived (Ed25519 signature + XML), so the
    sender's signature can be checked again with its public key."""
    result: str | None = Field(default=None, max_length=8)
    """A response's Accepted or Rejected."""
    rejection_reason: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = None
    """Outbound: when the participant's endpoint took it (HTTP 200); None: to be (re)sent."""
    created_at: datetime = Field(default_factory=utcnow)
