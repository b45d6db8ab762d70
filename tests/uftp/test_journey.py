"""The UFTP journey with a real aggregator process (``aggregator.py``): the TSO's need goes out
as a FlexRequest, the aggregator's FlexOffer becomes a bid (same operation, same contract as
the JSON API), the clearing awards it, the TSO's activation goes out as a FlexOrder whose
FlexOrderResponse is the BSP's acknowledgement, the meters are uploaded through the
measurements API, and the settlement goes out as a FlexSettlement whose FlexSettlementResponse
accepts it (UVAM ``accept``) or disputes it (UVAM ``dispute``).

By hand, period t1 (one ISP): the need and the offer are 40 kW up = -40,000 W in UFTP, for
0.5000 EUR = 40 kW x 0.25 h = 0.01 MWh at 50 EUR/MWh. The POD read 50 kW on the history day
and 10 kW in t1: baseline 12,500 Wh = 50,000 W, actual 2,500 Wh = 10,000 W, delivered
10,000 Wh = 40,000 W of flex (-40,000 W: up), all of it ordered; 0.50 EUR, no penalty.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from nacl.bindings import crypto_sign_open
from shapeshifter_uftp import transport
from sqlmodel import select

from ledger.core.ids import to_bytes32
from ledger.core.periods import iso
from ledger.uftp.tables import UftpMessage
from tests.market import flows
from tests.settlement_ledger.conftest import history_day, readings, upload
from tests.uftp.conftest import DISPUTE_REASON, Uftp

X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}
GATE_S = 300


def _journey(uftp: Uftp, name: str) -> dict[str, Any]:
    """Request -> offer -> order -> delivery -> settlement for UVAM ``name``; returns what the
    aggregator received and the platform's records."""
    world, uvam, product = uftp.world, uftp.uvams[name], uftp.products[name]
    tso = world.client("tso")
    t1 = flows.period_after(world, GATE_S + 120, settled_periods=1)

    # 1. request: the TSO states a need; the endpoint sends a FlexRequest per UVAM of bsp1
    need = flows.done(
        world,
        "tso",
        tso.post(
            "/market/needs",
            json={
                "productId": product,
                "direction": "up",
                "deliveryStart": iso(t1),
                "quantitiesKw": [40],
                "settlement": {"method": X_OF_Y, "sanctionEurMwh": "120"},
            },
        ),
    )
    assert need["status"] == "succeeded", need
    need_id = need["result"]["needId"]
    request = uftp.wait_for("FlexRequest", ServiceType=product, CongestionPoint=_point(uftp, uvam))
    [isp] = request["ISP"]
    assert (isp["Disposition"], isp["MinPower"], isp["MaxPower"]) == ("Requested", -40_000, 0)

    # 2. offer: the aggregator's FlexOffer is accepted and is a bid of the UVAM, on chain
    offer = _stored_offer(uftp, request["MessageID"])
    uftp.wait_for("FlexOfferResponse", FlexOfferMessageID=offer.message_id, Result="Accepted")
    [bid_id] = offer.links["bidIds"]
    [bid] = flows.wait_bids(world, "tso", [bid_id], {"Active"})
    assert (bid["uvamId"], bid["productId"], bid["direction"]) == (uvam, product, "up")
    assert (bid["quantitiesKw"], bid["price"]) == ([40], "50")
    operation = world.wait("bsp1", offer.links["operationId"])
    assert (operation["kind"], operation["status"]) == ("market.bids.submit", "succeeded")

    # 3. order: at the gate the need is cleared (award on chain); the TSO activates the award;
    #    the FlexOrder's Accepted response is bsp1's acknowledgement
    flows.advance_past(world, t1 - GATE_S)
    cleared = flows.wait_status(world, "tso", f"/market/needs/{need_id}", {"Cleared"})
    assert [a["bidId"] for a in cleared["awards"]] == [bid_id]
    key = to_bytes32(bid["chainKey"])
    assert world.chain.read("FlexMarket", "award", key, t1)["awardedKw"] == 40
    activated = tso.post(
        "/market/activations", json={"bidId": bid_id, "firstPeriod": iso(t1), "setPointsKw": [40]}
    )
    assert flows.done(world, "tso", activated)["status"] == "succeeded"
    activation_id = activated.json()["activationId"]
    order = uftp.wait_for("FlexOrder", OrderReference=activation_id)
    assert order["FlexOfferMessageID"] == offer.message_id
    assert (order["ISP"], order["Price"]) == (
        [{"Power": -40_000, "Start": isp["Start"], "Duration": 1}],
        "0.5000",
    )
    flows.wait_status(world, "tso", f"/market/activations/{activation_id}", {"Accepted"})

    # 4. delivery: the meters through the measurements API, after the period
    flows.advance_past(world, t1 + 900)
    pod, device = uftp.pods[name], uftp.devices[name]
    upload(world, "dso1", "pod", readings(pod, history_day(t1), [(15, 50_000)]))
    upload(world, "dso1", "pod", readings(pod, t1, [(15, 10_000)]))
    upload(world, "bsp1", "device", readings(device, t1, [(15, 10_000)]))

    # 5. settlement: the TSO settles; the FlexSettlement goes out and is answered
    settled = flows.done(
        world,
        "tso",
        tso.post(
            f"/market/activations/{activation_id}/settlement",
            json={"method": X_OF_Y, "sanctionEurMwh": "120"},
        ),
    )
    assert settled["status"] == "succeeded", settled
    settlement_id = settled["result"]["settlementId"]
    order_settlement = _order_settlement(uftp, activation_id)
    return {
        "settlementId": settlement_id,
        "orderSettlement": order_settlement,
        "isp": isp["Start"],
        "offer": offer,
    }


