"""Statements in the browser (issue 14): bsp1 opens its statement, reads the activation's ISP
line and the netting, downloads the CSV (the same bytes as the API's export) and accepts the
statement as a whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.market import flows
from tests.ui.market_steps import settled_activation


def test_bsp_reads_downloads_and_accepts_its_statement(sign_in: Any, ui_world: Any) -> None:
    settlement = settled_activation(ui_world)
    accepted = ui_world.client("bsp1").post(f"/settlements/{settlement['id']}/accept")
    flows.succeeded(ui_world, "bsp1", accepted)
    day = datetime.fromtimestamp(int(settlement["periods"][0]["start"]), UTC).date()
    period = f"{day.isoformat()}/{(day + timedelta(days=1)).isoformat()}"
    issued = ui_world.client("tso").post("/statements", json={"bspId": "bsp1", "period": period})
    statement_id = flows.succeeded(ui_world, "tso", issued)["operation"]["result"]["statementId"]
    view = ui_world.client("bsp1").get(f"/statements/{statement_id}").json()
    lines = [line for a in view["document"]["activations"] for line in a["isps"]]
    assert any(a["settlementId"] == settlement["id"] for a in view["document"]["activations"])

    bsp = sign_in("bsp1")
    page = bsp.page
    bsp.nav("Statements")
    row = page.get_by_role("table", name="Statements").locator(
        f'tr[data-statement="{statement_id}"]'
    )
    expect(row).to_contain_text(view["totals"]["netEur"])
    row.get_by_role("link", name=f"{day.isoformat()} to").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statement of bsp1")
    expect(page.get_by_role("table", name="Statement lines").locator("tbody tr")).to_have_count(
        len(lines)
    )
    expect(page.locator("dl")).to_contain_text(view["totals"]["netEur"])
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    api_csv = ui_world.client("bsp1").get(f"/statements/{statement_id}/export").content
    assert download.value.path().read_bytes() == api_csv
    bsp.shot("statement")

    form = page.get_by_role("form", name="Answer the statement")
    form.get_by_role("button", name="Accept statement").click()
    expect(page.locator(".status-line [data-status]")).to_have_text("accepted", timeout=10_000)
