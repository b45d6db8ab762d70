"""Every page of every role, at 1440x900 and on a 390x844 phone: the BSP, a DSO, the TSO, the
auditor and a P2P operator follow each link of their navigation. On each page, at both sizes,
nothing scrolls sideways, every visible form control has a name (a label or aria-label), and
on the phone every table that sorts offers its "Sort by" list (its header row is hidden there).
The phone view of each page is saved as a screenshot."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import PHONE
from tests.ui.test_p2p_ui import add_operator

DESKTOP = {"width": 1440, "height": 900}

UNNAMED_CONTROLS = """() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter((e) => e.type !== 'hidden' && e.getClientRects().length > 0)
  .filter((e) => !e.labels?.length)
  .filter((e) => !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map((e) => e.outerHTML.slice(0, 120))"""

SORTING_TABLES_WITHOUT_SORT_BY = """() => [...document.querySelectorAll('main .data-table')]
  .filter((t) => t.querySelector('th button.sort'))
  .filter((t) => !t.querySelector('.sort-by select')?.getClientRects().length)
  .map((t) => t.querySelector('caption')?.textContent)"""


def _check(page: Any, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{where}: {width} px wide in a {viewport} px window"
    assert page.evaluate(UNNAMED_CONTROLS) == [], where


@pytest.mark.parametrize("slug", ["bsp1", "dso1", "tso", "auditor", "operator"])
def test_every_page_of_every_role_fits_both_screens(sign_in, ui_world, slug):
    if slug == "operator":
        slug = add_operator(ui_world)
    session = sign_in(slug, DESKTOP)
    page = session.page
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    names = [name.strip() for name in links.all_inner_texts()]
    assert "Home" in names, names
    for name in names:
        session.nav(name)
        expect(page.locator("main h1").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        _check(page, f"{slug} {name} at 1440")
        page.set_viewport_size(PHONE)
        _check(page, f"{slug} {name} at 390")
        assert page.evaluate(SORTING_TABLES_WITHOUT_SORT_BY) == [], f"{slug} {name}"
        session.shot(f"{name.lower().replace(' ', '-')}-phone")
        page.set_viewport_size(DESKTOP)
