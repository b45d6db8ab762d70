"""The Portfolio page: each role's figures over time (registrations per day; kW offered,
awarded and activated, and delivered flexibility per period) and, for the grid operators, the
view by grid zone; ``GET /ui/portfolio`` keeps each organisation to its own scope."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect

from tests.ui.market_steps import settled_activation

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _portfolio(world, slug):
    response = world.client(slug).get("/ui/portfolio")
    assert response.status_code == 200, response.text
    return response.json()


def test_portfolio_api_counts_each_scope(ui_world):
    settlement = settled_activation(ui_world)
    start = int(settlement["periods"][0]["start"])
    by_start = {
        int(datetime.fromisoformat(p["start"]).timestamp()): p
        for p in _portfolio(ui_world, "bsp1")["periods"]
    }
    period = by_start[start]
    assert period["activatedKw"] >= 20, period
    assert period["awardedKw"] >= 20, period
    assert period["deliveredWh"] > 0, period
    mine = _portfolio(ui_world, "bsp1")
    assert mine["registrations"][-1]["pods"] >= 1
    assert mine["zones"] == []  # a BSP has no grid view
    assert _portfolio(ui_world, "bsp3")["periods"] == []  # nothing of bsp1's
    zones = {z["zone"]: z for z in _portfolio(ui_world, "dso1")["zones"]}
    assert zones["Milano Nord"]["pods"] >= 1
    assert zones["Milano Nord"]["flexUpKw"] >= 30


def test_bsp_and_dso_read_their_portfolio(sign_in, ui_world):
    settled_activation(ui_world)
    bsp = sign_in("bsp1", DESKTOP)
    page = bsp.page
    bsp.nav("Portfolio")
    for name in (
        "Chart of PODs and UVAMs registered, in total, per day",
        "Chart of kW offered in bids, awarded and activated per 15-minute period",
        "Chart of flexibility delivered per 15-minute period, as settled",
    ):
        chart = page.get_by_role("img", name=name)
        expect(chart.locator("canvas")).to_have_count(1)
    market = page.get_by_role("table", name="Market per period")
    expect(market.locator("tbody tr").first).to_be_visible()
    delivered = [float(t) for t in market.locator("tbody tr td:nth-child(5)").all_inner_texts()]
    assert any(value > 0 for value in delivered), delivered
    expect(page.get_by_role("table", name="Grid zones")).to_have_count(0)
    bsp.shot("portfolio")
    page.set_viewport_size(PHONE)
    bsp.shot("portfolio-phone")

    dso = sign_in("dso1", DESKTOP)
    dso.nav("Portfolio")
    zone = dso.page.get_by_role("table", name="Grid zones").locator('tr[data-zone="Milano Nord"]')
    expect(zone).to_be_visible()
    expect(zone.locator("td").nth(1)).not_to_have_text("0")
    dso.shot("portfolio-zones")
    dso.page.set_viewport_size(PHONE)
    dso.shot("portfolio-zones-phone")
