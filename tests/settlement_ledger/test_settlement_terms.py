"""Issue 12, item 2: a re-settlement after a dispute keeps the settlement terms fixed with the
first version (prices, sanction, tolerance, missing-data policy) and the method parameters the
resolution does not correct. Worked through the API on this package's platform: settle with a
sanction of 150 EUR/MWh, the BSP disputes, the TSO re-settles with another baseline method.

The module runs after ``test_settlement_flow`` (which takes its periods from the wall clock):
it moves the clock forward itself and takes its periods from the platform's clock."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from eth_utils import keccak
from sqlmodel import func, select

from ledger.core import clock
from ledger.core.domain.canonical import canonical_json
from ledger.core.ids import to_bytes32
from ledger.core.periods import iso, next_period_within_day
from ledger.market.tables import MarketNeed
from ledger.settlement.tables import Settlement, SettlementTerms
from tests.market import flows
from tests.settlement_ledger.conftest import (
    accepted_activation,
    advance_past,
    history_day,
    readings,
    upload,
)

GATE_S = 300  # the need is cleared at its gate, 5 min before delivery: time for notice
P = 900  # seconds per period
SET_POINT_KW = 45
POD_W = 20_000
X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}


@pytest.fixture(scope="module")
def setup(world: Any) -> dict[str, Any]:
    """A UVAM of bsp1 with two PODs of dso1; an award of 45 kW in t1 at 50 EUR/MWh, activated
    in full and accepted. Both PODs draw 20 kW all along - on a history day of the same type
    and from three periods before t1 to its end - so every baseline method gives 2 x 5,000 Wh
    and the UVAM delivers nothing of the 45 kW x 15 min = 11,250 Wh ordered."""
    uvam_id, pods = flows.qualified_uvam(
        world,
        "bsp1",
        [("dso1", 30, 30, f"ZT-{uuid.uuid4().hex[:6]}")] * 2,
        up_kw=60,
        down_kw=60,
    )
    flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    product = flows.product(
        world, flows.unique_product("TERMS"), gate_closure_s=GATE_S, notice_s=60, ack_s=120
    )
    t1 = next_period_within_day(clock.clock_for(world.platform.settings).now() + 420, 4)
    bid_id, published = flows.selected_bid(
        world,
        "bsp1",
        uvam_id,
        product,
        t1,
        [SET_POINT_KW],
        settlement={"method": X_OF_Y, "sanctionEurMwh": "150"},
        gate_closure_s=GATE_S,
    )
    activation = accepted_activation(world, bid_id, t1, SET_POINT_KW)
    need_id = published["result"]["needId"]

    advance_past(world, t1 + P)
    history = history_day(t1)
    rows = []
    for pod in pods:
        rows += readings(pod, history, [(15, POD_W)]) + readings(pod, t1 - 3 * P, [(60, POD_W)])
    upload(world, "dso1", "pod", rows)
    return {"activation": activation, "pods": pods, "t1": t1, "need": need_id, "product": product}


def _done(world: Any, slug: str, response: Any) -> dict[str, Any]:
    operation = flows.done(world, slug, response)
    assert operation["status"] == "succeeded", operation
    return operation


def _view(world: Any, operation: dict[str, Any]) -> dict[str, Any]:
    path = f"/settlements/{operation['result']['settlementId']}"
    view: dict[str, Any] = world.client("tso").get(path).json()
    return view


def _dispute(world: Any, settlement_id: str) -> None:
    response = world.client("bsp1").post(
        f"/settlements/{settlement_id}/dispute", json={"reason": "wrong baseline"}
    )
    _done(world, "bsp1", response)


def _resettle(world: Any, settlement_id: str, **body: Any) -> Any:
    return world.client("tso").post(
        f"/settlements/{settlement_id}/resolve", json={"decision": "resettle", **body}
    )


def _stored(world: Any, activation_id: str) -> tuple[int, int]:
    """(settlement versions, terms rows) stored for the activation."""
    with world.runtime.session() as session:
        versions = session.exec(
            select(func.count())
            .select_from(Settlement)
            .where(Settlement.activation_id == activation_id)
        ).one()
        terms = session.exec(
            select(func.count())
            .select_from(SettlementTerms)
            .where(SettlementTerms.activation_id == activation_id)
        ).one()
    return int(versions), int(terms)


def _penalty_eur(short_wh: int, sanction_eur_mwh: int) -> str:
    """By hand: Wh x EUR/MWh / 10^6, to the cent (11,250 x 150 = 1,687,500 micro-EUR is
    1.6875 EUR: no tie, so half-up and half-even, docs/settlement.md, both give 1.69)."""
    exact = Decimal(short_wh * sanction_eur_mwh) / Decimal(10**6)
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def test_the_terms_come_from_the_need_and_the_clearing_result_on_chain_covers_them(
    world: Any, setup: dict[str, Any]
) -> None:
    """Issue 14, item 1: the need's terms (its product's where it names none) are frozen when
    it is stated and carried into the clearing's result, whose hash is on chain."""
    view = world.client("tso").get(f"/market/needs/{setup['need']}").json()
    frozen = view["settlementTerms"]
    assert {k: frozen[k] for k in ("pricing", "sanctionEurMwh", "missingData")} == {
        "pricing": "payAsBid",
        "sanctionEurMwh": "150",
        "missingData": "zeroDelivery",
    }
    assert frozen["tolerance"] == {"relative": "0.02", "absoluteWh": 20}  # product: platform's
    assert frozen["baseline"] == {
        "name": "xOfY",
        "x": 1,
        "y": 1,
        "minDays": 1,
        "selection": "mostRecent",
        "adjustment": None,
    }  # every parameter, defaults written out
    assert view["result"]["settlementTerms"] == frozen
    assert view["inputs"]["need"]["settlementTerms"] == frozen
    on_chain = world.chain.read("FlexMarket", "need", to_bytes32(view["chainKey"]))
    assert on_chain["resultHash"] == keccak(canonical_json(view["result"]))
    assert world.client("auditor").get(f"/market/needs/{setup['need']}/rerun").json()["reproduced"]


