"""P2P trading through the API on the real stack (API, Celery worker, Anvil): 202 and an
operation for every write, trades Pending until the operator confirms or rejects them, and
each refusal answered with its status and decoded contract error."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.core import operations
from ledger.p2p import service as p2p_service
from tests.indexer.tampering import cli_env, named_column, sql_update, verify_names

T = "2024-09-27T10:0{}:00Z"


@pytest.fixture(scope="module")
def window(p2p: Any) -> dict[str, Any]:
    """A window of p2p-cpo worked like the matching test: sellers S1 (60 kWh, 90 %) and S2
    (100 kWh, 95 %), buyers B1 (40 kWh, 50 %) and B2 (60 kWh, 45 %), each buyer funded 5 EUR.
    Matching: B1 6.0 kWh from S1, B1 4.0 from S2, B2 11.0 from S2."""
    s1, s2, b1, b2, poor = p2p.register_evs("bsp1", "60", "100", "40", "60", "100")
    p2p.deposit("p2p-cpo", {b1: "5.00", b2: "5.00"})
    sessions = p2p.report(
        "p2p-cpo",
        [
            (s1, "90", T.format(0)),
            (b1, "50", T.format(1)),
            (s2, "95", T.format(2)),
            (b2, "45", T.format(3)),
        ],
    )
    window_id = p2p.open_window("p2p-cpo", sessions)
    return {"id": window_id, "S1": s1, "S2": s2, "B1": b1, "B2": b2, "poor": poor}


def test_window_is_matched_and_committed(p2p: Any, window: dict[str, Any]) -> None:
    view = p2p.client("p2p-cpo").get(f"/p2p/windows/{window['id']}").json()
    assert view["priceEurPerKwh"] == "0.15"
    assert (view["demandKwh"], view["supplyKwh"], view["matchedKwh"]) == (
        "28.000",
        "21.000",
        "21.000",
    )
    assert view["trades"] == {"Matched": 3}
    roles = {s["evId"]: (s["role"], s["energyKwh"]) for s in view["sessions"]}
    assert roles[window["B2"]] == ("buyer", "18.000")
    assert roles[window["S2"]] == ("seller", "15.000")
    on_chain = p2p.chain.read("P2PTrading", "window", bytes.fromhex(view["pseudonym"][2:]))
    assert on_chain["priceMicroEurPerKwh"] == 150_000
    assert "0x" + on_chain["recordHash"].hex() == view["recordHash"]
    assert "sessions" not in p2p.client("bsp1").get(f"/p2p/windows/{window['id']}").json()


def test_pending_then_confirmed_and_rejected(p2p: Any, window: dict[str, Any]) -> None:
    bsp = p2p.client("bsp1")
    submitted = bsp.post(f"/p2p/windows/{window['id']}/trades", json={})
    assert submitted.json()["remainingMatched"] == 0
    done = p2p.done("bsp1", submitted)
    assert done["result"]["pending"] == 3
    trades = bsp.get("/p2p/trades", params={"windowId": window["id"]}).json()["data"]
    by_pair = {(t["buyerEvId"], t["sellerEvId"]): t for t in trades}
    first = by_pair[(window["B1"], window["S1"])]
    second = by_pair[(window["B2"], window["S2"])]
    assert (first["energyKwh"], first["costEur"], first["status"]) == ("6.000", "0.90", "Pending")
    assert (second["energyKwh"], second["costEur"]) == ("11.000", "1.65")
    assert p2p.trade("bsp1", first["tradeId"])["chainStatus"] == "Pending"
    assert p2p.balance("bsp1", window["B1"]) == ("3.50", "1.50")  # 0.90 + 0.60 held

    operator = p2p.client("p2p-cpo")
    p2p.done(
        "p2p-cpo",
        operator.post(
            f"/p2p/trades/{first['tradeId']}/confirm", json={"energyKwh": "6.0", "costEur": "0.90"}
        ),
    )
    confirmed = p2p.trade("p2p-cpo", first["tradeId"])
    assert (confirmed["status"], confirmed["chainStatus"]) == ("Confirmed", "Confirmed")
    assert p2p.balance("bsp1", window["S1"]) == ("0.90", "0.00")
    assert p2p.balance("bsp1", window["B1"]) == ("3.50", "0.60")

    reasons = ["metered energy differs from the trade"]
    p2p.done(
        "p2p-cpo",
        operator.post(f"/p2p/trades/{second['tradeId']}/reject", json={"reasons": reasons}),
    )
    rejected = p2p.trade("bsp1", second["tradeId"])
    assert (rejected["status"], rejected["chainStatus"], rejected["reasons"]) == (
        "Rejected",
        "Rejected",
        reasons,
    )
    assert p2p.balance("bsp1", window["B2"]) == ("5.00", "0.00")  # the held 1.65 came back

    # refusals on the same trades, each with the contract's decoded error
    again = operator.post(f"/p2p/trades/{first['tradeId']}/confirm", json={})
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "contract.P2PTradeNotPending"
    after_reject = operator.post(f"/p2p/trades/{second['tradeId']}/confirm", json={})
    assert after_reject.json()["code"] == "contract.P2PTradeNotPending"
    third = by_pair[(window["B1"], window["S2"])]["tradeId"]
    by_agent = bsp.post(f"/p2p/trades/{third}/confirm", json={})
    assert by_agent.status_code == 403, by_agent.text
    assert by_agent.json()["code"] == "contract.P2PUnauthorized"
    by_other_operator = p2p.client("p2p-cpo2").post(f"/p2p/trades/{third}/confirm", json={})
    assert by_other_operator.status_code == 404  # not its window: it does not even see the trade
    wrong_measure = operator.post(f"/p2p/trades/{third}/confirm", json={"energyKwh": "4.5"})
    assert (wrong_measure.status_code, wrong_measure.json()["field"]) == (409, "energyKwh")
    no_reason = operator.post(f"/p2p/trades/{third}/reject", json={"reasons": []})
    assert no_reason.status_code == 422
    resubmit = bsp.post(f"/p2p/windows/{window['id']}/trades", json={"tradeIds": [third]})
    assert resubmit.json()["code"] == "contract.P2PAlreadyExists"
    p2p.done("p2p-cpo", operator.post("/p2p/trades/confirm", json={"tradeIds": [third]}))
    assert p2p.trade("bsp1", third)["status"] == "Confirmed"


def test_add_batch_with_the_source_examples(p2p: Any, window: dict[str, Any]) -> None:
    e1, e2 = p2p.register_evs("bsp1", "60", "100")
    p2p.deposit("p2p-cpo", {e1: "10.00", e2: "10.00"})
    body = {
        "windowId": window["id"],
        "trades": [
            {"buyerEvId": e1, "sellerEvId": window["S1"], "energyKwh": "18.0", "costEur": "2.70"},
            {"buyerEvId": e2, "sellerEvId": window["S2"], "energyKwh": 43.5, "costEur": "6.52"},
        ],
    }
    done = p2p.done("bsp1", p2p.client("bsp1").post("/p2p/trades", json=body))
    assert len(done["transactionHashes"]) == 1  # one call, one transaction
    rows = [p2p.trade("bsp1", trade_id) for trade_id in done["result"]["tradeIds"]]
    assert sorted((r["energyKwh"], r["costEur"], r["status"]) for r in rows) == [
        ("18.000", "2.70", "Pending"),
        ("43.500", "6.52", "Pending"),
    ]
    assert all(r["senderHash"].startswith("0x") and len(r["senderHash"]) == 66 for r in rows)
    assert p2p.balance("bsp1", e2) == ("3.48", "6.52")


def test_add_batch_answers_trade_ids_in_the_request_order(p2p: Any, window: dict[str, Any]) -> None:
    """Buyers submitted against the order of their pseudonyms (the order the trades are
    grouped in on chain): each answered trade id still belongs to the trade at its position."""
    buyers = p2p.register_evs("bsp1", "60", "60", "60")
    p2p.deposit("p2p-cpo", dict.fromkeys(buyers, "10.00"))
    pseudonym = {ev: p2p.client("bsp1").get(f"/p2p/evs/{ev}").json()["pseudonym"] for ev in buyers}
    buyers.sort(key=lambda ev: pseudonym[ev], reverse=True)
    energies = ["1.000", "2.000", "3.000"]
    body = {
        "windowId": window["id"],
        "trades": [
            {"buyerEvId": ev, "sellerEvId": window["S1"], "energyKwh": kwh}
            for ev, kwh in zip(buyers, energies, strict=True)
        ],
    }

    response = p2p.client("bsp1").post("/p2p/trades", json=body)
    done = p2p.done("bsp1", response)

    answered = response.json()["tradeIds"]
    assert done["result"]["tradeIds"] == answered
    rows = [p2p.trade("bsp1", trade_id) for trade_id in answered]
    assert [(r["buyerEvId"], r["energyKwh"]) for r in rows] == list(
        zip(buyers, energies, strict=True)
    )


def test_refusals_at_acceptance(p2p: Any, window: dict[str, Any]) -> None:
    bsp = p2p.client("bsp1")

    def trade(energy: Any, buyer: str = window["B1"], **extra: Any) -> dict[str, Any]:
        return {
            "windowId": window["id"],
            "trades": [
                {"buyerEvId": buyer, "sellerEvId": window["S1"], "energyKwh": energy, **extra}
            ],
        }

    poor = bsp.post("/p2p/trades", json=trade("18.0", buyer=window["poor"]))
    assert poor.status_code == 409, poor.text
    assert (poor.json()["code"], poor.json()["field"]) == (
        "contract.P2PInsufficientFunds",
        "buyerEvId",
    )
    assert poor.json()["details"]["arguments"]["neededCents"] == "270"
    for energy in (0, "0", -5, "-0.001"):
        zero = bsp.post("/p2p/trades", json=trade(energy))
        assert zero.status_code == 422, zero.text
        assert zero.json()["field"] == "trades.0.energyKwh"
    precise = bsp.post("/p2p/trades", json=trade("1.0005"))
    assert precise.status_code == 422
    wrong_cost = bsp.post("/p2p/trades", json=trade("43.5", costEur="6.53"))
    assert (wrong_cost.status_code, wrong_cost.json()["field"]) == (422, "trades[0].costEur")
    foreign = p2p.client("bsp2").post("/p2p/trades", json=trade("1.0"))
    assert (foreign.status_code, foreign.json()["code"]) == (403, "contract.P2PNotOwner")
    unknown = bsp.post("/p2p/trades", json={**trade("1.0"), "windowId": "nope"})
    assert (unknown.status_code, unknown.json()["field"]) == (404, "windowId")
    by_bsp = bsp.post("/p2p/windows", json={"priceEurPerKwh": "0.15"})
    assert by_bsp.status_code == 403
    sessions_by_bsp = bsp.post(
        "/p2p/sessions",
        json={"sessions": [{"evId": window["B1"], "chargePointId": "X", "socPercent": 40}]},
    )
    assert sessions_by_bsp.status_code == 403
    ev_by_operator = p2p.client("p2p-cpo").post(
        "/p2p/evs", json={"operatorId": "p2p-cpo", "evs": [{"capacityKwh": 60}]}
    )
    assert (ev_by_operator.status_code, ev_by_operator.json()["code"]) == (
        403,
        "contract.P2PUnauthorized",
    )
    deposit_by_bsp = bsp.post(
        "/p2p/deposits", json={"deposits": [{"evId": window["B1"], "amountEur": 1}]}
    )
    assert (deposit_by_bsp.status_code, deposit_by_bsp.json()["field"]) == (403, "role")
    thresholds = p2p.client("p2p-cpo").post(
        "/p2p/windows",
        json={"priceEurPerKwh": "0.15", "buyerThresholdPercent": 85, "sellerThresholdPercent": 80},
    )
    assert thresholds.status_code == 422


def test_two_confirmations_racing_only_one_lands(p2p: Any, window: dict[str, Any]) -> None:
    """Both accepted before either is mined (each simulates fine): the worker-side execution
    of the second fails with the decoded P2PTradeNotPending, and the seller is paid once."""
    buyer, seller = p2p.register_evs("bsp1", "40", "40")
    p2p.deposit("p2p-cpo", {buyer: "1.00"})
    body = {
        "windowId": window["id"],
        "trades": [{"buyerEvId": buyer, "sellerEvId": seller, "energyKwh": "2"}],
    }
    trade_id = p2p.done("bsp1", p2p.client("bsp1").post("/p2p/trades", json=body))["result"][
        "tradeIds"
    ][0]
    runtime = p2p.world.runtime
    with runtime.session() as session:
        operator = session.get(type(p2p.world.organisations["p2p-cpo"]), "p2p-cpo")
        ids = [
            p2p_service.confirm_trades(runtime, session, operator=operator, trade_ids=[trade_id]).id
            for _ in range(2)
        ]
    # Executed here, one after the other; the platform's block follower confirms the first.
    for operation_id in ids:
        operations.execute(runtime, operation_id)
    first, second = (p2p.world.wait("p2p-cpo", operation_id) for operation_id in ids)
    assert first["status"] == "succeeded"
    assert second["status"] == "failed"
    assert second["error"]["code"] == "contract.P2PTradeNotPending"
    assert second["error"]["httpStatus"] == 409
    assert p2p.balance("bsp1", seller) == ("0.30", "0.00")


def test_case_study_endpoint(p2p: Any) -> None:
    client = p2p.client("auditor")
    body = client.get("/p2p/case-study", params={"evs": 20, "seed": 3}).json()
    assert len(body["evs"]) == 20
    assert body["summary"]["peakLoadWithP2PKw"] <= body["summary"]["peakLoadWithoutP2PKw"]
    png = client.get(body["figures"]["load_profile"])
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert client.get("/p2p/case-study/figures/nothing.png").status_code == 404
    bad = client.get("/p2p/case-study", params={"buyerThresholdPercent": 90})
    assert bad.status_code == 422


def _operations(p2p: Any, slug: str) -> int:
    return int(p2p.client(slug).get("/operations").json()["count"])


def test_only_the_evs_own_operator_credits_it(p2p: Any, window: dict[str, Any]) -> None:
    """Another operator, or the TSO, is refused before anything is stored; the contract
    refuses the same deposit with P2PNotEvOperator."""
    ev = p2p.client("bsp1").get(f"/p2p/evs/{window['B1']}").json()
    assert ev["operatorId"] == "p2p-cpo"
    before = p2p.balance("bsp1", window["B1"])
    body = {"deposits": [{"evId": window["B2"], "amountEur": "1"}] * 1}
    body["deposits"].append({"evId": window["B1"], "amountEur": "1000"})
    stored = _operations(p2p, "p2p-cpo2")
    other = p2p.client("p2p-cpo2").post("/p2p/deposits", json=body)
    assert other.status_code == 403, other.text
    assert other.json()["field"] == "deposits[0].evId"
    assert "p2p-cpo" in other.json()["message"]
    assert _operations(p2p, "p2p-cpo2") == stored
    by_tso = p2p.client("tso").post("/p2p/deposits", json=body)
    assert (by_tso.status_code, by_tso.json()["field"]) == (403, "role")
    assert p2p.balance("bsp1", window["B1"]) == before
    # the contract says the same if the API is bypassed
    revert = p2p.reverts("p2p-cpo2", "deposit", [bytes.fromhex(ev["pseudonym"][2:])], [100_000])
    assert revert.error_name == "P2PNotEvOperator"


def test_evs_need_a_real_operator(p2p: Any) -> None:
    bsp = p2p.client("bsp1")
    for operator in ("bsp2", "nobody"):
        refused = bsp.post(
            "/p2p/evs", json={"operatorId": operator, "evs": [{"capacityKwh": "60"}]}
        )
        assert (refused.status_code, refused.json()["field"]) == (422, "operatorId")
    missing = bsp.post("/p2p/evs", json={"evs": [{"capacityKwh": "60"}]})
    assert missing.status_code == 422


def test_windows_close_and_refuse_later_trades(p2p: Any) -> None:
    seller, buyer = p2p.register_evs("bsp1", "60", "60")
    p2p.deposit("p2p-cpo", {buyer: "5.00"})
    sessions = p2p.report("p2p-cpo", [(seller, "90", T.format(0)), (buyer, "45", T.format(1))])
    operator = p2p.client("p2p-cpo")
    past = operator.post(
        "/p2p/windows",
        json={"priceEurPerKwh": "0.15", "sessionIds": sessions, "closesAt": "2024-01-01T00:00:00Z"},
    )
    assert (past.status_code, past.json()["field"]) == (422, "closesAt")
    window_id = p2p.open_window("p2p-cpo", sessions)
    view = operator.get(f"/p2p/windows/{window_id}").json()
    assert view["status"] == "Open"
    assert view["closesAt"] is not None

    assert p2p.client("p2p-cpo2").post(f"/p2p/windows/{window_id}/close").status_code == 403
    p2p.done("p2p-cpo", operator.post(f"/p2p/windows/{window_id}/close"))
    view = operator.get(f"/p2p/windows/{window_id}").json()
    assert view["status"] == "Closed"
    on_chain = p2p.read("window", bytes.fromhex(view["pseudonym"][2:]))
    assert on_chain["closesAt"] == int(
        __import__("datetime").datetime.fromisoformat(view["closesAt"]).timestamp()
    )

    bsp = p2p.client("bsp1")
    stored = _operations(p2p, "bsp1")
    matched = bsp.post(f"/p2p/windows/{window_id}/trades", json={})
    assert (matched.status_code, matched.json()["field"]) == (409, "windowId")
    assert "closed at" in matched.json()["message"]
    manual = bsp.post(
        "/p2p/trades",
        json={
            "windowId": window_id,
            "trades": [{"buyerEvId": buyer, "sellerEvId": seller, "energyKwh": "1"}],
        },
    )
    assert (manual.status_code, manual.json()["field"]) == (409, "windowId")
    assert _operations(p2p, "bsp1") == stored
    again = operator.post(f"/p2p/windows/{window_id}/close")
    assert again.status_code == 409
    assert p2p.balance("bsp1", buyer) == ("5.00", "0.00")


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("p2p_trades", "energy_wh", 1),
        ("p2p_trades", "status", "Pending"),
        ("p2p_windows", "price_micro_eur_per_kwh", 1),
        ("p2p_evs", "record", '{"capacityWh": 1}'),
    ],
)
def test_audit_verify_names_a_tampered_p2p_column(
    p2p: Any, window: dict[str, Any], table: str, column: str, value: Any
) -> None:
    """``cbp audit verify`` exits 1 naming the row and the column changed with SQL."""
    bsp = p2p.client("bsp1")
    trades = bsp.get("/p2p/trades", params={"windowId": window["id"]}).json()["data"]
    if not any(t["status"] != "Matched" for t in trades):
        p2p.done("bsp1", bsp.post(f"/p2p/windows/{window['id']}/trades", json={}))
        trades = bsp.get("/p2p/trades", params={"windowId": window["id"]}).json()["data"]
    row_id = {
        "p2p_trades": trades[0]["tradeId"],
        "p2p_windows": window["id"],
        "p2p_evs": window["B1"],
    }[table]
    env = cli_env(p2p.world)
    with sql_update(p2p.world, table, column, value, row_id=row_id):
        found = verify_names(env, table, row_id)
    assert named_column(found, column)["db_value"] != named_column(found, column)["chain_value"]
