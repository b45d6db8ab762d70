"""The vectorised settlement of a day's activations.

:func:`compute` turns a :class:`~ledger.settlement.inputs.SettlementDay` and its activations
into arrays (:class:`DayResults`); :func:`settle` goes on to the per-activation records. The
arrays are computed for all activations at once over *slots* - one slot per POD per activation,
grouped by activation - so a day of 10,000 PODs is a handful of NumPy passes.

Sign convention (one rule for every case): energies are **net import**, positive for
consumption and negative for generation, as the meters report them. Flexibility is counted in
the ordered direction::

    delivered = baseline - measured      (direction up:   less consumption / more generation)
    delivered = measured - baseline      (direction down: more consumption / less generation)

so delivered energy is positive when the POD moved the way it was asked to, negative when it
moved the other way, whatever the POD's type. The UVAM's delivered energy in a period is the
sum of its PODs'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ledger.market.terms import Direction
from ledger.settlement.baselines import (
    Baseline,
    BaselineInputs,
    BaselineMethod,
    day_type,
)
from ledger.settlement.energy import GAP, PERIOD_SECONDS, SECONDS_PER_HOUR, PeriodEnergy
from ledger.settlement.errors import SettlementInputError
from ledger.settlement.inputs import Activation, SettlementDay
from ledger.settlement.rounding import fraction_of
from ledger.settlement.rules import MeterSource, SettlementRules

__all__ = ["DayResults", "compute", "direction_sign"]

#: Average power in W of 1 Wh spread over a period.
_W_PER_WH: int = SECONDS_PER_HOUR // PERIOD_SECONDS


def direction_sign(direction: Direction) -> int:
    """+1 for up (delivered = baseline - measured), -1 for down (measured - baseline)."""
    return 1 if direction is Direction.UP else -1


@dataclass(frozen=True, eq=False)
class DayResults:
    """Everything :func:`compute` found, as arrays.

    Slot arrays are ``[slots, periods]`` over the whole day; the slots of activation ``a`` are
    ``offsets[a]:offsets[a + 1]``. UVAM arrays are ``[activations, periods]``. Outside an
    activation's periods every slot and UVAM value is 0 / false; the baseline is computed over
    the span of periods the activations cover (``BaselineInputs.read``), 0 outside it.
    """

    day: SettlementDay
    activations: tuple[Activation, ...]
    method: BaselineMethod
    rules: SettlementRules
    offsets: NDArray[np.intp]
    slot_rows: NDArray[np.intp]
    event: NDArray[np.bool_]
    baseline: Baseline
    measured: PeriodEnergy
    secondary: PeriodEnergy | None
    delivered: NDArray[np.int64]
    """Per slot and period, in the ordered direction; 0 where data are missing."""
    missing: NDArray[np.bool_]
    """Within the event: no authoritative measurement or no baseline value."""
    disagreement: NDArray[np.bool_]
    """Within the event: both sources measured and beyond the tolerance."""
    other_delivered: NDArray[np.int64] | None
    """Per slot and period, delivered energy by the other source against the same baseline;
    0 where the other source or the baseline is missing. ``None`` without a second source."""
    uvam_other_delivered: NDArray[np.int64] | None
    uvam_other_missing: NDArray[np.int64] | None
    """Number of PODs without a reading of the other source (or a baseline) per period."""
    uvam_baseline: NDArray[np.int64]
    uvam_measured: NDArray[np.int64]
    uvam_delivered: NDArray[np.int64]
    uvam_missing: NDArray[np.int64]
    """Number of PODs missing data per activation and period."""
    uvam_disagreement: NDArray[np.int64]
    ordered: NDArray[np.int64]
    """Ordered energy per activation and period of the day."""
    met: NDArray[np.bool_]
    """Per activation and period: assessed and delivered >= threshold x ordered."""
    reached_after_s: NDArray[np.int64]
    """Per activation: seconds from the start to the end of the first reading (or period)
    interval in which the threshold was reached, -1 if it was not within the check window."""
    check_resolution_s: int

    def slots_of(self, index: int) -> slice:
        return slice(int(self.offsets[index]), int(self.offsets[index + 1]))


def compute(
    *,
    day: SettlementDay,
    activations: Sequence[Activation],
    method: BaselineMethod,
    rules: SettlementRules | None = None,
) -> DayResults:
    """Baselines, delivered energy, data flags and the delivery check for every activation."""
    rules = rules or SettlementRules()
    primary, secondary = (day.dso, day.bsp)
    if rules.authoritative is MeterSource.BSP_DEVICES:
        primary, secondary = secondary, primary
    if primary is None:
        raise SettlementInputError(f"no {rules.authoritative} data to settle with")
    periods = primary.periods
    day.validate(periods)
    if not activations:
        raise SettlementInputError("nothing to settle", field="activations")
    ids = [activation.activation_id for activation in activations]
    if len(set(ids)) != len(ids):
        raise SettlementInputError("activation ids must be unique", field="activations")
    for activation in activations:
        activation.validate(pods=day.pods, periods=periods)

    sizes = np.array([len(a.pod_rows) for a in activations], dtype=np.intp)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)
    starts = offsets[:-1]
    slot_rows = np.fromiter(
        chain.from_iterable(a.pod_rows for a in activations), dtype=np.intp, count=int(offsets[-1])
    )
    first = np.array([a.first_period for a in activations], dtype=np.intp)
    last = first + np.array([a.periods for a in activations], dtype=np.intp)
    event_start, event_end = np.repeat(first, sizes), np.repeat(last, sizes)
    sign = np.repeat(np.array([direction_sign(a.direction) for a in activations]), sizes)
    period_index = np.arange(periods)
    event = (period_index >= event_start[:, None]) & (period_index < event_end[:, None])

    # Every slot value below is 0 outside its activation's periods: only the span of periods
    # some activation covers is computed (the rest stays 0), and summed per UVAM.
    span = slice(int(first.min()), int(last.max()))
    measured = primary.rows(slot_rows)
    baseline = method.compute(
        BaselineInputs(
            measured=measured,
            event_start=event_start,
            event_end=event_end,
            declared=None if day.declared is None else day.declared.rows(slot_rows),
            history=None if day.history is None else day.history.energy.rows(slot_rows),
            history_eligible=_eligible_days(day, slot_rows),
            read=span,
        )
    )
    if baseline.wh.shape != measured.wh.shape:
        raise SettlementInputError(f"baseline {method.name} returned the wrong shape")

    on_span = event[:, span]
    baseline_wh, baseline_available = baseline.wh[:, span], baseline.available[:, span]

    def spanned(values: NDArray[Any]) -> NDArray[Any]:
        """``values`` (the span's columns) in a day of slots, 0 outside the span."""
        day_values = np.zeros(event.shape, dtype=values.dtype)
        day_values[:, span] = values
        return day_values

    missing = spanned(on_span & ~(measured.present[:, span] & baseline_available))
    assessed = on_span & ~missing[:, span]
    delivered = spanned(np.where(assessed, sign[:, None] * (baseline_wh - measured.wh[:, span]), 0))

    disagreement = np.zeros_like(event)
    other = None
    other_delivered = other_missing = None
    if secondary is not None:
        other = secondary.rows(slot_rows)
        other_wh, other_present = other.wh[:, span], other.present[:, span]
        measured_wh = measured.wh[:, span]
        tolerance = fraction_of(rules.tolerance.relative)
        gap = np.abs(measured_wh - other_wh) * tolerance.denominator
        allowed = (
            np.abs(measured_wh) * tolerance.numerator
            + rules.tolerance.absolute_wh * tolerance.denominator
        )
        disagreement = spanned(
            on_span & measured.present[:, span] & other_present & (gap > allowed)
        )
        other_assessed = on_span & other_present & baseline_available
        other_delivered = spanned(
            np.where(other_assessed, sign[:, None] * (baseline_wh - other_wh), 0)
        )
        other_missing = on_span & ~other_assessed

    def per_uvam(values: NDArray[np.generic]) -> NDArray[np.int64]:
        """Per activation, the sum of its slots' ``values`` (the span's columns)."""
        sums = np.zeros((len(activations), periods), dtype=np.int64)
        sums[:, span] = np.add.reduceat(values, starts, axis=0, dtype=np.int64)
        return sums

    ordered = np.zeros((len(activations), periods), dtype=np.int64)
    for index, activation in enumerate(activations):
        ordered[index, activation.first_period : activation.first_period + activation.periods] = (
            activation.ordered_wh
        )
    uvam_delivered = per_uvam(delivered[:, span])
    uvam_missing = per_uvam(missing[:, span])
    threshold = fraction_of(rules.delivery_check.threshold)
    met = (
        (uvam_missing == 0)
        & (ordered > 0)
        & (uvam_delivered * threshold.denominator >= ordered * threshold.numerator)
    )
    met &= per_uvam(event[:, span]) > 0

    check = _RampCheck(day, rules, slot_rows, event_start, event_end, sign, baseline, starts)
    if day.check_series is not None:
        reached, resolution = check.on_readings(ordered, first, last)
    else:
        reached, resolution = check.on_periods(uvam_delivered, uvam_missing, ordered, first, last)

    return DayResults(
        day=day,
        activations=tuple(activations),
        method=method,
        rules=rules,
        offsets=offsets,
        slot_rows=slot_rows,
        event=event,
        baseline=baseline,
        measured=measured,
        secondary=other,
        delivered=delivered,
        missing=missing,
        disagreement=disagreement,
        other_delivered=other_delivered,
        uvam_other_delivered=None
        if other_delivered is None
        else per_uvam(other_delivered[:, span]),
        uvam_other_missing=None if other_missing is None else per_uvam(other_missing),
        uvam_baseline=per_uvam(np.where(on_span & baseline_available, baseline_wh, 0)),
        uvam_measured=per_uvam(
            np.where(on_span & measured.present[:, span], measured.wh[:, span], 0)
        ),
        uvam_delivered=uvam_delivered,
        uvam_missing=uvam_missing,
        uvam_disagreement=per_uvam(disagreement[:, span]),
        ordered=ordered,
        met=met,
        reached_after_s=reached,
        check_resolution_s=resolution,
    )


def _eligible_days(day: SettlementDay, slot_rows: NDArray[np.intp]) -> NDArray[np.bool_] | None:
    """``[days, slots]``: same day type as the settled day and not an event day of the POD."""
    history = day.history
    if history is None:
        return None
    wanted = day_type(day.day, history.holidays)
    same_type = np.array(
        [day_type(d, history.holidays) == wanted for d in history.dates], dtype=np.bool_
    )
    return same_type[:, None] & ~history.event_days[:, slot_rows]


@dataclass(frozen=True)
class _RampCheck:
    """The delivery check: threshold of the set point reached within ``within_s``."""

    day: SettlementDay
    rules: SettlementRules
    slot_rows: NDArray[np.intp]
    event_start: NDArray[np.intp]
    event_end: NDArray[np.intp]
    sign: NDArray[np.int64]
    baseline: Baseline
    starts: NDArray[np.intp]

    def _passes(
        self, delivered: NDArray[np.int64], ordered: NDArray[np.int64], valid: NDArray[np.bool_]
    ) -> NDArray[np.bool_]:
        threshold = fraction_of(self.rules.delivery_check.threshold)
        reached: NDArray[np.bool_] = valid & (
            delivered * threshold.denominator >= ordered * threshold.numerator
        )
        return reached

    @staticmethod
    def _first(reached: NDArray[np.bool_], step_s: int) -> NDArray[np.int64]:
        found = reached.any(axis=1)
        return np.where(found, (np.argmax(reached, axis=1) + 1) * step_s, -1).astype(np.int64)

    def on_readings(
        self, ordered: NDArray[np.int64], first: NDArray[np.intp], last: NDArray[np.intp]
    ) -> tuple[NDArray[np.int64], int]:
        series = self.day.check_series
        assert series is not None
        per_period = series.steps_per_period
        steps = max(1, self.rules.delivery_check.within_s // series.resolution_s)
        power = series.steps(self.slot_rows, self.event_start * per_period, steps)
        step_period = self.event_start[:, None] + np.arange(steps)[None, :] // per_period
        inside = step_period < self.event_end[:, None]
        column = np.minimum(step_period, self.baseline.wh.shape[1] - 1)
        baseline_w = np.take_along_axis(self.baseline.wh, column, axis=1) * _W_PER_WH
        available = np.take_along_axis(self.baseline.available, column, axis=1)
        lacking = (power == GAP) | ~available | ~inside
        delivered_w = np.where(lacking, 0, self.sign[:, None] * (baseline_w - power))
        uvam_w = np.add.reduceat(delivered_w, self.starts, axis=0)
        uvam_lacking = np.add.reduceat(lacking.astype(np.int64), self.starts, axis=0)

        uvam_period = first[:, None] + np.arange(steps)[None, :] // per_period
        in_activation = uvam_period < last[:, None]
        ordered_w = (
            np.take_along_axis(ordered, np.minimum(uvam_period, ordered.shape[1] - 1), axis=1)
            * _W_PER_WH
        )
        valid = in_activation & (uvam_lacking == 0)
        return self._first(self._passes(uvam_w, ordered_w, valid), series.resolution_s), int(
            series.resolution_s
        )

    def on_periods(
        self,
        delivered: NDArray[np.int64],
        missing: NDArray[np.int64],
        ordered: NDArray[np.int64],
        first: NDArray[np.intp],
        last: NDArray[np.intp],
    ) -> tuple[NDArray[np.int64], int]:
        steps = max(1, self.rules.delivery_check.within_s // PERIOD_SECONDS)
        column = first[:, None] + np.arange(steps)[None, :]
        inside = column < last[:, None]
        column = np.minimum(column, delivered.shape[1] - 1)
        taken = {
            name: np.take_along_axis(values, column, axis=1)
            for name, values in (("d", delivered), ("m", missing), ("o", ordered))
        }
        valid = inside & (taken["m"] == 0)
        reached = self._passes(taken["d"], taken["o"], valid)
        return self._first(reached, PERIOD_SECONDS), PERIOD_SECONDS
