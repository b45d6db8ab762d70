"""Retried writes: one ``Idempotency-Key`` of an organisation names one request and its answer.

A key is claimed (a row under the primary key (organisation, key)) before the request runs, so
two copies of a request racing each other cannot both run: the database's uniqueness decides.
The claim keeps the request's fingerprint (method, path, query and canonical body); once the
request is answered with a 2xx, the answer is stored and every retry gets it again. A refused
request (4xx, 5xx) stored nothing, so its claim is dropped and a retry runs anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from ledger.core.db.delivery_models import IdempotencyRecord
from ledger.core.db.models import utcnow
from ledger.core.errors import Conflict, InvalidInput
from ledger.core.runtime import Runtime

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
#: A claim older than this whose request never answered belonged to a process that died.
ABANDONED_AFTER_S = 300


class KeyInUse(Conflict):
    code = "idempotency_key_in_use"


class KeyReused(InvalidInput):
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: str


def check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters", field=HEADER
        )


def claim(
    runtime: Runtime, *, organisation_id: str, key: str, fingerprint: str, method: str, path: str
) -> StoredAnswer | None:
    """Claim ``key`` for this request; the stored answer if the same request already ran.

    Raises :class:`KeyReused` (422) when the key named another request, :class:`KeyInUse` (409)
    while the first copy of the request is still running.
    """
    now = utcnow()
    expired = now - timedelta(seconds=runtime.settings.idempotency_retention_s)
    with runtime.session() as session:
        session.execute(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.organisation_id) == organisation_id,
                col(IdempotencyRecord.created_at) < expired,
            )
        )
    try:
        with runtime.session() as session:
            session.add(
                IdempotencyRecord(
                    organisation_id=organisation_id,
                    key=key,
                    fingerprint=fingerprint,
                    method=method,
                    path=path,
                    created_at=now,
                )
            )
        return None
    except IntegrityError:
        pass
    with runtime.session() as session:
        record = session.get(IdempotencyRecord, (organisation_id, key))
        if record is None:  # answered with an error and released meanwhile: run this copy
            return claim(
                runtime,
                organisation_id=organisation_id,
                key=key,
                fingerprint=fingerprint,
                method=method,
                path=path,
            )
        if record.fingerprint != fingerprint:
            raise KeyReused(
                f"this key was used for another request ({record.method} {record.path} "
                "with another body); use a new key for a new request",
                field=HEADER,
            )
        if record.status_code is not None and record.response_body is not None:
            return StoredAnswer(record.status_code, record.response_body)
        started = record.created_at.replace(tzinfo=now.tzinfo)
        if (now - started).total_seconds() > ABANDONED_AFTER_S:
            session.delete(record)
        else:
            raise KeyInUse(
                "a request with this key is still being processed; retry in a moment",
                field=HEADER,
            )
    return claim(
        runtime,
        organisation_id=organisation_id,
        key=key,
        fingerprint=fingerprint,
        method=method,
        path=path,
    )


def settle(runtime: Runtime, *, organisation_id: str, key: str, answer: StoredAnswer) -> None:
    """Store a 2xx answer for the retries; drop the claim of any other answer."""
    with runtime.session() as session:
        record = session.get(IdempotencyRecord, (organisation_id, key))
        if record is None:
            return
        if 200 <= answer.status_code < 300:
            record.status_code = answer.status_code
            record.response_body = answer.body
        else:
            session.delete(record)


def release(runtime: Runtime, *, organisation_id: str, key: str) -> None:
    """The request failed with an exception: nothing was stored, a retry may run."""
    with runtime.session() as session:
        record = session.get(IdempotencyRecord, (organisation_id, key))
        if record is not None and record.status_code is None:
            session.delete(record)
