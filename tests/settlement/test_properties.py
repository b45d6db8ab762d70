"""Hypothesis properties of the settlement core."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ledger.market.merkle import merkle_root, reading_leaf
from ledger.market.terms import Direction
from ledger.settlement import (
    GAP,
    Activation,
    BaselineInputs,
    BaselineMethod,
    DeclaredBaseline,
    History,
    MeterBeforeBaseline,
    MissingDataPolicy,
    PeriodEnergy,
    PeriodStatus,
    SameDayAdjustment,
    Selection,
    SettlementDay,
    SettlementRules,
    XOfYBaseline,
    compute,
    round_cents,
    settle,
)
from tests.settlement.builders import DAY, DAY_START, series

PERIODS = 8
PROPERTY_SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@dataclass(frozen=True)
class Scenario:
    day: SettlementDay
    activations: tuple[Activation, ...]
    method: BaselineMethod
    rules: SettlementRules


def _weekdays_before(day: date, count: int) -> tuple[date, ...]:
    found: list[date] = []
    current = day
    while len(found) < count:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            found.append(current)
    return tuple(reversed(found))


def energies(draw: st.DrawFn, shape: tuple[int, ...], missing: bool) -> PeriodEnergy:
    size = int(np.prod(shape))
    values = draw(st.lists(st.integers(-3000, 3000), min_size=size, max_size=size))
    wh = np.array(values, dtype=np.int64).reshape(shape)
    if not missing:
        return PeriodEnergy.complete(wh)
    flags = draw(st.lists(st.integers(0, 9), min_size=size, max_size=size))
    present = np.array(flags, dtype=np.int64).reshape(shape) > 0
    return PeriodEnergy.with_gaps(wh, present)


prices = st.decimals(min_value=0, max_value=500, places=2)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    pods = draw(st.integers(1, 5))
    missing = draw(st.booleans())
    dso = energies(draw, (pods, PERIODS), missing)
    bsp = energies(draw, (pods, PERIODS), missing) if draw(st.booleans()) else None
    declared = energies(draw, (pods, PERIODS), missing)
    days = draw(st.integers(0, 6))
    dates = _weekdays_before(DAY, days)
    hist = History(
        energies(draw, (days, pods, PERIODS), missing),
        dates,
        np.array(
            draw(st.lists(st.booleans(), min_size=days * pods, max_size=days * pods)),
            dtype=np.bool_,
        ).reshape(days, pods),
    )
    activations = []
    for index in range(draw(st.integers(1, 3))):
        first = draw(st.integers(0, PERIODS - 1))
        count = draw(st.integers(1, PERIODS - first))
        rows = draw(st.lists(st.integers(0, pods - 1), min_size=1, max_size=pods, unique=True))
        activations.append(
            Activation(
                activation_id=f"act-{index}",
                uvam_id=f"UVAM-{index}",
                direction=draw(st.sampled_from(Direction)),
                first_period=first,
                ordered_wh=tuple(
                    draw(st.lists(st.integers(0, 2000), min_size=count, max_size=count))
                ),
                price_eur_mwh=tuple(draw(st.lists(prices, min_size=count, max_size=count))),
                sanction_eur_mwh=tuple(draw(st.lists(prices, min_size=count, max_size=count))),
                pod_rows=tuple(rows),
            )
        )
    method: BaselineMethod = draw(
        st.one_of(
            st.just(DeclaredBaseline()),
            st.builds(MeterBeforeBaseline, st.integers(1, 3), st.integers(0, 1)),
            st.builds(
                XOfYBaseline,
                x=st.integers(1, 3),
                y=st.just(4),
                selection=st.sampled_from(Selection),
                min_days=st.integers(1, 2),
                adjustment=st.none()
                | st.builds(SameDayAdjustment, st.integers(1, 2), st.integers(0, 1)),
            ),
        )
    )
    rules = SettlementRules(missing_data=draw(st.sampled_from(MissingDataPolicy)))
    day = SettlementDay(
        day=DAY,
        day_start=DAY_START,
        pod_ids=tuple(f"IT001E{row:08d}" for row in range(pods)),
        dso=dso,
        bsp=bsp,
        history=hist,
        declared=declared,
        data_roots={"dsoPodMeter": bytes(range(32))},
    )
    return Scenario(day, tuple(activations), method, rules)


def run(scenario: Scenario, day: SettlementDay | None = None) -> list[Any]:
    return settle(
        day=day or scenario.day,
        activations=scenario.activations,
        method=scenario.method,
        rules=scenario.rules,
    )


@PROPERTY_SETTINGS
@given(scenarios())
def test_the_uvam_is_the_sum_of_its_pods(scenario: Scenario) -> None:
    for record in run(scenario):
        pods = record.pods
        for column, period in enumerate(record.periods):
            assert period.delivered_wh == sum(row[column] for row in pods.delivered_wh)
            assert period.measured_wh == sum(row[column] or 0 for row in pods.measured_wh)
            assert period.baseline_wh == sum(row[column] or 0 for row in pods.baseline_wh)
            assert period.missing_pods == sum(
                1
                for b, m in zip(pods.baseline_wh, pods.measured_wh, strict=True)
                if b[column] is None or m[column] is None
            )
        assert record.totals.delivered_wh == sum(p.delivered_wh for p in record.periods)
        assert record.totals.net_eur == record.totals.remuneration_eur - record.totals.penalty_eur


@PROPERTY_SETTINGS
@given(scenarios())
def test_resettling_the_same_data_gives_the_same_values_and_hash(scenario: Scenario) -> None:
    first = run(scenario)
    # The same values in fresh arrays with another memory layout.
    day = scenario.day
    assert day.dso is not None
    copied = replace(
        day,
        dso=PeriodEnergy(np.asfortranarray(day.dso.wh.copy()), day.dso.present.copy()),
        declared=None
        if day.declared is None
        else PeriodEnergy(day.declared.wh[::-1].copy()[::-1], day.declared.present.copy()),
    )
    again = run(scenario, copied)
    assert [r.pods.delivered_wh for r in again] == [r.pods.delivered_wh for r in first]
    assert [r.as_dict() for r in again] == [r.as_dict() for r in first]
    assert [r.settlement_hash() for r in again] == [r.settlement_hash() for r in first]


@PROPERTY_SETTINGS
@given(scenarios())
def test_remuneration_never_exceeds_ordered_energy_times_price(scenario: Scenario) -> None:
    for record in run(scenario):
        ceiling = Decimal(0)
        for period in record.periods:
            cap = round_cents(Decimal(period.ordered_wh) * period.price_eur_mwh / 10**6)
            assert period.remuneration_eur <= cap
            assert period.penalty_eur >= 0
            if period.status is not PeriodStatus.NOT_ASSESSED:
                assert period.remunerated_wh is not None
                assert period.deficiency_wh is not None
                assert 0 <= period.remunerated_wh <= period.ordered_wh
                assert period.remunerated_wh + period.deficiency_wh == period.ordered_wh
            ceiling += cap
        assert record.totals.remuneration_eur <= ceiling


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_a_changed_reading_in_the_event_changes_the_hash(
    scenario: Scenario, data: st.DataObject
) -> None:
    dso = scenario.day.dso
    assert dso is not None
    index = data.draw(st.integers(0, len(scenario.activations) - 1))
    act = scenario.activations[index]
    row = data.draw(st.sampled_from(act.pod_rows))
    period = data.draw(st.integers(act.first_period, act.first_period + act.periods - 1))
    delta = data.draw(st.integers(-500, 500).filter(bool))
    wh = dso.wh.copy()
    present = dso.present.copy()
    wh[row, period] += delta
    present[row, period] = True
    before = run(
        scenario, replace(scenario.day, dso=PeriodEnergy(np.where(present, dso.wh, 0), present))
    )
    after = run(scenario, replace(scenario.day, dso=PeriodEnergy(wh, present)))
    assert before[index].settlement_hash() != after[index].settlement_hash()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(-5000, 5000), min_size=60, max_size=60),
    st.integers(0, 59),
    st.integers(-10_000, 10_000).filter(bool),
)
def test_any_changed_reading_changes_the_hash_through_its_merkle_root(
    readings: list[int], position: int, delta: int
) -> None:
    """A change too small to move a period's Wh still changes the committed root."""
    key = bytes(32)

    def record_hash(values: list[int]) -> bytes:
        power = series([values])
        root = merkle_root([reading_leaf(key, DAY_START + 60 * i, v) for i, v in enumerate(values)])
        day = SettlementDay(
            day=DAY,
            day_start=DAY_START,
            pod_ids=("IT001E00000001",),
            dso=power.period_energy(),
            check_series=power,
            declared=PeriodEnergy.complete(np.full((1, 4), 1000)),
            data_roots={"dsoPodMeter": root},
        )
        act = Activation(
            "act",
            "UVAM",
            Direction.UP,
            1,
            (200, 200),
            (Decimal(90),) * 2,
            (Decimal(150),) * 2,
            (0,),
        )
        (record,) = settle(day=day, activations=[act], method=DeclaredBaseline())
        return record.settlement_hash()

    changed = list(readings)
    changed[position] += delta
    assert record_hash(readings) == record_hash(list(readings))
    assert record_hash(readings) != record_hash(changed)
    assert GAP not in readings


