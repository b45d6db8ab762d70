"""The market in the browser: a BSP sees its bid Selected and accepts an activation before
its deadline (set up through the API: UVAM, bid, DSO check, need, activation)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.ui.conftest import LAPTOP, PHONE
from tests.ui.market_steps import activation_by_api


def test_bsp_acknowledges_an_activation(sign_in, ui_world):
    activation = activation_by_api(ui_world, "bsp1")
    name = activation["id"][:8]

    bsp = sign_in("bsp1")
    page = bsp.page
    bsp.nav("Market")
    bids = page.get_by_role("table", name="Bids")
    bid_row = bids.locator(f'tr[data-bid="{activation["bidId"]}"]')
    expect(bid_row.locator("[data-status]")).to_have_text("Selected")

    row = page.get_by_role("table", name="Activations").locator(
        f'tr[data-activation="{activation["id"]}"]'
    )
    expect(row.locator("[data-status]")).to_have_text("Sent")
    expect(row).to_contain_text("20 / 15")
    expect(row.locator(".countdown-left")).to_have_text(re.compile(r"\d+ min \d\d s left"))
    first = row.locator(".countdown-left").inner_text()
    page.wait_for_timeout(1200)
    assert row.locator(".countdown-left").inner_text() != first  # it counts down
    bsp.shot("market-activation-sent")
    page.set_viewport_size(PHONE)  # rows become cards; nothing scrolls sideways
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    bsp.shot("market-narrow")
    page.set_viewport_size(LAPTOP)

    row.get_by_role("button", name=f"Accept activation {name}").click()
    expect(row.locator("[data-status]")).to_have_text("Accepted", timeout=30_000)
    expect(row.locator(".countdown-left")).to_have_count(0)
    bsp.shot("market-activation-accepted")
    detail = ui_world.client("bsp1").get(f"/market/activations/{activation['id']}").json()
    assert detail["status"] == "Accepted", detail
