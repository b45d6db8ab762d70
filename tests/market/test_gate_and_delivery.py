"""Clearing waits for the need's gate closure; a need nobody bid on says so; an activation whose
delivery is over is neither changed nor stopped (issue 12, items 11 and 12), through the API and
straight on chain.

The clocks (the platform's and the chain's) move ahead where a test needs time to pass
(``flows.advance_past``), instead of waiting for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from ledger.core.chain.client import Call
from ledger.core.chain.errors import ContractRevert
from ledger.core.ids import to_bytes32
from ledger.core.periods import PERIOD_SECONDS, iso
from ledger.market.tables import MarketNeed
from ledger.market.terms import Direction, NeedTerms, Pricing
from tests.market import flows
from tests.market.conftest import Market

GATE_S = 1200  # the test products' gate closure (flows.product)


def _submit(world: Any, slug: str, body: dict[str, Any]) -> str:
    response = world.client(slug).post("/market/bids", json={"bids": [body]})
    assert flows.done(world, slug, response)["status"] == "succeeded"
    [bid_id] = response.json()["bidIds"]
    flows.wait_bids(world, slug, [bid_id], {"Active"})
    return str(bid_id)


def _publish(world: Any, body: dict[str, Any]) -> str:
    operation = flows.done(world, "tso", world.client("tso").post("/market/needs", json=body))
    assert operation["status"] == "succeeded", operation
    return str(operation["result"]["needId"])


def _on_chain_refusal(world: Any, function: str, *args: Any) -> ContractRevert:
    with pytest.raises(ContractRevert) as caught:
        world.chain.simulate(
            world.organisations["tso"].address, [Call("FlexMarket", function, args)]
        )
    return caught.value


def _need_terms(world: Any, need_id: str) -> tuple[bytes, tuple[Any, ...]]:
    with world.runtime.session() as session:
        need = session.get(MarketNeed, need_id)
        assert need is not None
        terms = NeedTerms(
            market_id=need.product_id,
            direction=Direction(need.direction),
            delivery_start=need.delivery_start,
            quantities_kw=tuple(need.quantities_kw),
            price_limit_micro=need.price_limit_micro,
            pricing=Pricing(need.pricing),
        )
        return to_bytes32(need.chain_key), terms.as_tuple()


def test_clearing_waits_for_the_gate_and_keeps_bids_still_on_time(market: Market) -> None:
    world, uvams = market.world, market.uvams
    product = flows.product(world, flows.unique_product("GATED"))
    start = flows.period_after(world, GATE_S + 100)
    early = _submit(world, "bsp1", flows.bid(uvams["a"], product, start, [20], "50"))
    need_id = _publish(
        world,
        {
            "productId": product,
            "direction": "up",
            "deliveryStart": iso(start),
            "quantitiesKw": [40],
            "pricing": "payAsClear",
            "clearing": "manual",
        },
    )
    need = world.client("tso").get(f"/market/needs/{need_id}").json()
    assert (need["status"], need["gateClosesAt"]) == ("Open", iso(start - GATE_S))

    # before the gate: refused with the reason and the gate closure, by the API ...
    refused = flows.refused(
        world.client("tso").post(f"/market/needs/{need_id}/clear"),
        409,
        "gate_not_closed",
        "needId",
    )
    assert refused["details"] == {"reason": "gateNotClosed", "gateClosesAt": iso(start - GATE_S)}
    assert iso(start - GATE_S) in refused["message"]
    # ... and by the contract, for a TSO calling it directly
    key, terms = _need_terms(world, need_id)
    zero = b"\x00" * 32
    revert = _on_chain_refusal(world, "clearNeed", key, terms, zero, zero, [], [])
    assert revert.error_name == "MarketGateNotClosed"
    assert revert.arguments["gateClosesAt"] == str(start - GATE_S)
    assert world.client("tso").get(f"/market/needs/{need_id}").json()["status"] == "Open"

    # a bid still on time comes in, and takes part once the gate has closed
    late = _submit(world, "bsp2", flows.bid(uvams["b"], product, start, [20], "45"))
    flows.advance_past(world, start - GATE_S)
    cleared = flows.succeeded(
        world, "tso", world.client("tso").post(f"/market/needs/{need_id}/clear")
    )
    assert cleared["operation"]["status"] == "succeeded"
    view = flows.wait_status(world, "tso", f"/market/needs/{need_id}", {"Cleared"})
    awards = {a["bidId"]: (a["awardedKw"], a["prices"]) for a in view["awards"]}
    assert awards == {late: ([20], ["50"]), early: ([20], ["50"])}
    assert view["unfilledReason"] is None


def test_an_immediate_need_is_cleared_once_its_gate_has_closed(market: Market) -> None:
    world = market.world
    product = flows.product(world, flows.unique_product("AUTO"))
    start = flows.period_after(world, GATE_S + 100)
    bid_id = _submit(world, "bsp3", flows.bid(market.uvams["c"], product, start, [10], "60"))
    need_id = _publish(
        world,
        {
            "productId": product,
            "direction": "up",
            "deliveryStart": iso(start),
            "quantitiesKw": [10],
        },
    )
    assert world.client("tso").get(f"/market/needs/{need_id}").json()["status"] == "Open"
    flows.advance_past(world, start - GATE_S)
    view = flows.wait_status(world, "tso", f"/market/needs/{need_id}", {"Cleared"})
    assert [a["bidId"] for a in view["awards"]] == [bid_id]


def test_a_need_nobody_can_fill_is_unfilled_with_the_reason(market: Market) -> None:
    world = market.world
    product = flows.product(world, flows.unique_product("EMPTY"))
    start = flows.period_after(world, GATE_S + 100)
    body = {"productId": product, "direction": "up", "deliveryStart": iso(start)}
    operation = flows.need_at_gate(world, {**body, "quantitiesKw": [30, 30]})
    need_id = operation["result"]["needId"]
    view = flows.wait_status(world, "tso", f"/market/needs/{need_id}", {"Unfilled", "Cleared"})
    assert view["status"] == "Unfilled"
    assert view["unfilledReason"]["code"] == "noBids"
    assert [(p["awardedKw"], p["unmetKw"]) for p in view["periods"]] == [(0, 30), (0, 30)]
    listed = world.client("tso").get("/market/needs", params={"status": "Unfilled"}).json()
    assert need_id in [n["id"] for n in listed["data"]]
    # the rerun of an unfilled clearing reproduces the hash on chain too
    assert world.client("tso").get(f"/market/needs/{need_id}/rerun").json()["reproduced"] is True

    # bids above the need's price limit: unfilled, and it says why
    later = start + PERIOD_SECONDS
    _submit(world, "bsp1", flows.bid(market.uvams["a"], product, later, [10], "90"))
    operation = flows.need_at_gate(
        world,
        {**body, "deliveryStart": iso(later), "quantitiesKw": [10], "priceLimit": "50"},
    )
    need_id = operation["result"]["needId"]
    view = flows.wait_status(world, "tso", f"/market/needs/{need_id}", {"Unfilled", "Cleared"})
    assert (view["status"], view["unfilledReason"]["code"]) == ("Unfilled", "aboveLimit")


def test_an_activation_whose_delivery_is_over_is_neither_changed_nor_stopped(
    market: Market,
) -> None:
    world = market.world
    product = flows.product(world, flows.unique_product("OVER"), ack_s=900)
    start = flows.period_after(world, GATE_S + 100)
    bid_id = _submit(world, "bsp2", flows.bid(market.uvams["b"], product, start, [30], "40"))
    need = {"productId": product, "direction": "up", "deliveryStart": iso(start)}
    flows.need_at_gate(world, {**need, "quantitiesKw": [30]})
    flows.wait_bids(world, "bsp2", [bid_id], {"Selected"})
    tso = world.client("tso")
    sent = tso.post(
        "/market/activations",
        json={"bidId": bid_id, "firstPeriod": iso(start), "setPointsKw": [30]},
    )
    assert flows.done(world, "tso", sent)["status"] == "succeeded"
    activation_id = sent.json()["activationId"]
    # the acknowledgement deadline follows the platform's clock, moved ahead above
    view = tso.get(f"/market/activations/{activation_id}").json()
    deadline = int(datetime.fromisoformat(view["ackDeadline"]).timestamp())
    assert deadline > flows.now(world)
    ack = world.client("bsp2").post(
        f"/market/activations/{activation_id}/acknowledgement", json={"accept": True}
    )
    assert flows.done(world, "bsp2", ack)["status"] == "succeeded"

    end = start + PERIOD_SECONDS
    flows.advance_past(world, end)
    for response in (
        tso.patch(f"/market/activations/{activation_id}", json={"setPointsKw": [30]}),
        tso.post(f"/market/activations/{activation_id}/stop", json={"reasons": ["late"]}),
    ):
        refused = flows.refused(response, 409, "delivery_over", "activationId")
        assert refused["details"] == {"reason": "deliveryOver", "deliveryEnd": iso(end)}
    key = to_bytes32(view["chainKey"])
    for function, args in (
        ("changeActivation", (key, [30])),
        ("stopActivation", (key, b"\x00" * 32)),
    ):
        revert = _on_chain_refusal(world, function, *args)
        assert revert.error_name == "MarketDeliveryOver"
        assert revert.arguments["deliveryEnd"] == str(end)
    after = tso.get(f"/market/activations/{activation_id}").json()
    assert (after["status"], after["setPointsKw"]) == ("Accepted", [30])
