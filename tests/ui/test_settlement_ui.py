"""Settlement in the browser: the BSP opens the settlement of an accepted activation, sees its
chart (baseline, set point, measured power) and per-period table, and accepts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from ledger.settlement import day_type
from tests.market import flows
from tests.ui.conftest import LAPTOP, PHONE
from tests.ui.market_steps import activation_by_api

X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}


def _history_day(t1: int) -> int:
    """The same period on the most recent earlier day of the same day type."""
    day = datetime.fromtimestamp(t1, UTC)
    for back in range(1, 8):
        if day_type((day - timedelta(days=back)).date()) == day_type(day.date()):
            return t1 - back * 86_400
    raise AssertionError("no day of the same type in a week")


def settled_activation(world: Any) -> dict[str, Any]:
    """An activation accepted by bsp1, the DSO's readings of its POD on a history day, and
    its settlement recorded by the TSO; returns the settlement's view."""
    activation = activation_by_api(world, "bsp1")
    ack = world.client("bsp1").post(
        f"/market/activations/{activation['id']}/acknowledgement", json={"accept": True}
    )
    flows.succeeded(world, "bsp1", ack)
    start = int(datetime.fromisoformat(activation["firstPeriod"]).timestamp())
    history = _history_day(start)
    rows = [
        {"resourceId": activation["podId"], "timestamp": history + 60 * i, "powerW": 24_000}
        for i in range(30)
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


def test_bsp_opens_a_settlement_chart_and_accepts(sign_in, ui_world):
    settlement = settled_activation(ui_world)
    assert len(settlement["periods"]) == 2, settlement["periods"]

    bsp = sign_in("bsp1")
    page = bsp.page
    bsp.nav("Settlement")
    row = page.get_by_role("table", name="Settlements by activation").locator(
        f'tr[data-activation="{settlement["activationId"]}"]'
    )
    row.get_by_role("link", name=f"Version 1 of {settlement['activationId'][:8]}").click()

    chart = page.get_by_role("img", name="Settlement chart", exact=False)
    expect(chart).to_be_visible()
    for series in ("baseline", "setpoint", "measured"):
        expect(chart.locator(f'path[data-series="{series}"]')).to_have_count(1)
    assert chart.locator('path[data-series="baseline"]').get_attribute("d").count("M") == 2
    assert chart.locator('path[data-series="setpoint"]').get_attribute("d").count("M") == 2
    periods = page.get_by_role("table", name="Settlement periods")
    expect(periods.locator("tbody tr")).to_have_count(2)
    expect(periods.locator("tbody tr").first).to_contain_text("5.000")  # 20 kW ordered, 15 min
    expect(page.locator(".status-line [data-status]")).to_have_text("recorded")
    bsp.shot("settlement-chart")
    page.set_viewport_size(PHONE)  # the chart and the table fit a narrow screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    bsp.shot("settlement-chart-narrow")
    page.set_viewport_size(LAPTOP)

    page.get_by_role("button", name="Accept settlement").click()
    expect(page.locator(".status-line [data-status]")).not_to_have_text("recorded", timeout=30_000)
    bsp.shot("settlement-accepted")
    final = ui_world.client("bsp1").get(f"/settlements/{settlement['id']}").json()
    assert final["status"] != "recorded", final
