"""The TSO's day in the browser: the merit order of a cleared need (who was taken first and
why), and a dispute confirmed with a reply the BSP reads, after looking at the DSO's meter
beside the BSP's device readings."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.ui.market_steps import settled_activation, two_bsp_need

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_tso_reads_the_merit_order_of_a_need(sign_in, ui_world):
    need = two_bsp_need(ui_world)
    short = need["needId"][:8]

    tso = sign_in("tso", DESKTOP)
    page = tso.page
    tso.nav("Market")
    row = page.get_by_role("table", name="Needs").locator(f'tr[data-need="{need["needId"]}"]')
    row.get_by_role("button", name=f"Merit order of need {short}", exact=True).click()
    merit = page.get_by_role("region", name=f"Merit order of need {short}")
    expect(merit).to_contain_text("Cleared again from its stored inputs: the same result")
    tables = merit.locator(".merit-period table")
    expect(tables).to_have_count(2)
    first = tables.first.locator("tbody tr")
    expect(first).to_have_count(2)
    cells = first.nth(0).locator("td")
    expect(cells.nth(0)).to_have_text("1")
    expect(cells.nth(1)).to_have_text("60")
    expect(cells.nth(3)).to_have_text("20")
    expect(first.nth(0)).to_have_attribute("data-bid", need["cheap"])
    expect(first.nth(1).locator("td").nth(3)).to_have_text("10")  # the dear bid, in part
    expect(merit.get_by_role("heading", level=3).first).to_contain_text("30 of 30 kW awarded")
    tso.shot("merit-order")
    page.set_viewport_size(PHONE)
    tso.shot("merit-order-phone")


def test_tso_confirms_a_dispute_with_a_reply_the_bsp_reads(sign_in, ui_world):
    settlement = settled_activation(ui_world, device_w=9_000)  # the chargers say 9 kW
    disputed = ui_world.client("bsp1").post(
        f"/settlements/{settlement['id']}/dispute",
        json={"reason": "Our chargers show the set point was met"},
    )
    assert disputed.status_code == 202, disputed.text
    ui_world.wait_for_status("bsp1", f"/settlements/{settlement['id']}", {"disputed"})
    too_long = ui_world.client("tso").post(
        f"/settlements/{settlement['id']}/resolve",
        json={"decision": "confirm", "reply": "x" * 2001},
    )
    assert too_long.status_code == 422, too_long.text
    assert too_long.json()["field"] == "reply"

    tso = sign_in("tso", DESKTOP)
    page = tso.page
    tso.go(f"settlement/{settlement['id']}")
    readings = page.get_by_role("table", name="DSO meter and BSP device readings")
    rows = readings.locator("tbody tr")
    expect(rows).to_have_count(2)
    cells = rows.first.locator("td")
    expect(cells.nth(2)).to_have_text("1.500")  # the DSO meter: 6 kW for 15 min
    expect(cells.nth(3)).to_have_text("2.250")  # the BSP's charger: 9 kW for 15 min
    expect(cells.nth(4)).to_have_text("0.750")
    expect(cells.nth(5)).to_have_text("disagree")
    resolve = page.get_by_role("form", name="Resolve the dispute")
    reply = "The DSO meter settles; your charger's readings are 0.75 kWh above it each period."
    resolve.get_by_role("textbox", name="Reply to the BSP (with Confirm)", exact=True).fill(reply)
    tso.shot("dispute-reply")
    page.set_viewport_size(PHONE)
    tso.shot("dispute-reply-phone")
    page.set_viewport_size(DESKTOP)
    resolve.get_by_role("button", name="Confirm settlement").click()
    expect(page.locator(".status-line [data-status]")).to_have_text("final", timeout=30_000)
    tso.nav("Settlement")  # the list names the BSP of each settled activation
    listed = page.get_by_role("table", name="Settlements by activation")
    row = listed.locator(f'tr[data-activation="{settlement["activationId"]}"]')
    expect(row.locator('td[data-label="BSP"]')).to_have_text("BSP1")

    bsp = sign_in("bsp1", DESKTOP)
    bsp.go(f"settlement/{settlement['id']}")
    facts = bsp.page.locator("dl.facts")
    expect(facts).to_contain_text(re.compile(re.escape(f"TSO's reply{reply}")))
    bsp.shot("dispute-reply-read")
