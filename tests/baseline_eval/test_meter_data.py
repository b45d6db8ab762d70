"""Meter samples as 15-minute periods: intervals spread exactly, gaps and conflicting
duplicates missing; the real samples load from the installed package."""

from datetime import date, datetime

import numpy as np
import pytest

from ledger.baseline_eval.meter_data import REAL_SAMPLES, load_sample, meter_days


def test_half_hours_spread_over_two_periods_in_mwh() -> None:
    readings = [
        (datetime(2013, 1, 1, 0, 0), 123),  # 0.123 kWh
        (datetime(2013, 1, 1, 0, 30), 77),
        (datetime(2013, 1, 1, 1, 30), 10),  # 01:00 missing
        (datetime(2013, 1, 2, 0, 0), 5),
    ]
    meter = meter_days("m", readings)
    assert meter.interval_minutes == 30
    assert meter.first_day == date(2013, 1, 1)
    assert meter.mwh.shape == (2, 96)
    assert meter.mwh[0, :4].tolist() == [61_500, 61_500, 38_500, 38_500]
    assert meter.present[0, :4].all()
    assert not meter.present[0, 4:6].any()
    assert meter.mwh[0, 6:8].tolist() == [5_000, 5_000]
    assert int(meter.mwh.sum()) == (123 + 77 + 10 + 5) * 1000  # nothing lost or rounded


def test_conflicting_duplicate_is_missing_and_equal_one_is_kept() -> None:
    readings = [
        (datetime(2013, 1, 1, 0, 0), 100),
        (datetime(2013, 1, 1, 1, 0), 50),
        (datetime(2013, 1, 1, 1, 0), 60),
        (datetime(2013, 1, 1, 2, 0), 40),
        (datetime(2013, 1, 1, 2, 0), 40),
    ]
    meter = meter_days("m", readings)
    assert meter.interval_minutes == 60
    assert not meter.present[0, 4:8].any()
    assert meter.present[0, 8:12].all()
    assert meter.mwh[0, 8] == 10_000
    assert meter.duplicates_dropped == 2


def test_only_metered_samples_are_offered() -> None:
    with pytest.raises(ValueError, match="not a metered sample"):
        load_sample("il-electricity-cdd-hdd-hourly")


@pytest.mark.parametrize("name", REAL_SAMPLES)
def test_real_samples_load(name: str) -> None:
    meter = load_sample(name)
    assert meter.interval_minutes in (30, 60)
    assert meter.mwh.shape[0] > 400
    assert meter.present.mean() > 0.5
    assert (meter.mwh[meter.present] >= 0).all()
    assert np.count_nonzero(meter.mwh) > 0
