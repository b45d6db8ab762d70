"""Market set-up for the browser tests, through the API (as tests/market does), on the UI
platform where the TSO and DSOs decide by hand: a qualified UVAM admitted to the market, a bid
checked by its DSO, a need that selects it, an activation the BSP has to acknowledge, and the
settlement of an accepted one."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.core import operations
from ledger.core.periods import PERIOD_SECONDS, iso
from ledger.market import checks as market_checks
from ledger.settlement import day_type
from tests.integration import flows as reg
from tests.market import flows
from tests.ui.steps import validated_pod_by_api

X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}


def qualified_uvam_by_api(
    world: Any,
    slug: str = "bsp1",
    kw: int = 30,
    *,
    admit: bool = True,
    devices: list[str] | None = None,
    **changes: Any,
) -> tuple[str, str]:
    """A UVAM of one validated POD (with an EV charger, appended to ``devices``, if given),
    qualified by the TSO and (unless ``admit`` is false) admitted to the market; returns
    (UVAM id, POD id)."""
    pod_id, _ = validated_pod_by_api(
        world, slug, devices=devices, maximumFlexUp=kw, maximumFlexDown=kw
    )
    uvam_id = reg.register_uvam(
        world, slug, maximumQualifiedPower=kw, minimumQualifiedPower=kw, **changes
    )
    reg.add_member(world, slug, uvam_id, pod_id)
    reg.set_uvam_status(world, slug, uvam_id, "Open")
    reg.set_uvam_status(world, slug, uvam_id, "UnderReview")
    decision = {"approve": True, "reasons": []}
    reg.succeeded(world, "tso", world.client("tso").post(f"/uvams/{uvam_id}/review", json=decision))
    assert world.wait_for_status(slug, f"/uvams/{uvam_id}", {"Qualified"})["status"] == "Qualified"
    if admit:
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


def active_bid_by_api(
    world: Any, slug: str = "bsp1", *, ack_s: int = 900, devices: list[str] | None = None
) -> dict[str, Any]:
    """An Active bid of ``slug`` (20 kW up for two periods at 80 EUR/MWh) on a product of its
    own; returns ``{bidId, product, start, uvamId, podId}``."""
    uvam_id, pod_id = qualified_uvam_by_api(world, slug, devices=devices)
    product = flows.product(world, flows.unique_product("UI"), ack_s=ack_s)
    start = flows.period_after(world, 1300, settled_periods=2)
    body = flows.bid(uvam_id, product, start, [20, 20], "80")
    response = world.client(slug).post("/market/bids", json={"bids": [body]})
    assert flows.done(world, slug, response)["status"] == "succeeded"
    [bid_id] = response.json()["bidIds"]
    flows.wait_bids(world, slug, [bid_id], {"Received", "Active"})
    dso_checks(world, [bid_id])
    flows.wait_bids(world, slug, [bid_id], {"Active"})
    return {"bidId": bid_id, "product": product, "start": start, "uvamId": uvam_id, "podId": pod_id}


def activation_by_api(
    world: Any, slug: str = "bsp1", *, ack_s: int = 900, devices: list[str] | None = None
) -> dict[str, Any]:
    """A Sent activation of a selected bid of ``slug``; returns the activation's view."""
    bid = active_bid_by_api(world, slug, ack_s=ack_s, devices=devices)
    need = {
        "productId": bid["product"],
        "direction": "up",
        "deliveryStart": iso(bid["start"]),
        "quantitiesKw": [20, 20],
        "settlement": {"method": X_OF_Y, "sanctionEurMwh": "120"},
    }
    assert flows.need_at_gate(world, need)["status"] == "succeeded"
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


def settled_activation(world: Any, *, device_w: int | None = None) -> dict[str, Any]:
    """An activation accepted by bsp1 and delivered (the clocks move past its last period),
    the DSO's readings of its POD on a history day and over the activation, and its
    settlement recorded by the TSO; returns the settlement's view. With ``device_w`` the POD
    has an EV charger, and bsp1 uploads its readings (that many W) over the activation."""
    devices: list[str] | None = [] if device_w is not None else None
    activation = activation_by_api(world, "bsp1", devices=devices)
    ack = world.client("bsp1").post(
        f"/market/activations/{activation['id']}/acknowledgement", json={"accept": True}
    )
    flows.succeeded(world, "bsp1", ack)
    start = int(datetime.fromisoformat(activation["firstPeriod"]).timestamp())
    flows.advance_past(world, start + len(activation["setPointsKw"]) * PERIOD_SECONDS)  # delivered
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
    if devices:
        device_rows = [
            {"resourceId": devices[0], "timestamp": start + 60 * i, "powerW": device_w}
            for i in range(periods * PERIOD_SECONDS // 60)
        ]
        sent = world.client("bsp1").post(
            "/market/measurements",
            json={"kind": "device", "resolutionSeconds": 60, "readings": device_rows},
        )
        flows.succeeded(world, "bsp1", sent)
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


def uvam_name_of_activation(world: Any, activation_id: str, slug: str = "bsp1") -> str:
    """The name of the UVAM an activation is for (what the dashboard shows instead of ids)."""
    client = world.client(slug)
    uvam_id = client.get(f"/market/activations/{activation_id}").json()["uvamId"]
    return str(client.get(f"/uvams/{uvam_id}").json()["name"])


def two_bsp_need(world: Any) -> dict[str, Any]:
    """Two Active bids on one product, 20 kW up for two periods each: bsp1's at 80 EUR/MWh and
    bsp2's at 60; a need of 30 kW per period cleared against them at its gate (bsp2's bid
    first, in full; bsp1's for the 10 kW left). Returns ``{needId, cheap, dear}`` (bid ids)."""
    product = flows.product(world, flows.unique_product("MO"))
    start = flows.period_after(world, 1300, settled_periods=2)
    bids = {}
    for slug, price in (("bsp1", "80"), ("bsp2", "60")):
        uvam_id, _ = qualified_uvam_by_api(world, slug)
        body = flows.bid(uvam_id, product, start, [20, 20], price)
        response = world.client(slug).post("/market/bids", json={"bids": [body]})
        assert flows.done(world, slug, response)["status"] == "succeeded"
        [bids[slug]] = response.json()["bidIds"]
        flows.wait_bids(world, slug, [bids[slug]], {"Received", "Active"})
    dso_checks(world, list(bids.values()))
    for slug, bid_id in bids.items():
        flows.wait_bids(world, slug, [bid_id], {"Active"})
    need = {
        "productId": product,
        "direction": "up",
        "deliveryStart": iso(start),
        "quantitiesKw": [30, 30],
    }
    published = flows.need_at_gate(world, need)
    assert published["status"] == "succeeded", published
    need_id = published["result"]["needId"]
    flows.wait_status(world, "tso", f"/market/needs/{need_id}", {"Cleared"})
    return {"needId": need_id, "cheap": bids["bsp2"], "dear": bids["bsp1"]}
