"""The TSO on the Market page: states a need (cleared later, with "Clear need", refused until its
gate closes), sees the bid
selected, sends set points to its UVAM, changes them and stops the activation. The bid is set
up through the API (qualified UVAM, bid, DSO check); everything else happens in the browser."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from ledger.core.periods import iso
from tests.market import flows
from tests.ui.conftest import LAPTOP, PHONE
from tests.ui.market_steps import active_bid_by_api

#: The value a datetime-local input shows for an instant, in the browser's time zone.
LOCAL_INPUT = """(iso) => {
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, "0");
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${day}T${p(d.getHours())}:${p(d.getMinutes())}`;
}"""


#: How the dashboard shows an instant (``formatDate`` in ui.js).
LOCAL_TIME = (
    "(iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })"
)
#: The test product's gate closure (``flows.product``): a need is cleared only after it.
GATE_S = 1200


def _activation_of(world: Any, bid_id: str) -> dict[str, Any]:
    listed = world.client("tso").get("/market/activations", params={"bid": bid_id}).json()
    assert listed["count"] == 1, listed
    activation: dict[str, Any] = listed["data"][0]
    return activation


def test_tso_states_a_need_clears_it_and_sends_changes_and_stops_an_activation(sign_in, ui_world):
    bid = active_bid_by_api(ui_world, "bsp2")
    start_local = None

    tso = sign_in("tso")
    page = tso.page
    tso.nav("Market")
    expect(page.get_by_role("heading", name="Market", level=1)).to_be_visible()
    form = page.get_by_role("form", name="State a need")
    start_local = page.evaluate(LOCAL_INPUT, iso(bid["start"]))
    form.get_by_role("combobox", name="Product", exact=True).select_option(bid["product"])
    form.get_by_role("combobox", name="Direction", exact=True).select_option("up")
    form.get_by_label(re.compile(r"^Delivery start( \*)?$")).fill(start_local)
    form.get_by_role("textbox", name="Quantity per period (kW)", exact=True).fill("abc")
    form.get_by_role("textbox", name="Price limit (EUR/MWh, optional)", exact=True).fill("100")
    form.get_by_role("combobox", name="Clearing", exact=True).select_option("manual")
    form.get_by_role("button", name="State the need").click()
    # refused by the API, shown on its field
    quantities = form.get_by_role("textbox", name="Quantity per period (kW)", exact=True)
    expect(quantities).to_have_attribute("aria-invalid", "true")
    tso.shot("need-refused")
    quantities.fill("20, 20")
    form.get_by_role("button", name="State the need").click()
    expect(form.get_by_role("status")).to_contain_text("is on chain", timeout=30_000)

    needs = page.get_by_role("table", name="Needs")
    need_row = needs.locator("tbody tr", has_text=bid["product"])
    expect(need_row.locator("[data-status]")).to_have_text("Open")
    expect(need_row).to_contain_text("100")
    expect(need_row).to_contain_text(page.evaluate(LOCAL_TIME, iso(bid["start"] - GATE_S)))
    tso.shot("need-open")
    # before its gate closes the need is not cleared: the API's reason shows beside the button
    need_row.get_by_role("button", name=re.compile("^Clear need ")).click()
    expect(need_row.get_by_role("status")).to_contain_text("gate closes at", timeout=30_000)
    expect(need_row.locator("[data-status]")).to_have_text("Open")
    flows.advance_past(ui_world, bid["start"] - GATE_S)
    need_row.get_by_role("button", name=re.compile("^Clear need ")).click()
    expect(need_row.locator("[data-status]")).to_have_text("Cleared", timeout=30_000)
    expect(need_row).to_contain_text("20 / 20")
    assert flows.wait_bids(ui_world, "bsp2", [bid["bidId"]], {"Selected"})

    send = page.get_by_role("form", name="Send an activation")
    choice = send.get_by_role("combobox", name="Selected bid", exact=True)
    expect(choice.locator(f'option[value="{bid["bidId"]}"]')).to_have_count(1, timeout=15_000)
    choice.select_option(bid["bidId"])
    expect(send.get_by_label(re.compile(r"^First period( \*)?$"))).to_have_value(start_local)
    send.get_by_role("textbox", name="Set points (kW per period)", exact=True).fill("20, 15")
    tso.shot("activation-form")
    send.get_by_role("button", name="Send set points").click()
    expect(send.get_by_role("status")).to_contain_text("sent", timeout=30_000)

    activation = _activation_of(ui_world, bid["bidId"])
    short = activation["id"][:8]
    row = page.get_by_role("table", name="Activations").locator(
        f'tr[data-activation="{activation["id"]}"]'
    )
    expect(row.locator("[data-status]")).to_have_text("Sent")
    expect(row).to_contain_text("20 / 15")
    expect(row.locator('td[data-label="BSP"]')).to_have_text("BSP2")  # who delivers, by name
    tso.shot("activation-sent")

    row.get_by_role("textbox", name=f"New set points for activation {short} (kW)").fill("10, 10")
    row.get_by_role("button", name=f"Change activation {short}").click()
    expect(row).to_contain_text("10 / 10", timeout=30_000)
    changed = _activation_of(ui_world, bid["bidId"])
    assert changed["setPointsKw"] == [10, 10], changed

    row = page.get_by_role("table", name="Activations").locator(
        f'tr[data-activation="{activation["id"]}"]'
    )
    row.get_by_role("textbox", name=f"Reason to stop activation {short}").fill("need covered")
    row.get_by_role("button", name=f"Stop activation {short}").click()
    expect(row.locator("[data-status]")).to_have_text("Stopped", timeout=30_000)
    expect(row.get_by_role("button", name=f"Stop activation {short}")).to_have_count(0)
    tso.shot("activation-stopped")
    page.set_viewport_size(PHONE)  # the forms and the rows as cards fit a narrow screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    tso.shot("market-tso-narrow")
    page.set_viewport_size(LAPTOP)
    assert _activation_of(ui_world, bid["bidId"])["status"] == "Stopped"

    # a need nobody bid on is Unfilled, and its row says why (not "Cleared, 0 kW")
    nobody = flows.product(ui_world, flows.unique_product("NOBIDS"))
    later = {"productId": nobody, "direction": "up", "deliveryStart": iso(bid["start"] + 900)}
    flows.need_at_gate(ui_world, {**later, "quantitiesKw": [10]})
    unfilled = needs.locator("tbody tr", has_text=nobody)
    expect(unfilled.locator("[data-status]")).to_have_text("Unfilled", timeout=30_000)
    expect(unfilled).to_contain_text("no Active bid offered")
