"""The demo's organisations (1 TSO, 2 DSOs, 3 BSPs, a charge point operator), created in
process as an operator would with ``cbp init`` and ``cbp org add``; their API tokens are kept in
``<data dir>/demo-tokens.json`` (mode 0600) so that later runs, ``cbp up`` and the benchmarks
reuse them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlmodel import select

from cli.stack import Platform
from cli.world import TSO_EIC
from ledger.capabilities import CAPABILITIES
from ledger.core.chain.client import ChainClient
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.domain.identifiers import make_eic
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.registry import organisations

TOKENS_FILE: Final = "demo-tokens.json"
TSO_SLUG: Final = "tso"
TSO_NAME: Final = "Terna"


@dataclass(frozen=True)
class OrgSpec:
    slug: str
    role: Role
    eic: str
    name: str


DEMO_ORGANISATIONS: Final = (
    OrgSpec("dso-north", Role.DSO, "26X00000105128-9", "DSO Nord"),
    OrgSpec("dso-south", Role.DSO, make_eic("26XDSO-SUD-DEMO"), "DSO Sud"),
    OrgSpec("bsp-alpha", Role.BSP, make_eic("21XBSP-ALPHA-DM"), "Alpha Flex"),
    OrgSpec("bsp-bravo", Role.BSP, make_eic("21XBSP-BRAVO-DM"), "Bravo Energy"),
    OrgSpec("bsp-charlie", Role.BSP, make_eic("21XBSP-CHARLIED"), "Charlie Aggregator"),
    OrgSpec("cpo-operator", Role.OPERATOR, make_eic("10XCPO-OPERATOR"), "Charge Point Operator"),
)


def ensure_initialised(platform: Platform) -> dict[str, str]:
    """Create the demo organisations that are missing and return an API token per slug.

    On a fresh data folder: deploy the contracts from the TSO's account, add two DSOs and three
    BSPs, issue one token each. On an initialised one: reuse the tokens saved in
    ``demo-tokens.json``, issuing new ones only for organisations without a working token.
    Call it after ``platform.start_services()``.
    """
    path = platform.settings.data_dir / TOKENS_FILE
    tokens = _load_tokens(path)
    settings = platform.settings_for_clients()
    runtime = Runtime(
        settings=settings,
        rpc_url=platform.stack.rpc_url,
        dispatcher=RecordingDispatcher(),
        capabilities=CAPABILITIES,
    )
    changed = False
    with runtime.session() as session:
        tso = session.exec(select(Organisation).where(Organisation.role == Role.TSO)).first()
        if tso is None:
            chain = ChainClient(runtime.rpc_url)
            try:
                tso = organisations.init_platform(
                    settings,
                    session,
                    chain,
                    slug=TSO_SLUG,
                    name=TSO_NAME,
                    eic=TSO_EIC,
                    funder_key=settings.funder_key,
                )
            finally:
                chain.close()
        members: list[Organisation] = [tso]
        missing = []
        for spec in DEMO_ORGANISATIONS:
            organisation = (
                session.get(Organisation, spec.slug)
                or session.exec(select(Organisation).where(Organisation.eic == spec.eic)).first()
            )
            if organisation is None:
                missing.append(
                    organisations.NewOrganisation(spec.slug, spec.name, spec.role, spec.eic)
                )
            else:
                members.append(organisation)
        if missing:  # all in one go: one block on a chain with a block time
            members += organisations.add_organisations(
                runtime, session, missing, funder_key=settings.funder_key
            )
        for organisation in members:
            token = tokens.get(organisation.id)
            holder = organisations.authenticate(session, token) if token else None
            if not isinstance(holder, Organisation) or holder.id != organisation.id:
                tokens[organisation.id] = organisations.issue_token(
                    session, organisation, label="demo"
                )
                changed = True
    if changed or not path.exists():
        _save_tokens(path, tokens)
    return tokens


def _load_tokens(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(slug): str(token) for slug, token in data.items()}


def _save_tokens(path: Path, tokens: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(tokens, handle, indent=2, sort_keys=True)
    os.chmod(path, 0o600)
