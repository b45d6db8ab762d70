"""On a list the API pages, sorting, the date and BSP filters and "Export CSV" cover the whole
list, not only the page on screen; on a phone, whose tables are cards without a header row, a
"Sort by" list sorts. Twelve PODs (eleven of BSP2, one of BSP1) found by one search make two
pages of the TSO's PODs list."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from urllib.parse import quote

from playwright.sync_api import expect

from ledger.registry.mass_load import pods_to_csv
from ledger.registry.schemas import PodCreate
from tests.conftest import DSO1_EIC
from tests.integration import flows as reg
from tests.integration import payloads
from tests.ui.conftest import PHONE

DESKTOP = {"width": 1440, "height": 900}


def _load_pods(world, slug: str, names: list[str]) -> None:
    pods = [
        PodCreate.model_validate(payloads.pod_body(world.eic(slug), DSO1_EIC, resourceName=name))
        for name in names
    ]
    response = world.client(slug).post(
        "/pods/mass-load", files={"file": ("pods.csv", pods_to_csv(pods), "text/csv")}
    )
    reg.succeeded(world, slug, response)


def test_sort_filter_and_export_cover_every_page_and_phones_sort_too(sign_in, ui_world):
    tag = f"Whole {uuid.uuid4().hex[:6]}"
    names = [f"{tag} {n:02d}" for n in range(1, 12)]
    _load_pods(ui_world, "bsp2", names)
    _load_pods(ui_world, "bsp1", [f"{tag} 00"])

    tso = sign_in("tso", DESKTOP)
    page = tso.page
    tso.go(f"resources?q={quote(tag)}")
    pods = page.get_by_role("table", name="PODs")
    shown = pods.locator('td[data-label="Name"]')
    expect(page.get_by_role("navigation", name="PODs pages")).to_contain_text("1\u201310 of 12")
    expect(shown).to_have_count(10)

    name = pods.get_by_role("columnheader", name="Name", exact=True)
    name.get_by_role("button").click()
    name.get_by_role("button").click()  # descending: the first rows come from the API's last page
    expect(name).to_have_attribute("aria-sort", "descending")
    expect(shown.first).to_have_text(f"{tag} 11")
    expect(page.get_by_role("navigation", name="Pages of PODs")).to_contain_text("1\u201310 of 12")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV: PODs").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert [r["Name"] for r in rows] == [f"{tag} {n:02d}" for n in range(11, -1, -1)]
    assert {r["BSP"] for r in rows} == {"BSP1", "BSP2"}

    # the BSP filter over both pages: BSP1's one POD is on the API's second page
    filters = page.get_by_role("group", name="Filter PODs")
    filters.get_by_role("combobox", name="BSP", exact=True).select_option("BSP1")
    expect(shown).to_have_text([f"{tag} 00"])
    filters.get_by_role("combobox", name="BSP", exact=True).select_option("")
    # a date filter: nothing of these PODs was updated after tomorrow
    after = filters.get_by_label("Updated (wall clock): from", exact=True)
    after.fill((date.today() + timedelta(days=2)).isoformat())
    expect(page.get_by_text("No row matches these filters.")).to_be_visible()
    after.fill("")
    tso.shot("whole-list-sorted")

    name.get_by_role("button").click()  # a third time: the API's own order and pages again
    expect(name).not_to_have_attribute("aria-sort", "descending")
    expect(page.get_by_role("navigation", name="PODs pages")).to_contain_text("1\u201310 of 12")

    page.set_viewport_size(PHONE)
    sort_by = page.get_by_role("combobox", name="Sort by: PODs")
    expect(sort_by).to_be_visible()
    sort_by.select_option(label="Name, ascending")
    expect(shown.first).to_have_text(f"{tag} 00")
    sort_by.focus()
    page.keyboard.press("ArrowDown")  # by keyboard: the next choice, Name descending
    expect(shown.first).to_have_text(f"{tag} 11")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    tso.shot("whole-list-phone-sort")
    page.set_viewport_size(DESKTOP)
    expect(sort_by).to_be_hidden()
    expect(name).to_have_attribute("aria-sort", "descending")  # one sort, two controls
