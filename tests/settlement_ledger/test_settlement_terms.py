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

from ledger import clock
from ledger.db.settlement_models import Settlement, SettlementTerms
from ledger.domain.canonical import canonical_json
from ledger.ids import to_bytes32
from ledger.market.periods import iso, next_period
from tests.market import flows
from tests.settlement_ledger.conftest import (
    accepted_activation,
    advance_past,
    history_day,
    readings,
    upload,
)

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
        world, flows.unique_product("TERMS"), gate_closure_s=60, notice_s=60, ack_s=120
    )
    t1 = next_period(clock.now(world.platform.settings.data_dir) + 420)
    response = world.client("bsp1").post(
        "/market/bids",
        json={"bids": [flows.bid(uvam_id, product, t1, [SET_POINT_KW], "50.00")]},
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
            "quantitiesKw": [SET_POINT_KW],
        },
    )
    assert flows.done(world, "tso", need)["status"] == "succeeded"
    flows.wait_bids(world, "tso", [bid_id], {"Selected"})
    activation = accepted_activation(world, bid_id, t1, SET_POINT_KW)

    advance_past(world, t1 + P)
    history = history_day(t1)
    rows = []
    for pod in pods:
        rows += readings(pod, history, [(15, POD_W)]) + readings(pod, t1 - 3 * P, [(60, POD_W)])
    upload(world, "dso1", "pod", rows)
    return {"activation": activation, "pods": pods, "t1": t1}


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


def test_a_bad_sanction_price_is_refused_and_nothing_is_stored(
    world: Any, setup: dict[str, Any]
) -> None:
    activation = setup["activation"]
    for bad in ("abc", "-5", "1.0000001", 1.5):
        response = world.client("tso").post(
            f"/market/activations/{activation}/settlement",
            json={"method": X_OF_Y, "sanctionEurMwh": bad},
        )
        flows.refused(response, 422, "invalid_input", "sanctionEurMwh")
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
    assert terms == {
        "pricesEurMwh": ["50"],
        "sanctionEurMwh": "150",
        "tolerance": {"relative": "0.02", "absoluteWh": 20},  # this package's settings
        "missingData": "zeroDelivery",
    }

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
