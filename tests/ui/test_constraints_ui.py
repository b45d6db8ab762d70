"""The DSO declares traffic-light constraints from the browser, for a POD of its grid and for a
grid zone; a refusal shows on the form; the list and the DSO's home show them."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.ui.conftest import LAPTOP, PHONE
from tests.ui.steps import validated_pod_by_api


def test_dso_declares_grid_constraints(sign_in, ui_world):
    pod_id, code = validated_pod_by_api(ui_world, "bsp1")
    zone = f"Zone {uuid.uuid4().hex[:6]}"  # its own zone: no other test's bid is affected

    dso = sign_in("dso1")
    page = dso.page
    dso.nav("Grid constraints")
    expect(page.get_by_role("heading", name="Grid constraints", level=1)).to_be_visible()
    form = page.get_by_role("form", name="Declare a grid constraint")
    form.get_by_role("combobox", name="Applies to", exact=True).select_option("pod")
    form.get_by_role("combobox", name="POD", exact=True).select_option(pod_id)
    form.get_by_role("combobox", name="Traffic light", exact=True).select_option("amber")
    form.get_by_role("button", name="Declare").click()
    # amber without a limit: the API refuses it, the form says why
    limit = form.get_by_role("spinbutton", name="Limit per POD (kW, amber)", exact=True)
    expect(limit).to_have_attribute("aria-invalid", "true")  # on the field, in words
    expect(form.get_by_role("alert")).to_contain_text(
        "Limit per POD (kW, amber): an amber light needs a limit per POD, in kW"
    )
    expect(form.get_by_role("alert")).not_to_contain_text("limitKw")
    dso.shot("constraint-refused")
    limit.fill("5")
    form.get_by_role("textbox", name="Reason (kept off chain)", exact=True).fill("feeder works")
    form.get_by_role("button", name="Declare").click()
    expect(form.get_by_role("status")).to_contain_text("Declared: 1 constraint")

    listed = page.get_by_role("table", name="Grid constraints")
    pod_row = listed.locator("tbody tr", has_text=f"POD {code}")
    expect(pod_row.locator("[data-status]")).to_have_text("amber")
    expect(pod_row).to_contain_text("5 kW")
    # whether it is in force, on the platform's clock (an expired one would say "Expired")
    expect(pod_row.locator('[data-state="In force"], [data-state="Upcoming"]')).to_have_count(1)
    expect(pod_row).to_contain_text("congestion: feeder works")

    form.get_by_role("combobox", name="Applies to", exact=True).select_option("zone")
    form.get_by_role("combobox", name="Grid zone", exact=True).fill(zone)
    form.get_by_role("combobox", name="Traffic light", exact=True).select_option("red")
    form.get_by_role("combobox", name="Direction", exact=True).select_option("up")
    form.get_by_role("spinbutton", name="Limit per POD (kW, amber)", exact=True).fill("")
    form.get_by_role("button", name="Declare").click()
    zone_row = listed.locator("tbody tr", has_text=f"zone {zone}")
    expect(zone_row.locator("[data-status]")).to_have_text("red")
    expect(zone_row).to_contain_text("up")
    dso.shot("constraints-declared")
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    dso.shot("constraints-narrow")
    page.set_viewport_size(LAPTOP)

    declared = ui_world.client("dso1").get("/market/grid-constraints").json()["data"]
    mine = {(c["scope"], c["target"]): c for c in declared}
    assert mine[("pod", pod_id)]["light"] == "amber"
    assert mine[("pod", pod_id)]["limitKw"] == 5
    assert mine[("zone", zone)]["light"] == "red"
    assert mine[("zone", zone)]["direction"] == "up"
    other = ui_world.client("dso2").get("/market/grid-constraints").json()["data"]
    assert pod_id not in {c["target"] for c in other}  # a DSO sees its own

    dso.nav("Home")
    home = page.get_by_role("table", name="Grid constraints in force or to come")
    expect(home).to_contain_text(zone)
    expect(page.get_by_role("link", name=re.compile("Grid constraints in force"))).to_be_visible()
    dso.shot("home-constraints")

    # the TSO reads every DSO's constraints, each POD by its code rather than its id
    tso = sign_in("tso")
    tso.nav("Grid constraints")
    every = tso.page.get_by_role("table", name="Grid constraints")
    expect(every.locator("tbody tr", has_text=f"POD {code}")).to_have_count(1)
    expect(every).not_to_contain_text(f"POD {pod_id}")
