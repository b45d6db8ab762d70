"""Declared baselines on the real stack (this package's platform, whose clock the tests move):
the BSP declares the baseline of its POD before gate closure as a measurement batch of kind
``baseline`` (average W per 15-minute period), committed on chain as a Merkle root; a correction
before gate closure supersedes it; declarations after the gate of a bid covering the period
closes, by another BSP or by a DSO are refused with nothing stored; a settlement with method
``declared`` is worked by hand, refused (409, ``method``) where nothing was declared, and the
audit recomputes it, declared batch roots included.

The module runs after ``test_settlement_flow`` (which takes its periods from the wall clock):
it moves the clock forward itself and takes its periods from the platform's clock."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import func, select

from ledger.core import clock
from ledger.core.ids import to_bytes32
from ledger.core.periods import iso, next_period_within_day
from ledger.market.tables import MeasurementBatch, MeasurementSeries
from ledger.market.terms import MeterKind
from ledger.settlement import service as settlement
from tests.market import flows
from tests.settlement_ledger.conftest import accepted_activation, advance_past

P = 900  # seconds per period
GATE_S = 60


def _declare(world: Any, slug: str, pod: str, start: int, watts: list[int]) -> Any:
    return world.client(slug).post(
        "/market/measurements",
        json={
            "kind": "baseline",
            "resolutionSeconds": P,
            "readings": [
                {"resourceId": pod, "timestamp": start + i * P, "powerW": w}
                for i, w in enumerate(watts)
            ],
        },
    )


def _batches(world: Any) -> int:
    with world.runtime.session() as session:
        return int(session.exec(select(func.count()).select_from(MeasurementBatch)).one())


@pytest.fixture(scope="module")
def setup(world: Any) -> dict[str, Any]:
    """A UVAM of bsp1 with one POD of dso1; a bid of 20 kW over t1 and t2 on a product whose gate
    closes 60 s before delivery, selected; the BSP declares 18 kW for t1, then corrects it to
    20 kW before the gate closes; activations of 10 kW in t1 (a) and t2 (b, nothing declared).
    The clock then moves to 30 s before t1 (the bid's gate has closed, t1 has not started)."""
    settings = world.platform.settings
    uvam_id, [pod] = flows.qualified_uvam(
        world, "bsp1", [("dso1", 30, 30, f"ZD-{uuid.uuid4().hex[:6]}")], up_kw=30, down_kw=30
    )
    flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    product = flows.product(
        world, flows.unique_product("DECL"), gate_closure_s=GATE_S, notice_s=15, ack_s=120
    )
    t1 = next_period_within_day(clock.clock_for(settings).now() + 420, 4)
    response = world.client("bsp1").post(
        "/market/bids", json={"bids": [flows.bid(uvam_id, product, t1, [20, 20], "50.00")]}
    )
    assert flows.done(world, "bsp1", response)["status"] == "succeeded"
    [bid_id] = response.json()["bidIds"]
    flows.wait_bids(world, "tso", [bid_id], {"Active"})

    # refusals before gate closure: another BSP, the DSO, a resolution other than 900 s
    stored = _batches(world)
    foreign = _declare(world, "bsp2", pod, t1, [20_000])
    by_dso = _declare(world, "dso1", pod, t1, [20_000])
    fine = world.client("bsp1").post(
        "/market/measurements",
        json={
            "kind": "baseline",
            "resolutionSeconds": 60,
            "readings": [{"resourceId": pod, "timestamp": t1, "powerW": 20_000}],
        },
    )
    refused_stored = _batches(world) - stored

    first = _declare(world, "bsp1", pod, t1, [18_000])
    assert flows.done(world, "bsp1", first)["status"] == "succeeded", first.text
    first_id = first.json()["batch"]["id"]
    correction = world.client("bsp1").post(
        f"/market/measurements/batches/{first_id}/corrections",
        json={"readings": [{"resourceId": pod, "timestamp": t1, "powerW": 20_000}]},
    )
    assert flows.done(world, "bsp1", correction)["status"] == "succeeded", correction.text
    declared_id = correction.json()["batch"]["id"]

    # the need is cleared at its gate (t1 - 60): the activations of t1 then need 15 s of notice
    need = {
        "productId": product,
        "direction": "up",
        "deliveryStart": iso(t1),
        "quantitiesKw": [20, 20],
        "settlement": {"method": {"name": "declared"}, "sanctionEurMwh": "120"},
    }
    assert flows.need_at_gate(world, need, gate_closure_s=GATE_S)["status"] == "succeeded"
    flows.wait_bids(world, "tso", [bid_id], {"Selected"})
    ids = {
        name: accepted_activation(world, bid_id, start, 10)
        for name, start in (("a", t1), ("b", t1 + P))
    }

    advance_past(world, t1 - 35)  # the bid's gate closed at t1 - 60; t1 has not started
    return {
        **ids,
        "pod": pod,
        "t1": t1,
        "first": first_id,
        "declared": declared_id,
        "foreign": foreign,
        "byDso": by_dso,
        "wrongResolution": fine,
        "refusedStored": refused_stored,
    }


def test_declaring_is_for_the_pods_bsp_at_900_s(world: Any, setup: dict[str, Any]) -> None:
    flows.refused(setup["foreign"], 403, "not_entitled", "resourceId")
    flows.refused(setup["byDso"], 403, "forbidden", "kind")
    flows.refused(setup["wrongResolution"], 422, "invalid_input", "resolutionSeconds")
    assert setup["refusedStored"] == 0


def test_a_declaration_is_committed_on_chain_and_a_correction_supersedes_it(
    world: Any, setup: dict[str, Any]
) -> None:
    client = world.client("bsp1")
    first = client.get(f"/market/measurements/batches/{setup['first']}").json()
    declared = client.get(f"/market/measurements/batches/{setup['declared']}").json()
    assert (first["kind"], first["resolutionSeconds"]) == ("baseline", P)
    assert first["supersededBy"] == setup["declared"]
    assert (declared["version"], declared["status"]) == (2, "committed")
    on_chain_key = to_bytes32(declared["chainKey"])
    on_chain = world.chain.read("MeasurementLedger", "batch", on_chain_key)
    assert on_chain["kind"] == MeterKind.BASELINE
    assert "0x" + on_chain["root"].hex() == declared["root"]
    assert on_chain["supersedes"] == to_bytes32(first["chainKey"])
    proof = client.get(
        f"/market/measurements/batches/{setup['declared']}/proof",
        params={"resourceId": setup["pod"], "timestamp": setup["t1"]},
    )
    assert proof.status_code == 200, proof.text
    assert (proof.json()["valueW"], proof.json()["verified"]) == (20_000, True)
    path = [to_bytes32(p) for p in proof.json()["proof"]]
    leaf = to_bytes32(proof.json()["leaf"])
    assert world.chain.read("MeasurementLedger", "verifyReading", on_chain_key, leaf, path)


def test_a_declaration_after_gate_closure_is_refused(world: Any, setup: dict[str, Any]) -> None:
    """At t1 - 30 s, t1 has not started but the gate of the bid covering it (t1 - 60 s) has
    closed: a new declaration and a correction of the last one are refused, nothing stored."""
    stored = _batches(world)
    late = _declare(world, "bsp1", setup["pod"], setup["t1"], [30_000])
    body = flows.refused(late, 422, "past_gate_closure", "readings.0.timestamp")
    assert iso(setup["t1"] - GATE_S) in body["message"]
    # the second reading is the late one (the first is for a period no bid covers, still open)
    later = setup["t1"] + 8 * P
    mixed = world.client("bsp1").post(
        "/market/measurements",
        json={
            "kind": "baseline",
            "resolutionSeconds": P,
            "readings": [
                {"resourceId": setup["pod"], "timestamp": later, "powerW": 1_000},
                {"resourceId": setup["pod"], "timestamp": setup["t1"] + P, "powerW": 1_000},
            ],
        },
    )
    flows.refused(mixed, 422, "past_gate_closure", "readings.1.timestamp")
    fix = world.client("bsp1").post(
        f"/market/measurements/batches/{setup['declared']}/corrections",
        json={"readings": [{"resourceId": setup["pod"], "timestamp": setup["t1"], "powerW": 1}]},
    )
    flows.refused(fix, 422, "past_gate_closure", "readings.0.timestamp")
    assert _batches(world) == stored


def test_settled_on_the_declared_baseline_worked_by_hand_and_audited(
    world: Any, setup: dict[str, Any]
) -> None:
    """Period t1, by hand: declared 20 kW x 15 min = 5,000 Wh (the correction over the first
    18 kW); the DSO meter reads 12 kW = 3,000 Wh; delivered 2,000 Wh of the 2,500 Wh ordered
    (10 kW): 2,000 Wh paid at 50 EUR/MWh = 0.10 EUR; 500 Wh short at the 120 EUR/MWh sanction =
    0.06 EUR; net 0.04 EUR. Activation b (t2) has no declaration: refused, 409 on ``method``."""
    t1, pod = setup["t1"], setup["pod"]
    advance_past(world, t1 + 2 * P)
    readings = [{"resourceId": pod, "timestamp": t1 + 60 * i, "powerW": 12_000} for i in range(30)]
    upload = world.client("dso1").post(
        "/market/measurements", json={"kind": "pod", "resolutionSeconds": 60, "readings": readings}
    )
    assert flows.done(world, "dso1", upload)["status"] == "succeeded", upload.text

    missing = world.client("tso").post(
        f"/market/activations/{setup['b']}/settlement", json={"method": {"name": "declared"}}
    )
    body = flows.refused(missing, 409, "settlement_refused", "method")
    assert body["details"]["reason"] == "declarationMissing"
    assert body["details"]["missingPods"] == [pod]
    listed = world.client("tso").get(f"/market/activations/{setup['b']}/settlements").json()
    assert listed["count"] == 0

    response = world.client("tso").post(
        f"/market/activations/{setup['a']}/settlement",
        json={"method": {"name": "declared"}, "sanctionEurMwh": "120"},
    )
    operation = flows.done(world, "tso", response)
    assert operation["status"] == "succeeded", operation
    view = world.client("tso").get(f"/settlements/{operation['result']['settlementId']}").json()
    assert view["method"]["name"] == "declared"
    [period] = view["periods"]
    assert period["start"] == t1
    assert (period["baselineWh"], period["measuredWh"]) == (5_000, 3_000)
    assert (period["orderedWh"], period["deliveredWh"]) == (2_500, 2_000)
    assert (period["remuneratedWh"], period["deficiencyWh"], period["surplusWh"]) == (2_000, 500, 0)
    assert Decimal(period["remunerationEur"]) == Decimal("0.10")
    assert Decimal(period["penaltyEur"]) == Decimal("0.06")
    assert Decimal(period["netEur"]) == Decimal("0.04")
    declared_key = (
        world.client("tso")
        .get(f"/market/measurements/batches/{setup['declared']}")
        .json()["chainKey"]
    )
    roots = {name for name in view["dataRoots"]}
    assert f"declared:{declared_key}" in roots
    assert {name.split(":")[0] for name in roots} == {"dsoPodMeter", "declared"}

    audit = world.client("auditor").get(f"/settlements/{view['id']}/audit").json()
    assert audit["matches"] is True, audit
    assert audit["dataRootsMatch"] is True
    assert f"declared:{declared_key}" in {r["name"] for r in audit["dataRoots"]}
    # a declared value changed in the database: neither the root nor the hash match any more
    with world.runtime.session() as session:
        row = session.exec(
            select(MeasurementSeries).where(MeasurementSeries.batch_id == setup["declared"])
        ).one()
        original = row.values
        row.values = (30_000).to_bytes(4, "little", signed=True)
        session.add(row)
        session.commit()
    try:
        tampered = settlement.recompute(world.runtime, view["id"])
        assert tampered["dataRootsMatch"] is False
        assert tampered["matches"] is False
    finally:
        with world.runtime.session() as session:
            row = session.exec(
                select(MeasurementSeries).where(MeasurementSeries.batch_id == setup["declared"])
            ).one()
            row.values = original
            session.add(row)
            session.commit()
    assert settlement.recompute(world.runtime, view["id"])["matches"] is True
