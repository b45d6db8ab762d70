"""Organisations, their chain accounts and API tokens; bootstrap of a platform."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from sqlmodel import Session, col, select

from ledger.core.chain.client import Call, ChainClient
from ledger.core.chain.deploy import deploy_platform
from ledger.core.chain.errors import FunderCannotPay
from ledger.core.chain.funding import plan_funding
from ledger.core.chain.signer import Signer, create_keystore, load_account
from ledger.core.db.models import ApiToken, Organisation, utcnow
from ledger.core.domain.enums import Role
from ledger.core.domain.identifiers import eic_problem, eic_to_bytes16
from ledger.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ledger.core.runtime import Runtime
from ledger.core.settings import Settings

# Gas money an organisation's account gets from the funder on a development chain.
INITIAL_BALANCE_WEI = 100 * 10**18
TOKEN_PREFIX = "cbp_"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
LAST_USE_RESOLUTION = timedelta(minutes=1)


def _validate(settings: Settings, session: Session, *, slug: str, eic: str, role: Role) -> None:
    if not SLUG.match(slug):
        raise InvalidInput("use 2-63 lowercase letters, digits and dashes", field="id")
    problem = eic_problem(eic)
    if problem:
        raise InvalidInput(f"not a valid EIC: {problem}", field="eic")
    if session.get(Organisation, slug) is not None:
        raise Conflict(f"organisation {slug} exists", field="id")
    if session.exec(select(Organisation).where(Organisation.eic == eic)).first() is not None:
        raise Conflict(f"EIC {eic} is already registered", field="eic")
    if (settings.keystores_dir / f"{slug}.json").exists() and role != Role.TSO:
        raise Conflict(f"a keystore for {slug} exists already", field="id")


def init_platform(
    settings: Settings,
    session: Session,
    chain: ChainClient,
    *,
    slug: str,
    name: str,
    eic: str,
    funder_key: str | None,
) -> Organisation:
    """Create the TSO's account, deploy the contracts from it, and record the deployment."""
    _validate(settings, session, slug=slug, eic=eic, role=Role.TSO)
    funding = plan_funding(chain, funder_key, INITIAL_BALANCE_WEI)
    keystore = settings.keystores_dir / f"{slug}.json"
    address = create_keystore(keystore, settings.keystore_password)
    funding.pay(chain, address)
    tso = Signer(load_account(keystore, settings.keystore_password), chain.chain_id)
    deployment = deploy_platform(chain, tso, tso_eic=eic)
    deployment.save(settings.deployments_dir)
    organisation = Organisation(id=slug, name=name, role=Role.TSO, eic=eic, address=address)
    session.add(organisation)
    session.flush()
    return organisation


@dataclass(frozen=True)
class NewOrganisation:
    """An organisation to add: its id (slug), name, role, EIC and callback URL."""

    slug: str
    name: str
    role: Role
    eic: str
    callback_url: str | None = None


def add_organisation(
    runtime: Runtime,
    session: Session,
    *,
    slug: str,
    name: str,
    role: Role,
    eic: str,
    funder_key: str | None,
    callback_url: str | None = None,
) -> Organisation:
    """Create an organisation's account and have the TSO grant it its role on chain."""
    [organisation] = add_organisations(
        runtime,
        session,
        [NewOrganisation(slug, name, role, eic, callback_url)],
        funder_key=funder_key,
    )
    return organisation


def add_organisations(
    runtime: Runtime,
    session: Session,
    new: Sequence[NewOrganisation],
    *,
    funder_key: str | None,
) -> list[Organisation]:
    """Create the organisations' accounts and have the TSO grant them their roles on chain.

    Everything is checked before anything is created. The funder's transfers and the TSO's
    grants are each signed with consecutive nonces and sent at once, and their receipts awaited
    together: on a chain with a block time, one block for all of them.
    """
    settings = runtime.settings
    for spec in new:
        if spec.role == Role.TSO:
            raise Forbidden("the TSO is created once, by `cbp init`", field="role")
        _validate(settings, session, slug=spec.slug, eic=spec.eic, role=spec.role)
    for attribute, label in (("slug", "id"), ("eic", "eic")):
        values = [getattr(spec, attribute) for spec in new]
        if len(set(values)) != len(values):
            raise Conflict(f"the same {label} twice in one request", field=label)
    chain = runtime.chain
    funding = plan_funding(chain, funder_key, INITIAL_BALANCE_WEI, accounts=len(new))
    addresses = [
        create_keystore(settings.keystores_dir / f"{spec.slug}.json", settings.keystore_password)
        for spec in new
    ]
    paid = funding.send(chain, addresses)
    tso_row = session.exec(select(Organisation).where(Organisation.role == Role.TSO)).one()
    tso = runtime.signer_for(tso_row)
    role_ids = {
        role: chain.read("CbpRoles", f"{role.value}_ROLE") for role in {s.role for s in new}
    }
    grants = [
        Call("CbpRoles", "grantRole", (address, role_ids[spec.role], eic_to_bytes16(spec.eic)))
        for spec, address in zip(new, addresses, strict=True)
    ]
    with runtime.locks.hold(tso.address):
        chain.transact(tso, grants)
    for receipt in chain.wait(paid):
        if not receipt.succeeded:
            raise FunderCannotPay(f"the funder's transfer {receipt.transaction_hash} failed")
    organisations = [
        Organisation(
            id=spec.slug,
            name=spec.name,
            role=spec.role,
            eic=spec.eic,
            address=address,
            callback_url=spec.callback_url,
        )
        for spec, address in zip(new, addresses, strict=True)
    ]
    session.add_all(organisations)
    session.flush()
    return organisations


