"""Chain profiles at the client: confirmations before a receipt is final, the funder's check,
and an Anvil that mines on a block time instead of per transaction."""

from __future__ import annotations

import socket
import time

import pytest
from eth_account import Account

from ledger.core.chain.anvil import ANVIL_FUNDER_KEY, AnvilNode
from ledger.core.chain.client import Call, ChainClient
from ledger.core.chain.errors import ContractRevert, FunderCannotPay, ReceiptTimeout, RpcTimeout
from ledger.core.chain.funding import plan_funding
from ledger.core.chain.signer import Signer

REGISTRY = "ResourceRegistry"
WEI = 10**18


def _register(net) -> Call:
    return Call(REGISTRY, "registerPods", ([net.new_id("pod")], [net.eic("dso1")], [net.new_id()]))


def _confirming(net, confirmations: int) -> ChainClient:
    return ChainClient(
        net.node.rpc_url, net.client.deployment, confirmations=confirmations, timeout_s=10
    )


def test_a_receipt_is_final_only_with_the_confirmations_on_top(net) -> None:
    client = _confirming(net, 2)
    net.client.rpc.call("evm_setAutomine", [False])
    try:
        [signed] = client.prepare(net["bsp1"], [_register(net)])
        client.send([signed])
        net.client.rpc.call("evm_mine")
        mined = net.client.receipt(signed.tx_hash)
        assert mined is not None
        assert net.client.wait([signed.tx_hash]) == [mined]  # 0 confirmations: final once mined
        with pytest.raises(ReceiptTimeout, match="2 confirmations"):
            client.wait([signed.tx_hash], timeout_s=0.3)
        net.client.rpc.call("evm_mine")
        with pytest.raises(ReceiptTimeout):
            client.wait([signed.tx_hash], timeout_s=0.3)
        net.client.rpc.call("evm_mine")
        assert client.wait([signed.tx_hash], timeout_s=5) == [mined]
    finally:
        net.client.rpc.call("evm_setAutomine", [True])
        client.close()


def test_a_receipt_a_reorganisation_took_out_is_not_final(net) -> None:
    """Mined, then the block is dropped (evm_revert) and the transaction mined again later:
    the receipt that counts is the one in the new block."""
    client = _confirming(net, 1)
    net.client.rpc.call("evm_setAutomine", [False])
    try:
        before = net.client.rpc.call("evm_snapshot")
        [signed] = client.prepare(net["bsp1"], [_register(net)])
        client.send([signed])
        net.client.rpc.call("evm_mine")
        first = net.client.receipt(signed.tx_hash)
        assert first is not None
        assert net.client.rpc.call("evm_revert", [before])
        assert net.client.receipt(signed.tx_hash) is None
        net.client.rpc.call("evm_mine")  # another block at that height, without the transaction
        with pytest.raises(ReceiptTimeout):
            client.wait([signed.tx_hash], timeout_s=0.3)
        client.send([signed])
        net.client.rpc.call("evm_mine")
        net.client.rpc.call("evm_mine")
        [final] = client.wait([signed.tx_hash], timeout_s=5)
        assert final.block_number == first.block_number + 1
        assert final.block_hash != first.block_hash
    finally:
        net.client.rpc.call("evm_setAutomine", [True])
        client.close()


def test_simulate_reports_a_refusal_as_the_decoded_contract_error(net) -> None:
    with pytest.raises(ContractRevert) as caught:
        net.client.simulate(net.address("outsider"), [_register(net)])
    assert caught.value.error_name == "RegistryUnauthorized"
    net.client.simulate(net.address("bsp1"), [_register(net)])  # allowed: no error


def test_no_funder_on_a_chain_where_gas_costs_money_is_named(net) -> None:
    with pytest.raises(FunderCannotPay) as caught:
        plan_funding(net.client, None, WEI)
    assert caught.value.field == "CBP_FUNDER_KEY"
    assert "no account pays it" in caught.value.message


def test_a_funder_without_enough_money_is_named_with_the_amount(net) -> None:
    broke = Account.create()
    with pytest.raises(FunderCannotPay) as caught:
        plan_funding(net.client, broke.key.hex(), WEI)
    error = caught.value
    assert error.field == "CBP_FUNDER_KEY"
    assert broke.address in error.message
    assert error.details["funder"] == broke.address
    assert error.details["balance_wei"] == "0"
    assert int(error.details["needed_wei"]) > WEI
    assert str(error.details["needed_wei"]) in error.message


def test_anvil_with_a_block_time_mines_on_its_clock_not_per_transaction() -> None:
    with AnvilNode(state_file=None, block_time_s=1) as node:
        client = ChainClient(node.rpc_url)
        funder = Signer(Account.from_key(ANVIL_FUNDER_KEY), client.chain_id)
        start = client.block_number()
        funder.reset_nonce(0)
        max_fee, priority = client.fees()
        tx = funder.sign(
            to=funder.address, data=b"", gas=21_000, max_fee=max_fee, priority_fee=priority
        )
        client.send([tx])
        [receipt] = client.wait([tx.tx_hash], timeout_s=10)
        assert receipt.succeeded
        deadline = time.monotonic() + 10
        while client.block_number() < receipt.block_number + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.block_number() > start + 1  # blocks keep coming with no transactions
        client.close()


def test_a_node_that_does_not_answer_is_a_timeout_naming_the_setting() -> None:
    """A node that accepts the connection and never answers (Ganache with a stuck request):
    the call ends at the client's timeout, so an API answer is never held longer."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        host, port = silent.getsockname()
        client = ChainClient(f"http://{host}:{port}", timeout_s=0.3)
        with pytest.raises(RpcTimeout) as caught:
            client.block_number()
        client.close()
    assert "did not answer eth_blockNumber within 0.3 s" in caught.value.message
    assert "CBP_CHAIN_RPC_TIMEOUT_S" in caught.value.message
