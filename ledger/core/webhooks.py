"""The one sender of callbacks, signed as Standard Webhooks signs them.

Every callback is a :class:`WebhookMessage` stored in the transaction that caused it, with its
exact body and an id that stays the same on every attempt (``webhook-id``). Each attempt is
signed anew: ``webhook-timestamp`` is the attempt's unix time and ``webhook-signature`` is
``v1,`` and the base64 HMAC-SHA256 of ``{webhook-id}.{webhook-timestamp}.{body}``, keyed with
the base64-decoded part of the organisation's secret after ``whsec_``. A receiver that does not
answer 2xx is tried again after 2, 4, 8 ... seconds (``CBP_CALLBACK_BACKOFF_S`` doubling, at
most ``CBP_CALLBACK_BACKOFF_MAX_S``) until ``CBP_CALLBACK_MAX_ATTEMPTS``; every attempt is
recorded and the organisation reads them through the API.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
from sqlmodel import Session, col, func, select

from ledger.core.db.delivery_models import WebhookAttempt, WebhookMessage, WebhookSecret
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.ids import new_id
from ledger.core.runtime import Runtime

TASK_DELIVER = "cbp.webhooks.deliver"
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    """What one attempt came to, and when to try again (None: no more attempts)."""

    outcome: str
    retry_in_s: float | None = None


# ------------------------------------------------------------------------- secrets and signing


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,<base64 HMAC-SHA256>``."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def ensure_secret(session: Session, organisation: Organisation) -> str | None:
    """Create the organisation's signing secret if it has none; the new secret (shown once)."""
    if session.get(WebhookSecret, organisation.id) is not None:
        return None
    return rotate_secret(session, organisation)


def rotate_secret(session: Session, organisation: Organisation) -> str:
    """A new signing secret, in force for every attempt from now on; shown once."""
    secret = new_secret()
    row = session.get(WebhookSecret, organisation.id)
    if row is None:
        session.add(WebhookSecret(organisation_id=organisation.id, secret=secret))
    else:
        row.secret, row.created_at = secret, utcnow()
    session.flush()
    return secret


# ------------------------------------------------------------------------- messages


def receives_callbacks(organisation: Organisation) -> bool:
    """Whether callbacks are stored for ``organisation``: it gave a callback URL."""
    return bool(organisation.callback_url)


def message(
    session: Session,
    organisation: Organisation,
    *,
    event_type: str,
    subject_kind: str,
    subject_id: str,
    body: dict[str, Any],
) -> str | None:
    """Store a callback to ``organisation`` in the caller's transaction; its id, to enqueue
    :data:`TASK_DELIVER` with after the commit (None: the organisation has no callback URL)."""
    if not receives_callbacks(organisation):
        return None
    row = WebhookMessage(
        id=f"msg_{new_id().replace('-', '')}",
        organisation_id=organisation.id,
        event_type=event_type,
        subject_kind=subject_kind,
        subject_id=subject_id,
        body=json.dumps(body, separators=(",", ":"), sort_keys=True),
    )
    session.add(row)
    return row.id


def deliver(runtime: Runtime, message_id: str) -> Delivery:
    """One attempt to POST the message to the organisation's callback URL, recorded."""
    settings = runtime.settings
    with runtime.session() as session:
        row = session.get(WebhookMessage, message_id)
        if row is None:
            return Delivery("missing")
        if row.status != DeliveryStatus.PENDING:
            return Delivery(row.status)
        organisation = session.get(Organisation, row.organisation_id)
        url = organisation.callback_url if organisation is not None else None
        if organisation is None or not url:
            row.status, row.updated_at = DeliveryStatus.FAILED, utcnow()
            return Delivery("no-callback")
        secret = session.get(WebhookSecret, organisation.id)
        if secret is None:
            ensure_secret(session, organisation)
            secret = session.get(WebhookSecret, organisation.id)
            assert secret is not None
        body = row.body.encode("utf-8")
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": row.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret.secret, row.id, timestamp, body),
            "x-cbp-event": row.event_type,
        }
        http_status: int | None = None
        error: str | None = None
        try:
            response = _client().post(
                url, content=body, headers=headers, timeout=settings.callback_timeout_s
            )
            http_status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        row.attempts += 1
        session.add(
            WebhookAttempt(
                message_id=row.id,
                attempt=row.attempts,
                url=url,
                http_status=http_status,
                error=error,
            )
        )
        delivered = http_status is not None and 200 <= http_status < 300
        outcome = f"delivered:{http_status}" if http_status is not None else f"error:{error}"
        if delivered:
            row.status = DeliveryStatus.DELIVERED
        elif row.attempts >= settings.callback_max_attempts:
            row.status = DeliveryStatus.FAILED
        row.updated_at = utcnow()
        _mirror_outcome(runtime, session, row, outcome[:40])
        if row.status != DeliveryStatus.PENDING:
            return Delivery(outcome)
        backoff = settings.callback_backoff_s * 2 ** (row.attempts - 1)
        return Delivery(outcome, retry_in_s=min(backoff, settings.callback_backoff_max_s))


@functools.cache
def _client() -> httpx.Client:
    """One HTTP client per process for every callback: its connections to a receiver are kept
    and reused, and no attempt pays for setting up a client of its own (thread-safe)."""
    return httpx.Client()


def _mirror_outcome(runtime: Runtime, session: Session, row: WebhookMessage, outcome: str) -> None:
    """The latest outcome where the API showed it before: on the operation, or where the
    capability of the subject shows it (an activation's ``notifications``)."""
    if row.subject_kind == "operation":
        operation = session.get(Operation, row.subject_id)
        if operation is not None:
            operation.callback_status = outcome
        return
    show = runtime.capabilities.callback_outcomes.get(row.subject_kind)
    if show is not None:
        show(session, row.subject_id, f"{row.organisation_id}:{row.event_type}", outcome)


# ------------------------------------------------------------------------- reads


def list_deliveries(
    session: Session, organisation: Organisation, *, limit: int, offset: int
) -> dict[str, Any]:
    """The organisation's callbacks, newest first, each with every attempt."""
    total = session.exec(
        select(func.count())
        .select_from(WebhookMessage)
        .where(WebhookMessage.organisation_id == organisation.id)
    ).one()
    rows = session.exec(
        select(WebhookMessage)
        .where(WebhookMessage.organisation_id == organisation.id)
        .order_by(col(WebhookMessage.created_at).desc(), col(WebhookMessage.id))
        .offset(offset)
        .limit(limit)
    ).all()
    attempts: dict[str, list[WebhookAttempt]] = {row.id: [] for row in rows}
    for attempt in session.exec(
        select(WebhookAttempt)
        .where(col(WebhookAttempt.message_id).in_(list(attempts)))
        .order_by(col(WebhookAttempt.message_id), col(WebhookAttempt.attempt))
    ).all():
        attempts[attempt.message_id].append(attempt)
    return {
        "data": [
            {
                "messageId": row.id,
                "eventType": row.event_type,
                "subjectKind": row.subject_kind,
                "subjectId": row.subject_id,
                "status": row.status,
                "createdAt": row.created_at.isoformat(),
                "attempts": [
                    {
                        "attempt": a.attempt,
                        "attemptedAt": a.attempted_at.isoformat(),
                        "url": a.url,
                        "httpStatus": a.http_status,
                        "error": a.error,
                    }
                    for a in attempts[row.id]
                ],
            }
            for row in rows
        ],
        "count": total,
    }
