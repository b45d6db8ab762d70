"""A bid's life besides selection: update and withdrawal before the gate closes, refusal of
both after it (API and contract), suspension, expiry; an activation nobody acknowledges lapses;
only the activation's BSP acknowledges it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from ledger.core.chain.client import Call
from ledger.core.chain.errors import ContractRevert
from ledger.core.ids import to_bytes32
from ledger.core.periods import iso
from tests.market import flows
from tests.market.conftest import Market


def _submit(world: Any, slug: str, *bodies: dict[str, Any]) -> list[str]:
    response = world.client(slug).post("/market/bids", json={"bids": list(bodies)})
    assert flows.done(world, slug, response)["status"] == "succeeded"
    ids: list[str] = response.json()["bidIds"]
    return ids


def test_update_withdraw_and_suspend_before_gate_closure(market: Market) -> None:
    world, uvam = market.world, market.uvams["b"]  # bsp2, 40 kW
    product = flows.product(world, flows.unique_product("LIFE"))
    start = flows.period_after(world, 1300)
    first, second, third = _submit(
        world,
        "bsp2",
        flows.bid(uvam, product, start, [10, 20], "70"),
        flows.bid(uvam, product, start, [5], "80"),
        flows.bid(uvam, product, start + 900, [5], "90"),
    )
    before = flows.wait_bids(world, "bsp2", [first], {"Active"})[0]
    client = world.client("bsp2")

    update = client.patch(
        "/market/bids",
        json={"bids": [{"bidId": first, "price": "65.25", "quantitiesKw": [15, 25]}]},
    )
    assert flows.done(world, "bsp2", update)["status"] == "succeeded"
    after = flows.wait_bids(world, "bsp2", [first], {"Active"})[0]
    assert (after["price"], after["quantitiesKw"]) == ("65.25", [15, 25])
    assert after["termsHash"] != before["termsHash"]
    assert after["priority"] > before["priority"]
    assert [h["to"] for h in after["history"]] == ["Received", "Active", "Received", "Active"]

    withdraw = client.post("/market/bids/withdraw", json={"bidIds": [second]})
    assert flows.done(world, "bsp2", withdraw)["status"] == "succeeded"
    suspend = client.post(
        "/market/bids/suspend", json={"bidIds": [third], "reasons": ["heat pump fault"]}
    )
    assert flows.done(world, "bsp2", suspend)["status"] == "succeeded"
    statuses = {
        b["id"]: b["status"]
        for b in flows.wait_bids(world, "bsp2", [second, third], {"Withdrawn", "Suspended"})
    }
    assert statuses == {second: "Withdrawn", third: "Suspended"}
    # a withdrawn bid is final
    flows.refused(
        client.post("/market/bids/withdraw", json={"bidIds": [second]}), 409, "conflict", "bidIds.0"
    )
    # a suspended bid revives by an update before its gate closes
    revive = client.patch("/market/bids", json={"bids": [{"bidId": third}]})
    assert flows.done(world, "bsp2", revive)["status"] == "succeeded"
    assert flows.wait_bids(world, "bsp2", [third], {"Active"})[0]["status"] == "Active"


def test_no_update_or_withdrawal_after_gate_closure(market: Market) -> None:
    world, uvam = market.world, market.uvams["b"]
    start = flows.period_after(world, 1300)
    product = flows.product(world, flows.unique_product("GATE"))
    [bid_id] = _submit(world, "bsp2", flows.bid(uvam, product, start, [10], "70"))
    bid = flows.wait_bids(world, "bsp2", [bid_id], {"Active"})[0]
    # the clocks move past the gate (simulated time) instead of waiting for it
    flows.advance_past(world, int(datetime.fromisoformat(bid["gateClosesAt"]).timestamp()))
    client = world.client("bsp2")
    flows.refused(
        client.patch("/market/bids", json={"bids": [{"bidId": bid_id, "price": "60"}]}),
        409,
        "gate_closed",
        "bids.0.bidId",
    )
    flows.refused(
        client.post("/market/bids/withdraw", json={"bidIds": [bid_id]}),
        409,
        "gate_closed",
        "bidIds.0",
    )
    with pytest.raises(ContractRevert) as caught:
        world.chain.simulate(
            world.organisations["bsp2"].address,
            [Call("FlexMarket", "withdrawBids", ([to_bytes32(bid["chainKey"])],))],
        )
    assert caught.value.error_name == "MarketGateClosed"
    # the BSP can still declare it cannot deliver
    suspend = client.post("/market/bids/suspend", json={"bidIds": [bid_id]})
    assert flows.done(world, "bsp2", suspend)["status"] == "succeeded"


def test_unacknowledged_activation_lapses(market: Market) -> None:
    world, uvam = market.world, market.uvams["c"]  # bsp3
    product = flows.product(world, flows.unique_product("LAPSE"), ack_s=2)
    start = flows.period_after(world, 1300)
    [bid_id] = _submit(world, "bsp3", flows.bid(uvam, product, start, [20], "75"))
    flows.wait_bids(world, "bsp3", [bid_id], {"Active"})
    need = {
        "productId": product,
        "direction": "up",
        "deliveryStart": iso(start),
        "quantitiesKw": [20],
    }
    assert flows.need_at_gate(world, need)["status"] == "succeeded"
    flows.wait_bids(world, "bsp3", [bid_id], {"Selected"})
    # with a notice longer than the time left before delivery, the activation is refused
    flows.product(world, product, ack_s=2, notice_s=3 * 3600)
    too_late = world.client("tso").post(
        "/market/activations",
        json={"bidId": bid_id, "firstPeriod": iso(start), "setPointsKw": [20]},
    )
    flows.refused(too_late, 409, "notice_too_short", "firstPeriod")
    flows.product(world, product, ack_s=2)
    response = world.client("tso").post(
        "/market/activations",
        json={"bidId": bid_id, "firstPeriod": iso(start), "setPointsKw": [20]},
    )
    assert flows.done(world, "tso", response)["status"] == "succeeded"
    activation_id = response.json()["activationId"]
    # only the activation's BSP acknowledges it
    flows.refused(
        world.client("tso").post(
            f"/market/activations/{activation_id}/acknowledgement", json={"accept": True}
        ),
        403,
        "forbidden",
        "activationId",
    )
    lapsed = flows.wait_status(
        world, "bsp3", f"/market/activations/{activation_id}", {"Lapsed"}, timeout_s=30
    )
    assert lapsed["setPointsKw"] == [0]
    late = world.client("bsp3").post(
        f"/market/activations/{activation_id}/acknowledgement", json={"accept": True}
    )
    flows.refused(late, 409, "conflict", "accept")
    # the award is free again
    again = world.client("tso").post(
        "/market/activations",
        json={"bidId": bid_id, "firstPeriod": iso(start), "setPointsKw": [20]},
    )
    assert flows.done(world, "tso", again)["status"] == "succeeded"
