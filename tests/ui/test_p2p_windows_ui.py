"""The P2P operator's day in the browser: open a trading window (a refusal on its field
first), see the BSP's trades grouped under it, confirm all of them at once, and close the
window early."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.ui.test_p2p_ui import OPERATOR, T, _done, add_operator

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _sessions_to_match(world: Any) -> None:
    """Two sellers (60 kWh at 90 %) and two funded buyers (60 kWh at 45 %) of bsp1 charging at
    the operator's points; no window yet."""
    operator = add_operator(world)
    evs = _done(
        world,
        "bsp1",
        world.client("bsp1").post(
            "/p2p/evs", json={"operatorId": operator, "evs": [{"capacityKwh": "60"}] * 4}
        ),
    )["result"]["evIds"]
    cpo = world.client(operator)
    deposits = [{"evId": ev, "amountEur": "5.00"} for ev in evs[2:]]
    _done(world, operator, cpo.post("/p2p/deposits", json={"deposits": deposits}))
    sessions = [
        {"evId": ev, "chargePointId": "CP-UI-02", "socPercent": soc, "reportedAt": T.format(i)}
        for i, (ev, soc) in enumerate(zip(evs, ["90", "90", "45", "45"], strict=True))
    ]
    reported = cpo.post("/p2p/sessions", json={"sessions": sessions})
    assert reported.status_code == 201, reported.text


def test_operator_opens_a_window_confirms_all_its_trades_and_closes_it(sign_in, ui_world):
    _sessions_to_match(ui_world)
    cpo = sign_in(OPERATOR, DESKTOP)
    page = cpo.page
    cpo.nav("P2P trades")
    windows = page.get_by_role("region", name="Trading windows")
    windows.get_by_text("Open a trading window").click()
    form = windows.get_by_role("form", name="Open a trading window")

    # without a price: refused on its field
    form.get_by_role("button", name="Open window").click()
    price = form.get_by_role("textbox", name="Posted price (EUR/kWh)", exact=True)
    expect(price).to_have_attribute("aria-invalid", "true")

    platform_now = datetime.fromisoformat(ui_world.client(OPERATOR).get("/ui/clock").json()["now"])
    closes = (platform_now + timedelta(hours=2)).isoformat()
    local = page.evaluate(f"async () => (await import('./js/ui.js')).toLocalInput('{closes}')")
    price.fill("0.15")
    form.get_by_label("Closes at (platform clock)", exact=True).fill(local)
    form.get_by_role("button", name="Open window").click()
    expect(form.get_by_role("status")).to_have_text(
        re.compile(r"^Window \w{8} is open: 2 trade\(s\) matched\.$"), timeout=30_000
    )
    window = ui_world.client(OPERATOR).get("/ui/p2p/windows").json()["data"][0]
    short = window["windowId"][:8]
    assert window["closesAt"].startswith(closes[:16]), (window, closes)

    # the buyers' BSP adds the matched trades: they appear Pending, grouped under the window
    bsp = ui_world.client("bsp1")
    added = _done(ui_world, "bsp1", bsp.post(f"/p2p/windows/{window['windowId']}/trades", json={}))
    trade_ids = added["result"]["tradeIds"]
    assert len(trade_ids) == 2, added
    pending = page.get_by_role("table", name="Pending trades")
    group = pending.locator(f'tbody[data-group="{window["windowId"]}"]')
    expect(group.get_by_role("rowheader")).to_have_text(f"Window {short} · 2 pending trades")
    expect(group.locator("tr[data-trade]")).to_have_count(2)
    row = windows.get_by_role("table", name="Trading windows").locator(
        f'tr[data-window="{window["windowId"]}"]'
    )
    expect(row).to_contain_text("2 pending")
    expect(row.locator("[data-status]")).to_have_text("Open")
    cpo.shot("p2p-window-pending")
    page.set_viewport_size(PHONE)
    cpo.shot("p2p-window-pending-phone")
    page.set_viewport_size(DESKTOP)

    # confirm all: each trade its own operation, the outcome counted
    name = f"window {short} at 0.15 EUR/kWh"
    row.get_by_role("button", name=f"Confirm all 2 pending trades of {name}", exact=True).click()
    expect(row.get_by_role("status")).to_have_text("2 trades confirmed on chain.", timeout=60_000)
    confirmed = page.get_by_role("table", name="Confirmed trades")
    for trade_id in trade_ids:
        expect(confirmed.locator(f'tr[data-trade="{trade_id}"] [data-status]')).to_have_text(
            "Confirmed"
        )
    expect(group).to_have_count(0)
    expect(row).to_contain_text("2 confirmed")

    # close early: no more trades
    row.get_by_role("button", name=f"Close {name} now", exact=True).click()
    expect(row.locator("[data-status]")).to_have_text("Closed", timeout=30_000)
    expect(row.get_by_role("button", name=re.compile("^Close "))).to_have_count(0)
    cpo.shot("p2p-window-closed")
    page.set_viewport_size(PHONE)
    cpo.shot("p2p-window-closed-phone")
    again = bsp.post(f"/p2p/windows/{window['windowId']}/trades", json={})
    assert again.status_code == 409, again.text
