"""Settlement on the real stack (the ``world`` fixture): an activation driven through the market,
the DSO's POD readings committed, the settlement recorded on chain, disputed, re-settled as a
new version, accepted; the audit recomputes each version and matches the on-chain hash, and a
reading changed in the database makes it not match. Refusals come from the contract, decoded,
both through the API and when the contract is called directly."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from ledger.chain.client import Call
from ledger.chain.errors import ContractRevert
from ledger.db.market_models import MeasurementSeries
from ledger.ids import to_bytes32
from ledger.market.periods import iso
from ledger.services import settlement
from ledger.settlement import day_type
from tests.market import flows

X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}


def _history_day(t1: int) -> int:
    """The same period on the most recent earlier day of the same day type."""
    day = datetime.fromtimestamp(t1, UTC)
    for back in range(1, 8):
        earlier = day - timedelta(days=back)
        if day_type(earlier.date()) == day_type(day.date()):
            return t1 - back * 86_400
    raise AssertionError("no day of the same type in a week")


def _activation(world: Any, bid_id: str, t1: int, kw: int) -> str:
    tso = world.client("tso")
    response = tso.post(
        "/market/activations", json={"bidId": bid_id, "firstPeriod": iso(t1), "setPointsKw": [kw]}
    )
    assert flows.done(world, "tso", response)["status"] == "succeeded"
    activation_id: str = response.json()["activationId"]
    ack = world.client("bsp1").post(
        f"/market/activations/{activation_id}/acknowledgement", json={"accept": True}
    )
    assert flows.done(world, "bsp1", ack)["status"] == "succeeded"
    return activation_id


@pytest.fixture(scope="module")
def setup(world: Any) -> dict[str, Any]:
    """One UVAM of bsp1 (one POD of dso1), an award of 30 kW, two accepted activations in the
    same period (10 kW each), and the DSO's readings of the POD on a history day."""
    zone = f"ZS-{uuid.uuid4().hex[:6]}"
    uvam_id, [pod_id] = flows.qualified_uvam(
        world, "bsp1", [("dso1", 30, 30, zone)], up_kw=30, down_kw=30
    )
    flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    product = flows.product(
        world, flows.unique_product("SETTLE"), gate_closure_s=60, notice_s=60, ack_s=120
    )
    t1 = flows.period_after(300)
    response = world.client("bsp1").post(
        "/market/bids", json={"bids": [flows.bid(uvam_id, product, t1, [30], "50.00")]}
    )
    assert flows.done(world, "bsp1", response)["status"] == "succeeded"
    [bid_id] = response.json()["bidIds"]
    flows.wait_bids(world, "tso", [bid_id], {"Active"})
    need = world.client("tso").post(
        "/market/needs",
        json={
            "productId": product,
            "direction": "up",
            "deliveryStart": iso(t1),
            "quantitiesKw": [30],
        },
    )
    assert flows.done(world, "tso", need)["status"] == "succeeded"
    flows.wait_bids(world, "tso", [bid_id], {"Selected"})
    first = _activation(world, bid_id, t1, 10)
    second = _activation(world, bid_id, t1, 10)

    history = _history_day(t1)
    rows = [
        {"resourceId": pod_id, "timestamp": history + 60 * i, "powerW": 20_000} for i in range(15)
    ]
    upload = world.client("dso1").post(
        "/market/measurements", json={"kind": "pod", "resolutionSeconds": 60, "readings": rows}
    )
    assert flows.done(world, "dso1", upload)["status"] == "succeeded", upload.text
    return {
        "first": first,
        "second": second,
        "pod": pod_id,
        "t1": t1,
        "history": history,
        "batch": upload.json()["batch"]["id"],
    }


def _settle(world: Any, activation_id: str, **body: Any) -> dict[str, Any]:
    response = world.client("tso").post(
        f"/market/activations/{activation_id}/settlement", json=body
    )
    operation = flows.done(world, "tso", response)
    assert operation["status"] == "succeeded", operation
    path = f"/settlements/{operation['result']['settlementId']}"
    view: dict[str, Any] = world.client("tso").get(path).json()
    return view


def _contract_refuses(world: Any, slug: str, call: Call, error: str) -> None:
    with pytest.raises(ContractRevert) as raised:
        world.chain.simulate(world.organisations[slug].address, [call])
    assert raised.value.error_name == error


