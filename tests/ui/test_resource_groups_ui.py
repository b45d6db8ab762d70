"""A BSP builds a resource group (UVAM) in the browser from a validated POD; the TSO qualifies
it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.integration import flows, payloads
from tests.ui.steps import PDF, validated_pod_by_api


def test_uvam_created_with_a_validated_pod_connection_and_qualified(sign_in, ui_world):
    pod_id, code = validated_pod_by_api(ui_world, "bsp1")
    pending_code = payloads.metering_point_id()
    flows.register_pod(ui_world, "bsp1", "dso1", meteringPointId=pending_code)  # not validated

    bsp = sign_in("bsp1")
    page = bsp.page
    bsp.nav("Resource groups")
    page.get_by_role("link", name="Create a resource group").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("UVAM Lombardia 1")
    page.get_by_label("Perimeter").fill("NORD")
    page.get_by_label("Market").select_option("MSD")
    page.get_by_label("Maximum qualified power, up (kW)").fill("25")
    page.get_by_label("Minimum qualified power, down (kW)").fill("35")
    bsp.shot("uvam-form")
    page.get_by_role("button", name="Create resource group").click()
    expect(page.get_by_role("heading", name=re.compile("UVAM Lombardia 1"))).to_be_visible()
    expect(page.locator(".status-line [data-status]")).to_have_text("Registered")

    # only validated PODs are offered
    member = page.get_by_role("form", name="Add a validated POD")
    choice = member.get_by_label("Validated POD")
    options = choice.locator("option").all_inner_texts()
    assert any(code in option for option in options), options
    assert not any(pending_code in option for option in options), options
    choice.select_option(pod_id)
    member.get_by_role("button", name="Add to group").click()
    members = page.get_by_role("table", name="Member PODs")
    expect(members.get_by_role("link", name=code)).to_be_visible()

    connection = page.get_by_role("form", name="Register the connection")
    connection.get_by_label("Protocol").select_option("IEC104")
    connection.get_by_label("Manufacturer").fill("ABB")
    connection.get_by_label("IP address").fill("10.20.30.40")
    connection.get_by_label("Full scale min (kW)").fill("-100")
    connection.get_by_label("Full scale max (kW)").fill("500")
    connection.get_by_label("Document (PDF or XML, optional)").set_input_files(
        {"name": "connection.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    connection.get_by_role("button", name="Register connection").click()
    expect(page.get_by_text("10.20.30.40")).to_be_visible()

    upload = page.get_by_role("form", name="Upload an attachment")
    upload.get_by_label("Document (PDF or XML, at most 5 MB)").set_input_files(
        {
            "name": "uvam-datasheet.xml",
            "mimeType": "application/xml",
            "buffer": b"<uvam><site>Lombardia</site></uvam>",
        }
    )
    upload.get_by_label("Document type").select_option("TechnicalDatasheet")
    upload.get_by_role("button", name="Upload").click()
    page.get_by_role("button", name="View uvam-datasheet.xml").click()
    expect(page.get_by_label("Attachment uvam-datasheet.xml")).to_contain_text(
        "<site>Lombardia</site>"
    )

    page.get_by_role("button", name="Send for validation").click()
    expect(page.locator(".status-line [data-status]")).to_have_text("UnderReview")
    bsp.shot("uvam-under-review")

    tso = sign_in("tso")
    tso.nav("Validation queue")
    card = tso.page.locator(
        "article.review", has=tso.page.get_by_role("link", name="UVAM Lombardia 1")
    )
    tso.shot("queue-with-uvam")
    card.get_by_role("button", name="Qualify").click()
    expect(card).to_be_hidden()

    expect(page.locator(".status-line [data-status]")).to_have_text("Qualified", timeout=30_000)
    bsp.shot("uvam-qualified")
