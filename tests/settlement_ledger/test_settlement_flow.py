"""Settlement on the real stack (a platform of its own, see ``conftest.py``): activations driven
through the market, settling refused before their delivery ends, the clock moved past it, the
DSO's POD meter and the BSP's device readings committed, settlements worked by hand (meters
agreeing, meters disagreeing beyond the configured tolerance, data missing after the upload
window), disputed, re-settled, accepted, finalised by lapse; the audit recomputes each version
and matches the on-chain hash, and a reading changed in the database makes it not match.
Refusals come from the service (409, nothing stored) or from the contract, decoded, both
through the API and when the contract is called directly."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from sqlmodel import select

from ledger.core import clock
from ledger.core.chain.client import Call
from ledger.core.chain.errors import ContractRevert
from ledger.core.ids import to_bytes32
from ledger.core.periods import iso
from ledger.market.tables import MarketBid, MeasurementSeries
from ledger.measurements.readings import MAX_READING_W
from ledger.settlement import service as settlement
from ledger.settlement import stored_inputs as settlement_inputs
from ledger.settlement.tables import Settlement
from tests.indexer.tampering import cli_env, named_column, sql_update, verify, verify_names
from tests.market import flows
from tests.settlement_ledger.conftest import (
    GRACE_S,
    accepted_activation,
    advance_past,
    history_day,
    readings,
    upload,
)

X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}
P = 900  # seconds per period


@pytest.fixture(scope="module")
def setup(world: Any) -> dict[str, Any]:
    """One UVAM of bsp1 with two PODs of dso1, each with an EV charger; an award of 40 kW over
    three periods t1, t2, t3; activations of 10 kW: two in t1 (a, b), one in t2 (c), one in t3
    (d). Settling a is tried before its delivery ends; then the clock moves past t3, the DSO
    uploads its POD readings (a history day at 20 kW; POD 1 at 12 kW in t1-t3, POD 2 at 16 kW in
    t1-t2, nothing in t3) and the BSP its chargers' (charger 1 at 12 kW in t1 and 12.3 kW in t2;
    charger 2 at 16 kW in t1 and 10 kW in t2; nothing in t3)."""
    zone = f"ZS-{uuid.uuid4().hex[:6]}"
    devices: list[str] = []
    uvam_id, pods = flows.qualified_uvam(
        world,
        "bsp1",
        [("dso1", 30, 30, zone), ("dso1", 30, 30, zone)],
        up_kw=60,
        down_kw=60,
        devices=devices,
    )
    flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    product = flows.product(
        world, flows.unique_product("SETTLE"), gate_closure_s=300, notice_s=60, ack_s=120
    )
    t1 = flows.period_after(world, 600, settled_periods=4)
    bid_id, _ = flows.selected_bid(
        world,
        "bsp1",
        uvam_id,
        product,
        t1,
        [40, 40, 40],
        settlement={"method": X_OF_Y, "sanctionEurMwh": "120"},
        gate_closure_s=300,
    )
    ids = {
        "a": accepted_activation(world, bid_id, t1, 10),
        "b": accepted_activation(world, bid_id, t1, 10),
        "c": accepted_activation(world, bid_id, t1 + P, 10),
        "d": accepted_activation(world, bid_id, t1 + 2 * P, 10),
    }
    early = world.client("tso").post(
        f"/market/activations/{ids['a']}/settlement", json={"method": X_OF_Y}
    )
    key = world.client("tso").get(f"/market/activations/{ids['a']}").json()["chainKey"]
    with pytest.raises(ContractRevert) as early_on_chain:
        world.chain.simulate(
            world.organisations["tso"].address,
            [
                Call(
                    "SettlementLedger",
                    "recordSettlement",
                    (
                        to_bytes32(key),
                        b"\x01" * 32,
                        world.organisations["bsp1"].address,
                        clock.clock_for(world.platform.settings).now() + 600,
                    ),
                )
            ],
        )

    advance_past(world, t1 + 3 * P)
    history = history_day(t1)
    pod1, pod2 = pods
    charger1, charger2 = devices
    batch = upload(
        world,
        "dso1",
        "pod",
        readings(pod1, history, [(45, 20_000)]) + readings(pod2, history, [(45, 20_000)]),
    )
    upload(
        world,
        "dso1",
        "pod",
        readings(pod1, t1, [(45, 12_000)]) + readings(pod2, t1, [(30, 16_000)]),
    )
    upload(
        world,
        "bsp1",
        "device",
        readings(charger1, t1, [(15, 12_000), (15, 12_300)])
        + readings(charger2, t1, [(15, 16_000), (15, 10_000)]),
    )
    return {
        **ids,
        "pods": pods,
        "t1": t1,
        "batch": batch,
        "early": early,
        "earlyOnChain": early_on_chain.value,
    }


def _request(world: Any, activation_id: str, **body: Any) -> Any:
    return world.client("tso").post(f"/market/activations/{activation_id}/settlement", json=body)


def _settle(world: Any, activation_id: str, **body: Any) -> dict[str, Any]:
    operation = flows.done(world, "tso", _request(world, activation_id, **body))
    assert operation["status"] == "succeeded", operation
    path = f"/settlements/{operation['result']['settlementId']}"
    view: dict[str, Any] = world.client("tso").get(path).json()
    return view


def _contract_refuses(world: Any, slug: str, call: Call, error: str) -> None:
    with pytest.raises(ContractRevert) as raised:
        world.chain.simulate(world.organisations[slug].address, [call])
    assert raised.value.error_name == error


def _by_pod(record: dict[str, Any], setup: dict[str, Any], name: str) -> list[Any]:
    """A per-POD table of the record (rows in the record's POD order), as POD 1, POD 2."""
    rows = dict(zip(record["pods"]["podIds"], record["pods"][name], strict=True))
    return [rows[pod] for pod in setup["pods"]]


def _key(world: Any, activation_id: str) -> bytes:
    return to_bytes32(
        world.client("tso").get(f"/market/activations/{activation_id}").json()["chainKey"]
    )


def test_refused_before_the_delivery_ends(world: Any, setup: dict[str, Any]) -> None:
    body = flows.refused(setup["early"], 409, "settlement_refused", "activationId")
    assert body["details"]["reason"] == "deliveryNotEnded"
    assert body["details"]["deliveryEnd"] == iso(setup["t1"] + P)
    assert "delivers until" in body["message"]
    # the contract guards it too
    assert setup["earlyOnChain"].error_name == "SettlementDeliveryNotEnded"
    # nothing was stored
    listed = world.client("tso").get(f"/market/activations/{setup['a']}/settlements").json()
    assert listed["count"] == 0


def test_meters_agree_worked_by_hand_then_dispute_resettle_accept_audit(
    world: Any, setup: dict[str, Any]
) -> None:
    """Period t1, by hand: baselines 2 x 20 kW x 15 min = 10,000 Wh; DSO meter 3,000 + 4,000 =
    7,000 Wh; delivered 3,000 Wh, ordered 10 kW = 2,500 Wh: 2,500 Wh paid (500 surplus) at
    50 EUR/MWh = 0.125 EUR, rounded half to even 0.12 EUR; no penalty. The chargers read the
    same 3,000 and 4,000 Wh: no disagreement, and the same delivery by the other source."""
    activation = setup["a"]
    key = _key(world, activation)
    v1 = _settle(world, activation, method=X_OF_Y, sanctionEurMwh="120")
    assert v1["status"] == "recorded"
    assert v1["version"] == 1
    assert v1["method"]["name"] == "xOfY"
    assert v1["rules"]["authoritative"] == "dsoPodMeter"
    assert v1["rules"]["tolerance"] == {"relative": "0.02", "absoluteWh": 20}
    assert v1["rules"]["missingData"] == "zeroDelivery"
    [period] = v1["periods"]
    assert period["start"] == setup["t1"]
    assert (period["baselineWh"], period["measuredWh"]) == (10_000, 7_000)
    assert (period["orderedWh"], period["deliveredWh"]) == (2_500, 3_000)
    assert (period["remuneratedWh"], period["surplusWh"], period["deficiencyWh"]) == (2_500, 500, 0)
    assert period["remunerationEur"] == "0.12"
    assert period["penaltyEur"] == "0"
    assert period["netEur"] == "0.12"
    assert period["otherSourceDeliveredWh"] == 3_000
    assert period["disagreeingPods"] == 0
    assert period["status"] == "settled"
    assert sorted(v1["pods"]["podIds"]) == sorted(setup["pods"])
    assert _by_pod(v1, setup, "measuredWh") == [[3_000], [4_000]]
    assert _by_pod(v1, setup, "otherSourceWh") == [[3_000], [4_000]]
    assert _by_pod(v1, setup, "disagreement") == [[False], [False]]
    assert v1["totals"]["disagreements"] == 0
    # a settled activation keeps its set points and status (issue 12): no change, no stop
    tso = world.client("tso")
    for response in (
        tso.patch(f"/market/activations/{activation}", json={"setPointsKw": [5]}),
        tso.post(f"/market/activations/{activation}/stop", json={"reasons": ["late"]}),
    ):
        assert flows.refused(response, 409, "delivery_over", "activationId")["details"] == {
            "reason": "deliveryOver",
            "deliveryEnd": iso(setup["t1"] + P),
        }
    _contract_refuses(
        world, "tso", Call("FlexMarket", "changeActivation", (key, [5])), "MarketDeliveryOver"
    )
    unchanged = tso.get(f"/market/activations/{activation}").json()
    assert (unchanged["status"], unchanged["setPointsKw"]) == ("Accepted", [10])
    sources = {name.split(":")[0] for name in v1["dataRoots"]}
    assert sources == {"dsoPodMeter", "bspDevices"}
    on_chain = world.chain.read("SettlementLedger", "settlement", key)
    assert "0x" + on_chain["settlementHash"].hex() == v1["settlementHash"]
    assert (on_chain["version"], on_chain["status"]) == (1, 1)

    # refusals: the TSO accepting on behalf of the BSP, the BSP resolving - decoded, API and chain
    refused = world.client("tso").post(f"/settlements/{v1['id']}/accept")
    flows.refused(refused, 403, "contract.SettlementUnauthorizedBsp")
    _contract_refuses(
        world, "tso", Call("SettlementLedger", "accept", (key, 1)), "SettlementUnauthorizedBsp"
    )
    refused = world.client("bsp1").post(
        f"/settlements/{v1['id']}/resolve", json={"decision": "confirm"}
    )
    flows.refused(refused, 403, "contract.SettlementUnauthorizedTso")
    _contract_refuses(
        world, "bsp1", Call("SettlementLedger", "confirm", (key, 1)), "SettlementUnauthorizedTso"
    )
    assert world.client("bsp2").get(f"/settlements/{v1['id']}").status_code == 404

    # the BSP disputes; answering twice is refused
    dispute = world.client("bsp1").post(
        f"/settlements/{v1['id']}/dispute", json={"reason": "baseline too low"}
    )
    assert flows.done(world, "bsp1", dispute)["status"] == "succeeded"
    disputed = world.client("bsp1").get(f"/settlements/{v1['id']}").json()
    assert disputed["status"] == "disputed"
    assert disputed["disputeReason"] == "baseline too low"
    twice = world.client("bsp1").post(f"/settlements/{v1['id']}/accept")
    flows.refused(twice, 409, "contract.SettlementWrongStatus")
    # a disputed settlement is not finalised by lapse either
    flows.refused(
        world.client("tso").post(f"/settlements/{v1['id']}/finalise"),
        409,
        "contract.SettlementWrongStatus",
    )

    # the TSO re-settles with another method: version 2, which the BSP accepts
    resolve = world.client("tso").post(
        f"/settlements/{v1['id']}/resolve",
        json={"decision": "resettle", "method": {"name": "xOfY", "x": 1, "y": 2, "minDays": 1}},
    )
    operation = flows.done(world, "tso", resolve)
    assert operation["status"] == "succeeded", operation
    v2 = world.client("tso").get(f"/settlements/{operation['result']['settlementId']}").json()
    assert (v2["version"], v2["status"]) == (2, "recorded")
    assert v2["method"]["params"]["y"] == 2
    assert world.client("tso").get(f"/settlements/{v1['id']}").json()["status"] == "superseded"
    accept = world.client("bsp1").post(f"/settlements/{v2['id']}/accept")
    assert flows.done(world, "bsp1", accept)["status"] == "succeeded"
    final = world.client("bsp1").get(f"/settlements/{v2['id']}").json()
    assert final["status"] == "final"
    assert [h["event"] for h in final["history"]] == ["recorded", "accepted", "finalised"]
    assert world.chain.read("SettlementLedger", "settlement", key)["status"] == 3
    again = world.client("bsp1").post(f"/settlements/{v2['id']}/accept")
    flows.refused(again, 409, "contract.SettlementWrongStatus")
    versions = world.client("bsp1").get(f"/market/activations/{activation}/settlements").json()
    assert [v["version"] for v in versions["data"]] == [1, 2]

    # the audit: each version recomputes to the hash on chain (API and service)
    for version in (v1, v2):
        audit = world.client("auditor").get(f"/settlements/{version['id']}/audit").json()
        assert audit["matches"] is True, audit
        assert audit["dataRootsMatch"] is True
        assert audit["onChainHash"] == version["settlementHash"]
    # a reading changed in the database: recomputation no longer matches
    with world.runtime.session() as session:
        row = session.exec(
            select(MeasurementSeries).where(MeasurementSeries.batch_id == setup["batch"])
        ).first()
        assert row is not None
        values = bytearray(row.values)
        values[0:4] = (19_000).to_bytes(4, "little", signed=True)
        series_id, original, row.values = row.id, row.values, bytes(values)
        session.add(row)
        session.commit()
    try:
        tampered = settlement.recompute(world.runtime, v1["id"])
        assert tampered["matches"] is False
        assert tampered["dataRootsMatch"] is False
        assert tampered["recomputedHash"] != tampered["onChainHash"]
    finally:
        with world.runtime.session() as session:
            row = session.get(MeasurementSeries, series_id)
            assert row is not None
            row.values = original
            session.add(row)
            session.commit()
    assert settlement.recompute(world.runtime, v1["id"])["matches"] is True


def test_readings_stored_beyond_the_upload_bound_are_still_summed_exactly(
    world: Any, setup: dict[str, Any]
) -> None:
    """A stored reading beyond ``MAX_READING_W`` (stored before uploads were bounded) leaves the
    grid read from storage not ``bounded``: its period's sum, beyond ``int32``, is still exact
    (15 x 143,165,577 W over 60 s is 35,791,394.25 Wh). Within the bound it is ``bounded``."""
    pod = setup["pods"][0]
    start = history_day(setup["t1"])
    with world.runtime.session() as session:
        row = session.exec(
            select(MeasurementSeries).where(
                MeasurementSeries.batch_id == setup["batch"], MeasurementSeries.resource_id == pod
            )
        ).one()
        series_id, original = row.id, row.values
        beyond = (MAX_READING_W + 1).to_bytes(4, "little", signed=True)
        row.values = beyond * 15 + original[60:]
        session.add(row)
        session.commit()
    try:
        with world.runtime.session() as session:
            grid, _ = settlement_inputs._grid(session, [setup["batch"]], [pod], start, start + P)
        assert grid.bounded is False
        assert grid.period_energy().wh.tolist() == [[35_791_394]]
    finally:
        with world.runtime.session() as session:
            row = session.get(MeasurementSeries, series_id)
            assert row is not None
            row.values = original
            session.add(row)
            session.commit()
    with world.runtime.session() as session:
        grid, _ = settlement_inputs._grid(session, [setup["batch"]], [pod], start, start + P)
    assert grid.bounded is True
    assert grid.period_energy().wh.tolist() == [[5_000]]  # 20 kW over 15 minutes


def test_meters_disagree_beyond_the_tolerance_flagged(world: Any, setup: dict[str, Any]) -> None:
    """Period t2, by hand: the DSO meter as in t1 (3,000 + 4,000 Wh), so the same money. The
    chargers read 12.3 kW x 15 min = 3,075 Wh (|3,000 - 3,075| = 75 <= 2 % x 3,000 + 20 = 80:
    within the configured tolerance, though beyond the default 1 % + 10 Wh) and 10 kW x 15 min
    = 2,500 Wh (|4,000 - 2,500| = 1,500 > 2 % x 4,000 + 20 = 100: flagged). By the chargers the
    UVAM delivered 10,000 - 5,575 = 4,425 Wh."""
    record = _settle(world, setup["c"], method=X_OF_Y, sanctionEurMwh="120")
    [period] = record["periods"]
    assert period["start"] == setup["t1"] + P
    assert (period["measuredWh"], period["deliveredWh"]) == (7_000, 3_000)
    assert (period["remunerationEur"], period["penaltyEur"]) == ("0.12", "0")
    assert period["otherSourceDeliveredWh"] == 4_425
    assert period["disagreeingPods"] == 1
    assert _by_pod(record, setup, "otherSourceWh") == [[3_075], [2_500]]
    assert _by_pod(record, setup, "disagreement") == [[False], [True]]
    assert record["totals"]["disagreements"] == 1
    assert period["status"] == "settled"  # a disagreement flags, it does not change the money
    audit = world.client("auditor").get(f"/settlements/{record['id']}/audit").json()
    assert audit["matches"] is True, audit


def test_lapsed_window_finalised_by_the_worker(world: Any, setup: dict[str, Any]) -> None:
    activation = setup["b"]
    key = _key(world, activation)
    v1 = _settle(world, activation, method=X_OF_Y, answerWindowSeconds=4)
    again = _request(world, activation)
    flows.refused(again, 409, "conflict")
    _contract_refuses(
        world,
        "tso",
        Call(
            "SettlementLedger",
            "recordSettlement",
            (key, b"\x02" * 32, world.organisations["bsp1"].address, 2**39),
        ),
        "SettlementAlreadyRecorded",
    )
    # finalising while the window is open is refused by the contract, decoded
    early = world.client("auditor").post(f"/settlements/{v1['id']}/finalise")
    flows.refused(early, 409, "contract.SettlementWindowOpen", "answerDeadline")
    _contract_refuses(
        world, "bsp2", Call("SettlementLedger", "finalise", (key,)), "SettlementWindowOpen"
    )
    # nobody answers: the worker's periodic task finalises it once the window has lapsed
    final = flows.wait_status(world, "tso", f"/settlements/{v1['id']}", {"final"}, timeout_s=60)
    assert final["resolution"] == "lapsed"
    assert [h["event"] for h in final["history"]] == ["recorded", "finalised"]
    assert world.chain.read("SettlementLedger", "settlement", key)["status"] == 3
    late = world.client("bsp1").post(f"/settlements/{v1['id']}/accept")
    flows.refused(late, 409, "contract.SettlementWrongStatus")
    time.sleep(2 * 1.0 + 0.5)  # further ticks do not finalise it twice
    assert len(world.client("tso").get(f"/settlements/{v1['id']}").json()["history"]) == 2


def test_missing_data_refused_in_the_window_then_settled_as_non_delivery(
    world: Any, setup: dict[str, Any]
) -> None:
    """Period t3: POD 2 has no DSO reading. While the upload window is open the settlement is
    refused; after it, by hand: POD 1 delivers 5,000 - 3,000 = 2,000 Wh, POD 2 counts 0;
    2,000 of 2,500 Wh paid at 50 EUR/MWh = 0.10 EUR, 500 Wh short at 120 EUR/MWh = 0.06 EUR
    penalty, net 0.04 EUR; the period is flagged (zeroFilled, one POD missing)."""
    activation = setup["d"]
    refused = flows.refused(
        _request(world, activation, method=X_OF_Y), 409, "settlement_refused", "activationId"
    )
    assert refused["details"]["reason"] == "measurementsMissing"
    assert refused["details"]["missingPods"] == [setup["pods"][1]]
    assert refused["details"]["uploadWindowClosesAt"] == iso(setup["t1"] + 3 * P + GRACE_S)
    listed = world.client("tso").get(f"/market/activations/{activation}/settlements").json()
    assert listed["count"] == 0
    # the contract records a settlement only for the activation's own BSP
    _contract_refuses(
        world,
        "tso",
        Call(
            "SettlementLedger",
            "recordSettlement",
            (_key(world, activation), b"\x03" * 32, world.organisations["bsp2"].address, 2**39),
        ),
        "SettlementNotSettleable",
    )

    advance_past(world, setup["t1"] + 3 * P + GRACE_S)
    record = _settle(world, activation, method=X_OF_Y, sanctionEurMwh="120")
    [period] = record["periods"]
    assert period["status"] == "zeroFilled"
    assert period["missingPods"] == 1
    assert _by_pod(record, setup, "measuredWh") == [[3_000], [None]]
    assert _by_pod(record, setup, "deliveredWh") == [[2_000], [0]]
    assert (period["orderedWh"], period["deliveredWh"]) == (2_500, 2_000)
    assert (period["remuneratedWh"], period["deficiencyWh"]) == (2_000, 500)
    assert (period["remunerationEur"], period["penaltyEur"], period["netEur"]) == (
        "0.1",
        "0.06",
        "0.04",
    )
    assert period["otherSourceDeliveredWh"] is None  # the chargers sent nothing for t3
    assert record["totals"]["flaggedPeriods"] == 1
    assert record["complete"] is True
    audit = world.client("auditor").get(f"/settlements/{record['id']}/audit").json()
    assert audit["matches"] is True, audit


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("market_bids", "price_micro", 1),
        ("market_bids", "status", "Withdrawn"),
        ("market_needs", "quantities_kw", "[1, 1, 1]"),
        ("market_awards", "awarded_kw", "[1, 1, 1]"),
        ("market_activations", "set_points_kw", "[99]"),
        ("measurement_batches", "reading_count", 1),
        ("settlements", "record_json", '{"tampered": true}'),
    ],
)
def test_audit_verify_names_a_tampered_market_or_settlement_column(
    world: Any, setup: dict[str, Any], table: str, column: str, value: Any
) -> None:
    """``cbp audit verify`` exits 1 naming the row and the column changed with SQL."""
    env = cli_env(world)
    with world.runtime.session() as session:
        if session.exec(select(Settlement).where(Settlement.status != "failed")).first() is None:
            _settle(world, setup["a"], method=X_OF_Y)
        bid = session.exec(select(MarketBid).where(MarketBid.status == "Selected")).first()
        rows = {
            "market_bids": ("id", bid and bid.id),
            "market_needs": ("id", bid and bid.need_id),
            "market_awards": ("bid_id", bid and bid.id),
            "market_activations": ("id", setup["a"]),
            "measurement_batches": ("id", setup["batch"]),
            "settlements": ("id", session.exec(select(Settlement.id)).first()),
        }
    code, found = verify(env)
    assert (code, found) == (0, []), found
    key, row_id = rows[table]
    with sql_update(world, table, column, value, key=key, row_id=row_id):
        found = verify_names(env, table, row_id)
    assert named_column(found, column)["db_value"] != named_column(found, column)["chain_value"]


