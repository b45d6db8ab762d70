"""An activation over midnight UTC (``ledger.settlement.days``): settled once per UTC day over
the activation's two days, the parts joined into one record."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.settlement import (
    RECORD_SCHEMA_DAY_PARTS,
    History,
    MeterBeforeBaseline,
    PeriodEnergy,
    SameDayAdjustment,
    SettlementInputError,
    SettlementRecord,
    XOfYBaseline,
    join_day_parts,
    settle,
    utc_days,
)
from tests.settlement.builders import activation, settlement_day

FRIDAY = date(2025, 3, 7)
FRIDAY_START = 1_741_305_600  # 2025-03-07T00:00Z
WINDOW = 192  # Friday and Saturday, 96 periods each
TERMS = {"award": {"needId": "n"}}


def _window(rows: list[list[int]], *, pods: int | None = None) -> PeriodEnergy:
    """``[pods, periods]``; with ``pods``, history rows ``[rows, pods, periods]`` of one POD."""
    values = np.array(rows, dtype=np.int64)
    return PeriodEnergy.complete(values if pods is None else values[:, None, :])


def _parts(
    measured: PeriodEnergy,
    first: int,
    ordered: list[int],
    method: object,
    history: PeriodEnergy | None = None,
) -> list[SettlementRecord]:
    """One record per UTC day: the same window and activation, the day's type and history."""
    act = activation(first=first, ordered=ordered, rows=tuple(range(measured.wh.shape[0])))
    parts = []
    for day in (FRIDAY, FRIDAY + timedelta(days=1)):
        hist = None
        if history is not None:
            rows = history.wh.shape[0]
            hist = History(
                history,
                tuple(day - timedelta(days=rows - r) for r in range(rows)),
                np.zeros((rows, measured.wh.shape[0]), dtype=np.bool_),
            )
        part_day = replace(settlement_day(measured, day=day, history=hist), day_start=FRIDAY_START)
        (record,) = settle(day=part_day, activations=[act], method=method, terms=TERMS)  # type: ignore[arg-type]
        parts.append(record)
    return parts


def test_the_utc_days_of_an_activation() -> None:
    assert utc_days(FRIDAY_START + 94 * 900, 2) == (FRIDAY,)
    assert utc_days(FRIDAY_START + 94 * 900, 4) == (FRIDAY, FRIDAY + timedelta(days=1))
    assert utc_days(FRIDAY_START + 96 * 900, 96) == (FRIDAY + timedelta(days=1),)


def test_a_day_without_history_of_its_type_has_no_baseline() -> None:
    """23:30-00:30, Friday to Saturday, X-of-Y 1 of 1 without adjustment, one POD, four history
    rows. Row r is the window shifted back 4 - r days: Mon 3 + r and Tue 4 + r end to end.
    Friday's part labels it with the day at Friday's position (Mon 3 + r: Monday to Thursday),
    Saturday's part with the day at Saturday's position (Tue 4 + r: Tuesday to Friday): the
    Friday periods take row 3 (Thursday, 5,000 Wh), the Saturday periods have no weekend row."""
    history = _window([[1_000 * (r + 2)] * WINDOW for r in range(4)], pods=1)
    measured = _window([[3_000] * WINDOW])
    method = XOfYBaseline(x=1, y=1, min_days=1)
    parts = _parts(measured, 94, [500] * 4, method, history)
    record = join_day_parts(parts)
    baselines = [p.baseline_wh for p in record.periods]
    assert baselines[:2] == [5_000, 5_000]  # row 3 (Thursday): 1,000 x 5
    assert baselines[2:] == [0, 0]  # no weekend row for Saturday's periods
    assert [p.missing_pods for p in record.periods] == [0, 0, 1, 1]
    body = record.as_dict()
    assert body["schema"] == RECORD_SCHEMA_DAY_PARTS
    assert body["day"] == FRIDAY
    assert [(d["day"], d["periods"]) for d in body["dayParts"]] == [
        (FRIDAY, 2),
        (FRIDAY + timedelta(days=1), 2),
    ]
    assert body["dayParts"][0]["baselineDays"] == (("2025-03-06",),)
    assert body["dayParts"][1]["baselineDays"] == ((),)
    assert "baselineDays" not in body["pods"]


