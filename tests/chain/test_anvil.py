"""An Anvil node with a state file keeps its chain across a restart, and survives a kill."""

from __future__ import annotations

from pathlib import Path

from eth_account import Account

from ledger.core.chain.anvil import ANVIL_FUNDER_KEY, AnvilNode
from ledger.core.chain.client import Call, ChainClient
from ledger.core.chain.deploy import deploy_platform
from ledger.core.chain.signer import Signer
from ledger.core.domain.enums import PodStatus, Role
from ledger.core.domain.identifiers import eic_to_bytes16, make_eic

TSO_EIC = "10X1001A1001A345"
DSO_EIC = "26X00000105128-9"
BSP_EIC = make_eic("21XBSP-ALPHA---")
POD_ID = b"\x11" * 32
RECORD = b"\x22" * 32


def _platform_with_a_pod(client: ChainClient) -> None:
    funder = Signer(Account.from_key(ANVIL_FUNDER_KEY), client.chain_id)
    tso, dso, bsp = (Signer(Account.create(), client.chain_id) for _ in range(3))
    for signer in (tso, dso, bsp):
        assert client.transfer(funder, signer.address, 10**20).succeeded
    deploy_platform(client, tso, tso_eic=TSO_EIC)
    client.transact(
        tso,
        [
            Call("CbpRoles", "grantRole", (signer.address, role.chain_role_id, eic_to_bytes16(eic)))
            for signer, role, eic in ((dso, Role.DSO, DSO_EIC), (bsp, Role.BSP, BSP_EIC))
        ],
    )
    client.transact(
        bsp,
        [Call("ResourceRegistry", "registerPods", ([POD_ID], [eic_to_bytes16(DSO_EIC)], [RECORD]))],
    )


def test_state_file_keeps_blocks_and_contracts_across_restart(tmp_path: Path) -> None:
    state = tmp_path / "chain" / "state.json"
    with AnvilNode(state_file=state) as node:
        client = ChainClient(node.rpc_url)
        _platform_with_a_pod(client)
        deployment = client.deployment
        assert deployment is not None
        height = client.block_number()
        client.close()
    assert height > 0
    assert state.exists()
    assert state.stat().st_size > 0

    with AnvilNode(state_file=state) as node:
        client = ChainClient(node.rpc_url, deployment)
        assert client.block_number() == height
        pod = client.read("ResourceRegistry", "pod", POD_ID)
        assert pod["status"] == PodStatus.REGISTERED
        assert pod["dsoEic"] == eic_to_bytes16(DSO_EIC)
        assert pod["recordHash"] == RECORD
        member = client.read("CbpRoles", "memberOf", pod["bsp"])
        assert member == (Role.BSP.chain_role_id, eic_to_bytes16(BSP_EIC))
        # the restarted node still mines on top of the restored chain
        funder = Signer(Account.from_key(ANVIL_FUNDER_KEY), client.chain_id)
        receipt = client.transfer(funder, Account.create().address, 1)
        assert receipt.succeeded
        assert receipt.block_number == height + 1
        client.close()


def test_killed_node_starts_again_on_its_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with AnvilNode(state_file=state) as node:
        client = ChainClient(node.rpc_url)
        _platform_with_a_pod(client)
        deployment = client.deployment
        saved_height = client.block_number()
        client.close()

    node = AnvilNode(state_file=state).start()
    try:
        client = ChainClient(node.rpc_url, deployment)
        funder = Signer(Account.from_key(ANVIL_FUNDER_KEY), client.chain_id)
        assert client.transfer(funder, Account.create().address, 1).succeeded
        height_before_kill = client.block_number()
        client.close()
    finally:
        node.kill()
    assert not node.running

    with AnvilNode(state_file=state) as node:
        client = ChainClient(node.rpc_url, deployment)
        # at most the blocks after the last state write are lost; the stopped state survives
        assert saved_height <= client.block_number() <= height_before_kill
        assert client.read("ResourceRegistry", "pod", POD_ID)["status"] == PodStatus.REGISTERED
        client.close()
