"""Settlement in the browser: the BSP opens the settlement of an accepted activation, sees its
chart (baseline, set point, measured power) and per-period table, and accepts it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.ui.conftest import LAPTOP, PHONE
from tests.ui.market_steps import settled_activation


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
