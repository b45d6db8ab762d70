"""Audit in the browser: the auditor finds a POD by its code and a settlement by its id, reads
their audit trails in words, opens a transaction, verifies the database against the chain,
exports the events as CSV, and reads the Market and Settlement pages without being offered
any write; the TSO reaches a POD's trail from the POD's page."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from ledger.indexer import index_once
from tests.ui.market_steps import settled_activation
from tests.ui.steps import validated_pod_by_api

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _find(page, text: str) -> None:
    form = page.get_by_role("search", name="Find a record")
    form.get_by_role(
        "textbox", name="POD code, UVAM name, settlement id or record id", exact=True
    ).fill(text)
    form.get_by_role("button", name="Find", exact=True).click()


def test_auditor_finds_records_reads_trails_verifies_and_exports(sign_in, ui_world):
    pod_id, code = validated_pod_by_api(ui_world, "bsp1")
    settlement = settled_activation(ui_world)
    index_once(ui_world.runtime)

    auditor = sign_in("auditor", DESKTOP)
    page = auditor.page
    auditor.nav("Audit")

    # a POD code that matches nothing: said on the field, in words
    _find(page, "IT001E00000000-none")
    search = page.get_by_role("search", name="Find a record")
    expect(search.locator(".field-error")).to_have_text(
        "no POD, UVAM, settlement or record matches “IT001E00000000-none”"
    )

    # by POD code: the trail in words, no "None →"
    _find(page, code)
    trail = page.get_by_role("table", name="Record history")
    expect(
        page.get_by_role("heading", name=re.compile(f"^Audit trail of POD {code}"))
    ).to_be_visible()
    events = trail.locator("tbody tr td:nth-child(3)")
    expect(events.first).to_have_text("POD registered")
    expect(trail).to_contain_text("Status: Open → UnderReview")
    expect(trail).to_contain_text("Status: Verified → Validated")
    expect(trail).not_to_contain_text("None")
    auditor.shot("pod-trail")

    rows = trail.locator("tbody tr")
    tx = rows.last.get_attribute("data-tx")
    rows.last.get_by_role("link").click()
    detail = page.get_by_role("region", name=f"Transaction {tx[:10]}…")
    expect(detail).to_contain_text(tx)
    expect(detail.locator("article.tx-event h3").first).to_contain_text("POD status changed")

    # by settlement id: the trail of its activation, with the settlement's own events
    _find(page, settlement["id"])
    expect(
        page.get_by_role("heading", name=re.compile("^Audit trail of Settlement version 1"))
    ).to_be_visible()
    expect(page.get_by_role("table", name="Record history")).to_contain_text("Settlement recorded")

    # Verify: the same check as `cbp audit verify`
    verify = page.get_by_role("region", name="Verify")
    verify.get_by_role("button", name="Verify database against the chain").click()
    expect(verify.locator(".verify-result")).to_contain_text(
        "The database agrees with the chain", timeout=30_000
    )

    # Export CSV: the same rows as `cbp audit export --kind pod`
    export = page.get_by_role("form", name="Export events")
    export.get_by_role("combobox", name="Kind of record", exact=True).select_option("pod")
    with page.expect_download() as download:
        export.get_by_role("button", name="Export CSV").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert table
    assert {row["event"] for row in table} <= {"PodRegistered", "PodUpdated", "PodStatusChanged"}
    assert any(row["change"] == "Status: Verified → Validated" for row in table), table[-1]
    expect(export.get_by_role("status")).to_have_text(f"{len(table)} events exported.")
    auditor.shot("verified-exported")
    page.set_viewport_size(PHONE)
    auditor.shot("audit-phone")
    page.set_viewport_size(DESKTOP)

    # Market and Settlement: read, never offered a write
    auditor.nav("Market")
    expect(page.get_by_role("table", name="Bids")).to_be_visible()
    expect(page.get_by_role("table", name="Needs")).to_be_visible()
    expect(page.get_by_role("form", name="Place a bid")).to_have_count(0)
    expect(page.get_by_role("button", name="Clear need")).to_have_count(0)
    auditor.nav("Settlement")
    page.locator(f'a[href="#/settlement/{settlement["id"]}"]').click()
    expect(page.get_by_role("table", name="Settlement periods").locator("tbody tr")).to_have_count(
        2
    )
    expect(page.get_by_role("button", name="Accept settlement")).to_have_count(0)
    auditor.shot("settlement-read")
    page.set_viewport_size(PHONE)
    auditor.shot("settlement-phone")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name=re.compile("^Audit trail of settlement of ")).click()
    expect(page.get_by_role("table", name="Record history")).to_contain_text("Settlement recorded")

    # from a POD's page to its audit trail
    auditor.go(f"resources/{pod_id}")
    page.get_by_role("link", name=f"Audit trail of POD {code}", exact=True).click()
    expect(
        page.get_by_role("table", name="Record history").locator("tbody tr").first
    ).to_contain_text("POD registered")
