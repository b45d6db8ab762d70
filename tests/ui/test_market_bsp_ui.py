"""The BSP's daily market work in the browser: it sees that its qualified UVAM is not yet
admitted, places a bid for it (a refusal shown on its field first), which has the TSO admit
the UVAM; then it updates the bid before its gate closes and withdraws it. The UVAM is set up
through the API (validated POD, qualified UVAM); everything else happens in the browser."""

from __future__ import annotations

from playwright.sync_api import expect

from ledger.core.periods import iso
from tests.market import flows
from tests.market.flows import period_after
from tests.ui.conftest import PHONE
from tests.ui.market_steps import qualified_uvam_by_api
from tests.ui.test_market_tso_ui import LOCAL_INPUT

DESKTOP = {"width": 1440, "height": 900}


def test_bsp_places_updates_and_withdraws_a_bid(sign_in, ui_world):
    name = f"Bid journey {flows.unique_product('U')[-6:]}"
    uvam_id, _ = qualified_uvam_by_api(ui_world, "bsp1", admit=False, name=name)
    product = flows.product(ui_world, flows.unique_product("UIB"))
    start = period_after(ui_world, 3600)

    bsp = sign_in("bsp1", viewport=DESKTOP)
    page = bsp.page
    bsp.nav("Market")
    admission = page.get_by_role("table", name="Market admission of qualified UVAMs")
    uvam_row = admission.locator(f'tr[data-uvam="{uvam_id}"]')
    expect(uvam_row).to_contain_text(name)
    expect(uvam_row.locator("[data-status]")).to_have_text("Not admitted")

    form = page.get_by_role("form", name="Place a bid")
    form.get_by_role("combobox", name="Resource group (UVAM)", exact=True).select_option(uvam_id)
    form.get_by_role("combobox", name="Product", exact=True).select_option(product)
    form.get_by_role("combobox", name="Direction", exact=True).select_option("up")
    form.get_by_role("textbox", name="Delivery start", exact=True).fill(
        page.evaluate(LOCAL_INPUT, iso(start))
    )
    quantities = form.get_by_role("textbox", name="Quantity per period (kW)", exact=True)
    quantities.fill("20, lots")
    form.get_by_role("textbox", name="Price (EUR/MWh)", exact=True).fill("80")
    form.get_by_role("button", name="Place the bid").click()
    # refused by the API, shown on the field the person typed into (not on "bids.0...")
    expect(quantities).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_role("alert")).to_contain_text("Quantity per period (kW)")
    bsp.shot("bid-refused")

    quantities.fill("20, 20")
    form.get_by_role("button", name="Place the bid").click()
    expect(form.get_by_role("status")).to_contain_text("is on chain", timeout=30_000)
    expect(quantities).not_to_have_attribute("aria-invalid", "true")  # the old error is gone
    expect(form.get_by_role("alert")).to_have_count(0)

    [bid] = ui_world.client("bsp1").get("/market/bids", params={"uvam": uvam_id}).json()["data"]
    short = bid["id"][:8]
    bids = page.get_by_role("table", name="Bids")
    row = bids.locator(f'tr[data-bid="{bid["id"]}"]')
    expect(row).to_contain_text(name)  # the UVAM by its name
    expect(row).to_contain_text("20 / 20")
    checks = row.locator('td[data-label="DSO checks"]')
    expect(checks).to_have_text("waiting for 1 DSO")
    expect(uvam_row.locator("[data-status]")).to_have_text("Admitted", timeout=30_000)
    bsp.shot("bid-placed")

    row.get_by_text(f"Change bid {short}", exact=True).click()  # a disclosure, folded
    row.get_by_role("textbox", name=f"Quantities of bid {short} (kW)", exact=True).fill("15, 10")
    row.get_by_role("textbox", name=f"Price of bid {short} (EUR/MWh)", exact=True).fill("92.5")
    row.get_by_role("button", name=f"Update bid {short}", exact=True).click()
    expect(row).to_contain_text("15 / 10", timeout=30_000)
    expect(row).to_contain_text("92.5")
    updated = ui_world.client("bsp1").get(f"/market/bids/{bid['id']}").json()
    assert updated["quantitiesKw"] == [15, 10], updated
    bsp.shot("bid-updated")

    row = bids.locator(f'tr[data-bid="{bid["id"]}"]')
    row.get_by_text(f"Change bid {short}", exact=True).click()
    row.get_by_role("button", name=f"Withdraw bid {short}", exact=True).click()
    expect(row.locator("[data-status]")).to_have_text("Withdrawn", timeout=30_000)
    expect(row.get_by_text(f"Change bid {short}", exact=True)).to_have_count(0)
    expect(checks).to_have_text("withdrawn before 1 DSO check")  # no longer "waiting"
    assert ui_world.client("bsp1").get(f"/market/bids/{bid['id']}").json()["status"] == "Withdrawn"
    bsp.shot("bid-withdrawn")

    page.set_viewport_size(PHONE)  # the forms and the rows as cards fit a phone
    expect(form).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    bsp.shot("market-bsp-phone")


def test_bsp_asks_for_its_uvams_market_admission(sign_in, ui_world):
    name = f"Admission {flows.unique_product('A')[-6:]}"
    uvam_id, _ = qualified_uvam_by_api(ui_world, "bsp1", admit=False, name=name)

    bsp = sign_in("bsp1", viewport=DESKTOP)
    bsp.nav("Market")
    admission = bsp.page.get_by_role("table", name="Market admission of qualified UVAMs")
    uvam_row = admission.locator(f'tr[data-uvam="{uvam_id}"]')
    uvam_row.get_by_role("button", name=f"Request market admission of {name}", exact=True).click()
    expect(uvam_row.locator("[data-status]")).to_have_text("Admitted", timeout=30_000)
    admitted = ui_world.client("bsp1").get("/ui/market/uvams").json()["data"]
    assert next(u for u in admitted if u["id"] == uvam_id)["admitted"] is True


def test_dso_checks_read_right_for_every_bid_status(sign_in):
    page = sign_in("auditor", DESKTOP).page
    texts = page.evaluate(
        """async () => {
          const { dsoChecksText } = await import('./js/modules/bid-checks.js');
          const green = { dsoEic: 'D1', outcome: 'Cleared' };
          const capped = { dsoEic: 'D2', outcome: 'Capped' };
          const red = { dsoEic: 'D2', outcome: 'Blocked' };
          const bid = (status, dsoPending, dsoChecks) =>
            dsoChecksText({ status, dsoPending, dsoChecks }, (e) => `DSO ${e}`);
          return [
            bid('Received', ['D1', 'D2'], []),
            bid('Received', ['D2'], [green]),
            bid('Active', [], [green, capped]),
            bid('Selected', [], [green]),
            bid('Rejected', [], [green]),
            bid('Blocked', [], [green, red]),
            bid('Withdrawn', ['D1'], []),
            bid('Withdrawn', [], [green]),
            bid('Suspended', ['D1'], []),
            bid('Expired', ['D1', 'D2'], [capped]),
            bid('Active', [], []),
          ];
        }"""
    )
    assert texts == [
        "waiting for 2 DSOs",
        "waiting for 1 DSO (1 cleared)",
        "1 cleared, 1 capped",
        "1 cleared",
        "1 cleared",
        "blocked by DSO D2",
        "withdrawn before 1 DSO check",
        "1 cleared",
        "suspended before 1 DSO check",
        "expired before 2 DSO checks (1 capped)",
        "no DSO check needed",
    ]
