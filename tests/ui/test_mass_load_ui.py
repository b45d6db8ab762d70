"""Mass loading of PODs from a CSV file in the browser, with the per-row report."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import expect

from tests.conftest import DSO1_EIC, TSO_EIC
from tests.integration import payloads


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_mass_load_shows_the_per_row_report_and_registers_the_good_rows(sign_in, ui_world):
    bsp_eic = ui_world.eic("bsp2")

    def row(**changes: str) -> dict[str, str]:
        base = {
            "meteringPointId": payloads.metering_point_id(),
            "resourceName": "Loaded site",
            "direction": "consumption",
            "contractedPower": "50",
            "maximumFlexUp": "10",
            "maximumFlexDown": "20",
            "gridVoltageLevel": "LV",
            "distributionGridOperatorName": DSO1_EIC,
            "receiverId": TSO_EIC,
            "flexibilityServiceProviderId": bsp_eic,
            "startDateTime": payloads.START,
        }
        return {**base, **changes}

    good = [row(resourceName="Loaded site A"), row(resourceName="Loaded site B")]
    bad = row(resourceName="Loaded site C", maximumFlexUp="70")
    content = _csv([good[0], bad, good[1]])

    bsp = sign_in("bsp2")
    page = bsp.page
    bsp.nav("Mass loading")
    page.get_by_label("CSV file of PODs").set_input_files(
        {"name": "pods.csv", "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="Upload and check").click()

    report = page.get_by_role("table", name="Per-row report")
    expect(page.get_by_text("2 rows accepted, 1 rejected.")).to_be_visible()
    expect(report.locator('tr[data-row="2"]')).to_contain_text("rejected")
    # the problem names the field as the POD form does, with the file's column beside it
    expect(report.locator('tr[data-row="2"]')).to_contain_text(
        "Maximum flex up (kW) (column maximumFlexUp)"
    )
    expect(report.locator('tr[data-accepted="true"]')).to_have_count(2)
    # once the registration is on chain each accepted row links to its POD
    expect(report.get_by_role("link", name="Open POD")).to_have_count(2)
    bsp.shot("mass-load-report")

    report.get_by_role("link", name="Open POD").first.click()
    expect(page.get_by_role("heading", name="Loaded site A")).to_be_visible()


def test_mass_load_of_a_file_with_wrong_headers_names_them_and_old_errors_go(sign_in):
    bsp = sign_in("bsp2")
    page = bsp.page
    bsp.nav("Mass loading")
    form = page.get_by_role("form", name="Load PODs from a CSV file")
    chooser = form.get_by_label("CSV file of PODs")
    form.get_by_role("button", name="Upload and check").click()  # no file chosen
    expect(chooser).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_role("alert")).to_contain_text("choose a CSV file")

    content = b"POD code,resourceName\nIT001E00000009,nothing\n"
    chooser.set_input_files({"name": "bad.csv", "mimeType": "text/csv", "buffer": content})
    form.get_by_role("button", name="Upload and check").click()
    problem = page.get_by_role("alert").filter(has_text="The file was not read")
    expect(problem.get_by_role("listitem").first).to_have_text("unknown columns: 'POD code'")
    expect(problem.get_by_role("listitem").nth(1)).to_contain_text("meteringPointId")
    expect(page.get_by_text("has no data row")).to_have_count(0)
    # the new attempt cleared the old error on the field
    expect(chooser).not_to_have_attribute("aria-invalid", "true")
    expect(form.get_by_role("alert")).to_have_count(0)
    bsp.shot("mass-load-file-problem")
