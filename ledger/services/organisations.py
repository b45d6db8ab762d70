"""Organisations, their chain accounts and API tokens; bootstrap of a platform."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlmodel import Session, select

from ledger.chain.client import Call, ChainClient
from ledger.chain.deploy import deploy_platform
from ledger.chain.funding import plan_funding
from ledger.chain.signer import Signer, create_keystore, load_account
from ledger.db.models import ApiToken, Organisation, utcnow
from ledger.domain.enums import Role
from ledger.domain.identifiers import eic_problem, eic_to_bytes16
from ledger.errors import Conflict, Forbidden, InvalidInput
from ledger.runtime import Runtime
from ledger.settings import Settings

# Gas money an organisation's account gets from the funder on a development chain.
INITIAL_BALANCE_WEI = 100 * 10**18
TOKEN_PREFIX = "cbp_"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


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
    if role == Role.TSO:
        raise Forbidden("the TSO is created once, by `cbp init`", field="role")
    settings = runtime.settings
    _validate(settings, session, slug=slug, eic=eic, role=role)
    chain = runtime.chain
    funding = plan_funding(chain, funder_key, INITIAL_BALANCE_WEI)
    address = create_keystore(settings.keystores_dir / f"{slug}.json", settings.keystore_password)
    funding.pay(chain, address)
    tso_row = session.exec(select(Organisation).where(Organisation.role == Role.TSO)).one()
    tso = runtime.signer_for(tso_row)
    role_id = chain.read("CbpRoles", f"{role.value}_ROLE")
    with runtime.locks.hold(tso.address):
        chain.transact(
            tso, [Call("CbpRoles", "grantRole", (address, role_id, eic_to_bytes16(eic)))]
        )
    organisation = Organisation(
        id=slug, name=name, role=role, eic=eic, address=address, callback_url=callback_url
    )
    session.add(organisation)
    session.flush()
    return organisation


def issue_token(session: Session, organisation: Organisation, *, label: str = "") -> str:
    """A new bearer token for ``organisation``; shown once, stored only as its SHA-256."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(token_sha256=_digest(token), organisation_id=organisation.id, label=label))
    return token


def authenticate(session: Session, token: str) -> Organisation | None:
    row = session.get(ApiToken, _digest(token))
    if row is None or row.revoked_at is not None:
        return None
    return session.get(Organisation, row.organisation_id)


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


def set_callback(session: Session, organisation: Organisation, url: str | None) -> None:
    if url is not None and not url.startswith(("http://", "https://")):
        raise InvalidInput("must be an http(s) URL", field="callbackUrl")
    if url is not None and (not url.isprintable() or " " in url):
        raise InvalidInput("must not contain spaces or control characters", field="callbackUrl")
    organisation.callback_url = url


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
