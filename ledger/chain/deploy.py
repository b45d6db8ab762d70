"""Deploy the project contracts and record their addresses per chain id."""

from __future__ import annotations

from ledger.chain.client import ChainClient, Deployment
from ledger.chain.compiler import load_artifact
from ledger.chain.signer import Signer
from ledger.domain.identifiers import eic_to_bytes16


def deploy_platform(client: ChainClient, tso: Signer, *, tso_eic: str) -> Deployment:
    """Deploy roles (the deployer becomes the TSO) and the registry bound to it."""
    start_block = client.block_number()
    roles = client.deploy(
        tso, "CbpRoles", load_artifact("CbpRoles")["bytecode"], eic_to_bytes16(tso_eic)
    )
    registry = client.deploy(
        tso, "ResourceRegistry", load_artifact("ResourceRegistry")["bytecode"], roles
    )
    p2p = client.deploy(tso, "P2PTrading", load_artifact("P2PTrading")["bytecode"], roles)
    market = client.deploy(
        tso, "FlexMarket", load_artifact("FlexMarket")["bytecode"], roles, registry
    )
    meters = client.deploy(
        tso, "MeasurementLedger", load_artifact("MeasurementLedger")["bytecode"], roles
    )
    settlements = client.deploy(
        tso, "SettlementLedger", load_artifact("SettlementLedger")["bytecode"], roles, market
    )
    statements = client.deploy(
        tso, "StatementLedger", load_artifact("StatementLedger")["bytecode"], roles
    )
    deployment = Deployment(
        chain_id=client.chain_id,
        addresses={
            "CbpRoles": roles,
            "ResourceRegistry": registry,
            "P2PTrading": p2p,
            "FlexMarket": market,
            "MeasurementLedger": meters,
            "SettlementLedger": settlements,
            "StatementLedger": statements,
        },
        deployed_block=start_block + 1,
        deployer=tso.address,
    )
    client.deployment = deployment
    return deployment
