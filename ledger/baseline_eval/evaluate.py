"""Every baseline method the platform implements, judged on event-like windows of real meters.

A **window** is a would-be activation on a day without one: ``WINDOW_PERIODS`` periods from
each of :data:`WINDOW_STARTS` on every day with enough history. Nothing was activated, so the
meter itself is what a perfect baseline would have said; each method's baseline over the window
is compared with it (CV(RMSE), NMBE: ``metrics``).

Each method runs through its own ``compute`` exactly as a settlement runs it
(``ledger.settlement.baselines``): the event day's meter, the window, and ``HISTORY_DAYS``
earlier days with the settlement's calendar rule (same day type, public holidays of the
meter's country counted as weekend days; no day is an event day here).

A window counts when the meter is complete over it and every method has a baseline for it, so
all methods are judged on the same windows; how often each method had one is reported apart
(``availability``).

The BSP's declared baseline (``declared``) is not evaluated: it is the BSP's own forecast, and
third-party meter data has no declaration to judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ledger.baseline_eval.meter_data import PERIODS_PER_DAY, MeterDay
from ledger.baseline_eval.metrics import Accuracy, accuracy
from ledger.core.calendar import holidays_between
from ledger.settlement.baselines import (
    CAISO_10_OF_10,
    HIGH_4_OF_5,
    BaselineInputs,
    BaselineMethod,
    DeclaredBaseline,
    MeterBeforeBaseline,
    Selection,
    XOfYBaseline,
    day_type,
)
from ledger.settlement.energy import PeriodEnergy

__all__ = [
    "HISTORY_DAYS",
    "METHODS",
    "NOT_EVALUATED",
    "WINDOW_PERIODS",
    "WINDOW_STARTS",
    "MeterEvaluation",
    "evaluate_meter",
]

HISTORY_DAYS: Final = 28
"""As far back as the platform reads for an X-of-Y baseline (``settlement_inputs``)."""
WINDOW_PERIODS: Final = 8
"""Two hours of 15-minute periods."""
WINDOW_STARTS: Final = (32, 48, 68, 76)
"""08:00, 12:00, 17:00 and 19:00: morning, midday, the evening ramp and the evening peak."""

METHODS: Final[tuple[tuple[str, BaselineMethod], ...]] = (
    ("caiso10of10", CAISO_10_OF_10),
    ("high4of5", HIGH_4_OF_5),
    ("xOfY 10/10", XOfYBaseline(x=10, y=10, selection=Selection.MOST_RECENT, min_days=5)),
    ("xOfY high 4/5", XOfYBaseline(x=4, y=5, selection=Selection.HIGHEST, min_days=4)),
    ("meterBefore 2", MeterBeforeBaseline(window_periods=2, gap_periods=0)),
    ("meterBefore 4", MeterBeforeBaseline(window_periods=4, gap_periods=0)),
)
"""The two presets a product names, the same X-of-Y without the same-day adjustment, and
meter-before over 30 minutes (the default) and one hour."""

NOT_EVALUATED: Final = {
    DeclaredBaseline.name: "the BSP's own declaration; third-party meter data has none to judge"
}


@dataclass(frozen=True)
class MeterEvaluation:
    """One meter's figures per method over every counted window, the baselines' availability,
    and the counted windows themselves (for pooled and split figures)."""

    meter: str
    windows: int
    candidate_windows: int
    overall: dict[str, Accuracy]
    availability: dict[str, float]
    metered_mwh: NDArray[np.int64]
    """``[windows, WINDOW_PERIODS]``."""
    baselines_mwh: dict[str, NDArray[np.int64]]
    """Method label -> ``[windows, WINDOW_PERIODS]``."""
    window_starts: NDArray[np.intp]
    """The first period of each counted window."""
    window_day_types: NDArray[np.str_]
    """``weekday`` or ``weekend`` (holidays included) for each counted window."""


def _slots(meter: MeterDay) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Event-day index and window start of every candidate window (``HISTORY_DAYS`` earlier
    days in the data)."""
    days = np.arange(HISTORY_DAYS, meter.mwh.shape[0])
    day_index = np.repeat(days, len(WINDOW_STARTS))
    starts = np.tile(np.asarray(WINDOW_STARTS, dtype=np.intp), len(days))
    return day_index.astype(np.intp), starts


def _inputs(
    meter: MeterDay, day_index: NDArray[np.intp], starts: NDArray[np.intp], holidays: set[date]
) -> BaselineInputs:
    calendar = meter.days
    types = np.array([day_type(day, holidays) for day in calendar])
    back = np.arange(-HISTORY_DAYS, 0)  # oldest first
    history_days = day_index[None, :] + back[:, None]  # [HISTORY_DAYS, slots]
    return BaselineInputs(
        measured=PeriodEnergy(meter.mwh[day_index], meter.present[day_index]),
        event_start=starts,
        event_end=starts + WINDOW_PERIODS,
        history=PeriodEnergy(meter.mwh[history_days], meter.present[history_days]),
        history_eligible=types[history_days] == types[day_index][None, :],
    )


def _window(values: NDArray[np.int64], starts: NDArray[np.intp]) -> NDArray[np.int64]:
    """``[slots, WINDOW_PERIODS]``: each slot's values over its own window."""
    columns = starts[:, None] + np.arange(WINDOW_PERIODS)[None, :]
    return np.take_along_axis(values, columns, axis=1)


def evaluate_meter(meter: MeterDay, holiday_calendar: str = "GB-ENG") -> MeterEvaluation:
    """Run :data:`METHODS` on every candidate window of ``meter``."""
    if meter.mwh.shape[1] != PERIODS_PER_DAY:
        raise ValueError("a meter day has 96 periods")
    if meter.mwh.shape[0] <= HISTORY_DAYS:
        raise ValueError(
            f"{meter.name}: {meter.mwh.shape[0]} days leave no window after {HISTORY_DAYS} days"
            " of history"
        )
    days = meter.days
    holidays = set(holidays_between(holiday_calendar, days[0], days[-1]))
    day_index, starts = _slots(meter)
    inputs = _inputs(meter, day_index, starts, holidays)
    complete = _window(inputs.measured.present.astype(np.int64), starts).all(axis=1)
    baselines: dict[str, NDArray[np.int64]] = {}
    available: dict[str, NDArray[np.bool_]] = {}
    for label, method in METHODS:
        result = method.compute(inputs)
        baselines[label] = _window(result.wh, starts)
        available[label] = np.asarray(
            _window(result.available.astype(np.int64), starts).all(axis=1), dtype=np.bool_
        )
    counted = complete & np.logical_and.reduce(list(available.values()))
    metered = _window(inputs.measured.wh, starts)[counted]
    kept = {label: values[counted] for label, values in baselines.items()}
    if not metered.any():
        raise ValueError(f"{meter.name}: no window with metered energy to judge the methods on")
    return MeterEvaluation(
        meter=meter.name,
        windows=int(counted.sum()),
        candidate_windows=int(complete.sum()),
        overall={label: accuracy(values, metered) for label, values in kept.items()},
        availability={
            label: float((available[label] & complete).sum() / max(int(complete.sum()), 1))
            for label in available
        },
        metered_mwh=metered,
        baselines_mwh=kept,
        window_starts=starts[counted],
        window_day_types=np.array([day_type(days[i], holidays).value for i in day_index])[counted],
    )
