"""The shell: sign-in errors, navigation by role and by the API's paths, a narrow screen."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.conftest import World
from tests.integration import flows
from tests.ui.conftest import PHONE


def test_root_redirects_to_the_dashboard_and_files_carry_a_local_only_policy(ui_world: World):
    response = httpx.get(f"{ui_world.api_url}/", follow_redirects=False)
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "/ui/"
    page = httpx.get(f"{ui_world.api_url}/ui/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{ui_world.api_url}/ui/directory").status_code == 401


def test_the_directory_names_bsps_only_to_those_who_see_every_bsps_resources(ui_world: World):
    """The grid side and the auditor name and filter PODs, UVAMs and bids by BSP; a BSP is
    told the grid operators it addresses, not its competitors."""
    for slug in ("tso", "dso1", "auditor"):
        bsps = ui_world.client(slug).get("/ui/directory").json()["bsps"]
        assert {"BSP1", "BSP2", "BSP3"} <= {b["name"] for b in bsps}, slug
        assert {b["role"] for b in bsps} == {"BSP"}
    directory = ui_world.client("bsp1").get("/ui/directory").json()
    assert directory["bsps"] == []
    assert directory["tso"]["role"] == "TSO"
    assert directory["dsos"]


def test_a_wrong_token_is_shown_on_the_token_field(browser, ui_world: World, shots):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{ui_world.api_url}/ui/")
    page.get_by_label("Organisation API token").fill("cbp_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    token = page.get_by_label("Organisation API token")
    expect(token).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#login-token-error")).to_have_text("this token is unknown or revoked")
    shots(page, "login-error")
    context.close()


def test_navigation_shows_the_pages_of_the_role_whose_api_exists(sign_in):
    expected = {
        "bsp1": [
            *("Home", "Portfolio", "Resources", "Resource groups", "Mass loading"),
            *("Market", "Settlement", "Statements", "P2P trades", "Operations"),
        ],
        "tso": [
            *("Home", "Portfolio", "Validation queue", "Resources", "Resource groups"),
            *("Market", "Grid constraints", "Settlement", "Statements", "P2P trades", "Audit"),
            "Operations",
        ],
        "dso2": [
            *("Home", "Portfolio", "Validation queue", "Resources", "Resource groups"),
            *("Market", "Grid constraints", "P2P trades", "Operations"),
        ],
        "auditor": [
            *("Home", "Portfolio", "Resources", "Resource groups", "Market"),
            *("Settlement", "Statements", "P2P trades", "Audit", "Operations"),
        ],
    }
    for slug, pages in expected.items():
        session = sign_in(slug)
        links = session.page.get_by_role("navigation", name="Main").get_by_role("link")
        expect(links).to_have_text(pages)
        # every page renders for every role (uncaught errors fail the test at teardown)
        for name in pages:
            session.nav(name)
            expect(
                session.page.get_by_role("navigation", name="Main").get_by_role(
                    "link", name=name, exact=True
                )
            ).to_have_attribute("aria-current", "page")
            expect(session.page.locator("main h1")).to_be_visible()
            expect(session.page.locator("main .notice-error")).to_have_count(0)
        if slug == "bsp1":
            session.shot("operations")


def test_narrow_screen_lists_pods_as_cards_with_a_menu_and_pagination(sign_in, ui_world: World):
    for _ in range(11):
        flows.register_pod(ui_world, "bsp3", "dso2")
    phone = sign_in("bsp3", viewport=PHONE)
    page = phone.page
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    phone.shot("menu-open")
    phone.nav("Resources")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()

    rows = page.locator("table.responsive tbody tr")
    expect(rows).to_have_count(10)
    # each cell shows its column's label, and the page does not scroll sideways
    assert page.locator("table.responsive td").first.get_attribute("data-label") == "POD"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    pager = page.get_by_role("navigation", name="PODs pages")
    expect(pager).to_contain_text("1\u201310 of")
    phone.shot("pods-as-cards")
    pager.get_by_role("button", name="Next \u203a").click()
    expect(page.get_by_role("navigation", name="PODs pages")).to_contain_text("11\u2013")
    expect(page).to_have_url(re.compile(r"#/resources\?offset=10$"))