def issue_token(session: Session, organisation: Organisation, *, label: str = "") -> str:
    """A new bearer token for ``organisation``; shown once, stored only as its SHA-256."""
    return create_token(session, organisation, label=label)[1]


def create_token(
    session: Session,
    organisation: Organisation,
    *,
    label: str = "",
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token row and the token itself (shown once; only its SHA-256 is kept)."""
    if len(label) > 100 or not label.isprintable():
        raise InvalidInput("at most 100 printable characters", field="label")
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("must be in the future", field="expiresAt")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        token_sha256=_digest(token),
        organisation_id=organisation.id,
        label=label,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, token


class TokenRefused(Enum):
    """Why a bearer token opens nothing (the 401 says which, and nothing about its owner)."""

    UNKNOWN = "unknown token"
    REVOKED = "this token was revoked"
    EXPIRED = "this token has expired"


def authenticate(session: Session, token: str) -> Organisation | TokenRefused:
    """The organisation ``token`` belongs to, or why it is refused; records its last use."""
    # the token and its organisation in one query (every request authenticates)
    found = session.exec(
        select(ApiToken, Organisation)
        .outerjoin(Organisation, col(Organisation.id) == col(ApiToken.organisation_id))
        .where(col(ApiToken.token_sha256) == _digest(token))
    ).first()
    if found is None:
        return TokenRefused.UNKNOWN
    row, organisation = found
    if row.revoked_at is not None:
        return TokenRefused.REVOKED
    now = utcnow()
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        return TokenRefused.EXPIRED
    if organisation is None:
        return TokenRefused.UNKNOWN
    # Last use to the minute: a write per request would serialise every request of an
    # organisation on one row.
    if row.last_used_at is None or now - _aware(row.last_used_at) >= LAST_USE_RESOLUTION:
        row.last_used_at = now
    return organisation


def list_tokens(session: Session, organisation: Organisation) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.organisation_id == organisation.id)
            .order_by(col(ApiToken.created_at), col(ApiToken.id))
        ).all()
    )


def token_view(row: ApiToken) -> dict[str, Any]:
    """A token as its organisation sees it: never the token or its hash."""

    def instant(value: datetime | None) -> str | None:
        return None if value is None else _aware(value).isoformat()

    now = utcnow()
    if row.revoked_at is not None:
        state = "revoked"
    elif row.expires_at is not None and _aware(row.expires_at) <= now:
        state = "expired"
    else:
        state = "active"
    return {
        "id": row.id,
        "label": row.label,
        "status": state,
        "createdAt": instant(row.created_at),
        "expiresAt": instant(row.expires_at),
        "revokedAt": instant(row.revoked_at),
        "lastUsedAt": instant(row.last_used_at),
    }


def revoke_token(session: Session, organisation: Organisation, token_id: str) -> ApiToken:
    """Revoke one token of ``organisation`` (the one in use included); revoking twice is
    harmless. Another organisation's token is answered as unknown."""
    row = session.exec(select(ApiToken).where(ApiToken.id == token_id)).first()
    if row is None or row.organisation_id != organisation.id:
        raise NotFound(f"no token {token_id} of yours", field="tokenId")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def revoke_tokens(session: Session, organisation: Organisation) -> int:
    rows = session.exec(
        select(ApiToken).where(
            ApiToken.organisation_id == organisation.id,
            ApiToken.revoked_at == None,  # noqa: E711
        )
    ).all()
    for row in rows:
        row.revoked_at = utcnow()
    return len(rows)


def _aware(value: datetime) -> datetime:
    """Stored instants come back without their zone from SQLite; they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def set_callback(session: Session, organisation: Organisation, url: str | None) -> None:
    if url is not None and not url.startswith(("http://", "https://")):
        raise InvalidInput("must be an http(s) URL", field="callbackUrl")
    if url is not None and (not url.isprintable() or " " in url):
        raise InvalidInput("must not contain spaces or control characters", field="callbackUrl")
    organisation.callback_url = url


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------- suspension


def _tso_signer(runtime: Runtime, session: Session) -> Signer:
    tso_row = session.exec(select(Organisation).where(Organisation.role == Role.TSO)).one()
    return runtime.signer_for(tso_row)


def _member_of(runtime: Runtime, address: str) -> bytes:
    role_id, _eic = runtime.chain.read("CbpRoles", "memberOf", address)
    return bytes(role_id)


def suspend(runtime: Runtime, session: Session, organisation: Organisation) -> None:
    """The TSO suspends ``organisation``: its role is revoked on chain (``RoleRevoked``), so
    none of its transactions passes any more, and its API access is refused (403
    ``organisationSuspended``). Its resources stay on record, owned by its EIC; operations it
    had accepted and not yet sent fail when the worker runs them (the contracts refuse the
    account) and release what they reserved. Safe to run again after a failure half-way."""
    if organisation.role == Role.TSO:
        raise Forbidden("the TSO cannot be suspended", field="id")
    if organisation.suspended_at is not None:
        raise Conflict(f"organisation {organisation.id} is suspended already", field="id")
    if any(_member_of(runtime, organisation.address)):
        tso = _tso_signer(runtime, session)
        with runtime.locks.hold(tso.address):
            runtime.chain.transact(tso, [Call("CbpRoles", "revokeRole", (organisation.address,))])
    organisation.suspended_at = utcnow()
    session.flush()


def reinstate(runtime: Runtime, session: Session, organisation: Organisation) -> None:
    """Undo a suspension: the TSO grants the role again to the same account and EIC
    (``RoleGranted``), which gives the organisation back its resources, and the API opens."""
    if organisation.suspended_at is None:
        raise Conflict(f"organisation {organisation.id} is not suspended", field="id")
    if not any(_member_of(runtime, organisation.address)):
        tso = _tso_signer(runtime, session)
        role_id = runtime.chain.read("CbpRoles", f"{organisation.role}_ROLE")
        with runtime.locks.hold(tso.address):
            runtime.chain.transact(
                tso,
                [
                    Call(
                        "CbpRoles",
                        "grantRole",
                        (organisation.address, role_id, eic_to_bytes16(organisation.eic)),
                    )
                ],
            )
    organisation.suspended_at = None
    session.flush()


# ------------------------------------------------------------------------- key rotation


def rotate_key(
    runtime: Runtime, session: Session, organisation: Organisation, *, funder_key: str | None
) -> str:
    """Give ``organisation`` a new chain account; return its address.

    A new keystore is created next to the current one (``<id>.next.json``) and funded; the
    organisation's role and EIC move to it on chain (``rotateAccount``, or for the TSO the
    two-step handover, both steps signed here since the platform holds both keys); then the
    new keystore takes the current one's place, the old one is kept under ``retired/``, and
    every process signs with the new key from its next transaction. Resources stay usable:
    the contracts recognise the organisation's new account through its EIC. Safe to run again
    after a failure half-way: an existing next keystore is reused, a rotation already mined is
    not sent twice.
    """
    if organisation.suspended_at is not None:
        raise Conflict(f"organisation {organisation.id} is suspended", field="id")
    keystores = runtime.settings.keystores_dir
    password = runtime.settings.keystore_password
    current_path = keystores / f"{organisation.id}.json"
    next_path = keystores / f"{organisation.id}.next.json"
    if not next_path.exists():
        create_keystore(next_path, password)
    chain = runtime.chain
    new = Signer(load_account(next_path, password), chain.chain_id)
    old = runtime.signer_for(organisation)
    if not any(_member_of(runtime, new.address)):
        if chain.balance(new.address) == 0:
            plan_funding(chain, funder_key, INITIAL_BALANCE_WEI).pay(chain, new.address)
        with runtime.locks.hold(old.address):
            if organisation.role == Role.TSO:
                chain.transact(old, [Call("CbpRoles", "proposeTsoHandover", (new.address,))])
                chain.transact(new, [Call("CbpRoles", "acceptTsoHandover", ())])
            else:
                chain.transact(old, [Call("CbpRoles", "rotateAccount", (new.address,))])
    retired = keystores / "retired" / f"{organisation.id}-{old.address}.json"
    retired.parent.mkdir(parents=True, exist_ok=True)
    current_path.replace(retired)
    next_path.replace(current_path)
    organisation.address = new.address
    session.flush()
    return new.address
