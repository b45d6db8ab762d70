"""A throwaway platform on its own local Anvil: the contracts, a TSO, a DSO and a BSP.

The indexer benchmark and the reorganisation tests use it, so that they never touch a
platform someone else relies on. Accounts are in-memory keys; no keystores, no API.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account

from ledger.capabilities import CAPABILITIES
from ledger.core.chain.anvil import ANVIL_FUNDER_KEY, AnvilNode
from ledger.core.chain.client import Call, ChainClient
from ledger.core.chain.deploy import deploy_platform
from ledger.core.chain.signer import Signer
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.domain.identifiers import eic_to_bytes16, make_eic
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.core.settings import Settings
from ledger.schema.migrate import upgrade

SCRATCH_TSO_EIC = "10X1001A1001A345"
SCRATCH_DSO_EIC = make_eic("26XSCRATCH-DSO-")
SCRATCH_BSP_EIC = make_eic("21XSCRATCH-BSP-")
GAS_MONEY_WEI = 1_000 * 10**18


@dataclass
class ScratchPlatform:
    node: AnvilNode
    runtime: Runtime
    tso: Signer
    bsp: Signer
    dso_address: str

    @property
    def chain(self) -> ChainClient:
        return self.runtime.chain


@contextmanager
def scratch_platform(
    directory: Path, *, database_url: str | None = None
) -> Iterator[ScratchPlatform]:
    """Start Anvil, deploy, grant the DSO and BSP roles, record the organisations; stop after."""
    settings = Settings(data_dir=directory, database_url=database_url, rpc_url=None)
    with AnvilNode(state_file=None, log_file=directory / "anvil.log") as node:
        settings = settings.model_copy(update={"rpc_url": node.rpc_url})
        upgrade(settings.sqlalchemy_url)
        chain = ChainClient(node.rpc_url)
        tso = Signer(Account.from_key(ANVIL_FUNDER_KEY), chain.chain_id)
        deployment = deploy_platform(chain, tso, tso_eic=SCRATCH_TSO_EIC)
        deployment.save(settings.deployments_dir)
        bsp = Signer(Account.create(), chain.chain_id)
        dso_address = str(Account.create().address)
        chain.transfer(tso, bsp.address, GAS_MONEY_WEI)
        grants = [
            (dso_address, Role.DSO, SCRATCH_DSO_EIC),
            (bsp.address, Role.BSP, SCRATCH_BSP_EIC),
        ]
        chain.transact(
            tso,
            [
                Call("CbpRoles", "grantRole", (address, role.chain_role_id, eic_to_bytes16(eic)))
                for address, role, eic in grants
            ],
        )
        runtime = Runtime(
            settings=settings,
            rpc_url=node.rpc_url,
            dispatcher=RecordingDispatcher(),
            capabilities=CAPABILITIES,
        )
        with runtime.session() as session:
            session.add(
                Organisation(
                    id="tso", name="TSO", role=Role.TSO, eic=SCRATCH_TSO_EIC, address=tso.address
                )
            )
            for address, role, eic in grants:
                slug = role.value.lower()
                session.add(Organisation(id=slug, name=slug, role=role, eic=eic, address=address))
        chain.close()
        try:
            yield ScratchPlatform(
                node=node, runtime=runtime, tso=tso, bsp=bsp, dso_address=dso_address
            )
        finally:
            runtime.chain.close()
