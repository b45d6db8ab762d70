"""Audit in the browser: the TSO looks up a POD's history and opens one of its transactions,
whose events link to the records they touched."""

from __future__ import annotations

from playwright.sync_api import expect

from ledger.indexer import index_once
from tests.ui.steps import validated_pod_by_api


def test_tso_reads_a_pod_history_and_opens_a_transaction(sign_in, ui_world):
    pod_id, _ = validated_pod_by_api(ui_world, "bsp1")
    index_once(ui_world.runtime)

    tso = sign_in("tso")
    page = tso.page
    tso.nav("Audit")
    page.get_by_label("Record id or chain key").fill(pod_id)
    page.get_by_role("button", name="Show history").click()
    history = page.get_by_role("table", name="Record history")
    rows = history.locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 4, rows.all_inner_texts()  # registered, open, under review, decisions
    tso.shot("audit-history")

    link = rows.last.get_by_role("link").first
    tx = rows.last.get_attribute("data-tx")
    link.click()
    detail = page.get_by_role("region", name=f"Transaction {tx[:10]}…")
    expect(detail).to_contain_text(tx)
    expect(detail.locator("article.tx-event").first).to_be_visible()
    expect(history.locator("tr.selected")).not_to_have_count(0)
    tso.shot("audit-transaction")

    # an argument that is a record key links to that record's history
    record_links = detail.locator("article.tx-event dd a")
    if record_links.count():
        record_links.first.click()
        expect(page.get_by_role("table", name="Record history")).to_be_visible()
