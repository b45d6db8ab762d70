"""Every table sorts by its columns (header buttons with aria-sort, by keyboard too), filters
by date range and BSP where it has them, pages its rows and exports the rows that pass its
filters as CSV: the TSO's merit order and Needs tables, and a long table drawn by the same
helper."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.ui.market_steps import two_bsp_need

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_tso_sorts_filters_and_exports_tables(sign_in, ui_world):
    need = two_bsp_need(ui_world)
    tso = sign_in("tso", DESKTOP)
    page = tso.page
    tso.nav("Market")
    needs = page.get_by_role("region", name="Needs")
    row = needs.get_by_role("table", name="Needs").locator(f'tr[data-need="{need["needId"]}"]')
    row.get_by_role("button", name=f"Merit order of need {need['needId'][:8]}").click()
    merit = needs.get_by_role("region", name=f"Merit order of need {need['needId'][:8]}")
    table = merit.locator(".merit-period").first.get_by_role("table")
    prices = table.locator("tbody tr td:nth-child(2)")
    expect(prices).to_have_text(["60", "80"])  # merit order: cheapest first

    price = table.get_by_role("columnheader", name="Price (EUR/MWh)")
    price.get_by_role("button").click()
    expect(price).to_have_attribute("aria-sort", "ascending")
    expect(prices).to_have_text(["60", "80"])
    # by keyboard: the focus stays on the header button, Enter turns the order round
    expect(price.get_by_role("button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(price).to_have_attribute("aria-sort", "descending")
    expect(prices).to_have_text(["80", "60"])
    tso.shot("merit-sorted")

    period = merit.locator(".merit-period").first
    period.get_by_role("combobox", name="BSP", exact=True).select_option("BSP2")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr td:nth-child(5)")).to_have_text("BSP2")
    with page.expect_download() as download:
        period.get_by_role("button", name=re.compile("^Export CSV: Merit order")).click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert [(r["Rank"], r["Price (EUR/MWh)"], r["BSP"]) for r in rows] == [("1", "60", "BSP2")]
    assert need["cheap"].startswith(rows[0]["Bid"])
    tso.shot("merit-filtered")
    page.set_viewport_size(PHONE)
    tso.shot("merit-filtered-phone")
    page.set_viewport_size(DESKTOP)

    # a date range on the Needs table: nothing after a month from now, everything again after
    filters = needs.get_by_role("group", name="Filter Needs")
    after = (date.today() + timedelta(days=30)).isoformat()
    start = filters.get_by_label("Delivery start (platform clock): from", exact=True)
    start.fill(after)
    expect(needs).to_contain_text("No row matches these filters.")
    start.fill("")
    expect(row).to_be_visible()


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


def test_a_paged_lists_bsp_filter_offers_the_bsps_of_every_page(sign_in):
    """One page of 10 rows of a 12-row list (its `source` holds all 12): the BSP list, when
    opened, knows the BSP that only the second page has, and filters the whole list."""
    page = sign_in("auditor", DESKTOP).page
    page.evaluate(
        """async () => {
          const { table } = await import('./js/ui.js');
          const bspOf = (i) => (i < 11 ? 'BSP1' : 'BSP9');
          const every = Array.from({ length: 12 }, (_, i) => ({ n: i + 1, bsp: bspOf(i) }));
          const columns = [
            { label: 'Number', cell: (r) => String(r.n) },
            { label: 'BSP', filter: 'bsp', cell: (r) => r.bsp },
          ];
          const source = { count: 12, offset: 0, limit: 10, label: 'Server pages',
                           onPage: () => {}, all: async () => every };
          const rows = every.slice(0, 10);
          document.querySelector('main').append(table({ caption: 'Paged', rows, columns, source }));
        }"""
    )
    paged = page.get_by_role("table", name="Paged")
    expect(page.get_by_role("navigation", name="Server pages")).to_contain_text("1\u201310 of 12")
    bsp = page.get_by_role("group", name="Filter Paged").get_by_role("combobox", name="BSP")
    expect(bsp.locator("option")).to_have_text(["Every BSP", "BSP1"])
    bsp.focus()
    expect(bsp.locator("option")).to_have_text(["Every BSP", "BSP1", "BSP9"])
    bsp.select_option("BSP9")
    expect(paged.locator("tbody tr")).to_have_text(["12BSP9"])

    # a page past the end of the list (its rows went meanwhile): the pager still leads back
    page.evaluate(
        """async () => {
          const { table } = await import('./js/ui.js');
          const source = { count: 10, offset: 10, limit: 10, label: 'Pages past the end',
                           onPage: () => {}, all: async () => [] };
          const columns = [{ label: 'Number', cell: (r) => String(r.n) }];
          document.querySelector('main').append(
            table({ caption: 'Gone', rows: [], columns, source, empty: 'No row here.' }));
        }"""
    )
    back = page.get_by_role("navigation", name="Pages past the end")
    expect(back.get_by_role("button", name="\u2039 Previous")).to_be_enabled()
