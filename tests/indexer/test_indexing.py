"""Indexing the shared platform's chain: every event, once, resumable, rebuildable."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from ledger.audit import history, raw_history
from ledger.capabilities import CAPABILITIES
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.indexer import follow, index_once, rebuild
from ledger.indexer.tables import ChainEvent, IndexedBlock
from ledger.registry.tables import Pod, StatusChange
from tests.conftest import DSO1_EIC
from tests.indexer.helpers import cursor, indexed, on_chain, refs
from tests.indexer.scenario import Scenario, register_pod

pytestmark = pytest.mark.stack


def fresh_runtime(world) -> Runtime:
    """What a restarted process builds: nothing carried over in memory."""
    return Runtime(
        settings=world.runtime.settings,
        rpc_url=world.runtime.rpc_url,
        dispatcher=RecordingDispatcher(),
        capabilities=CAPABILITIES,
    )


def test_every_event_of_the_scenario_is_indexed_with_its_arguments(world, scenario: Scenario):
    runtime = world.runtime
    index_once(runtime)

    with runtime.session() as session:
        entries = history(session, scenario.pod_id)
        pod = session.get(Pod, scenario.pod_id)
        assert pod is not None
        changes = session.exec(
            select(StatusChange).where(StatusChange.resource_id == pod.id).order_by(StatusChange.id)
        ).all()
        registered = session.exec(
            select(ChainEvent).where(
                ChainEvent.name == "PodRegistered",
                ChainEvent.transaction_hash == changes[0].transaction_hash,
            )
        ).all()

    got = [(e.event, e.role, e.actor) for e in entries]
    assert got == [(event, role, actor) for event, role, _, actor in Scenario.POD_EVENTS]
    for entry, (_, _, prefix, _) in zip(entries, Scenario.POD_EVENTS, strict=True):
        if prefix:
            assert entry.summary.startswith(prefix)
    [event] = [e for e in registered if e.args["podId"] == pod.chain_key]
    assert event.args == {
        "podId": pod.chain_key,
        "bsp": world.organisations["bsp1"].address,
        "dsoEic": "0x" + DSO1_EIC.encode().hex(),
        "recordHash": pod.record_hash,
    }
    assert event.actor_id == "bsp1"
    assert event.sender == world.organisations["bsp1"].address
    status_txs = [e.transaction_hash for e in entries if e.event == "PodStatusChanged"]
    assert status_txs == [c.transaction_hash for c in changes]

    # the same events the chain gives for a topic scan, with the blocks' real hashes and times
    raw = raw_history(runtime.chain, scenario.pod_id)
    assert [(e.transaction_hash, e.log_index) for e in raw] == [
        (e.transaction_hash, e.log_index) for e in entries
    ]
    for entry in entries:
        block = runtime.chain.rpc.call("eth_getBlockByNumber", [hex(entry.block_number), False])
        assert entry.timestamp == int(block["timestamp"], 16)
    with runtime.session() as session:
        for e in raw:
            stored = session.get(IndexedBlock, (runtime.chain.chain_id, e.block_number))
            assert stored is not None
            assert stored.hash == e.block_hash

    # the device, attachment, UVAM and relation have their own histories
    with runtime.session() as session:
        assert [e.event for e in history(session, scenario.device_id)] == ["FlexDeviceRegistered"]
        assert [e.event for e in history(session, scenario.attachment_id)] == ["AttachmentCreated"]
        assert [e.event for e in history(session, scenario.relation_id)] == [
            "RelationStarted",
            "RelationEnded",
        ]
        uvam_events = [e.event for e in history(session, scenario.uvam_id)]
        assert uvam_events == [
            "UvamRegistered",
            "UvamStatusChanged",
            "RelationStarted",
            "RelationEnded",
        ]


def test_restart_resumes_without_gaps_or_duplicates(world, scenario: Scenario):
    first = index_once(world.runtime)
    before = indexed(world.runtime)

    restarted = fresh_runtime(world)
    again = index_once(restarted)
    assert again.start_block == first.cursor
    new_pod = register_pod(world)
    resumed = index_once(fresh_runtime(world), batch_blocks=3)  # several small ranges

    after = indexed(world.runtime)
    assert after[: len(before)] == before
    assert len({(tx, log) for _, log, _, tx, _, _ in after}) == len(after)
    # exactly what eth_getLogs holds up to the cursor: no gap, no duplicate, nothing extra
    assert after == on_chain(world.runtime, resumed.cursor)
    with world.runtime.session() as session:
        assert [e.event for e in history(session, new_pod)] == ["PodRegistered", "PodStatusChanged"]


def test_follow_indexes_new_events_until_stopped(world, scenario: Scenario):
    stop = threading.Event()
    runtime = fresh_runtime(world)
    follower = threading.Thread(target=follow, args=(runtime, stop, 0.1), daemon=True)
    follower.start()
    try:
        pod_id = register_pod(world)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with world.runtime.session() as session:
                if len(history(session, pod_id)) == 2:
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("the follower did not index the new POD")
    finally:
        stop.set()
        follower.join(timeout=10)
    assert not follower.is_alive()


def test_rebuild_from_nothing_gives_the_same_index(world, scenario: Scenario):
    index_once(world.runtime)
    before, before_refs = indexed(world.runtime), refs(world.runtime)
    last = cursor(world.runtime)
    with world.runtime.session() as session:
        actors = dict(session.exec(select(ChainEvent.transaction_hash, ChainEvent.actor_id)).all())

    progress = rebuild(world.runtime)

    assert progress.start_block == world.chain.deployment.deployed_block - 1
    after = indexed(world.runtime)
    assert after[: len(before)] == before
    assert after == on_chain(world.runtime, progress.cursor)
    assert progress.cursor >= last
    assert before_refs <= refs(world.runtime)
    with world.runtime.session() as session:
        rebuilt = dict(session.exec(select(ChainEvent.transaction_hash, ChainEvent.actor_id)).all())
    assert {tx: rebuilt[tx] for tx in actors} == actors
