"""The write engine on a chain that mines every second: workers sign, send and are free again,
the block follower confirms, one signer's operations are coalesced into few transactions (a
refused item failing alone), a stuck transaction is replaced with a higher fee, and a node that
restarts from an older state loses nothing."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from cli.world import World
from faults.harness import (
    chain_keys,
    pod_registrations_on_chain,
    register_pods,
    wait_operations,
)
from faults.scenarios import registration_figures
from ledger.core.chain.anvil import AnvilNode
from ledger.core.db.models import Operation
from tests.engine.conftest import BLOCK_TIME_S
from tests.integration import payloads

GWEI = 10**9


def _post_pod(world: World, slug: str = "bsp1") -> dict[str, Any]:
    body = payloads.pod_body(world.eic(slug), world.eic("dso1"))
    response = world.client(slug).post("/pods", json=body)
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _stored(world: World, operation_id: str) -> Operation:
    with world.runtime.session() as session:
        operation = session.get(Operation, operation_id)
        assert operation is not None
        return operation


def _until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_an_operation_is_applied_only_once_confirmations_are_on_top(block_world: World) -> None:
    """``chain_confirmations=1``: when the operation shows succeeded, its block has one on top."""
    client = block_world.client("bsp1")
    answer = _post_pod(block_world)
    deadline = time.monotonic() + 60
    while True:
        body = client.get(f"/operations/{answer['operationId']}").json()
        if body["status"] in {"succeeded", "failed"} or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    head = block_world.chain.block_number()

    assert body["status"] == "succeeded", body
    assert head >= body["blockNumber"] + 1


def test_one_signers_operations_are_coalesced_into_few_transactions(block_world: World) -> None:
    """Twelve one-POD registrations of one BSP at once: no worker waits for a block; those that
    arrive while the BSP's transaction is pending go together into its next one (a multicall,
    flushed behind the pending one before the next block is due), so they cost far fewer than
    twelve transactions; each POD is registered once."""
    answers = register_pods(block_world, 12, threads=12)
    operation_ids = [a["body"]["operationId"] for a in answers if a["status"] == 202]
    assert len(operation_ids) == 12, answers

    statuses = wait_operations(block_world, operation_ids, timeout_s=90)

    assert set(statuses.values()) == {"succeeded"}, statuses
    stored = [_stored(block_world, i) for i in operation_ids]
    transactions = {h for operation in stored for h in operation.transaction_hashes or []}
    blocks = [operation.block_number or 0 for operation in stored]
    # Some share a transaction; and per block at most the one sent while the signer was idle
    # and one flush of what arrived meanwhile (a third when two workers find the signer idle at
    # once), however slowly the requests arrive on a loaded machine.
    assert len(transactions) < len(stored), transactions
    assert len(transactions) <= 3 * (max(blocks) - min(blocks) + 1), (transactions, blocks)
    keys = chain_keys(block_world, [a["body"]["podId"] for a in answers])
    on_chain = pod_registrations_on_chain(block_world)
    assert [on_chain.get(key) for key in keys.values()] == [1] * 12


def test_a_refused_item_does_not_sink_the_others_in_its_transaction(block_world: World) -> None:
    """While the BSP's registration is pending, it asks to open POD 1 twice and POD 2 once: the
    three go into one multicall; the second opening of POD 1 alone is refused (by the
    multicall's dry run, or by the contract), and fails with its decoded error while the two
    others succeed."""
    first, second = (_post_pod(block_world) for _ in range(2))
    for answer in (first, second):
        assert block_world.wait("bsp1", answer["operationId"])["status"] == "succeeded"
    client = block_world.client("bsp1")
    eic = block_world.eic("bsp1")

    def open_pod(pod_id: str) -> dict[str, Any]:
        body = payloads.pod_status_body(pod_id, "Open", eic)
        response = client.patch(f"/pods/{pod_id}/status", json=body)
        assert response.status_code == 202, response.text
        answer: dict[str, Any] = response.json()
        return answer

    # keeps the BSP's transaction pending for a moment; sent before the openings arrive
    # (a worker still to run it would take accepted operations into its own transaction)
    pending = _post_pod(block_world)["operationId"]
    _until(lambda: _stored(block_world, pending).status != "accepted")
    requests = [open_pod(first["podId"]), open_pod(first["podId"]), open_pod(second["podId"])]
    outcomes = [block_world.wait("bsp1", r["operationId"], timeout_s=90) for r in requests]

    # Which of the two identical openings goes first is up to the workers; exactly one fails.
    twice, other = outcomes[:2], outcomes[2]
    assert sorted(o["status"] for o in twice) == ["failed", "succeeded"], outcomes
    [refused] = [o for o in twice if o["status"] == "failed"]
    [opened] = [o for o in twice if o["status"] == "succeeded"]
    assert refused["error"]["code"] == "contract.RegistryInvalidPodTransition"
    assert refused["error"]["httpStatus"] == 409
    assert other["status"] == "succeeded", outcomes
    # The refused opening was taken out by the dry run of the multicall (which runs its items
    # in order, as the transaction will) and never sent; or, dry-run while the other opening
    # was still pending, it was mined in a transaction that carried a successful one.
    carried = {h for o in (opened, other) for h in o["transactionHashes"]}
    sent = set(refused["transactionHashes"])
    assert not sent or sent & carried, outcomes
    for pod_id in (first["podId"], second["podId"]):
        assert client.get(f"/pods/{pod_id}").json()["status"] == "Open"


def test_a_transaction_stuck_in_the_pool_is_replaced_with_a_higher_fee(
    block_world: World,
) -> None:
    """Mining paused, a registration is sent; then the base fee jumps far above what it offers.
    After ``stuck_after_blocks`` blocks the follower hands it back to a worker, which signs the
    same nonce with a higher fee (stored first); the replacement is mined, the original never."""
    rpc = block_world.chain.rpc
    rpc.call("evm_setIntervalMining", [0])
    try:
        answer = _post_pod(block_world)
        deadline = time.monotonic() + 30
        while _stored(block_world, answer["operationId"]).status != "submitted":
            assert time.monotonic() < deadline, "the worker did not send the registration"
            time.sleep(0.05)
        original = _stored(block_world, answer["operationId"]).signed_transactions or []
        rpc.call("anvil_setNextBlockBaseFeePerGas", [hex(200 * GWEI)])
    finally:
        rpc.call("evm_setIntervalMining", [1])

    finished = block_world.wait("bsp1", answer["operationId"], timeout_s=90)

    assert finished["status"] == "succeeded", finished
    stored = _stored(block_world, answer["operationId"]).signed_transactions or []
    assert len(original) == 1
    replaced = [tx for tx in stored if tx["hash"] == original[0]["hash"]]
    assert len(replaced) == 1, stored
    assert replaced[0].get("replacedBy"), stored
    assert finished["transactionHashes"] != [original[0]["hash"]]
    assert {tx["nonce"] for tx in stored} == {original[0]["nonce"]}
    assert block_world.chain.receipt(original[0]["hash"]) is None


def test_a_node_restarted_from_an_older_state_loses_and_duplicates_nothing(
    block_world: World, block_node: AnvilNode
) -> None:
    """The chain node is killed while registrations are in flight and restarted from its last
    state file: the transactions it forgot are replayed (kept in nonce order), none twice."""
    from faults.scenarios import _in_background, _operation_statuses_safe, _wait_until

    thread, box = _in_background(lambda: register_pods(block_world, 30, threads=10))
    _wait_until(lambda: "submitted" in _operation_statuses_safe(block_world), timeout_s=30)
    time.sleep(0.5)
    block_node.kill()
    thread.join(timeout=90)
    time.sleep(1.0)
    block_node.start()

    figures = registration_figures(block_world, box[0] if box else [], timeout_s=180)

    assert figures["accepted"] > 0, figures
    assert figures["succeeded"] == figures["accepted"], figures
    assert (figures["lost"], figures["duplicated"]) == (0, 0), figures


def test_no_operation_is_left_submitted(block_world: World) -> None:
    with block_world.runtime.session() as session:
        left = session.exec(select(Operation).where(Operation.status == "submitted")).all()
    assert left == []


def test_a_multicall_reports_each_items_outcome_after_its_events(block_world: World) -> None:
    """The contract side of coalescing: a refused item of a multicall is skipped, the others
    take effect, and the receipt splits into each item's events and decoded error."""
    from ledger.core.chain.client import Call
    from ledger.core.coalescing import multicall_of, split_receipt
    from ledger.core.domain.enums import PodStatus

    answer = _post_pod(block_world)
    assert block_world.wait("bsp1", answer["operationId"])["status"] == "succeeded"
    key = bytes.fromhex(
        block_world.client("bsp1").get(f"/pods/{answer['podId']}").json()["chainKey"][2:]
    )
    chain = block_world.chain
    signer = block_world.runtime.signer_for(block_world.organisations["bsp1"])
    opening = Call("ResourceRegistry", "setPodStatus", (key, int(PodStatus.OPEN)))

    [receipt] = chain.transact(signer, [multicall_of(chain, "ResourceRegistry", [opening] * 2)])

    first, first_error = split_receipt(chain, receipt, [0])
    second, second_error = split_receipt(chain, receipt, [1])
    assert receipt.succeeded
    assert (first.succeeded, first_error) == (True, None)
    assert [e.name for e in first.events] == ["PodStatusChanged"]
    assert not second.succeeded
    assert second.events == ()
    assert second_error is not None
    assert second_error.error_name == "RegistryInvalidPodTransition"
    assert PodStatus(chain.read("ResourceRegistry", "pod", key)["status"]) == PodStatus.OPEN


def _registration(world: World, key: bytes) -> Any:
    from ledger.core.chain.client import Call
    from ledger.core.domain.identifiers import eic_to_bytes16

    dso = eic_to_bytes16(world.eic("dso1"))
    return Call("ResourceRegistry", "registerPods", ([key], [dso], [secrets.token_bytes(32)]))


def test_a_multicalls_dry_run_runs_its_items_in_order_and_measures_their_gas(
    block_world: World,
) -> None:
    """One ``eth_call`` of the multicall gives each item's gas and refusal, each item seeing
    the ones before it (the second registration of one key is refused); the multicall signed
    with :func:`gas_limit` of the items kept records them, within that gas."""
    from ledger.core.coalescing import dry_run, encode_items, gas_limit, multicall_data
    from ledger.core.domain.enums import PodStatus

    chain = block_world.chain
    signer = block_world.runtime.signer_for(block_world.organisations["bsp1"])
    key, other = secrets.token_bytes(32), secrets.token_bytes(32)
    items = [_registration(block_world, k) for k in (key, key, other)]

    encoded = encode_items(chain, "ResourceRegistry", items)
    outcomes = dry_run(
        chain,
        signer.address,
        "ResourceRegistry",
        multicall_data(chain, "ResourceRegistry", encoded),
    )

    assert [o.refusal.error_name if o.refusal else None for o in outcomes] == [
        None,
        "RegistryAlreadyExists",
        None,
    ]
    assert all(o.gas > 50_000 for o in (outcomes[0], outcomes[2]))  # two SSTOREs and events
    data = multicall_data(chain, "ResourceRegistry", [encoded[0], encoded[2]])
    limit = gas_limit(data, [outcomes[0], outcomes[2]])
    signed = chain.sign_with_gas(
        signer, "ResourceRegistry", data, gas=limit, nonces=block_world.runtime.nonces
    )
    chain.send([signed])
    [receipt] = chain.wait([signed.tx_hash], timeout_s=30)
    assert receipt.succeeded
    assert receipt.gas_used <= limit
    for pod_key in (key, other):
        assert PodStatus(chain.read("ResourceRegistry", "pod", pod_key)["status"]) == (
            PodStatus.REGISTERED
        )


def test_a_multicall_given_too_little_gas_fails_as_a_whole(block_world: World) -> None:
    """An item that runs out of gas inside a multicall is not skipped like a refused one: the
    contract reverts the whole transaction with ``MulticallOutOfGas`` naming the item, and
    nothing of it is recorded."""
    from ledger.core.chain.client import GAS_HEADROOM_PERCENT
    from ledger.core.coalescing import calldata_gas, dry_run, encode_items, multicall_data
    from ledger.core.domain.enums import PodStatus

    chain = block_world.chain
    signer = block_world.runtime.signer_for(block_world.organisations["bsp1"])
    key = secrets.token_bytes(32)
    encoded = encode_items(chain, "ResourceRegistry", [_registration(block_world, key)])
    data = multicall_data(chain, "ResourceRegistry", encoded)
    [outcome] = dry_run(chain, signer.address, "ResourceRegistry", data)
    # enough to reach the item, half of what the item takes
    short = 21_000 + calldata_gas(data) + 5_000 + outcome.gas // 2
    signed = chain.sign_with_gas(
        signer,
        "ResourceRegistry",
        data,
        gas=short * 100 // (100 + GAS_HEADROOM_PERCENT),
        nonces=block_world.runtime.nonces,
    )
    chain.send([signed])
    [receipt] = chain.wait([signed.tx_hash], timeout_s=30)

    assert not receipt.succeeded
    assert receipt.events == ()
    revert = chain.revert_reason(receipt)
    assert (revert.error_name, revert.arguments["index"]) == ("MulticallOutOfGas", "0")
    assert PodStatus(chain.read("ResourceRegistry", "pod", key)["status"]) == PodStatus.NONE


def test_a_dry_run_beyond_its_gas_names_the_items_that_fit(
    block_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items beyond the dry run's gas: ``TooMuchGas`` says how many of the first fit (the
    worker sends those and leaves the rest for the next transaction)."""
    from ledger.core import coalescing

    chain = block_world.chain
    signer = block_world.runtime.signer_for(block_world.organisations["bsp1"])
    items = coalescing.encode_items(
        chain,
        "ResourceRegistry",
        [_registration(block_world, secrets.token_bytes(32)) for _ in range(3)],
    )

    def data(count: int) -> bytes:
        return coalescing.multicall_data(chain, "ResourceRegistry", items[:count])

    [one] = coalescing.dry_run(chain, signer.address, "ResourceRegistry", data(1))
    monkeypatch.setattr(coalescing, "DRY_RUN_GAS", 21_000 + 30_000 + one.gas * 3 // 2)

    with pytest.raises(coalescing.TooMuchGas) as caught:
        coalescing.dry_run(chain, signer.address, "ResourceRegistry", data(3))

    assert caught.value.fits == 1


def test_a_multicall_is_stored_once_by_the_operation_that_carries_it(block_world: World) -> None:
    """Operations coalesced into one multicall: the first stores the signed transaction and the
    ids of all of them, each other one its hash, nonce, items and carrier (one copy, not one per
    operation); a replay finds the signed copy through the carrier."""
    from ledger.core import operations

    pending = _post_pod(block_world)["operationId"]
    _until(lambda: _stored(block_world, pending).status != "accepted")
    answers = [_post_pod(block_world) for _ in range(4)]
    for answer in answers:
        assert block_world.wait("bsp1", answer["operationId"])["status"] == "succeeded"
    stored = [_stored(block_world, a["operationId"]) for a in answers]
    by_hash: dict[str, list[Operation]] = {}
    for operation in stored:
        [entry] = operation.signed_transactions or []
        by_hash.setdefault(entry["hash"], []).append(operation)
    shared = max(by_hash.values(), key=len)
    assert len(shared) >= 2, by_hash  # at least two went into one multicall
    carriers = [o for o in shared if "raw" in (o.signed_transactions or [{}])[0]]
    [carrier] = carriers
    [carrier_entry] = carrier.signed_transactions or []
    assert set(carrier_entry["operations"]) >= {o.id for o in shared}
    assert carrier_entry["operations"][0] == carrier.id
    carried = [o for o in shared if o is not carrier]
    for operation in carried:
        [entry] = operation.signed_transactions or []
        assert entry[operations.CARRIED_BY] == carrier.id
        assert "raw" not in entry
        assert "operations" not in entry
        assert entry["hash"] == carrier_entry["hash"]
        assert entry["nonce"] == carrier_entry["nonce"]

    with block_world.runtime.session() as session:
        copy = operations._signed_copy(
            session, carried, operations.current_transactions(carried[0])
        )
    assert copy is not None
    assert (copy.tx_hash, copy.raw) == (carrier_entry["hash"], carrier_entry["raw"])


def _set_status(world: World, pod_id: str, status: str) -> Any:
    body = payloads.pod_status_body(pod_id, status, world.eic("bsp1"))
    return world.client("bsp1").patch(f"/pods/{pod_id}/status", json=body)


def _accepted_steps(world: World, pod_ids: list[str], status: str) -> list[str]:
    """Each POD to ``status``, one request each, every one accepted: the operations' ids."""
    accepted = []
    for pod_id in pod_ids:
        answer = _set_status(world, pod_id, status)
        assert answer.status_code == 202, answer.text
        accepted.append(answer.json()["operationId"])
    return accepted


def _all_sent(world: World, operation_ids: list[str]) -> bool:
    """True once every operation is submitted; a deferred one is flushed behind its
    organisation's pending transaction meanwhile, as the block follower does."""
    from ledger.core import operations

    stored = [_stored(world, operation_id) for operation_id in operation_ids]
    deferred = [operation.id for operation in stored if operation.deferred]
    if deferred:
        operations.execute(world.runtime, deferred[0], behind_pending=True)
    return all(operation.status == "submitted" for operation in stored)


def test_a_step_is_accepted_right_behind_the_one_before_it_in_flight(block_world: World) -> None:
    """Mining paused, the BSP opens 20 PODs, and sends them for review before the openings
    are mined: each review, refused on the chain's state alone (as it is for a POD nothing was
    sent for), is dry-run behind the openings in flight and accepted. Their tasks defer them
    (the BSP's transaction is pending); flushed behind the pending transaction, as the block
    follower does before the next block is due, they are sent with the next nonce, with the gas
    they take in a transaction of their own (not the lower figure of a dry run in the same
    call as the openings, where the POD's storage is already warm and written): once blocks
    come again, all are mined in the same block, the openings first (with the lower figure,
    20 reviews overrun the gas of their multicall)."""
    from ledger.core import operations

    pods = [_post_pod(block_world) for _ in range(21)]
    for pod in pods:
        assert block_world.wait("bsp1", pod["operationId"])["status"] == "succeeded"
    *pod_ids, untouched = (pod["podId"] for pod in pods)
    rpc = block_world.chain.rpc
    rpc.call("evm_setIntervalMining", [0])
    try:
        openings = _accepted_steps(block_world, pod_ids, "Open")
        # Openings deferred behind the first one's transaction: sent behind it, by the block
        # follower's flush or, once the paused chain counts as stalled, by this test's.
        _until(lambda: _all_sent(block_world, openings), timeout_s=60)
        # The chain overdue by more than half an interval counts as stalled: the block
        # follower flushes nothing now, and this test flushes the reviews itself below.
        time.sleep(2 * BLOCK_TIME_S)

        refused = _set_status(block_world, untouched, "UnderReview")
        reviews = _accepted_steps(block_world, pod_ids, "UnderReview")
        # each task finds the BSP's transaction pending and defers its review
        _until(
            lambda: all(
                _stored(block_world, r).deferred or _stored(block_world, r).status != "accepted"
                for r in reviews
            ),
            timeout_s=90,
        )
        deferred = [
            (_stored(block_world, r).status, _stored(block_world, r).deferred) for r in reviews
        ]
        assert deferred == [("accepted", True)] * 20, deferred
        operations.execute(block_world.runtime, reviews[0], behind_pending=True)
        sent = [_stored(block_world, review) for review in reviews]
    finally:
        rpc.call("evm_setIntervalMining", [1])

    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "contract.RegistryInvalidPodTransition"
    assert [s.status for s in sent] == ["submitted"] * 20, [(s.status, s.deferred) for s in sent]
    last = max(
        tx["nonce"]
        for opening in openings
        for tx in _stored(block_world, opening).signed_transactions or []
    )
    assert {tx["nonce"] for s in sent for tx in s.signed_transactions or []} == {last + 1}
    first = [block_world.wait("bsp1", opening, timeout_s=90) for opening in openings]
    then = [block_world.wait("bsp1", review, timeout_s=90) for review in reviews]
    assert {f["status"] for f in first + then} == {"succeeded"}, (first, then)
    assert {f["blockNumber"] for f in first + then} == {first[0]["blockNumber"]}
    for pod_id in pod_ids:
        status = block_world.client("bsp1").get(f"/pods/{pod_id}").json()["status"]
        assert status in {"UnderReview", "Verified", "Validated"}  # automatic reviews follow


def test_a_dry_run_behind_runs_the_accepted_operations_not_sent_yet(block_world: World) -> None:
    """An opening accepted but not sent yet (its task not run) is in flight too: a review dry-run
    behind it passes, and the same review behind nothing is refused; the accepted operation
    goes first even though its calls are only computed now."""
    from ledger.core import coalescing, in_flight, operations
    from ledger.core.db.models import Organisation
    from ledger.registry.pods import PodStatusHandler

    pod = _post_pod(block_world)
    assert block_world.wait("bsp1", pod["operationId"])["status"] == "succeeded"
    runtime = block_world.runtime
    with runtime.session() as session:
        bsp = session.exec(
            select(Organisation).where(Organisation.eic == block_world.eic("bsp1"))
        ).one()

        def review_outcome() -> list[coalescing.ItemOutcome] | None:
            review = Operation(
                id="review",
                organisation_id=bsp.id,
                kind="pod.status",
                payload={"podId": pod["podId"], "status": "UnderReview"},
            )
            calls = PodStatusHandler().calls(session, review)
            items = coalescing.encode_items(runtime.chain, "ResourceRegistry", calls)
            return in_flight.dry_run_behind(
                runtime, session, bsp, "ResourceRegistry", items, with_accepted=True
            )

        assert review_outcome() is None  # nothing of the BSP's in flight
        opening = operations.accept(
            session,
            organisation=bsp,
            kind="pod.status",
            payload={"podId": pod["podId"], "status": "Open"},
        )
        session.commit()  # not enqueued: no worker takes it
        try:
            [outcome] = review_outcome() or []
            assert outcome.refusal is None
            assert outcome.gas > 0
            behind_nothing = in_flight.dry_run_behind(
                runtime, session, bsp, "ResourceRegistry", [], with_accepted=False
            )
            assert behind_nothing is None  # the accepted opening is not sent: not in flight
        finally:
            assert operations.abandon(runtime, session, opening, reason="test: never sent")


def test_a_multicalls_operations_are_applied_in_the_order_of_their_items(
    block_world: World,
) -> None:
    """A POD's opening and its review request, accepted one after the other, go in one
    multicall; the block follower applies them in the multicall's order (not in the order of
    their ids, which here is the other way round), so the POD ends under review and the TSO's
    automatic verification follows, instead of the POD being left Open."""
    from ledger.core import operations
    from ledger.core.db.models import Organisation

    pod = _post_pod(block_world)
    assert block_world.wait("bsp1", pod["operationId"])["status"] == "succeeded"
    runtime = block_world.runtime
    suffix = secrets.token_hex(4)
    with runtime.session() as session:
        bsp = session.exec(
            select(Organisation).where(Organisation.eic == block_world.eic("bsp1"))
        ).one()
        steps = [(f"ffffffff-{suffix}", "Open"), (f"00000000-{suffix}", "UnderReview")]
        for operation_id, status in steps:  # not enqueued: the opening's task takes both
            session.add(
                Operation(
                    id=operation_id,
                    organisation_id=bsp.id,
                    kind="pod.status",
                    payload={"podId": pod["podId"], "status": status},
                )
            )
            session.commit()
    opening, review = (operation_id for operation_id, _ in steps)
    operations.execute(runtime, opening)

    finished = [block_world.wait("bsp1", i, timeout_s=90) for i in (opening, review)]
    assert [f["status"] for f in finished] == ["succeeded", "succeeded"], finished
    assert finished[0]["transactionHashes"] == finished[1]["transactionHashes"]
    client = block_world.client("bsp1")
    _until(lambda: client.get(f"/pods/{pod['podId']}").json()["status"] == "Validated")


def test_a_follower_just_started_knows_the_chains_rhythm(block_world: World) -> None:
    """From the timestamps of the chain's latest blocks, a follower's first pass knows that a
    block comes every second: it can flush deferred operations before the next block from the
    start, instead of after watching three blocks of its own (each a block lost for a signer
    whose transaction is pending)."""
    import statistics

    from ledger.core.follower import INTERVALS_NEEDED, FollowerState, follow_once

    state = FollowerState()
    follow_once(block_world.runtime, state)

    assert len(state.intervals) >= INTERVALS_NEEDED
    assert statistics.median(state.intervals) == 1.0


def test_an_organisations_operations_are_applied_in_chain_order(block_world: World) -> None:
    """A POD's opening and its review request, mined in one block in two transactions: while a
    worker holds the opening (its lock), the block follower leaves the review request alone
    too, instead of applying it first (the POD would be left Open in the database, the TSO's
    verification started on a POD not yet under review there). Once the opening is free,
    both are applied, in order."""
    from ledger.core import operations
    from workers.app import RedisLocks

    pod = _post_pod(block_world)
    assert block_world.wait("bsp1", pod["operationId"])["status"] == "succeeded"
    rpc = block_world.chain.rpc
    runtime = block_world.runtime
    rpc.call("evm_setIntervalMining", [0])
    try:
        opening = _set_status(block_world, pod["podId"], "Open").json()["operationId"]
        _until(lambda: _stored(block_world, opening).status == "submitted", timeout_s=30)
        review = _set_status(block_world, pod["podId"], "UnderReview").json()["operationId"]
        _until(lambda: _stored(block_world, review).deferred, timeout_s=30)
        operations.execute(runtime, review, behind_pending=True)
        assert _stored(block_world, review).status == "submitted"
        redis_url = runtime.settings.redis_url
        assert redis_url is not None
        # the lock the platform's workers and follower take (Redis), not this process's own
        with RedisLocks(redis_url, ttl_s=60).hold(f"operation:{opening}"):
            rpc.call("evm_setIntervalMining", [1])
            mined = _stored(block_world, opening).transaction_hashes or []
            _until(lambda: block_world.chain.receipt(mined[0]) is not None, timeout_s=30)
            time.sleep(3)  # a few blocks, many follower passes
            held_back = _stored(block_world, review).status
    finally:
        rpc.call("evm_setIntervalMining", [1])

    assert held_back == "submitted"
    finished = [block_world.wait("bsp1", i, timeout_s=90) for i in (opening, review)]
    assert [f["status"] for f in finished] == ["succeeded", "succeeded"], finished
    client = block_world.client("bsp1")
    _until(lambda: client.get(f"/pods/{pod['podId']}").json()["status"] == "Validated")
