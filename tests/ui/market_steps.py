"""Market set-up for the browser tests, through the API (as tests/market does), on the UI
platform where the TSO and DSOs decide by hand: a qualified UVAM admitted to the market, a bid
checked by its DSO, a need that selects it, an activation the BSP has to acknowledge, and the
settlement of an accepted one."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger import clock
from ledger.market.periods import PERIOD_SECONDS, iso, next_period
from ledger.services import market_checks, operations
from ledger.settlement import day_type
from tests.integration import flows as reg
from tests.market import flows
from tests.ui.steps import validated_pod_by_api

X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}


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
        operations.execute(checker, operation_id)  # the platform's block follower confirms it
        world.wait("tso", operation_id)


def period_after(world: Any, seconds: int) -> int:
    """Start of the first 15-minute period beginning ``seconds`` from now on the platform's
    clock (a settlement moves it past an activation's delivery, ahead of the wall clock)."""
    return next_period(clock.now(world.platform.settings.data_dir) + seconds)


def advance_past(world: Any, moment: int) -> None:
    """Move the platform's and the chain's clocks just past ``moment`` (unix seconds)."""
    settings = world.platform.settings
    behind = moment + 5 - clock.now(settings.data_dir)
    if behind > 0:
        clock.advance(settings, world.platform.stack.rpc_url, behind)


def active_bid_by_api(world: Any, slug: str = "bsp1", *, ack_s: int = 900) -> dict[str, Any]:
    """An Active bid of ``slug`` (20 kW up for two periods at 80 EUR/MWh) on a product of its
    own; returns ``{bidId, product, start, uvamId, podId}``."""
    uvam_id, pod_id = qualified_uvam_by_api(world, slug)
    product = flows.product(world, flows.unique_product("UI"), ack_s=ack_s)
    start = period_after(world, 1300)
    body = flows.bid(uvam_id, product, start, [20, 20], "80")
    response = world.client(slug).post("/market/bids", json={"bids": [body]})
    assert flows.done(world, slug, response)["status"] == "succeeded"
    [bid_id] = response.json()["bidIds"]
    flows.wait_bids(world, slug, [bid_id], {"Received", "Active"})
    dso_checks(world, [bid_id])
    flows.wait_bids(world, slug, [bid_id], {"Active"})
    return {"bidId": bid_id, "product": product, "start": start, "uvamId": uvam_id, "podId": pod_id}


def activation_by_api(world: Any, slug: str = "bsp1", *, ack_s: int = 900) -> dict[str, Any]:
    """A Sent activation of a selected bid of ``slug``; returns the activation's view."""
    bid = active_bid_by_api(world, slug, ack_s=ack_s)
    need = {
        "productId": bid["product"],
        "direction": "up",
        "deliveryStart": iso(bid["start"]),
        "quantitiesKw": [20, 20],
    }
    flows.succeeded(world, "tso", world.client("tso").post("/market/needs", json=need))
    flows.wait_bids(world, slug, [bid["bidId"]], {"Selected"})
    sent = world.client("tso").post(
        "/market/activations",
        json={"bidId": bid["bidId"], "firstPeriod": iso(bid["start"]), "setPointsKw": [20, 15]},
    )
    flows.succeeded(world, "tso", sent)
    activation_id = sent.json()["activationId"]
    view = flows.wait_status(world, slug, f"/market/activations/{activation_id}", {"Sent"})
    return {**view, "podId": bid["podId"]}


def _history_day(t1: int) -> int:
    """The same period on the most recent earlier day of the same day type."""
    day = datetime.fromtimestamp(t1, UTC)
    for back in range(1, 8):
        if day_type((day - timedelta(days=back)).date()) == day_type(day.date()):
            return t1 - back * 86_400
    raise AssertionError("no day of the same type in a week")


def settled_activation(world: Any) -> dict[str, Any]:
    """An activation accepted by bsp1 and delivered (the clocks move past its last period),
    the DSO's readings of its POD on a history day and over the activation, and its
    settlement recorded by the TSO; returns the settlement's view."""
    activation = activation_by_api(world, "bsp1")
    ack = world.client("bsp1").post(
        f"/market/activations/{activation['id']}/acknowledgement", json={"accept": True}
    )
    flows.succeeded(world, "bsp1", ack)
    start = int(datetime.fromisoformat(activation["firstPeriod"]).timestamp())
    advance_past(world, start + len(activation["setPointsKw"]) * PERIOD_SECONDS)  # delivered
    history = _history_day(start)
    periods = len(activation["setPointsKw"])
    rows = [
        {"resourceId": activation["podId"], "timestamp": day + 60 * i, "powerW": power}
        for day, power in ((history, 24_000), (start, 6_000))  # baseline day, then delivery
        for i in range(periods * PERIOD_SECONDS // 60)
    ]
    upload = world.client("dso1").post(
        "/market/measurements", json={"kind": "pod", "resolutionSeconds": 60, "readings": rows}
    )
    flows.succeeded(world, "dso1", upload)
    settle = world.client("tso").post(
        f"/market/activations/{activation['id']}/settlement",
        json={"method": X_OF_Y, "sanctionEurMwh": "120"},
    )
    operation = flows.done(world, "tso", settle)
    assert operation["status"] == "succeeded", operation
    view: dict[str, Any] = (
        world.client("tso").get(f"/settlements/{operation['result']['settlementId']}").json()
    )
    return view