def test_bad_need_terms_are_refused_naming_the_field(world: Any, setup: dict[str, Any]) -> None:
    base = {
        "productId": setup["product"],
        "direction": "up",
        "deliveryStart": iso(setup["t1"] + 4 * P),
        "quantitiesKw": [1],
    }
    for terms, field in (
        ({"method": {"name": "tomorrow"}}, "settlement.method"),
        ({"method": {"name": "xOfY", "x": "many"}}, "settlement.method"),
        ({"sanctionEurMwh": "-1"}, "settlement.sanctionEurMwh"),
        ({"sanctionEurMwh": "1.0000001"}, "settlement.sanctionEurMwh"),
        ({"toleranceRelative": "2"}, "settlement.toleranceRelative"),
    ):
        response = world.client("tso").post("/market/needs", json={**base, "settlement": terms})
        flows.refused(response, 422, "invalid_input", field)


def test_a_settlement_request_cannot_change_the_award_terms_nor_fall_back_to_defaults(
    world: Any, setup: dict[str, Any]
) -> None:
    activation = setup["activation"]
    path = f"/market/activations/{activation}/settlement"
    for bad in ("abc", "-5", "1.0000001", 1.5, "200"):
        response = world.client("tso").post(path, json={"sanctionEurMwh": bad})
        flows.refused(response, 422, "invalid_input", "sanctionEurMwh")
    other = world.client("tso").post(path, json={"method": {"name": "meterBefore"}})
    assert "fixed by the award" in flows.refused(other, 422, "invalid_input", "method")["message"]
    # an award cleared before terms were frozen at award: refused, never a default
    with world.runtime.session() as session:
        need = session.get(MarketNeed, setup["need"])
        assert need is not None
        assert need.result is not None
        kept = need.result
        need.result = {k: v for k, v in kept.items() if k != "settlementTerms"}
        session.commit()
    try:
        body = flows.refused(
            world.client("tso").post(path, json={}), 409, "settlement_refused", "activationId"
        )
        assert body["details"]["reason"] == "termsMissing"
    finally:
        with world.runtime.session() as session:
            need = session.get(MarketNeed, setup["need"])
            assert need is not None
            need.result = kept
            session.commit()
    assert _stored(world, activation) == (0, 0)