def test_dispute_resettle_accept_and_audit(world: Any, setup: dict[str, Any]) -> None:
    activation = setup["first"]
    key = to_bytes32(
        world.client("tso").get(f"/market/activations/{activation}").json()["chainKey"]
    )
    v1 = _settle(world, activation, method=X_OF_Y, sanctionEurMwh="120")
    assert v1["status"] == "recorded"
    assert v1["version"] == 1
    assert v1["method"]["name"] == "xOfY"
    assert v1["method"]["params"]["x"] == 1
    [period] = v1["periods"]
    assert period["start"] == setup["t1"]
    assert period["orderedWh"] == 2500
    assert period["baselineWh"] == 5000  # 20 kW over 15 min on the history day
    assert period["priceEurMwh"] == "50"
    assert period["sanctionEurMwh"] == "120"
    assert list(v1["dataRoots"])
    assert all(k.startswith("dsoPodMeter:") for k in v1["dataRoots"])
    on_chain = world.chain.read("SettlementLedger", "settlement", key)
    assert "0x" + on_chain["settlementHash"].hex() == v1["settlementHash"]
    assert on_chain["version"] == 1
    assert on_chain["status"] == 1

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
    # another BSP cannot even see it
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
    _contract_refuses(
        world,
        "bsp1",
        Call("SettlementLedger", "dispute", (key, 1, b"\x01" * 32)),
        "SettlementWrongStatus",
    )

    # the TSO re-settles with another method: version 2, which the BSP accepts
    resolve = world.client("tso").post(
        f"/settlements/{v1['id']}/resolve",
        json={"decision": "resettle", "method": {"name": "xOfY", "x": 1, "y": 2, "minDays": 1}},
    )
    operation = flows.done(world, "tso", resolve)
    assert operation["status"] == "succeeded", operation
    v2 = world.client("tso").get(f"/settlements/{operation['result']['settlementId']}").json()
    assert v2["version"] == 2
    assert v2["status"] == "recorded"
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
        ).one()
        values = bytearray(row.values)
        values[0:4] = (19_000).to_bytes(4, "little", signed=True)
        original, row.values = row.values, bytes(values)
        session.add(row)
        session.commit()
    try:
        tampered = settlement.recompute(world.runtime, v1["id"])
        assert tampered["matches"] is False
        assert tampered["dataRootsMatch"] is False
        assert tampered["recomputedHash"] != tampered["onChainHash"]
    finally:
        with world.runtime.session() as session:
            row = session.exec(
                select(MeasurementSeries).where(MeasurementSeries.batch_id == setup["batch"])
            ).one()
            row.values = original
            session.add(row)
            session.commit()
    assert settlement.recompute(world.runtime, v1["id"])["matches"] is True


def test_late_answer_and_double_settlement_refused(world: Any, setup: dict[str, Any]) -> None:
    activation = setup["second"]
    key = to_bytes32(
        world.client("tso").get(f"/market/activations/{activation}").json()["chainKey"]
    )
    v1 = _settle(world, activation, method=X_OF_Y, answerWindowSeconds=2)
    again = world.client("tso").post(f"/market/activations/{activation}/settlement", json={})
    flows.refused(again, 409, "conflict")
    _contract_refuses(
        world,
        "tso",
        Call(
            "SettlementLedger",
            "recordSettlement",
            (key, b"\x02" * 32, world.organisations["bsp1"].address, int(time.time()) + 600),
        ),
        "SettlementAlreadyRecorded",
    )
    time.sleep(3.5)
    late = world.client("bsp1").post(f"/settlements/{v1['id']}/accept")
    flows.refused(late, 409, "contract.SettlementAnswerLate")
    _contract_refuses(
        world, "bsp1", Call("SettlementLedger", "accept", (key, 1)), "SettlementAnswerLate"
    )
    # the window lapsed: anyone may finalise on chain
    _contract_refuses(
        world, "bsp1", Call("SettlementLedger", "accept", (key, 2)), "SettlementStaleVersion"
    )
    world.chain.simulate(
        world.organisations["bsp2"].address, [Call("SettlementLedger", "finalise", (key,))]
    )
