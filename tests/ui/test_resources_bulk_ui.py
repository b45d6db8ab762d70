"""The BSP sends several PODs for validation at once from the PODs list (after a mass load
they are all Registered): picked one by one or all on the page, each one Open then UnderReview
on chain, the picks kept while the list refreshes."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.integration import flows, payloads
from tests.ui.conftest import PHONE

DESKTOP = {"width": 1440, "height": 900}


def test_bsp_sends_picked_pods_for_validation_at_once(sign_in, ui_world):
    batch = f"Bulk {payloads.metering_point_id()[-6:]}"
    codes = [payloads.metering_point_id() for _ in range(3)]
    ids = [
        flows.register_pod(
            ui_world, "bsp2", "dso1", meteringPointId=code, resourceName=f"{batch} {n}"
        )
        for n, code in enumerate(codes)
    ]

    bsp = sign_in("bsp2", viewport=DESKTOP)
    page = bsp.page
    bsp.go(f"resources?q={batch.replace(' ', '+')}")
    pods = page.get_by_role("table", name="PODs")
    expect(pods.locator("tbody tr")).to_have_count(3)
    bar = page.get_by_role("group", name="Bulk actions on PODs")
    send = bar.get_by_role("button", name="Send picked PODs for validation", exact=True)
    expect(send).to_be_disabled()

    page.get_by_label("Pick every POD on this page that can be sent for validation").check()
    expect(bar).to_contain_text("3 PODs picked.")
    pods.get_by_role("checkbox", name=f"Pick POD {codes[2]}", exact=True).uncheck()
    expect(bar).to_contain_text("2 PODs picked.")
    bsp.shot("pods-picked")
    send.click()
    expect(bar.get_by_role("status")).to_contain_text("2 PODs sent for validation", timeout=60_000)
    for pod_id in ids[:2]:
        row = pods.locator(f'tr[data-pod="{pod_id}"]')
        expect(row.locator("[data-status]")).to_have_text("UnderReview", timeout=30_000)
        expect(row.get_by_role("checkbox")).to_have_count(0)  # nothing more to send
    third = pods.locator(f'tr[data-pod="{ids[2]}"]')
    expect(third.locator("[data-status]")).to_have_text("Registered")
    expect(third.get_by_role("checkbox", name=f"Pick POD {codes[2]}")).not_to_be_checked()
    statuses = [ui_world.client("bsp2").get(f"/pods/{i}").json()["status"] for i in ids]
    assert statuses == ["UnderReview", "UnderReview", "Registered"], statuses
    bsp.shot("pods-sent")
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    bsp.shot("pods-phone")
