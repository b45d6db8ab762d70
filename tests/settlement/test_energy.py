"""Rounding, power readings to period energy, devices to PODs."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.measurements import readings
from ledger.settlement import (
    GAP,
    PeriodEnergy,
    PowerSeries,
    devices_to_pods,
    div_round_half_even,
    ordered_wh_from_kw,
    round_cents,
    within_reading_bound,
)
from ledger.settlement import energy as energy_module
from ledger.settlement.rounding import int_div_round_half_even
from tests.settlement.builders import series


def test_gap_is_the_markets_sentinel() -> None:
    assert readings.GAP == GAP


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (5, 10, 0),  # 0.5 -> 0 (even)
        (15, 10, 2),  # 1.5 -> 2
        (25, 10, 2),  # 2.5 -> 2
        (-5, 10, 0),
        (-15, 10, -2),
        (-25, 10, -2),
        (7, 10, 1),
        (-7, 10, -1),
        (14, 10, 1),
        (0, 3, 0),
    ],
)
def test_division_rounds_half_to_even(numerator: int, denominator: int, expected: int) -> None:
    assert int(div_round_half_even(np.array([numerator]), denominator)[0]) == expected
    assert int_div_round_half_even(numerator, denominator) == expected


def test_division_with_python_integers_is_exact_beyond_int64() -> None:
    huge = np.array([10**30 + 5, -(10**30) - 15], dtype=object)
    assert div_round_half_even(huge, 10).tolist() == [10**29, -(10**29) - 2]


def test_division_refuses_a_non_positive_denominator() -> None:
    with pytest.raises(ValueError, match="positive"):
        div_round_half_even(np.array([1]), 0)


def test_money_rounds_half_to_even_to_the_cent() -> None:
    assert round_cents(Decimal("0.015")) == Decimal("0.02")
    assert round_cents(Decimal("0.025")) == Decimal("0.02")
    assert round_cents(Decimal("-0.035")) == Decimal("-0.04")
    assert round_cents(Decimal("12.3449")) == Decimal("12.34")


def test_sixty_second_readings_become_period_energy() -> None:
    # 15 readings of 4,000 W for 60 s = 60,000 W.min = 1,000 Wh exactly.
    # 15 readings of 30 W = 27,000 W.s = 7.5 Wh -> 8 (half to even).
    # 15 readings of 90 W = 81,000 W.s = 22.5 Wh -> 22 (half to even).
    # Generation: -2,000 W for a period = -500 Wh.
    power = series([[4000] * 15 + [30] * 15], 60)
    other = series([[90] * 15 + [-2000] * 15], 60)
    assert power.period_energy().wh.tolist() == [[1000, 8]]
    assert other.period_energy().wh.tolist() == [[22, -500]]


def test_a_period_with_a_missing_reading_is_not_measured() -> None:
    values = [1000] * 30
    values[20] = GAP
    energy = series([values], 60).period_energy()
    assert energy.present.tolist() == [[True, False]]
    assert energy.wh.tolist() == [[250, 0]]


def test_fifteen_minute_readings() -> None:
    energy = PowerSeries(np.array([[4000, 2, -6]], dtype=np.int32), 900).period_energy()
    # 2 W for 900 s = 0.5 Wh -> 0; -6 W -> -1.5 Wh -> -2.
    assert energy.wh.tolist() == [[1000, 0, -2]]


def test_a_resolution_must_divide_the_period() -> None:
    with pytest.raises(ValueError, match="divide"):
        PowerSeries(np.zeros((1, 14), dtype=np.int32), 70)
    with pytest.raises(ValueError, match="whole periods"):
        PowerSeries(np.zeros((1, 14), dtype=np.int32), 60)


def test_devices_are_summed_per_pod_before_rounding() -> None:
    # Two devices of POD 0 at 30 W each: 7.5 + 7.5 Wh would round to 8 + 8 = 16 per device,
    # but their sum is 15 Wh exactly. POD 1 has one device with one missing reading.
    devices = series(
        [
            [30] * 15,
            [30] * 15,
            [100] * 14 + [GAP],
        ]
    )
    pods = devices_to_pods(devices, np.array([0, 0, 1]), 3)
    assert pods.wh.tolist() == [[15], [0], [0]]
    assert pods.present.tolist() == [[True], [False], [False]]  # POD 2 has no device


def test_set_points_in_kw_become_ordered_wh() -> None:
    assert ordered_wh_from_kw([4, 0, 1000]) == (1000, 0, 250_000)


def test_period_energy_checks_its_arrays() -> None:
    with pytest.raises(ValueError, match="differ"):
        PeriodEnergy(np.zeros((1, 2), dtype=np.int64), np.ones((1, 3), dtype=np.bool_))
    with pytest.raises(TypeError, match="int64"):
        PeriodEnergy(np.zeros((1, 2), dtype=np.int32), np.ones((1, 2), dtype=np.bool_))


def test_energy_in_watt_seconds_counts_missing_readings_as_zero() -> None:
    values = [100] * 15
    values[3] = GAP
    energy_ws, missing = series([values, [5] * 15]).energy_ws()
    assert energy_ws.tolist() == [[100 * 14 * 60], [5 * 15 * 60]]
    assert missing.tolist() == [[1], [0]]


_BOUND = (2**31 - 1) // 15  # the largest |W| the int32 fast path sums at 60 s


def test_the_upload_bound_is_the_int32_bound_of_a_period_at_60_s() -> None:
    assert readings.MAX_READING_W == _BOUND
    assert within_reading_bound(np.array([[_BOUND, -_BOUND, GAP]], dtype=np.int32))
    assert within_reading_bound(np.array([[GAP]], dtype=np.int32))
    assert not within_reading_bound(np.array([[_BOUND + 1, 0]], dtype=np.int32))
    assert not within_reading_bound(np.array([[GAP, -_BOUND - 1]], dtype=np.int32))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.integers(-_BOUND, _BOUND), st.just(GAP)), min_size=30, max_size=30),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([60, 180, 900]),
)
def test_bounded_readings_give_the_same_energies(rows: list[list[int]], resolution_s: int) -> None:
    """Readings known within the upload bound (``bounded``, no look for the largest) at the
    resolutions where a period of them sums within int32: the Python-int rule."""
    steps = 900 // resolution_s
    width = len(rows[0]) // steps * steps
    array = np.array([row[:width] for row in rows], dtype=np.int32)
    energy = PowerSeries(array, resolution_s, bounded=True).period_energy()
    expected = [_reference_wh(row[:width], resolution_s) for row in rows]
    got = [
        [int(wh) if ok else None for wh, ok in zip(whs, oks, strict=True)]
        for whs, oks in zip(energy.wh.tolist(), energy.present.tolist(), strict=True)
    ]
    assert got == expected


def test_bounded_readings_at_one_second_still_take_the_exact_path() -> None:
    """At 1 s a period holds 900 readings: the upload bound does not keep their sum within
    int32, so ``bounded`` does not skip the check there."""
    array = np.full((1, 900), _BOUND, dtype=np.int32)
    energy = PowerSeries(array, 1, bounded=True).period_energy()
    assert energy.wh.tolist() == [[int_div_round_half_even(900 * _BOUND, 3600)]]


def _reference_wh(row: list[int], resolution_s: int) -> list[int | None]:
    """Python integers, one period at a time: the exact rule of docs/settlement.md."""
    steps = 900 // resolution_s
    out: list[int | None] = []
    for start in range(0, len(row), steps):
        chunk = row[start : start + steps]
        if GAP in chunk:
            out.append(None)
        else:
            out.append(int_div_round_half_even(sum(chunk) * resolution_s, 3600))
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.integers(-_BOUND, _BOUND),  # the int32 fast path
                st.integers(-(2**31) + 1, 2**31 - 1),  # beyond it: the int64 path
                st.just(GAP),
            ),
            min_size=30,
            max_size=30,
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([60, 900 // 15 * 3, 900]),
)
def test_period_energy_is_exact_on_the_int32_and_int64_paths(
    rows: list[list[int]], resolution_s: int
) -> None:
    """Issue 14 (figure): the fast path sums in int32 only when no sum can overflow; any reading
    beyond the bound, or a gap, takes the exact int64 path. Both equal the Python-int rule, and
    devices_to_pods with one device per POD equals it too."""
    steps = 900 // resolution_s
    width = len(rows[0]) // steps * steps
    array = np.array([row[:width] for row in rows], dtype=np.int32)
    energy = PowerSeries(array, resolution_s).period_energy()
    expected = [_reference_wh(row[:width], resolution_s) for row in rows]
    got = [
        [int(wh) if ok else None for wh, ok in zip(whs, oks, strict=True)]
        for whs, oks in zip(energy.wh.tolist(), energy.present.tolist(), strict=True)
    ]
    assert got == expected
    reverse = np.arange(len(rows))[::-1].copy()
    pods = devices_to_pods(PowerSeries(array, resolution_s), reverse, len(rows))
    assert np.array_equal(pods.wh[reverse], energy.wh)
    assert np.array_equal(pods.present[reverse], energy.present)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=40),
    st.sampled_from([1, 2, 7, 60, 240, 900, 3600, 2**30]),
)
def test_array_rounding_equals_the_python_int_rule(values: list[int], denominator: int) -> None:
    """div_round_half_even's int32 path (sums of 60 s readings) over the whole int32 range, and
    its int64 path: the same quotients as Python integers."""
    expected = [int_div_round_half_even(v, denominator) for v in values]
    got = div_round_half_even(np.array(values, dtype=np.int32), denominator)
    assert got.dtype == np.int32
    assert got.tolist() == expected
    wide = np.array(values, dtype=np.int64)  # the int64 path, by a scalar and by an array
    assert div_round_half_even(wide, np.int64(denominator)).tolist() == expected
    assert div_round_half_even(wide, np.full(wide.shape, denominator)).tolist() == expected


def _row(*values: st.SearchStrategy[int]) -> st.SearchStrategy[list[int]]:
    return st.lists(st.one_of(*values), min_size=30, max_size=30)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            _row(st.integers(-_BOUND, _BOUND)),  # int32
            _row(st.integers(-_BOUND, 2**31 - 1)),  # only the maximum tells int64
            _row(st.integers(-(2**31) + 1, _BOUND)),  # only the minimum tells int64
            _row(st.integers(-(2**31) + 1, 2**31 - 1)),
            _row(st.integers(-(2**31) + 1, 2**31 - 1), st.just(GAP)),
        ),
        min_size=2,
        max_size=7,
    ),
    st.integers(1, 3),
)
def test_blocks_of_rows_each_take_their_own_path(rows: list[list[int]], block_rows: int) -> None:
    """Aggregated a few rows per block (1 MiB in production), some blocks in int32 and some in
    int64, gaps anywhere: the same energies as Python integers, in Wh and in W.s."""
    array = np.array(rows, dtype=np.int32)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(energy_module, "_BLOCK_BYTES", block_rows * array.shape[1] * 4)
        energy = PowerSeries(array, 60).period_energy()
        energy_ws, missing = PowerSeries(array, 60).energy_ws()
    expected = [_reference_wh(row, 60) for row in rows]
    got = [
        [int(wh) if ok else None for wh, ok in zip(whs, oks, strict=True)]
        for whs, oks in zip(energy.wh.tolist(), energy.present.tolist(), strict=True)
    ]
    assert got == expected
    assert energy_ws.tolist() == [
        [sum(v for v in row[p : p + 15] if v != GAP) * 60 for p in (0, 15)] for row in rows
    ]
    assert missing.tolist() == [[row[p : p + 15].count(GAP) for p in (0, 15)] for row in rows]