def test_the_dso_of_the_grid_reads_the_settlement_and_no_other_dso_does(
    world: Any, setup: dict[str, Any]
) -> None:
    """Issue 14, item 7: both PODs of the UVAM are on dso1's grid. dso1 reads activation c's
    settlement (the view, the activation's list, the audit) but cannot answer it (403, field
    ``role``); dso2 gets 404 as for a settlement that does not exist."""
    activation = setup["c"]
    listed = world.client("tso").get(f"/market/activations/{activation}/settlements").json()
    settlement_id = (
        listed["data"][0]["id"]
        if listed["count"]
        else _settle(world, activation, method=X_OF_Y)["id"]
    )
    path = f"/settlements/{settlement_id}"
    dso1, dso2 = world.client("dso1"), world.client("dso2")
    seen = dso1.get(path)
    assert seen.status_code == 200, seen.text
    assert seen.json() == world.client("tso").get(path).json()
    assert dso1.get(f"/market/activations/{activation}/settlements").json()["count"] >= 1
    assert dso1.get(f"{path}/audit").json()["matches"] is True
    for answer, body in (("accept", {}), ("dispute", {"reason": "no"}), ("finalise", {})):
        flows.refused(dso1.post(f"{path}/{answer}", json=body), 403, "forbidden", "role")
    flows.refused(dso2.get(path), 404, "not_found", "settlementId")
    flows.refused(dso2.get(f"{path}/audit"), 404, "not_found", "settlementId")
    flows.refused(
        dso2.get(f"/market/activations/{activation}/settlements"), 404, "not_found", "activationId"
    )
    flows.refused(dso2.post(f"{path}/accept", json={}), 404, "not_found", "settlementId")
    after = world.client("tso").get(path).json()
    assert after["status"] == seen.json()["status"]  # the DSO's refused answers changed nothing
