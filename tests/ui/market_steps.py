"""Market set-up for the browser tests, through the API (as tests/market does), on the UI
platform where the TSO and DSOs decide by hand: a qualified UVAM admitted to the market, a bid
checked by its DSO, a need that selects it, and an activation the BSP has to acknowledge."""

from __future__ import annotations

import dataclasses
from typing import Any

from ledger.market.periods import iso
from ledger.services import market_checks, operations
from tests.integration import flows as reg
from tests.market import flows
from tests.ui.steps import validated_pod_by_api


def qualified_uvam_by_api(world: Any, slug: str = "bsp1", kw: int = 30) -> tuple[str, str]:
    """A UVAM of one validated POD, qualified by the TSO and admitted to the market; returns
    (UVAM id, POD id)."""
    pod_id, _ = validated_pod_by_api(world, slug, maximumFlexUp=kw, maximumFlexDown=kw)
    uvam_id = reg.register_uvam(world, slug, maximumQualifiedPower=kw, minimumQualifiedPower=kw)
    reg.add_member(world, slug, uvam_id, pod_id)
    reg.set_uvam_status(world, slug, uvam_id, "Open")
    reg.set_uvam_status(world, slug, uvam_id, "UnderReview")
    decision = {"approve": True, "reasons": []}
    reg.succeeded(world, "tso", world.client("tso").post(f"/uvams/{uvam_id}/review", json=decision))
    assert world.wait_for_status(slug, f"/uvams/{uvam_id}", {"Qualified"})["status"] == "Qualified"
    flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    return uvam_id, pod_id


def dso_checks(world: Any, bid_ids: list[str]) -> None:
    """Run the DSO validation worker for these bids, as it runs when checks are automatic
    (this platform leaves them to people, and the market API has no manual check)."""
    settings = world.runtime.settings.model_copy(update={"auto_review": True})
    checker = dataclasses.replace(world.runtime, settings=settings)
    for operation_id in market_checks.dso_check(checker, bid_ids):
        operations.execute(checker, operation_id)


def activation_by_api(world: Any, slug: str = "bsp1", *, ack_s: int = 900) -> dict[str, Any]:
    """A Sent activation of a selected bid of ``slug``; returns the activation's view."""
    uvam_id, pod_id = qualified_uvam_by_api(world, slug)
    product = flows.product(world, flows.unique_product("UI"), ack_s=ack_s)
    start = flows.period_after(1300)
    body = flows.bid(uvam_id, product, start, [20, 20], "80")
    response = world.client(slug).post("/market/bids", json={"bids": [body]})
    assert flows.done(world, slug, response)["status"] == "succeeded"
    [bid_id] = response.json()["bidIds"]
    flows.wait_bids(world, slug, [bid_id], {"Received", "Active"})
    dso_checks(world, [bid_id])
    flows.wait_bids(world, slug, [bid_id], {"Active"})
    need = {
        "productId": product,
        "direction": "up",
        "deliveryStart": iso(start),
        "quantitiesKw": [20, 20],
    }
    flows.succeeded(world, "tso", world.client("tso").post("/market/needs", json=need))
    flows.wait_bids(world, slug, [bid_id], {"Selected"})
    sent = world.client("tso").post(
        "/market/activations",
        json={"bidId": bid_id, "firstPeriod": iso(start), "setPointsKw": [20, 15]},
    )
    flows.succeeded(world, "tso", sent)
    activation_id = sent.json()["activationId"]
    view = flows.wait_status(world, slug, f"/market/activations/{activation_id}", {"Sent"})
    return {**view, "podId": pod_id}