def test_x_of_y_takes_each_day_types_history_worked_by_hand() -> None:
    """As above with seven rows: row r is Fri 28 February + r and Sat 1 March + r, reading
    10,000 + r Wh per period on its first day and 20,000 + r on its second. Friday's labels
    (Fri 28 + r) make row 6 (Thursday 6) the latest weekday: 10,006 Wh; Saturday's labels
    (Sat 1 + r) make row 1 (Sunday 2) the latest weekend day: 20,001 Wh. Measured 3,000 Wh."""
    rows = []
    for r in range(7):
        rows.append([10_000 + r] * 96 + [20_000 + r] * 96)
    history = _window(rows, pods=1)
    measured = _window([[3_000] * WINDOW])
    parts = _parts(measured, 94, [500] * 4, XOfYBaseline(x=1, y=1, min_days=1), history)
    record = join_day_parts(parts)
    # Friday's part labels row r with Fri 28 Feb + r: the latest weekday is Thu 6 (row 6).
    assert [p.baseline_wh for p in record.periods] == [10_006, 10_006, 20_001, 20_001]
    assert [p.delivered_wh for p in record.periods] == [7_006, 7_006, 17_001, 17_001]
    assert record.totals.delivered_wh == 2 * 7_006 + 2 * 17_001
    assert record.totals.remunerated_wh == 4 * 500
    assert record.totals.remuneration_eur == Decimal("0.24")  # 4 x 500 Wh x 120 EUR/MWh
    assert record.day_parts[1].baseline_days == ((date(2025, 3, 2),),)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.integers(min_value=80, max_value=95),
    length=st.integers(min_value=2, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_meter_before_is_the_same_on_both_days(first: int, length: int, seed: int) -> None:
    """Meter-before reads the periods before the activation's start, whatever the day type: the
    joined record has exactly the periods and totals of either part, and its totals are the sums
    of its periods."""
    if first + length <= 96:
        length = 97 - first
    rng = np.random.default_rng(seed)
    measured = _window(rng.integers(-50_000, 50_000, size=(2, WINDOW)).tolist())
    ordered = rng.integers(0, 5_000, size=length).tolist()
    parts = _parts(measured, first, ordered, MeterBeforeBaseline(window_periods=4))
    record = join_day_parts(parts)
    assert record.periods == parts[0].periods == parts[1].periods
    assert record.totals == parts[0].totals
    assert record.totals.net_eur == sum((p.net_eur for p in record.periods), Decimal(0))
    assert record.pods.baseline_wh == parts[0].pods.baseline_wh
    assert [part.periods for part in record.day_parts] == [96 - first, first + length - 96]
    assert join_day_parts(parts).settlement_hash() == record.settlement_hash()
    assert join_day_parts(parts[:1]) is parts[0]


def test_parts_out_of_order_or_of_another_method_are_refused() -> None:
    measured = _window([[3_000] * WINDOW])
    one = _parts(measured, 94, [500] * 4, MeterBeforeBaseline())
    other = _parts(measured, 94, [500] * 4, MeterBeforeBaseline(window_periods=3))
    with pytest.raises(SettlementInputError, match="day order"):
        join_day_parts([one[1], one[0]])
    with pytest.raises(SettlementInputError, match="same activation"):
        join_day_parts([one[0], other[1]])


def test_the_same_day_adjustment_reads_before_the_start_for_both_days() -> None:
    """The rows of the hand-worked test above, with a same-day adjustment over the 4 periods
    before the start (Friday 22:30-23:30, gap 0, band [0.5, 2]), where the POD reads 12,000 Wh
    a period (48,000 Wh). Friday's part: row 6 reads 4 x 10,006 = 40,024 Wh there, factor
    48,000 / 40,024 = 6,000 / 5,003, baseline 10,006 x 6,000 / 5,003 = 12,000 Wh. Saturday's
    part: row 1 reads 4 x 10,001 = 40,004 Wh over the same window of its run (its first day),
    factor 12,000 / 10,001, baseline 20,001 x 12,000 / 10,001 = 23,998.80 -> 23,999 Wh."""
    history = _window([[10_000 + r] * 96 + [20_000 + r] * 96 for r in range(7)], pods=1)
    measured = _window([[3_000] * 90 + [12_000] * 4 + [3_000] * 98])
    method = XOfYBaseline(
        x=1,
        y=1,
        min_days=1,
        adjustment=SameDayAdjustment(
            window_periods=4, gap_periods=0, low=Decimal("0.5"), high=Decimal(2)
        ),
    )
    record = join_day_parts(_parts(measured, 94, [500] * 4, method, history))
    assert [p.baseline_wh for p in record.periods] == [12_000, 12_000, 23_999, 23_999]
    factors = [part.adjustment for part in record.day_parts]
    assert factors == [((6_000, 5_003),), ((12_000, 10_001),)]
