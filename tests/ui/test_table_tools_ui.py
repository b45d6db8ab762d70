"""Every table sorts by its columns (header buttons with aria-sort, by keyboard too), filters
by date range and BSP where it has them, pages its rows and exports the rows that pass its
filters as CSV: the TSO's Bids table, and a long table drawn by the same helper."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.ui.market_steps import two_bsp_need

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_tso_sorts_filters_and_exports_the_bids_table(sign_in, ui_world):
    need = two_bsp_need(ui_world)
    tso = sign_in("tso", DESKTOP)
    page = tso.page
    tso.nav("Market")
    region = page.get_by_role("region", name="Bids")
    bids = region.get_by_role("table", name="Bids")
    expect(bids.locator(f'tr[data-bid="{need["cheap"]}"]')).to_be_visible()

    price = bids.get_by_role("columnheader", name="Price (EUR/MWh)")
    price.get_by_role("button").click()
    expect(price).to_have_attribute("aria-sort", "ascending")
    prices = bids.locator("tbody tr td:nth-child(8)")
    values = [float(text) for text in prices.all_inner_texts()]
    assert values == sorted(values), values
    # by keyboard: the focus stays on the header button, Enter turns the order round
    expect(price.get_by_role("button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(price).to_have_attribute("aria-sort", "descending")
    values = [float(text) for text in prices.all_inner_texts()]
    assert values == sorted(values, reverse=True), values
    tso.shot("bids-sorted")

    filters = region.get_by_role("group", name="Filter Bids")
    filters.get_by_role("combobox", name="BSP", exact=True).select_option("BSP2")
    bsps = bids.locator("tbody tr td:nth-child(2)")
    expect(bsps.first).to_have_text("BSP2")
    assert set(bsps.all_inner_texts()) == {"BSP2"}
    with page.expect_download() as download:
        region.get_by_role("button", name="Export CSV: Bids", exact=True).click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows
    assert {row["BSP"] for row in rows} == {"BSP2"}
    assert need["cheap"] not in {row["Bid"] for row in rows}  # the short id is shown and exported
    assert any(need["cheap"].startswith(row["Bid"]) for row in rows)
    assert "Update or withdraw" not in rows[0]
    assert rows[0]["Delivery start (platform clock)"].endswith(("Z", "+00:00"))  # raw ISO
    tso.shot("bids-filtered")
    page.set_viewport_size(PHONE)
    tso.shot("bids-filtered-phone")
    page.set_viewport_size(DESKTOP)

    after = (date.today() + timedelta(days=30)).isoformat()
    filters.get_by_label("Delivery start (platform clock): from", exact=True).fill(after)
    expect(region).to_contain_text("No row matches these filters.")
    filters.get_by_label("Delivery start (platform clock): from", exact=True).fill("")
    filters.get_by_role("combobox", name="BSP", exact=True).select_option("")
    expect(bids.locator(f'tr[data-bid="{need["cheap"]}"]')).to_be_visible()


def test_a_long_table_is_paged(sign_in):
    page = sign_in("auditor", DESKTOP).page
    page.evaluate(
        """async () => {
          const { table } = await import('./js/ui.js');
          const rows = Array.from({ length: 23 }, (_, i) => ({ n: i + 1 }));
          const columns = [{ label: 'Number', cell: (r) => String(r.n) }];
          document.querySelector('main').append(table({ caption: 'Numbers', rows, columns }));
        }"""
    )
    numbers = page.get_by_role("table", name="Numbers")
    expect(numbers.locator("tbody tr")).to_have_count(10)
    pager = page.get_by_role("navigation", name="Pages of Numbers")
    expect(pager).to_contain_text("1\u201310 of 23")
    pager.get_by_role("button", name="Next \u203a").click()
    expect(numbers.locator("tbody tr").first).to_have_text("11")
    numbers.get_by_role("button", name="Number").click()
    numbers.get_by_role("button", name="Number").click()  # descending, from the first page
    expect(page.get_by_role("table", name="Numbers").locator("tbody tr").first).to_have_text("23")