# ------------------------------------------------------------- X-of-Y against a plain reference


def reference_x_of_y(
    method: XOfYBaseline,
    history: list[list[int | None]],
    eligible: list[bool],
    measured: list[int | None],
    start: int,
    end: int,
) -> list[int] | None:
    """One slot, written straight from the definition with Fractions."""
    adjustment = method.adjustment
    reach = 0 if adjustment is None else adjustment.gap_periods + adjustment.window_periods
    needed = range(max(start - reach, 0), end)
    days = [
        d
        for d, values in enumerate(history)
        if eligible[d] and all(values[t] is not None for t in needed)
    ]
    candidates = days[-method.y :]
    if len(candidates) < method.min_days:
        return None
    keep = min(method.x, len(candidates))
    if method.selection is Selection.MOST_RECENT:
        used = candidates[-keep:]
    else:
        used = sorted(
            candidates, key=lambda d: (sum(history[d][t] or 0 for t in range(start, end)), d)
        )[-keep:]
    base = [Fraction(sum(history[d][t] or 0 for d in used), keep) for t in range(len(measured))]
    if adjustment is not None:
        lo = start - adjustment.gap_periods - adjustment.window_periods
        hi = start - adjustment.gap_periods
        window = range(lo, hi)
        if lo >= 0 and all(measured[t] is not None for t in window):
            reference = sum(base[t] for t in window)
            if reference != 0:
                ratio = Fraction(sum(measured[t] or 0 for t in window)) / reference
                ratio = min(max(ratio, Fraction(adjustment.low)), Fraction(adjustment.high))
                base = [value * ratio for value in base]
    return [round(value) for value in base]


