"""Settlement in the browser: the BSP opens the settlement of an accepted activation, sees its
chart (baseline, set point, measured power) and per-period table, and accepts it."""

from __future__ import annotations

import re
from itertools import pairwise

from playwright.sync_api import expect

from tests.ui.conftest import LAPTOP, PHONE
from tests.ui.market_steps import settled_activation, uvam_name_of_activation


def test_bsp_opens_a_settlement_chart_and_accepts(sign_in, ui_world):
    settlement = settled_activation(ui_world)
    assert len(settlement["periods"]) == 2, settlement["periods"]

    bsp = sign_in("bsp1")
    page = bsp.page
    bsp.nav("Settlement")
    row = page.get_by_role("table", name="Settlements by activation").locator(
        f'tr[data-activation="{settlement["activationId"]}"]'
    )
    name = uvam_name_of_activation(ui_world, settlement["activationId"])
    expect(row).to_contain_text(name)  # the UVAM by its name, not an id
    row.get_by_role(
        "link", name=re.compile(f"^Settlement of {re.escape(name)} · .+, version 1$")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(f"^Settlement of {re.escape(name)} · .+ \u2013 .+ · version 1$")
    )

    chart = page.get_by_role("img", name="Settlement chart", exact=False)
    expect(chart).to_be_visible()
    expect(chart.locator("canvas")).to_have_count(1)  # drawn by uPlot, served from /ui/vendor
    legend = chart.locator(".chart-legend li")
    expect(legend).to_have_text(
        ["Baseline (without activation)", "Target: baseline minus the set point", "Measured"]
    )
    # the value axis has round ticks: 0, 5, 10, ... rather than 0, 13.8, 27.6, 41.4
    ticks = [float(t) for t in chart.get_attribute("data-ticks").split(",")]
    assert ticks[0] == 0, ticks
    assert ticks[-1] >= 24, ticks  # the 24 kW baseline is on the chart
    step = ticks[1] - ticks[0]
    assert all(abs((b - a) - step) < 1e-9 for a, b in pairwise(ticks))
    assert f"{step:g}".lstrip("0.").rstrip("0") in {"1", "2", "5"}, ticks
    nice = page.evaluate("async () => (await import('./js/chart.js')).niceTicks(0, 41.4)")
    assert nice == [0, 10, 20, 30, 40, 50], nice
    periods = page.get_by_role("table", name="Settlement periods")
    expect(periods.locator("tbody tr")).to_have_count(2)
    expect(periods.locator("tbody tr").first).to_contain_text("5.000")  # 20 kW ordered, 15 min
    expect(page.locator(".status-line [data-status]")).to_have_text("recorded")
    bsp.shot("settlement-chart")
    page.set_viewport_size(PHONE)  # the chart and the table fit a narrow screen
    canvas = chart.locator("canvas")
    expect(canvas).to_have_js_property("clientHeight", 240)  # redrawn for the phone
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    assert canvas.bounding_box()["width"] <= PHONE["width"]
    bsp.shot("settlement-chart-narrow")
    page.set_viewport_size(LAPTOP)

    page.get_by_role("button", name="Accept settlement").click()
    expect(page.locator(".status-line [data-status]")).not_to_have_text("recorded", timeout=30_000)
    bsp.shot("settlement-accepted")
    final = ui_world.client("bsp1").get(f"/settlements/{settlement['id']}").json()
    assert final["status"] != "recorded", final
