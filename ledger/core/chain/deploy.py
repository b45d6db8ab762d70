"""Deploy the project contracts and record their addresses per chain id."""

from __future__ import annotations

from ledger.core.chain.client import ChainClient, Deployment
from ledger.core.chain.compiler import load_artifact
from ledger.core.chain.signer import Signer
from ledger.core.domain.identifiers import eic_to_bytes16

#: The contracts in deployment order, each with its constructor arguments given the addresses
#: of those before it (CbpRoles, ResourceRegistry, P2PTrading, FlexMarket, ...).
DEPLOYMENT_ORDER = (
    "CbpRoles",
    "ResourceRegistry",
    "P2PTrading",
    "FlexMarket",
    "MeasurementLedger",
    "SettlementLedger",
    "StatementLedger",
)


def deploy_platform(client: ChainClient, tso: Signer, *, tso_eic: str) -> Deployment:
    """Deploy roles (the deployer becomes the TSO) and the contracts bound to it, all sent at
    once with consecutive nonces (:meth:`ChainClient.deploy_all`)."""
    start_block = client.block_number()
    eic = eic_to_bytes16(tso_eic)
    arguments = {
        "CbpRoles": lambda _: (eic,),
        "ResourceRegistry": lambda before: (before[0],),
        "P2PTrading": lambda before: (before[0],),
        "FlexMarket": lambda before: (before[0], before[1]),
        "MeasurementLedger": lambda before: (before[0],),
        "SettlementLedger": lambda before: (before[0], before[3]),
        "StatementLedger": lambda before: (before[0],),
    }
    addresses = client.deploy_all(
        tso,
        [(name, load_artifact(name)["bytecode"], arguments[name]) for name in DEPLOYMENT_ORDER],
    )
    deployment = Deployment(
        chain_id=client.chain_id,
        addresses=dict(zip(DEPLOYMENT_ORDER, addresses, strict=True)),
        deployed_block=start_block + 1,
        deployer=tso.address,
    )
    client.deployment = deployment
    return deployment