X_OF_Y_PERIODS = 10
Cells = list[list[int | None]]


@dataclass(frozen=True)
class XOfYCase:
    """One X-of-Y computation: ``history[day][slot][period]``, ``measured[slot][period]``,
    ``eligible[day][slot]``, and each slot's event window ``[starts[s], ends[s])``."""

    method: XOfYBaseline
    history: list[Cells]
    measured: Cells
    eligible: list[list[bool]]
    starts: list[int]
    ends: list[int]


@st.composite
def x_of_y_cases(draw: st.DrawFn) -> XOfYCase:
    periods = X_OF_Y_PERIODS
    days = draw(st.integers(0, 8))
    slots = draw(st.integers(1, 3))
    scale = draw(st.sampled_from([1, 1, 10**6, 10**12]))
    value = st.none() | st.integers(-5000, 5000).map(lambda v: v * scale)
    history = [
        [draw(st.lists(value, min_size=periods, max_size=periods)) for _ in range(slots)]
        for _ in range(days)
    ]
    measured = [draw(st.lists(value, min_size=periods, max_size=periods)) for _ in range(slots)]
    eligible = [[draw(st.booleans()) for _ in range(slots)] for _ in range(days)]
    starts = [draw(st.integers(0, periods - 1)) for _ in range(slots)]
    ends = [draw(st.integers(s + 1, periods)) for s in starts]
    method = XOfYBaseline(
        x=draw(st.integers(1, 5)),
        y=5,
        selection=draw(st.sampled_from(Selection)),
        min_days=draw(st.integers(1, 5)),
        adjustment=draw(
            st.none()
            | st.builds(
                SameDayAdjustment,
                st.integers(1, 3),
                st.integers(0, 2),
                st.sampled_from([Decimal("0.8"), Decimal("0.5")]),
                st.sampled_from([Decimal("1.2"), Decimal("1.25")]),
            )
        ),
    )
    return XOfYCase(method, history, measured, eligible, starts, ends)