def test_journey_settlement_accepted(uftp: Uftp) -> None:
    world = uftp.world
    journey = _journey(uftp, "accept")
    assert journey["orderSettlement"]["ISP"] == [
        {
            "Start": journey["isp"],
            "Duration": 1,
            "BaselinePower": 50_000,
            "OrderedFlexPower": -40_000,
            "ActualPower": 10_000,
            "DeliveredFlexPower": -40_000,
            "PowerDeficiency": 0,
        }
    ]
    settled = journey["orderSettlement"]
    assert (settled["Price"], settled["Penalty"], settled["NetSettlement"]) == (
        "0.5000",
        "0.0000",
        "0.5000",
    )
    final = flows.wait_status(world, "bsp1", f"/settlements/{journey['settlementId']}", {"final"})
    assert [h["event"] for h in final["history"]][:2] == ["recorded", "accepted"]
    # one conversation, every message recorded (outbound ones delivered); the settlement
    # response with the operation it caused
    with world.runtime.session() as session:
        rows = session.exec(
            select(UftpMessage).where(
                UftpMessage.conversation_id == journey["offer"].conversation_id
            )
        ).all()
    assert sorted((row.direction, row.message_type) for row in rows) == [
        ("in", "FlexOffer"),
        ("in", "FlexOrderResponse"),
        ("in", "FlexRequestResponse"),
        ("in", "FlexSettlementResponse"),
        ("out", "FlexOfferResponse"),
        ("out", "FlexOrder"),
        ("out", "FlexRequest"),
        ("out", "FlexSettlement"),
    ]
    assert all(row.delivered_at is not None for row in rows if row.direction == "out")
    # an accepted message keeps its sealed body: the aggregator's signature checks again
    for row in (r for r in rows if r.direction == "in"):
        assert row.sealed is not None, row.message_type
        opened = crypto_sign_open(
            base64.b64decode(row.sealed), base64.b64decode(uftp.agr_keys.public_key)
        )
        assert transport.from_xml(opened).message_id == row.message_id
    [response] = [row for row in rows if row.message_type == "FlexSettlementResponse"]
    assert response.links["accepted"] is True
    assert response.links["settlementId"] == journey["settlementId"]


def test_journey_settlement_disputed(uftp: Uftp) -> None:
    world = uftp.world
    journey = _journey(uftp, "dispute")
    disputed = flows.wait_status(
        world, "bsp1", f"/settlements/{journey['settlementId']}", {"disputed"}
    )
    assert disputed["disputeReason"] == DISPUTE_REASON


def _point(uftp: Uftp, uvam: str) -> str:
    return f"ea1.2026-12.{uftp.platform_domain}:{uvam}"


def _stored_offer(uftp: Uftp, request_id: str, timeout_s: float = 30) -> UftpMessage:
    """The aggregator's FlexOffer answering ``request_id``, as the platform recorded it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with uftp.world.runtime.session() as session:
            row = session.exec(
                select(UftpMessage).where(
                    UftpMessage.direction == "in",
                    UftpMessage.message_type == "FlexOffer",
                    UftpMessage.reference_message_id == request_id,
                )
            ).first()
        if row is not None:
            return row
        time.sleep(0.1)
    raise AssertionError(f"no FlexOffer recorded for FlexRequest {request_id}")


def _order_settlement(uftp: Uftp, activation_id: str, timeout_s: float = 30) -> dict[str, Any]:
    """The FlexOrderSettlement of the activation in a FlexSettlement the aggregator received."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for entry in uftp.received():
            if entry["type"] != "FlexSettlement":
                continue
            for order in entry["FlexOrderSettlement"]:
                if order["OrderReference"] == activation_id:
                    return dict(order)
        time.sleep(0.1)
    raise AssertionError(f"no FlexSettlement for order {activation_id}")
