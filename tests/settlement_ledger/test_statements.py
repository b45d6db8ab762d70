"""Issue 14, items 2-4, through the real stack (API, Celery worker, Anvil, database): an award
with an availability price frozen at clearing, an activation settled and accepted, then bsp2's
statement for the month (every line recomputed by hand), its CSV and PDF, the BSP's answer
(once), the BRP perimeter correction reports, and ``cbp audit verify`` over both documents.

bsp2 is the BSP here: the other modules of this package activate bsp1's UVAMs, so bsp2's month
holds this module's activation only."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from eth_utils import keccak

from ledger.core import clock
from ledger.core.ids import to_bytes32
from ledger.core.periods import iso, next_period_within_day
from tests.indexer.tampering import cli_env, sql_update, verify, verify_names
from tests.market import flows
from tests.settlement_ledger.conftest import advance_past, history_day, readings, upload

GATE_S = 300
P = 900
SET_POINT_KW = 40
X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}


def _done(world: Any, slug: str, response: Any) -> dict[str, Any]:
    operation = flows.done(world, slug, response)
    assert operation["status"] == "succeeded", operation
    return operation


@pytest.fixture(scope="module")
def setup(world: Any) -> dict[str, Any]:
    """bsp2's UVAM of two PODs, one per BRP (dispatching contracts ``DC-A-*`` and ``DC-B-*``);
    40 kW awarded in t1 at 50 EUR/MWh, availability 0.125 EUR per kW per ISP, sanction
    200 EUR/MWh; activated in full and accepted. Both PODs drew 20 kW on the history day; in t1
    the first draws 10 kW (delivers 2,500 Wh), the second still 20 kW (delivers nothing)."""
    tag = uuid.uuid4().hex[:6].upper()
    brps = [f"DC-A-{tag}", f"DC-B-{tag}"]
    uvam_id, pods = flows.qualified_uvam(
        world,
        "bsp2",
        [("dso1", 30, 30, f"ZS-{tag}")] * 2,
        up_kw=60,
        down_kw=60,
        pod_fields=[{"brpContractId": brp} for brp in brps],
    )
    flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    product = flows.product(
        world, flows.unique_product("STMT"), gate_closure_s=GATE_S, notice_s=60, ack_s=120
    )
    t1 = next_period_within_day(clock.clock_for(world.platform.settings).now() + 420, 4)
    bid_id, _ = flows.selected_bid(
        world,
        "bsp2",
        uvam_id,
        product,
        t1,
        [SET_POINT_KW],
        settlement={"method": X_OF_Y, "sanctionEurMwh": "200", "availabilityEurKwIsp": "0.125"},
        gate_closure_s=GATE_S,
        price="50",
        reader="bsp2",
    )
    sent = world.client("tso").post(
        "/market/activations",
        json={"bidId": bid_id, "firstPeriod": iso(t1), "setPointsKw": [SET_POINT_KW]},
    )
    _done(world, "tso", sent)
    activation = sent.json()["activationId"]
    ack = world.client("bsp2").post(
        f"/market/activations/{activation}/acknowledgement", json={"accept": True}
    )
    _done(world, "bsp2", ack)

    advance_past(world, t1 + P)
    history = history_day(t1)
    rows = []
    for pod, event_w in zip(pods, (10_000, 20_000), strict=True):
        rows += readings(pod, history, [(15, 20_000)]) + readings(pod, t1, [(15, event_w)])
    upload(world, "dso1", "pod", rows)
    settled = _done(
        world, "tso", world.client("tso").post(f"/market/activations/{activation}/settlement")
    )
    settlement_id = settled["result"]["settlementId"]
    _done(world, "bsp2", world.client("bsp2").post(f"/settlements/{settlement_id}/accept"))
    month = datetime.fromtimestamp(t1, UTC).strftime("%Y-%m")
    return {
        "t1": t1,
        "activation": activation,
        "settlement": settlement_id,
        "bid": bid_id,
        "pods": pods,
        "brps": brps,
        "month": month,
        "product": product,
    }


@pytest.fixture(scope="module")
def statement(world: Any, setup: dict[str, Any]) -> dict[str, Any]:
    issued = _done(
        world,
        "tso",
        world.client("tso").post("/statements", json={"bspId": "bsp2", "period": setup["month"]}),
    )
    view: dict[str, Any] = (
        world.client("bsp2").get(f"/statements/{issued['result']['statementId']}").json()
    )
    return view


def test_the_statement_lists_the_settled_isp_the_availability_and_the_netting(
    world: Any, setup: dict[str, Any], statement: dict[str, Any]
) -> None:
    """By hand (docs/statements.md): ordered 40 kW x 0.25 h = 10,000 Wh; delivered 5,000 -
    2,500 = 2,500 Wh; remuneration 2,500 x 50 / 10^6 = 0.125 -> 0.12 (half to even); penalty
    7,500 x 200 / 10^6 = 1.50; availability 40 kW x 0.125 = 5.00; net 0.12 - 1.50 + 5.00."""
    document = statement["document"]
    assert statement["status"] == "recorded"
    assert document["period"]["start"] == f"{setup['month']}-01"
    [activation] = document["activations"]
    assert activation["settlementId"] == setup["settlement"]
    [line] = activation["isps"]
    assert line == {
        "start": setup["t1"],
        "baselineWh": 10_000,
        "orderedWh": 10_000,
        "actualWh": 7_500,
        "deliveredWh": 2_500,
        "deficiencyWh": 7_500,
        "priceEurMwh": "50",
        "remunerationEur": "0.12",
        "sanctionEurMwh": "200",
        "penaltyEur": "1.5",
        "netEur": "-1.38",
    }
    [availability] = document["availability"]
    assert availability["bidId"] == setup["bid"]
    assert availability["isps"] == [{"start": setup["t1"], "awardedKw": 40, "availabilityEur": "5"}]
    assert document["totals"] == {
        "activations": 1,
        "remunerationEur": "0.12",
        "penaltyEur": "1.5",
        "energyNetEur": "-1.38",
        "availabilityEur": "5",
        "netEur": "3.62",
    }
    assert document["outstanding"] == []
    # the product pays no availability by default; the need named 0.125, frozen at award
    products = world.client("bsp2").get("/market/products").json()["data"]
    [product] = [p for p in products if p["id"] == setup["product"]]
    assert product["settlement"]["availabilityEurKwIsp"] == "0"
    key = to_bytes32(statement["chainKey"])
    on_chain = world.chain.read("StatementLedger", "statement", key)
    assert on_chain["statementHash"] == keccak(text=_stored_json(world, statement["id"]))
    assert "0x" + on_chain["statementHash"].hex() == statement["statementHash"]


def _stored_json(world: Any, statement_id: str) -> str:
    from ledger.settlement.tables import Statement

    with world.runtime.session() as session:
        row = session.get(Statement, statement_id)
        assert row is not None
        return row.document_json


def test_exports_and_who_sees_the_statement(
    world: Any, setup: dict[str, Any], statement: dict[str, Any]
) -> None:
    path = f"/statements/{statement['id']}"
    csv = world.client("bsp2").get(f"{path}/export", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("section,reference,ispStart,baselineWh,orderedWh,actualWh")
    assert lines[1] == (
        f"activation,{setup['activation']},{iso(setup['t1'])},10000,10000,7500,2500,7500,"
        "50,0.12,200,1.5,,,,-1.38"
    )
    assert lines[2] == f"availability,{setup['bid']},{iso(setup['t1'])},,,,,,,,,,40,0.125,5,5"
    assert lines[3] == "total,bsp2,,,,,,,,0.12,,1.5,,,5,3.62"
    pdf = world.client("tso").get(f"{path}/export", params={"format": "pdf"})
    assert pdf.content.startswith(b"%PDF-")
    bad = world.client("bsp2").get(f"{path}/export", params={"format": "xls"})
    flows.refused(bad, 422, "invalid_input", "format")
    for outsider in ("bsp1", "dso1"):
        flows.refused(world.client(outsider).get(path), 404, "not_found", "statementId")
    assert [s["id"] for s in world.client("bsp2").get("/statements").json()["data"]] == [
        statement["id"]
    ]
    again = world.client("tso").post(
        "/statements", json={"bspId": "bsp2", "period": setup["month"]}
    )
    flows.refused(again, 409, "conflict", "period")
    bad_period = world.client("tso").post("/statements", json={"bspId": "bsp2", "period": "13"})
    flows.refused(bad_period, 422, "invalid_input", "period")
    by_bsp = world.client("bsp2").post("/statements", json={"bspId": "bsp2", "period": "2026-01"})
    flows.refused(by_bsp, 403, "forbidden", "role")


def test_the_bsp_answers_its_statement_once(
    world: Any, setup: dict[str, Any], statement: dict[str, Any]
) -> None:
    path = f"/statements/{statement['id']}"
    flows.refused(world.client("tso").post(f"{path}/accept"), 403, "forbidden", "statementId")
    flows.refused(world.client("bsp1").post(f"{path}/accept"), 404, "not_found", "statementId")
    no_reason = world.client("bsp2").post(f"{path}/dispute", json={"reason": "  "})
    flows.refused(no_reason, 422, "invalid_input", "reason")
    _done(world, "bsp2", world.client("bsp2").post(f"{path}/dispute", json={"reason": "ISP 1"}))
    view = world.client("tso").get(path).json()
    assert (view["status"], view["disputeReason"]) == ("disputed", "ISP 1")
    on_chain = world.chain.read("StatementLedger", "statement", to_bytes32(view["chainKey"]))
    assert on_chain["status"] == 3
    assert on_chain["disputeReason"] == keccak(text="ISP 1")
    for second in (
        world.client("bsp2").post(f"{path}/accept"),
        world.client("bsp2").post(f"{path}/dispute", json={"reason": "again"}),
    ):
        flows.refused(second, 409, "conflict", "statementId")

    # the TSO issues the period's statement again; the new one names the disputed one
    again = _done(
        world,
        "tso",
        world.client("tso").post("/statements", json={"bspId": "bsp2", "period": setup["month"]}),
    )
    new_id = again["result"]["statementId"]
    new = world.client("bsp2").get(f"/statements/{new_id}").json()
    assert new["document"]["supersedes"] == {
        "statementId": statement["id"],
        "statementHash": statement["statementHash"],
    }
    assert new["totals"] == statement["totals"]
    assert world.client("bsp2").get(path).json()["status"] == "superseded"
    flows.refused(world.client("bsp2").post(f"{path}/accept"), 409, "conflict", "statementId")
    once_more = world.client("tso").post(
        "/statements", json={"bspId": "bsp2", "period": setup["month"]}
    )
    flows.refused(once_more, 409, "conflict", "period")  # only a disputed one is issued again
    _done(world, "bsp2", world.client("bsp2").post(f"/statements/{new_id}/accept"))
    assert world.client("tso").get(f"/statements/{new_id}").json()["status"] == "accepted"


def test_brp_corrections_and_the_audit(
    world: Any, setup: dict[str, Any], statement: dict[str, Any]
) -> None:
    """Each POD's delivered energy goes to its BRP, up = +delivered in net import: DC-A's
    perimeter is corrected by +2,500 Wh in t1, DC-B's by 0."""
    tso = world.client("tso")
    operation = _done(
        world, "tso", tso.post("/perimeter-corrections", json={"period": setup["month"]})
    )
    reports = {
        r["brp"]: r
        for r in tso.get("/perimeter-corrections", params={"period": setup["month"]}).json()["data"]
    }
    first, second = (
        tso.get(f"/perimeter-corrections/{reports[b]['id']}").json() for b in setup["brps"]
    )
    assert first["document"]["isps"] == [{"start": setup["t1"], "correctionWh": 2_500}]
    assert second["document"]["isps"] == [{"start": setup["t1"], "correctionWh": 0}]
    lines = first["document"]["lines"]
    assert lines["columns"][3:] == ["podId", "direction", "deliveredWh", "correctionWh"]
    [line] = lines["rows"]
    assert line[:2] == [setup["t1"], setup["activation"]]
    assert line[3:] == [setup["pods"][0], "up", 2_500, 2_500]
    assert set(operation["result"]["reportIds"]) >= {first["id"], second["id"]}
    for report in (first, second):
        committed = world.chain.read(
            "StatementLedger", "correctionHashOf", to_bytes32(report["chainKey"])
        )
        assert "0x" + committed.hex() == report["reportHash"]
    flows.refused(
        tso.post("/perimeter-corrections", json={"period": setup["month"]}),
        409,
        "conflict",
        "period",
    )
    flows.refused(world.client("bsp2").get("/perimeter-corrections"), 404, "not_found")

    env = cli_env(world)
    code, found = verify(env)
    assert (code, found) == (0, []), found
    changed = _stored_json(world, statement["id"]).replace('"netEur":"3.62"', '"netEur":"9.62"')
    with sql_update(world, "statements", "document_json", changed, row_id=statement["id"]):
        named = verify_names(env, "statements", statement["id"])
    # the stored document no longer hashes to the chain's; recomputed from the settlements and
    # awards, it still does (the tampered column is the one named)
    assert "document_json" in named
    assert "document_json (recomputed)" not in named


def test_the_cli_reads_and_exports_through_the_api(
    world: Any, statement: dict[str, Any], tmp_path: Any
) -> None:
    """``cbp statement``: the same document and CSV as the API; a refusal names the field."""
    from typer.testing import CliRunner

    from cli.main import app

    runner = CliRunner()

    def cbp(slug: str, *args: str) -> Any:
        env = {"CBP_API_URL": world.api_url, "CBP_API_TOKEN": world.tokens[slug], "COLUMNS": "250"}
        return runner.invoke(app, ["statement", *args], env=env)

    shown = cbp("bsp2", "show", statement["id"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["statementHash"] == statement["statementHash"]
    out = tmp_path / "statement.csv"
    exported = cbp("bsp2", "export", statement["id"], "--format", "csv", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    api_csv = world.client("bsp2").get(f"/statements/{statement['id']}/export").content
    assert out.read_bytes() == api_csv
    refused = cbp("bsp1", "show", statement["id"])
    assert refused.exit_code == 2
    assert "not_found" in refused.stderr
    assert "statementId" in refused.stderr