def test_a_resettlement_keeps_the_terms_of_the_first_version(
    world: Any, setup: dict[str, Any]
) -> None:
    """Issue 12: v2 charged the default 200 EUR/MWh (2.25 EUR) instead of the 150 agreed."""
    activation = setup["activation"]
    short_wh = SET_POINT_KW * 1000 // 4  # 11,250 Wh ordered, nothing delivered
    expected_penalty = _penalty_eur(short_wh, 150)
    assert expected_penalty == "1.69"

    v1 = _view(
        world,
        _done(
            world,
            "tso",
            world.client("tso").post(
                f"/market/activations/{activation}/settlement",
                json={"method": X_OF_Y, "sanctionEurMwh": "150"},
            ),
        ),
    )
    [period] = v1["periods"]
    assert (period["orderedWh"], period["deliveredWh"]) == (short_wh, 0)
    assert (period["deficiencyWh"], period["penaltyEur"]) == (short_wh, expected_penalty)
    terms = v1["record"]["terms"]
    need = world.client("tso").get(f"/market/needs/{setup['need']}").json()
    assert terms == {
        **need["settlementTerms"],  # frozen at award: sanction 150, X-of-Y 1 of 1, ...
        "pricesEurMwh": ["50"],
        "award": {"needId": setup["need"], "resultHash": need["resultHash"]},
    }
    assert v1["record"]["schema"] == "cbp.settlement/4"

    # the BSP disputes; a resolution may not change the terms (422, nothing stored)
    _dispute(world, v1["id"])
    refused = _resettle(world, v1["id"], method={"name": "meterBefore"}, sanctionEurMwh="200")
    flows.refused(refused, 422, "invalid_input", "sanctionEurMwh")
    assert _stored(world, activation) == (1, 1)

    # the steps: re-settled with another baseline method, no sanction given
    v2 = _view(
        world,
        _done(
            world,
            "tso",
            _resettle(world, v1["id"], method={"name": "meterBefore", "gapPeriods": 1}),
        ),
    )
    assert v2["version"] == 2
    assert v2["method"] == {
        "name": "meterBefore",
        "version": 1,
        "params": {"windowPeriods": 2, "gapPeriods": 1},
    }
    [period] = v2["periods"]
    assert (period["deficiencyWh"], period["sanctionEurMwh"]) == (short_wh, "150")
    assert period["penaltyEur"] == expected_penalty
    assert v2["totals"]["penaltyEur"] == expected_penalty
    assert v2["record"]["terms"] == terms
    assert v2["rules"]["tolerance"] == terms["tolerance"]
    # the terms are in what is hashed on chain, and stored once for the activation
    key = to_bytes32(
        world.client("tso").get(f"/market/activations/{activation}").json()["chainKey"]
    )
    for version in (v1, v2):
        on_chain = world.chain.read("SettlementLedger", "settlementHashOf", key, version["version"])
        assert on_chain == keccak(canonical_json(version["record"]))
        audit = world.client("auditor").get(f"/settlements/{version['id']}/audit").json()
        assert audit["matches"] is True, audit
    with world.runtime.session() as session:
        row = session.get(SettlementTerms, activation)
        assert row is not None
        assert row.terms == terms
        assert row.terms_hash == "0x" + keccak(canonical_json(terms)).hex()

    # disputed again: a resolution that corrects one parameter keeps the others
    _dispute(world, v2["id"])
    v3 = _view(
        world,
        _done(
            world,
            "tso",
            _resettle(world, v2["id"], method={"name": "meterBefore", "windowPeriods": 1}),
        ),
    )
    assert v3["method"]["params"] == {"windowPeriods": 1, "gapPeriods": 1}
    assert v3["record"]["terms"] == terms
    assert v3["totals"]["penaltyEur"] == expected_penalty
    # and one without a method keeps the previous version's method whole
    _dispute(world, v3["id"])
    v4 = _view(world, _done(world, "tso", _resettle(world, v3["id"])))
    assert (v4["version"], v4["method"]) == (4, v3["method"])
    assert v4["record"]["terms"] == terms
    assert _stored(world, activation) == (4, 1)
