"""A BSP registers a POD in the browser, the TSO and the DSO decide in their own sessions."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.integration import flows, payloads
from tests.ui.steps import PDF, fill_pod_form


def test_pod_registered_sent_and_validated_by_tso_and_dso_sessions(sign_in, ui_world):
    bsp = sign_in("bsp1")
    page = bsp.page
    bsp.shot("home")

    bsp.nav("Resources")
    page.get_by_role("link", name="Register a POD").click()
    code = payloads.metering_point_id()
    fill_pod_form(page, code=code, name="Cascina Rossi")
    bsp.shot("pod-form")
    page.get_by_role("button", name="Register POD").click()

    # the operation is confirmed on chain, then the POD's page opens
    expect(page.get_by_role("heading", name=re.compile("Cascina Rossi"))).to_be_visible()
    expect(page.locator(".status-line [data-status]")).to_have_text("Registered")
    pod_id = page.url.rsplit("/", 1)[-1]  # the POD's page, #/resources/{its id}

    devices = page.get_by_role("form", name="Add a flex device")
    devices.get_by_label("Device name").fill("Wallbox garage")
    devices.get_by_label("Rated power (kW)").fill("22")
    devices.get_by_label("Max flex up (kW)").fill("11")
    devices.get_by_label("Max flex down (kW)").fill("22")
    devices.get_by_role("button", name="Add device").click()
    expect(page.get_by_role("cell", name="Wallbox garage")).to_be_visible()

    upload = page.get_by_role("form", name="Upload an attachment")
    upload.get_by_label("Document (PDF or XML, at most 5 MB)").set_input_files(
        {"name": "single-line-diagram.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    upload.get_by_role("button", name="Upload").click()
    view = page.get_by_role("button", name="View single-line-diagram.pdf")
    expect(view).to_be_visible()
    view.click()
    expect(page.get_by_role("link", name="Download")).to_have_attribute(
        "download", "single-line-diagram.pdf"
    )
    bsp.shot("pod-registered-with-attachment")

    page.get_by_role("button", name="Send for validation").click()
    expect(page.locator(".status-line [data-status]")).to_have_text("UnderReview")
    expect(page.get_by_text("Waiting for the TSO's verification.")).to_be_visible()
    bsp.shot("pod-under-review")

    tso = sign_in("tso")
    expect(tso.page.get_by_role("link", name=code)).to_be_visible()  # on the TSO's home
    tso.shot("home")
    tso.nav("Validation queue")
    card = tso.page.locator("article.review", has=tso.page.get_by_role("link", name=code))
    card.get_by_role("button", name="Approve").click()
    expect(card).to_be_hidden()
    tso.shot("queue-after-verifying")

    expect(page.locator(".status-line [data-status]")).to_have_text("Verified")

    dso = sign_in("dso1")
    dso.nav("Validation queue")
    card = dso.page.locator("article.review", has=dso.page.get_by_role("link", name=code))
    card.get_by_label("Max import (kW)").fill("60")
    card.get_by_label("Max export (kW)").fill("20")
    dso.shot("queue-with-constraints")
    card.get_by_role("button", name="Approve").click()
    expect(card).to_be_hidden()

    # the BSP's page follows by itself: Validated, with each step's transaction
    expect(page.locator(".status-line [data-status]")).to_have_text("Validated", timeout=30_000)
    expect(page.get_by_text("maxImportKw: 60 kW, maxExportKw: 20 kW")).to_be_visible()
    history = page.get_by_role("table", name="Status history with transactions")
    expect(history.locator("tbody tr")).to_have_count(
        5
    )  # Registered, Open, UnderReview, Verified, Validated
    expect(history.locator("code.hash").first).to_have_text(
        re.compile(r"^0x[0-9a-f]{8}…[0-9a-f]{6}$")
    )
    bsp.shot("pod-validated")

    # the BSP's operations name the POD by its code, the id only shortened, in full in a title
    bsp.nav("Operations")
    operations = page.get_by_role("table", name="Operations")
    registered = operations.locator("tbody tr", has_text="Register POD").filter(has_text=code)
    expect(registered).to_have_count(1)
    target = registered.locator('td[data-label="Target"]')
    expect(target).to_contain_text(code)
    expect(target).not_to_contain_text(pod_id)
    expect(target.locator("code")).to_have_attribute("title", pod_id)
    expect(operations.locator('td[data-label="Target"]', has_text=code)).to_have_count(3)
    expect(operations).not_to_contain_text(pod_id)
    bsp.shot("operations-named")


def test_field_level_errors_from_the_api_are_shown_on_their_fields(sign_in):
    bsp = sign_in("bsp2")
    page = bsp.page
    bsp.go("resources/new")
    fill_pod_form(page, code="IT001X123", name="")
    page.get_by_role("button", name="Register POD").click()

    code = page.get_by_label("POD code")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#pod-create-meteringPointId-error")).not_to_be_empty()
    name = page.get_by_label("Resource name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#pod-create-resourceName-error")).to_contain_text("required")
    expect(page.get_by_role("alert")).to_contain_text("2 problems")
    bsp.shot("field-errors")

    # the checks across fields come next: flexibility above the contracted power
    code.fill(payloads.metering_point_id())
    name.fill("Bad site")
    page.get_by_label("Contracted power (kW)").fill("10")
    page.get_by_role("button", name="Register POD").click()
    up = page.get_by_label("Maximum flex up (kW)")
    expect(up).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#pod-create-maximumFlexUp-error")).to_contain_text(
        "exceeds contractedPower"
    )
    expect(code).not_to_have_attribute("aria-invalid", "true")
    bsp.shot("cross-field-error")

    # fixed, the same form goes through
    up.fill("5")
    page.get_by_label("Maximum flex down (kW)").fill("5")
    page.get_by_role("button", name="Register POD").click()
    expect(page.get_by_role("heading", name=re.compile("Bad site"))).to_be_visible()


def test_rejection_by_the_tso_needs_a_reason_and_reaches_the_bsp_home(sign_in, ui_world):
    code = payloads.metering_point_id()
    pod_id = flows.register_pod(
        ui_world, "bsp3", "dso1", meteringPointId=code, resourceName="Mulino"
    )
    flows.set_pod_status(ui_world, "bsp3", pod_id, "Open")
    flows.set_pod_status(ui_world, "bsp3", pod_id, "UnderReview")

    tso = sign_in("tso")
    tso.nav("Validation queue")
    card = tso.page.locator("article.review", has=tso.page.get_by_role("link", name=code))
    card.get_by_role("button", name="Reject").click()
    reasons = card.get_by_label("Reasons (one per line; required to reject)")
    expect(reasons).to_have_attribute("aria-invalid", "true")
    expect(card.locator(".field-error")).to_contain_text("reason")
    tso.shot("reject-without-reason")
    reasons.fill("meter certificate missing\nvoltage level does not match the contract")
    card.get_by_role("button", name="Reject").click()
    expect(card).to_be_hidden()

    bsp = sign_in("bsp3")
    rejected = bsp.page.get_by_role("table", name="Rejected PODs with reasons")
    row = rejected.locator("tr", has=bsp.page.get_by_role("link", name=code))
    expect(row).to_contain_text("meter certificate missing")
    expect(row).to_contain_text("voltage level does not match the contract")
    bsp.shot("home-with-rejection")

    row.get_by_role("link", name=code).click()
    bsp.shot("rejected-pod")
    bsp.page.get_by_role("button", name="Reopen").click()
    expect(bsp.page.locator(".status-line [data-status]")).to_have_text("Open")

    # reopened, its data can be corrected (Update Resource Information)
    bsp.page.get_by_role("link", name="Edit data").click()
    bsp.page.get_by_label("Voltage level").select_option("MV")
    bsp.page.get_by_label("Contracted power (kW)").fill("400")
    bsp.shot("edit-pod")
    bsp.page.get_by_role("button", name="Save changes").click()
    expect(bsp.page.get_by_text("400 kW")).to_be_visible()
    expect(bsp.page.get_by_text("MV", exact=True)).to_be_visible()
