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
    expect(report.locator('tr[data-row="2"]')).to_contain_text("maximumFlexUp")
    expect(report.locator('tr[data-accepted="true"]')).to_have_count(2)
    # once the registration is on chain each accepted row links to its POD
    expect(report.get_by_role("link", name="Open POD")).to_have_count(2)
    bsp.shot("mass-load-report")

    report.get_by_role("link", name="Open POD").first.click()
    expect(page.get_by_role("heading", name="Loaded site A")).to_be_visible()


def test_mass_load_of_a_file_with_missing_columns_reports_the_file_problem(sign_in):
    bsp = sign_in("bsp2")
    page = bsp.page
    bsp.nav("Mass loading")
    content = b"meteringPointId,resourceName\nIT001E00000009,nothing\n"
    page.get_by_label("CSV file of PODs").set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("No row accepted")).to_be_visible()
    expect(page.get_by_text("Problems with the file")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="missing required columns")).to_contain_text(
        "contractedPower"
    )
    bsp.shot("mass-load-file-problem")
