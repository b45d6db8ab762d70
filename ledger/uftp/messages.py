"""The record of UFTP messages: every message accepted from a participant, every message
composed for one (delivered by the endpoint, re-sent until its endpoint takes it)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from shapeshifter_uftp import transport
from sqlmodel import Session, col, select

from ledger.uftp.rejections import AlreadySubmitted, DuplicateIdentifier
from ledger.uftp.tables import UftpMessage

IN, OUT = "in", "out"
VERSION = "3.1.0"


def to_xml(message: Any) -> str:
    text: str = transport.to_xml(message)
    return text


def digest(message: Any) -> str:
    return hashlib.sha256(to_xml(message).encode("utf-8")).hexdigest()


def check_new(session: Session, message: Any) -> None:
    """A MessageID seen before is refused: Already Submitted if the content is the same,
    Duplicate Identifier if not (UFTP)."""
    seen = session.exec(
        select(UftpMessage).where(
            UftpMessage.direction == IN, UftpMessage.message_id == message.message_id
        )
    ).first()
    if seen is None:
        return
    if seen.digest == digest(message):
        raise AlreadySubmitted(f"message {message.message_id} was accepted before")
    raise DuplicateIdentifier(f"message {message.message_id} was used for another message")


def record_inbound(
    session: Session,
    message: Any,
    *,
    reference: str | None,
    subject: str | None = None,
    links: dict[str, Any] | None = None,
    sealed: str | None = None,
) -> UftpMessage:
    row = UftpMessage(
        direction=IN,
        sealed=sealed,
        message_id=message.message_id,
        conversation_id=message.conversation_id,
        message_type=type(message).__name__,
        participant_domain=message.sender_domain,
        reference_message_id=reference,
        subject=subject,
        links=links or {},
        digest=digest(message),
        body=to_xml(message),
        result=_result(message),
    )
    session.add(row)
    return row


def compose(
    session: Session,
    message: Any,
    *,
    sender_domain: str,
    recipient_domain: str,
    reference: str | None = None,
    conversation_id: str | None = None,
    subject: str | None = None,
    links: dict[str, Any] | None = None,
) -> UftpMessage:
    """Fill the envelope fields of an outbound message and record it, to be delivered."""
    message.version = VERSION
    message.sender_domain = sender_domain
    message.recipient_domain = recipient_domain
    message.message_id = message.message_id or str(uuid.uuid4())
    message.conversation_id = conversation_id or message.conversation_id or str(uuid.uuid4())
    message.time_stamp = message.time_stamp or datetime.now(UTC).isoformat()
    row = UftpMessage(
        direction=OUT,
        message_id=message.message_id,
        conversation_id=message.conversation_id,
        message_type=type(message).__name__,
        participant_domain=recipient_domain,
        reference_message_id=reference,
        subject=subject,
        links=links or {},
        digest=digest(message),
        body=to_xml(message),
        result=_result(message),
        rejection_reason=getattr(message, "rejection_reason", None),
    )
    session.add(row)
    return row


def _result(message: Any) -> str | None:
    result = getattr(message, "result", None)
    return str(result) if result is not None else None


def sent(
    session: Session, *, message_type: str, participant_domain: str, message_id: str
) -> UftpMessage | None:
    """An outbound message of ``message_type`` to the participant (what a response answers)."""
    return _recorded(session, OUT, message_type, participant_domain, message_id)


def received(
    session: Session, *, message_type: str, participant_domain: str, message_id: str
) -> UftpMessage | None:
    """An inbound message of ``message_type`` accepted from the participant."""
    return _recorded(session, IN, message_type, participant_domain, message_id)


def _recorded(
    session: Session, direction: str, message_type: str, participant_domain: str, message_id: str
) -> UftpMessage | None:
    return session.exec(
        select(UftpMessage).where(
            UftpMessage.direction == direction,
            UftpMessage.message_type == message_type,
            UftpMessage.participant_domain == participant_domain,
            UftpMessage.message_id == message_id,
        )
    ).first()


def about(
    session: Session, *, direction: str, message_type: str, subject: str
) -> UftpMessage | None:
    return session.exec(
        select(UftpMessage).where(
            UftpMessage.direction == direction,
            UftpMessage.message_type == message_type,
            UftpMessage.subject == subject,
        )
    ).first()


def answered(session: Session, *, message_type: str, reference: str) -> bool:
    """Whether an inbound response to ``reference`` was accepted already."""
    return (
        session.exec(
            select(UftpMessage.id).where(
                UftpMessage.direction == IN,
                UftpMessage.message_type == message_type,
                UftpMessage.reference_message_id == reference,
            )
        ).first()
        is not None
    )


def undelivered(session: Session, limit: int = 100) -> Sequence[UftpMessage]:
    return session.exec(
        select(UftpMessage)
        .where(UftpMessage.direction == OUT, col(UftpMessage.delivered_at).is_(None))
        .order_by(col(UftpMessage.id))
        .limit(limit)
    ).all()


def parse(row: UftpMessage) -> Any:
    return transport.from_xml(row.body)