TERA = 10**12
#: Issue 12: the exact-integer path (taken when ``total x factor`` passes 2^62) failed with
#: "could not broadcast input array from shape (30,) into shape (3,10)" as soon as there was
#: more than one slot. 10^12 Wh readings around an adjusted event, three slots.
LARGE_VALUES_THREE_SLOTS = XOfYCase(
    method=XOfYBaseline(
        x=1, y=5, selection=Selection.MOST_RECENT, min_days=1, adjustment=SameDayAdjustment(1, 0)
    ),
    history=[[[TERA] * X_OF_Y_PERIODS for _ in range(3)]],
    measured=[[TERA] * X_OF_Y_PERIODS for _ in range(3)],
    eligible=[[True, True, True]],
    starts=[1, 1, 1],
    ends=[2, 2, 2],
)
#: The same path, clipped to the band's edges and with unequal rows (2 slots, 2 days).
LARGE_VALUES_CLIPPED = XOfYCase(
    method=XOfYBaseline(
        x=2,
        y=5,
        selection=Selection.HIGHEST,
        min_days=1,
        adjustment=SameDayAdjustment(2, 1, Decimal("0.5"), Decimal("1.25")),
    ),
    history=[
        [[3 * TERA] * X_OF_Y_PERIODS, [-TERA] * X_OF_Y_PERIODS],
        [[TERA, None, *[5 * TERA] * 8], [-2 * TERA] * X_OF_Y_PERIODS],
    ],
    measured=[[5000 * TERA] * X_OF_Y_PERIODS, [-7 * TERA] * X_OF_Y_PERIODS],
    eligible=[[True, True], [True, True]],
    starts=[4, 3],
    ends=[9, 10],
)


@settings(max_examples=150, deadline=None)
@given(x_of_y_cases())
@example(LARGE_VALUES_THREE_SLOTS)
@example(LARGE_VALUES_CLIPPED)
def test_x_of_y_matches_the_reference(case: XOfYCase) -> None:
    days, slots, periods = len(case.history), len(case.measured), X_OF_Y_PERIODS

    def to_energy(values: Any, shape: tuple[int, ...]) -> PeriodEnergy:
        flat = np.array(values, dtype=object).reshape(shape)
        present = np.vectorize(lambda v: v is not None, otypes=[bool])(flat)
        wh = np.vectorize(lambda v: 0 if v is None else v, otypes=[np.int64])(flat)
        return PeriodEnergy(wh.astype(np.int64), present.astype(np.bool_))

    result = case.method.compute(
        BaselineInputs(
            measured=to_energy(case.measured, (slots, periods)),
            event_start=np.array(case.starts),
            event_end=np.array(case.ends),
            history=to_energy(case.history, (days, slots, periods)),
            history_eligible=np.array(case.eligible, dtype=np.bool_).reshape(days, slots),
        )
    )
    for slot in range(slots):
        expected = reference_x_of_y(
            case.method,
            [case.history[d][slot] for d in range(days)],
            [case.eligible[d][slot] for d in range(days)],
            case.measured[slot],
            case.starts[slot],
            case.ends[slot],
        )
        if expected is None:
            assert not result.available[slot].any()
        else:
            assert result.available[slot].all()
            assert result.wh[slot].tolist() == expected


def test_compute_agrees_with_settle() -> None:
    wh = np.array([[1000, 900, 800, 700]])
    day = SettlementDay(
        day=DAY,
        day_start=DAY_START,
        pod_ids=("p",),
        dso=PeriodEnergy.complete(wh),
        declared=PeriodEnergy.complete(np.full((1, 4), 1000)),
    )
    act = Activation(
        "a", "u", Direction.UP, 1, (100, 100), (Decimal(1),) * 2, (Decimal(1),) * 2, (0,)
    )
    results = compute(day=day, activations=[act], method=DeclaredBaseline())
    (record,) = settle(day=day, activations=[act], method=DeclaredBaseline())
    assert results.uvam_delivered[0, 1:3].tolist() == [p.delivered_wh for p in record.periods]
