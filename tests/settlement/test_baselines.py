"""Worked examples for every baseline method, computed by hand in the comments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from ledger.core.domain.canonical import canonical_json
from ledger.settlement import (
    CAISO_10_OF_10,
    HIGH_4_OF_5,
    DayType,
    DeclaredBaseline,
    History,
    MeterBeforeBaseline,
    PeriodEnergy,
    SameDayAdjustment,
    Selection,
    SettlementInputError,
    XOfYBaseline,
    compute,
    day_type,
    describe,
    settle,
)
from tests.settlement.builders import DAY, activation, energy, history, settlement_day

# Three weekdays before Wednesday 2025-03-05: Fri 28 Feb, Mon 3 Mar, Tue 4 Mar.
WEEKDAYS = (date(2025, 2, 28), date(2025, 3, 3), date(2025, 3, 4))
# One POD, six periods; the event is periods 4-5.
HISTORY_DAYS = (
    [[10, 20, 30, 40, 50, 60]],
    [[12, 22, 32, 42, 52, 62]],
    [[14, 24, 34, 44, 54, 64]],
)


def baseline_of(method: Any, measured: list[int | None], **extra: Any) -> list[int | None]:
    day = settlement_day(energy([measured]), **extra)
    results = compute(day=day, activations=[activation(first=4, ordered=[10, 10])], method=method)
    wh = results.baseline.wh[0, 4:6].tolist()
    available = results.baseline.available[0, 4:6].tolist()
    return [value if ok else None for value, ok in zip(wh, available, strict=True)]


# ----------------------------------------------------------------------------------- declared


def test_declared_baseline_is_taken_as_given() -> None:
    declared = energy([[0, 0, 0, 0, 130, 140]])
    assert baseline_of(DeclaredBaseline(), [0] * 6, declared=declared) == [130, 140]


def test_declared_baseline_missing_a_period_is_unavailable_there() -> None:
    declared = energy([[0, 0, 0, 0, 130, None]])
    assert baseline_of(DeclaredBaseline(), [0] * 6, declared=declared) == [130, None]


def test_declared_baseline_needs_the_declaration() -> None:
    with pytest.raises(SettlementInputError, match="declared"):
        baseline_of(DeclaredBaseline(), [0] * 6)


# ------------------------------------------------------------------------------- meter before


def test_meter_before_is_the_mean_of_the_window_held_flat() -> None:
    measured: list[int | None] = [100, 110, 120, 90, 60, 50]
    # Window of two periods just before period 4: (120 + 90) / 2 = 105.
    assert baseline_of(MeterBeforeBaseline(2, 0), measured) == [105, 105]
    # One period of gap: periods 1-2, (110 + 120) / 2 = 115.
    assert baseline_of(MeterBeforeBaseline(2, 1), measured) == [115, 115]


def test_meter_before_rounds_half_to_even() -> None:
    # (121 + 90) / 2 = 105.5 -> 106; (121 + 92) / 2 = 106.5 -> 106.
    assert baseline_of(MeterBeforeBaseline(2, 0), [0, 0, 121, 90, 0, 0]) == [106, 106]
    assert baseline_of(MeterBeforeBaseline(2, 0), [0, 0, 121, 92, 0, 0]) == [106, 106]


def test_meter_before_is_unavailable_without_its_window() -> None:
    assert baseline_of(MeterBeforeBaseline(2, 0), [0, 0, 121, None, 0, 0]) == [None, None]
    # The window would start before the day.
    assert baseline_of(MeterBeforeBaseline(4, 1), [0] * 6) == [None, None]


# -------------------------------------------------------------------------------------- X of Y


def test_x_of_y_without_adjustment_is_the_mean_of_the_days() -> None:
    method = XOfYBaseline(x=3, y=3, min_days=3)
    # (50 + 52 + 54) / 3 = 52 and (60 + 62 + 64) / 3 = 62.
    assert baseline_of(method, [0] * 6, history=history(HISTORY_DAYS, WEEKDAYS)) == [52, 62]


def test_x_of_y_mean_rounds_half_to_even() -> None:
    days = ([[0, 0, 0, 0, 51, 52]], [[0, 0, 0, 0, 52, 53]])
    method = XOfYBaseline(x=2, y=2, min_days=2)
    # 51.5 -> 52, 52.5 -> 52.
    assert baseline_of(method, [0] * 6, history=history(days, WEEKDAYS[1:])) == [52, 52]


def test_x_of_y_keeps_the_most_recent_days() -> None:
    method = XOfYBaseline(x=2, y=3, min_days=2)
    # The two most recent: (52 + 54) / 2 = 53, (62 + 64) / 2 = 63.
    assert baseline_of(method, [0] * 6, history=history(HISTORY_DAYS, WEEKDAYS)) == [53, 63]


def test_x_of_y_only_looks_at_the_last_y_eligible_days() -> None:
    method = XOfYBaseline(x=2, y=2, selection=Selection.HIGHEST, min_days=2)
    days = ([[0, 0, 0, 0, 900, 900]], *HISTORY_DAYS[1:])
    # Day 0 is the highest by far but not among the last two eligible days.
    assert baseline_of(method, [0] * 6, history=history(days, WEEKDAYS)) == [53, 63]


def test_high_x_of_y_keeps_the_days_with_most_energy_in_the_event_window() -> None:
    method = XOfYBaseline(x=2, y=3, selection=Selection.HIGHEST, min_days=2)
    days = (
        [[0, 0, 0, 0, 80, 80]],  # event-window energy 160: kept
        [[0, 0, 0, 0, 10, 10]],  # 20: dropped
        [[0, 0, 0, 0, 40, 50]],  # 90: kept
    )
    # (80 + 40) / 2 = 60, (80 + 50) / 2 = 65.
    assert baseline_of(method, [0] * 6, history=history(days, WEEKDAYS)) == [60, 65]


def test_high_x_of_y_breaks_ties_towards_the_more_recent_day() -> None:
    method = XOfYBaseline(x=1, y=3, selection=Selection.HIGHEST, min_days=1)
    days = (
        [[0, 0, 0, 0, 50, 50]],  # 100
        [[0, 0, 0, 0, 60, 40]],  # 100, more recent: kept
        [[0, 0, 0, 0, 10, 10]],
    )
    assert baseline_of(method, [0] * 6, history=history(days, WEEKDAYS)) == [60, 40]


def test_x_of_y_skips_other_day_types_holidays_event_days_and_incomplete_days() -> None:
    dates = (
        date(2025, 2, 26),  # Wednesday: eligible
        date(2025, 2, 27),  # Thursday, but an event day of the POD
        date(2025, 3, 1),  # Saturday
        date(2025, 3, 3),  # Monday, a holiday here
        date(2025, 3, 4),  # Tuesday with a missing value in the event window
    )
    days = (
        [[0, 0, 0, 0, 100, 200]],
        [[0, 0, 0, 0, 999, 999]],
        [[0, 0, 0, 0, 999, 999]],
        [[0, 0, 0, 0, 999, 999]],
        [[0, 0, 0, 0, 999, None]],
    )
    data = history(
        days,
        dates,
        event_days=[[False], [True], [False], [False], [False]],
        holidays=frozenset({date(2025, 3, 3)}),
    )
    method = XOfYBaseline(x=5, y=5, min_days=1)
    assert baseline_of(method, [0] * 6, history=data) == [100, 200]
    # A missing value outside the periods the method needs does not matter.
    days_ok = (*days[:4], [[None, 0, 0, 0, 300, 400]])
    data_ok = history(
        days_ok,
        dates,
        event_days=[[False], [True], [False], [False], [False]],
        holidays=frozenset({date(2025, 3, 3)}),
    )
    assert baseline_of(method, [0] * 6, history=data_ok) == [200, 300]


def test_x_of_y_is_unavailable_with_fewer_than_min_days() -> None:
    method = XOfYBaseline(x=3, y=3, min_days=3)
    data = history(HISTORY_DAYS, WEEKDAYS, event_days=[[False], [True], [False]])
    assert baseline_of(method, [0] * 6, history=data) == [None, None]
    # With min_days 2 the two remaining days are used: (50 + 54) / 2 = 52, (60 + 64) / 2 = 62.
    relaxed = XOfYBaseline(x=3, y=3, min_days=2)
    assert baseline_of(relaxed, [0] * 6, history=data) == [52, 62]


def test_weekend_days_compare_with_weekend_days() -> None:
    saturday = date(2025, 3, 8)
    dates = (date(2025, 2, 28), date(2025, 3, 1), date(2025, 3, 2))  # Fri, Sat, Sun
    method = XOfYBaseline(x=3, y=3, min_days=1)
    # Only Saturday 1 and Sunday 2 March: (52 + 54) / 2 = 53, (62 + 64) / 2 = 63.
    data = history(HISTORY_DAYS, dates)
    assert baseline_of(method, [0] * 6, history=data, day=saturday) == [53, 63]
    assert day_type(saturday) is DayType.WEEKEND
    assert day_type(DAY, {DAY}) is DayType.WEEKEND
    assert day_type(DAY) is DayType.WEEKDAY


ADJUSTED = XOfYBaseline(
    x=3,
    y=3,
    min_days=3,
    adjustment=SameDayAdjustment(window_periods=2, gap_periods=1),
)


def test_same_day_adjustment_within_the_band() -> None:
    # Window: periods 1-2 (two periods ending one period before the event at 4).
    # Baseline energy over it, summed over the three days: 20+30 + 22+32 + 24+34 = 162, a mean
    # of 54. Actual: 27 + 33 = 60. Factor 60 / 54 = 10/9, inside [0.8, 1.2].
    # Period 4: (50 + 52 + 54) x 60 / 162 = 9360 / 162 = 57.78 -> 58.
    # Period 5: (60 + 62 + 64) x 60 / 162 = 11160 / 162 = 68.89 -> 69.
    measured: list[int | None] = [0, 27, 33, 0, 0, 0]
    data = history(HISTORY_DAYS, WEEKDAYS)
    assert baseline_of(ADJUSTED, measured, history=data) == [58, 69]
    results = compute(
        day=settlement_day(energy([measured]), history=data),
        activations=[activation(first=4, ordered=[10, 10])],
        method=ADJUSTED,
    )
    assert results.baseline.factor is not None
    assert (results.baseline.factor[0][0], results.baseline.factor[1][0]) == (10, 9)


def test_same_day_adjustment_clipped_high() -> None:
    # Actual 35 + 35 = 70: factor 70 / 54 = 1.296 -> 1.2. Period 4: 52 x 1.2 = 62.4 -> 62;
    # period 5: 62 x 1.2 = 74.4 -> 74.
    data = history(HISTORY_DAYS, WEEKDAYS)
    assert baseline_of(ADJUSTED, [0, 35, 35, 0, 0, 0], history=data) == [62, 74]


def test_same_day_adjustment_clipped_low() -> None:
    # Actual 20 + 20 = 40: factor 40 / 54 = 0.74 -> 0.8. Period 4: 41.6 -> 42; period 5:
    # 49.6 -> 50.
    data = history(HISTORY_DAYS, WEEKDAYS)
    assert baseline_of(ADJUSTED, [0, 20, 20, 0, 0, 0], history=data) == [42, 50]


def test_same_day_adjustment_needs_its_window() -> None:
    data = history(HISTORY_DAYS, WEEKDAYS)
    # A missing actual value in the window: no adjustment (52, 62 as unadjusted).
    assert baseline_of(ADJUSTED, [0, None, 33, 0, 0, 0], history=data) == [52, 62]


def test_same_day_adjustment_for_a_generator() -> None:
    # Net export: baseline window -162 over three days (mean -54), actual -60: factor 10/9
    # as for the consumer; period 4: -156 x 10/9 / 3 = -57.78 -> -58.
    days = tuple([[-v for v in day[0]]] for day in HISTORY_DAYS)
    data = history(days, WEEKDAYS)
    assert baseline_of(ADJUSTED, [0, -27, -33, 0, 0, 0], history=data) == [-58, -69]
    # Opposite signs make a negative ratio, clipped to the low end: -52 x 0.8 = -41.6 -> -42.
    assert baseline_of(ADJUSTED, [0, 27, 33, 0, 0, 0], history=data) == [-42, -50]


def test_same_day_adjustment_with_huge_energies_stays_exact() -> None:
    # Energies of 10^13 Wh make products of 10^28, beyond int64: the exact (Python int) path.
    big = 10**12
    days = tuple([[v * big for v in day[0]]] for day in HISTORY_DAYS)
    data = history(days, WEEKDAYS)
    measured: list[int | None] = [0, 27 * big, 33 * big, 0, 0, 0]
    # 9360 / 162 x 10^12 and 11160 / 162 x 10^12, exactly, then half to even.
    expected = [(9360 * big * 2 + 162) // (2 * 162), (11160 * big * 2 + 162) // (2 * 162)]
    assert baseline_of(ADJUSTED, measured, history=data) == expected


# ------------------------------------------------------------------------------------ describe


def test_methods_describe_themselves_in_canonical_json() -> None:
    assert describe(DeclaredBaseline()) == {"name": "declared", "version": 1, "params": {}}
    assert describe(MeterBeforeBaseline(3, 1)) == {
        "name": "meterBefore",
        "version": 1,
        "params": {"windowPeriods": 3, "gapPeriods": 1},
    }
    caiso = describe(CAISO_10_OF_10)
    assert caiso["params"] == {
        "x": 10,
        "y": 10,
        "selection": Selection.MOST_RECENT,
        "minDays": 5,
        "adjustment": {
            "windowPeriods": 12,
            "gapPeriods": 4,
            "low": Decimal("0.8"),
            "high": Decimal("1.2"),
        },
    }
    assert canonical_json(caiso) == (
        b'{"name":"xOfY","params":{"adjustment":{"gapPeriods":4,"high":"1.2","low":"0.8",'
        b'"windowPeriods":12},"minDays":5,"selection":"mostRecent","x":10,"y":10},"version":1}'
    )
    assert describe(HIGH_4_OF_5)["params"]["selection"] == "highest"


def test_presets_work_on_real_sized_history() -> None:
    # 96 periods, 12 weekdays of flat 1,000 Wh; the event at 10:00 (period 40), 4 periods.
    dates = tuple(
        d for d in (DAY - timedelta(days=offset) for offset in range(20, 0, -1)) if d.weekday() < 5
    )[-12:]
    flat = np.full((len(dates), 1, 96), 1000, dtype=np.int64)
    measured = np.full((1, 96), 1000, dtype=np.int64)
    measured[0, 28:36] = 1100  # the three hours before the hour before the event: +10 %
    measured[0, 40:44] = 500
    data = History(PeriodEnergy.complete(flat), dates, np.zeros((len(dates), 1), dtype=np.bool_))
    day = settlement_day(PeriodEnergy.complete(measured), history=data)
    act = activation(first=40, ordered=[500] * 4)
    for method, expected in ((CAISO_10_OF_10, 1067), (HIGH_4_OF_5, 1067)):
        # Window: periods 24-35; actual 4 x 1000 + 8 x 1100 = 12,800 against 12,000: the
        # factor is 16/15 and 1000 x 16/15 = 1066.67 -> 1067.
        (record,) = settle(day=day, activations=[act], method=method)
        assert [p.baseline_wh for p in record.periods] == [expected] * 4
        assert record.pods.adjustment == ((16, 15),)
        assert record.pods.baseline_days is not None
        used = 10 if method is CAISO_10_OF_10 else 4
        assert record.pods.baseline_days[0] == dates[-used:]
