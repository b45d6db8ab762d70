"""Who the platform talks UFTP with: a participant's domain and role, its public key and
endpoint, and the organisation (EIC, chain account) it acts as."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.errors import Conflict, InvalidInput, NotFound
from ledger.uftp import keys
from ledger.uftp.tables import UftpParticipant

DOMAIN_PATTERN = re.compile(r"^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}$")
#: The organisation role each USEF role acts as on the platform.
ROLES = {"AGR": Role.BSP, "DSO": Role.DSO}


@dataclass(frozen=True)
class Participant:
    domain: str
    role: str
    public_key: str
    endpoint: str
    organisation: Organisation


def add_participant(
    session: Session,
    *,
    domain: str,
    role: str,
    organisation_id: str,
    public_key: str,
    endpoint: str,
) -> UftpParticipant:
    """Register a participant; every check runs before anything is written."""
    if not DOMAIN_PATTERN.match(domain):
        raise InvalidInput(
            f"domain {domain!r} is not a UFTP sender domain (lower-case DNS name)", field="domain"
        )
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}", field="role")
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"no organisation {organisation_id}", field="organisation")
    if organisation.role != ROLES[role]:
        raise InvalidInput(
            f"a UFTP {role} acts as a {ROLES[role]} organisation; {organisation_id} is a"
            f" {organisation.role}",
            field="organisation",
        )
    _check_endpoint(endpoint)
    key = keys.public_key(public_key)
    if session.get(UftpParticipant, (domain, role)) is not None:
        raise Conflict(f"{domain} is already registered as {role}", field="domain")
    row = UftpParticipant(
        domain=domain, role=role, organisation_id=organisation.id, public_key=key, endpoint=endpoint
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def update_participant(
    session: Session,
    *,
    domain: str,
    role: str,
    public_key: str | None = None,
    endpoint: str | None = None,
) -> UftpParticipant:
    """Rotate a participant's key or move its endpoint; checked before anything is written."""
    row = session.get(UftpParticipant, (domain, role))
    if row is None:
        raise NotFound(f"{domain} is not registered as {role}", field="domain")
    if endpoint is not None:
        _check_endpoint(endpoint)
    key = keys.public_key(public_key) if public_key is not None else row.public_key
    row.public_key = key
    row.endpoint = endpoint if endpoint is not None else row.endpoint
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def remove_participant(session: Session, *, domain: str, role: str) -> None:
    """Stop talking UFTP with a participant: its messages are refused (HTTP 401) from then on;
    the messages already recorded stay."""
    row = session.get(UftpParticipant, (domain, role))
    if row is None:
        raise NotFound(f"{domain} is not registered as {role}", field="domain")
    session.delete(row)
    session.commit()


def _check_endpoint(endpoint: str) -> None:
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", endpoint):
        raise InvalidInput(f"endpoint {endpoint!r} is not an http(s) URL", field="endpoint")


def find(session: Session, domain: str, role: str) -> Participant | None:
    row = session.get(UftpParticipant, (domain, role))
    if row is None:
        return None
    organisation = session.get(Organisation, row.organisation_id)
    assert organisation is not None
    return Participant(
        domain=row.domain,
        role=row.role,
        public_key=row.public_key,
        endpoint=row.endpoint,
        organisation=organisation,
    )


def of_role(session: Session, role: str) -> list[Participant]:
    rows = session.exec(
        select(UftpParticipant)
        .where(UftpParticipant.role == role)
        .order_by(col(UftpParticipant.domain))
    ).all()
    found = [find(session, row.domain, row.role) for row in rows]
    return [p for p in found if p is not None]


def participant_view(participant: Participant) -> dict[str, Any]:
    return {
        "domain": participant.domain,
        "role": participant.role,
        "organisation": participant.organisation.id,
        "eic": participant.organisation.eic,
        "chainAccount": participant.organisation.address,
        "publicKey": participant.public_key,
        "endpoint": participant.endpoint,
    }
