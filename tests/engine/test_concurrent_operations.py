"""One signer's operations reach the chain exactly once: many one-record operations sent at once
(coalesced into the signer's multicalls) each succeed once, in one mined transaction; and a
worker that finds its operation's transaction unknown to the node while one of them was mined
(a node storing the block, or a replaced original mined instead of its replacement) never signs
the operation's calls anew."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from cli.world import World
from faults.harness import chain_keys, pod_registrations_on_chain, register_pods, wait_operations
from ledger.core import operations
from ledger.core.chain.anvil import PRODUCTION_BLOCK_GAS_LIMIT
from ledger.core.chain.errors import RpcError
from ledger.core.db.models import Operation
from tests.integration import payloads

COUNT = 100
#: A block gas limit below a POD registration's gas: blocks are mined without it.
SMALL_BLOCK_GAS = 50_000


def test_many_concurrent_operations_of_one_signer_each_reach_the_chain_once(world: World) -> None:
    """100 one-POD registrations of one BSP at once on the instant chain, as the settlement
    benchmark sends 100 activations (found there: one call sent twice under load)."""
    first_block = world.chain.block_number() + 1
    started = time.monotonic()
    answers = register_pods(world, COUNT, threads=50)
    operation_ids = [a["body"]["operationId"] for a in answers if a["status"] == 202]
    assert len(operation_ids) == COUNT, answers

    statuses = wait_operations(world, operation_ids, timeout_s=180)
    print(f"{COUNT} concurrent registrations settled in {time.monotonic() - started:.1f} s")

    failed = {i: s for i, s in statuses.items() if s != "succeeded"}
    assert not failed, {i: _stored(world, i).error for i in failed}
    # Every item of every multicall mined meanwhile went through: a call sent a second time
    # would be refused by the contract (the POD is registered already).
    refused = [
        event.args["index"]
        for event in world.chain.get_logs(first_block, world.chain.block_number())
        if event.name == "MulticallItemDone" and not event.args["succeeded"]
    ]
    assert refused == [], refused
    keys = chain_keys(world, [a["body"]["podId"] for a in answers])
    on_chain = pod_registrations_on_chain(world)
    assert [on_chain.get(key) for key in keys.values()] == [1] * COUNT


def test_an_operation_whose_replaced_original_was_mined_is_not_signed_anew(
    block_world: World,
) -> None:
    """A registration stuck in the pool is replaced with a higher fee, but the original is the
    one mined (the replacement never reached the node). Its task, delivered again before the
    follower confirms it, finds the replacement unknown and its nonce used: the operation is
    confirmed by the original, never signed anew (a second transaction with the same call)."""
    chain = block_world.chain
    rpc = chain.rpc
    address = block_world.organisations["bsp1"].address
    rpc.call("evm_setIntervalMining", [0])
    try:
        body = payloads.pod_body(block_world.eic("bsp1"), block_world.eic("dso1"))
        response = block_world.client("bsp1").post("/pods", json=body)
        assert response.status_code == 202, response.text
        operation_id = response.json()["operationId"]
        _until(lambda: _stored(block_world, operation_id).status == "submitted")
        [original] = _stored(block_world, operation_id).signed_transactions or []
        # Blocks too small for it go by: the follower hands it back, a worker replaces it.
        rpc.call("evm_setBlockGasLimit", [hex(SMALL_BLOCK_GAS)])

        def replaced() -> bool:
            rpc.call("evm_mine", [])
            stored = _stored(block_world, operation_id).signed_transactions or []
            return any("replacedBy" in tx for tx in stored)

        _until(replaced, pause_s=0.3)
        [replacement] = [
            tx["hash"]
            for tx in _stored(block_world, operation_id).signed_transactions or []
            if tx["hash"] != original["hash"]
        ]
        with contextlib.suppress(RpcError):
            rpc.call("anvil_dropTransaction", [replacement])
        rpc.call("evm_setBlockGasLimit", [hex(PRODUCTION_BLOCK_GAS_LIMIT)])
        with contextlib.suppress(RpcError):  # still in the pool if the replacement was refused
            rpc.call("eth_sendRawTransaction", [original["raw"]])
        rpc.call("evm_mine", [])
        assert chain.receipt(original["hash"]) is not None
        assert not chain.known([replacement])
        # No block on top yet: the follower cannot confirm it. The task comes again.
        operations.execute(block_world.runtime, operation_id)
    finally:
        rpc.call("evm_setBlockGasLimit", [hex(PRODUCTION_BLOCK_GAS_LIMIT)])
        rpc.call("evm_setIntervalMining", [1])

    finished = block_world.wait("bsp1", operation_id, timeout_s=90)

    assert finished["status"] == "succeeded", finished
    assert finished["transactionHashes"] == [original["hash"]], finished
    confirmed = int(rpc.call("eth_getTransactionCount", [address, "latest"]), 16)
    assert confirmed == original["nonce"] + 1  # nothing else was sent for it


def _stored(world: World, operation_id: str) -> Operation:
    with world.runtime.session() as session:
        operation = session.get(Operation, operation_id)
        assert operation is not None
        return operation


def _until(condition: Callable[[], bool], *, timeout_s: float = 60, pause_s: float = 0.05) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(pause_s)
