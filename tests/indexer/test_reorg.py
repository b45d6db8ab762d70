"""Reorganisations simulated on a scratch Anvil: snapshot, index, revert, mine another chain."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from ledger.audit import history
from ledger.audit.bench import register_pods_raw
from ledger.audit.scratch import SCRATCH_DSO_EIC, ScratchPlatform
from ledger.core.chain.client import Call
from ledger.core.domain.enums import PodStatus
from ledger.indexer import index_once
from ledger.indexer.tables import IndexedBlock
from tests.indexer.helpers import cursor, indexed, on_chain

pytestmark = pytest.mark.chain


def key(name: str) -> bytes:
    return keccak(text=f"reorg-test:{name}")


def pod_events(scratch: ScratchPlatform, name: str) -> list[str]:
    with scratch.runtime.session() as session:
        return [e.event for e in history(session, "0x" + key(name).hex())]


def mine(scratch: ScratchPlatform, blocks: int) -> None:
    for _ in range(blocks):
        scratch.chain.rpc.call("evm_mine")


def assert_index_matches_chain(scratch: ScratchPlatform) -> None:
    runtime = scratch.runtime
    last = cursor(runtime)
    assert last == runtime.chain.block_number()
    assert indexed(runtime) == on_chain(runtime, last)
    with runtime.session() as session:
        stored = session.get(IndexedBlock, (runtime.chain.chain_id, last))
    block = runtime.chain.rpc.call("eth_getBlockByNumber", [hex(last), False])
    assert stored is not None
    assert stored.hash == block["hash"]


def test_orphaned_events_are_rolled_back_and_the_new_branch_indexed(scratch: ScratchPlatform):
    chain = scratch.chain
    index_once(scratch.runtime)
    snapshot = chain.rpc.call("evm_snapshot")
    register_pods_raw(chain, scratch.bsp, [key("orphan-1"), key("orphan-2")])
    chain.transact(
        scratch.bsp, [Call("ResourceRegistry", "setPodStatus", (key("orphan-1"), PodStatus.OPEN))]
    )
    mine(scratch, 2)
    index_once(scratch.runtime)
    assert pod_events(scratch, "orphan-1") == [
        "PodRegistered",
        "PodStatusChanged",
        "PodStatusChanged",
    ]
    orphaned_head = chain.block_number()

    assert chain.rpc.call("evm_revert", [snapshot])
    register_pods_raw(chain, scratch.bsp, [key("canonical")])
    mine(scratch, 4)  # the new branch overtakes the old one
    assert chain.block_number() > orphaned_head

    progress = index_once(scratch.runtime)

    assert progress.reorgs == 1
    assert progress.rolled_back_events == 5
    assert pod_events(scratch, "orphan-1") == []
    assert pod_events(scratch, "orphan-2") == []
    assert pod_events(scratch, "canonical") == ["PodRegistered", "PodStatusChanged"]
    assert_index_matches_chain(scratch)


def test_a_shorter_or_equal_branch_is_detected_too(scratch: ScratchPlatform):
    chain = scratch.chain
    snapshot = chain.rpc.call("evm_snapshot")
    register_pods_raw(chain, scratch.bsp, [key("long-1")])
    register_pods_raw(chain, scratch.bsp, [key("long-2")])
    mine(scratch, 3)
    index_once(scratch.runtime)
    longer = chain.block_number()

    assert chain.rpc.call("evm_revert", [snapshot])
    register_pods_raw(chain, scratch.bsp, [key("short")])
    assert chain.block_number() < longer

    progress = index_once(scratch.runtime)
    assert progress.reorgs == 1
    assert pod_events(scratch, "long-1") == []
    assert pod_events(scratch, "short") == ["PodRegistered", "PodStatusChanged"]
    assert_index_matches_chain(scratch)

    # same height, different block: nothing new to index, the cursor check still notices
    snapshot = chain.rpc.call("evm_snapshot")
    mine(scratch, 1)
    index_once(scratch.runtime)
    assert chain.rpc.call("evm_revert", [snapshot])
    register_pods_raw(chain, scratch.bsp, [key("same-height")])
    progress = index_once(scratch.runtime)
    assert progress.reorgs == 1
    assert pod_events(scratch, "same-height") == ["PodRegistered", "PodStatusChanged"]
    assert_index_matches_chain(scratch)


def test_small_ranges_and_many_blocks_give_the_same_index(scratch: ScratchPlatform):
    chain = scratch.chain
    for n in range(6):
        chain.transact(
            scratch.bsp,
            [
                Call(
                    "ResourceRegistry",
                    "registerPods",
                    (
                        [key(f"block-{n}-{i}") for i in range(3)],
                        [SCRATCH_DSO_EIC.encode()] * 3,
                        [key(f"hash-{n}-{i}") for i in range(3)],
                    ),
                )
            ],
        )
        mine(scratch, n)  # blocks without events between them
    progress = index_once(scratch.runtime, batch_blocks=2, range_events=4)
    assert progress.ranges > 6
    assert_index_matches_chain(scratch)
    assert progress.events == len(indexed(scratch.runtime))
