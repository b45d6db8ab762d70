"""Performance and money per period, by hand: price 120 EUR/MWh, sanction 200 EUR/MWh."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledger.market.terms import Direction
from ledger.settlement import (
    DeclaredBaseline,
    MissingDataPolicy,
    PeriodStatus,
    SettlementInputError,
    SettlementRecord,
    SettlementRules,
    settle,
)
from tests.settlement.builders import activation, energy, settlement_day


def settle_one(
    measured: list[int | None],
    baseline: list[int | None],
    ordered: list[int],
    rules: SettlementRules | None = None,
    **kwargs: Any,
) -> SettlementRecord:
    day = settlement_day(energy([measured]), declared=energy([baseline]))
    act = activation(first=0, ordered=ordered, **kwargs)
    (record,) = settle(day=day, activations=[act], method=DeclaredBaseline(), rules=rules)
    return record


@pytest.mark.parametrize(
    ("case", "measured", "paid_wh", "short_wh", "surplus_wh", "remuneration", "penalty"),
    [
        # 1,300 delivered of 1,000: 1,000 paid, 1000 x 120 / 10^6 = 0.12; 300 surplus unpaid.
        ("over-delivery", 700, 1000, 0, 300, "0.12", "0.00"),
        # Exactly as ordered.
        ("exact", 1000, 1000, 0, 0, "0.12", "0.00"),
        # 600 of 1,000: 600 x 120 / 10^6 = 0.072 -> 0.07; 400 x 200 / 10^6 = 0.08.
        ("under-delivery", 1400, 600, 400, 0, "0.07", "0.08"),
        # Nothing delivered: 1000 x 200 / 10^6 = 0.20.
        ("zero delivery", 2000, 0, 1000, 0, "0.00", "0.20"),
        # The wrong way (-200): nothing paid, the whole order short.
        ("wrong direction", 2200, 0, 1000, 0, "0.00", "0.20"),
    ],
)
def test_remuneration_and_penalty(
    case: str,
    measured: int,
    paid_wh: int,
    short_wh: int,
    surplus_wh: int,
    remuneration: str,
    penalty: str,
) -> None:
    record = settle_one([measured], [2000], [1000])
    (period,) = record.periods
    assert (period.remunerated_wh, period.deficiency_wh, period.surplus_wh) == (
        paid_wh,
        short_wh,
        surplus_wh,
    ), case
    assert period.remuneration_eur == Decimal(remuneration)
    assert period.penalty_eur == Decimal(penalty)
    assert period.net_eur == Decimal(remuneration) - Decimal(penalty)
    assert period.status is PeriodStatus.SETTLED
    assert record.complete


def test_money_is_rounded_per_period_half_to_even() -> None:
    # Two periods of 125 Wh short at 200 EUR/MWh: 0.025 each -> 0.02 each (half to even);
    # the total is 0.04, the sum of the rounded lines (rounding the total, 0.05, would differ).
    # Paid 125 Wh at 120 EUR/MWh: 0.015 -> 0.02 each.
    record = settle_one([1875, 1875], [2000, 2000], [250, 250])
    assert [p.remuneration_eur for p in record.periods] == [Decimal("0.02")] * 2
    assert [p.penalty_eur for p in record.periods] == [Decimal("0.02")] * 2
    assert record.totals.penalty_eur == Decimal("0.04")
    assert record.totals.remuneration_eur == Decimal("0.04")
    assert record.totals.net_eur == Decimal("0.00")


def test_prices_with_six_decimals_stay_exact() -> None:
    # 1,234 Wh x 87.654321 EUR/MWh = 0.108165432114 -> 0.11.
    record = settle_one([766], [2000], [1234], price="87.654321")
    assert record.periods[0].remuneration_eur == Decimal("0.11")


def test_totals_add_up_the_periods() -> None:
    record = settle_one([700, 1400, 2000, 1000], [2000] * 4, [1000] * 4)
    totals = record.totals
    assert totals.ordered_wh == 4000
    assert totals.delivered_wh == 1300 + 600 + 0 + 1000
    assert totals.remunerated_wh == 1000 + 600 + 0 + 1000
    assert totals.deficiency_wh == 0 + 400 + 1000 + 0
    assert totals.surplus_wh == 300
    assert totals.remuneration_eur == Decimal("0.12") + Decimal("0.07") + Decimal("0.12")
    assert totals.penalty_eur == Decimal("0.08") + Decimal("0.20")
    assert totals.net_eur == totals.remuneration_eur - totals.penalty_eur
    assert totals.assessed_periods == 4


# ------------------------------------------------------------------------------- missing data


def test_missing_measurement_leaves_the_period_unassessed_by_default() -> None:
    record = settle_one([700, None], [2000, 2000], [1000, 1000])
    first, second = record.periods
    assert first.status is PeriodStatus.SETTLED
    assert second.status is PeriodStatus.NOT_ASSESSED
    assert second.missing_pods == 1
    assert (second.remunerated_wh, second.deficiency_wh, second.surplus_wh) == (None, None, None)
    assert (second.remuneration_eur, second.penalty_eur) == (Decimal(0), Decimal(0))
    assert second.delivered_wh == 0
    assert not second.met
    assert record.pods.measured_wh == ((700, None),)
    assert record.pods.delivered_wh == ((1300, 0),)
    assert not record.complete
    assert record.totals.assessed_periods == 1
    assert record.totals.flagged_periods == 1
    assert record.totals.remuneration_eur == Decimal("0.12")


def test_missing_baseline_counts_as_missing_data() -> None:
    record = settle_one([700], [None], [1000])
    assert record.periods[0].status is PeriodStatus.NOT_ASSESSED
    assert record.pods.baseline_wh == ((None,),)
    assert not record.complete


def test_zero_delivery_policy_penalises_the_missing_pod() -> None:
    rules = SettlementRules(missing_data=MissingDataPolicy.ZERO_DELIVERY)
    # Two PODs; the second has no measurement in period 0. The first delivers 600 of 1,000.
    day = settlement_day(
        energy([[1400, 1400], [None, 1600]]), declared=energy([[2000, 2000], [2000, 2000]])
    )
    act = activation(first=0, ordered=[1000, 1000], rows=(0, 1))
    (record,) = settle(day=day, activations=[act], method=DeclaredBaseline(), rules=rules)
    first, second = record.periods
    assert first.status is PeriodStatus.ZERO_FILLED
    assert (first.delivered_wh, first.remunerated_wh, first.deficiency_wh) == (600, 600, 400)
    assert (first.remuneration_eur, first.penalty_eur) == (Decimal("0.07"), Decimal("0.08"))
    assert second.status is PeriodStatus.SETTLED
    assert second.delivered_wh == 600 + 400
    assert record.complete
    assert record.totals.flagged_periods == 1


def test_negative_award_price_is_paid_as_signed() -> None:
    # Down-regulation at -50 EUR/MWh: the BSP pays 1000 x 50 / 10^6 = 0.05 to consume more.
    record = settle_one([2000], [1000], [1000], direction=Direction.DOWN, price="-50")
    assert record.periods[0].remuneration_eur == Decimal("-0.05")


def test_activation_inputs_are_checked() -> None:
    with pytest.raises(SettlementInputError, match="negative"):
        settle_one([0], [0], [-1])
    with pytest.raises(SettlementInputError, match="outside"):
        settle_one([0], [0], [1, 1])
    with pytest.raises(SettlementInputError, match="sanction"):
        settle_one([0], [0], [1], sanction="-1")
