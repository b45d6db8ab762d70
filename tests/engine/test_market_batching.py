"""Bids go into one transaction as well (FlexMarket takes multicalls): a BSP's bids that arrive
while its previous transaction is pending share its next transaction, and a refused bid fails
alone with its decoded error while the others are recorded."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from cli.world import World
from ledger.core.chain.client import Call
from ledger.core.coalescing import multicall_of, split_receipt
from ledger.core.ids import chain_key, new_id
from ledger.market.terms import BidTerms, Direction
from tests.integration import payloads
from tests.market import flows

GATE_CLOSURE_S = 1200
UP_KW = 30


@pytest.fixture(scope="module")
def bidder(block_world: World) -> dict[str, str]:
    """A product and a qualified, admitted UVAM of bsp1 (30 kW up)."""
    product = flows.product(
        block_world, flows.unique_product("BATCH"), gate_closure_s=GATE_CLOSURE_S
    )
    zone = f"ZBATCH-{uuid.uuid4().hex[:6]}"
    uvam_id, _ = flows.qualified_uvam(
        block_world, "bsp1", [("dso1", UP_KW, UP_KW, zone)], up_kw=UP_KW, down_kw=UP_KW
    )
    flows.succeeded(
        block_world, "tso", block_world.client("tso").post(f"/market/admissions/{uvam_id}")
    )
    return {"product": product, "uvam": uvam_id}


def _post_bid(world: World, bidder: dict[str, str], start: int) -> dict[str, Any]:
    body = {"bids": [flows.bid(bidder["uvam"], bidder["product"], start, [10], "50")]}
    response = world.client("bsp1").post("/market/bids", json=body)
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _wait_submitted(world: World, operation_id: str) -> None:
    deadline = time.monotonic() + 30
    while world.client("bsp1").get(f"/operations/{operation_id}").json()["status"] != "submitted":
        assert time.monotonic() < deadline, "the worker did not send the operation"
        time.sleep(0.05)


def test_a_multicall_of_bids_records_the_good_ones_and_reports_the_bad_one(
    block_world: World, bidder: dict[str, str]
) -> None:
    """The contract side: three ``submitBids`` items in one ``multicall``; the second asks for
    more than the UVAM's qualified power and is skipped with its decoded error."""
    chain = block_world.chain
    uvam_key = bytes.fromhex(
        block_world.client("bsp1").get(f"/uvams/{bidder['uvam']}").json()["chainKey"][2:]
    )
    start = flows.period_after(block_world, 7200)
    keys = [bytes.fromhex(chain_key("bid", new_id())[2:]) for _ in range(3)]

    def submit(key: bytes, quantity: int) -> Call:
        terms = BidTerms(
            uvam_key=uvam_key,
            market_id=bidder["product"],
            direction=Direction.UP,
            delivery_start=start,
            valid_until=start + 900,
            price_micro=50_000_000,
            divisible=True,
            quantities_kw=(quantity,),
        )
        return Call("FlexMarket", "submitBids", ([key], [terms.as_tuple()]))

    signer = block_world.runtime.signer_for(block_world.organisations["bsp1"])
    items = [submit(keys[0], 10), submit(keys[1], UP_KW + 1), submit(keys[2], 20)]

    [receipt] = chain.transact(signer, [multicall_of(chain, "FlexMarket", items)])

    parts = [split_receipt(chain, receipt, [index]) for index in range(3)]
    assert receipt.succeeded
    assert [(part.succeeded, error is None) for part, error in parts] == [
        (True, True),
        (False, False),
        (True, True),
    ]
    assert [[e.name for e in part.events] for part, _ in parts] == [
        ["BidSubmitted"],
        [],
        ["BidSubmitted"],
    ]
    error = parts[1][1]
    assert error is not None
    assert error.error_name == "MarketAboveQualifiedPower"
    statuses = [chain.read("FlexMarket", "bid", key)["status"] for key in keys]
    assert statuses[1] == 0  # None: never recorded
    assert statuses[0] == statuses[2] != 0


def test_a_refused_bid_fails_alone_while_the_others_share_one_transaction(
    block_world: World, bidder: dict[str, str]
) -> None:
    """Mining paused, the BSP's POD registration is pending; three one-bid requests arrive
    (each accepted: every gate is open) and wait for the BSP's next transaction. The clocks then
    move past the gate of the middle bid only and a block is mined: that bid fails alone with
    the contract's decoded ``MarketGateClosed``, the two others go into one transaction."""
    rpc = block_world.chain.rpc
    late = flows.period_after(block_world, 7200)
    early = flows.period_after(block_world, GATE_CLOSURE_S + 120)
    rpc.call("evm_setIntervalMining", [0])
    try:
        body = payloads.pod_body(block_world.eic("bsp1"), block_world.eic("dso1"))
        pod = flows.accepted(block_world.client("bsp1").post("/pods", json=body))
        _wait_submitted(block_world, pod["operationId"])
        answers = [_post_bid(block_world, bidder, start) for start in (late, early, late)]
        flows.advance_past(block_world, early - GATE_CLOSURE_S)  # mines one block
    finally:
        rpc.call("evm_setIntervalMining", [1])

    outcomes = [block_world.wait("bsp1", a["operationId"], timeout_s=90) for a in answers]

    assert [o["status"] for o in outcomes] == ["succeeded", "failed", "succeeded"], outcomes
    assert outcomes[1]["error"]["code"] == "contract.MarketGateClosed", outcomes[1]
    assert outcomes[1]["error"]["httpStatus"] == 409
    assert outcomes[0]["transactionHashes"] == outcomes[2]["transactionHashes"]
    bids = [block_world.client("bsp1").get(f"/market/bids/{a['bidIds'][0]}") for a in answers]
    assert bids[0].json()["status"] in {"Received", "Active"}
    assert bids[2].json()["status"] in {"Received", "Active"}
