"""Baseline methods: what a POD would have consumed had it not been activated.

Every method is a frozen dataclass with a ``name``, a ``version`` and its parameters; the three
together (:func:`describe`) go into every settlement record and its hash, so a settlement can
always be recomputed with exactly the method that produced it. Change what a method computes
and its ``version`` must change.

Methods work on *slots*: one POD in one activation. A slot has a row of event-day energies
``[periods]`` and an event window ``[start, end)`` of period indices within that day; all
arrays below are ``[slots, periods]`` (event day) or ``[days, slots, periods]`` (history, oldest
day first). The result is a baseline in integer Wh per slot and period, and whether it is
available.

Methods:

* :class:`DeclaredBaseline` (``declared``): the BSP's own baseline per period, submitted before
  gate closure.
* :class:`XOfYBaseline` (``xOfY``): the mean of the same period over selected days among the
  last ``y`` eligible days, with an optional same-day adjustment
  (:class:`SameDayAdjustment`). Presets :data:`CAISO_10_OF_10` and :data:`HIGH_4_OF_5`.
* :class:`MeterBeforeBaseline` (``meterBefore``): the mean energy per period over a window just
  before the activation starts, held flat through the event.

Rounding: each baseline value is the exact rational result rounded half to even to the Wh once
(the mean and the adjustment factor are applied together, never rounded in between).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, ClassVar, Final, Protocol

import numpy as np
from numpy.typing import NDArray

from ledger.settlement.energy import PeriodEnergy
from ledger.settlement.errors import SettlementInputError
from ledger.settlement.rounding import div_round_half_even, fraction_of

__all__ = [
    "CAISO_10_OF_10",
    "HIGH_4_OF_5",
    "Baseline",
    "BaselineInputs",
    "BaselineMethod",
    "DayType",
    "DeclaredBaseline",
    "MeterBeforeBaseline",
    "SameDayAdjustment",
    "Selection",
    "XOfYBaseline",
    "day_type",
    "describe",
]

#: Products of int64 values stay below this bound on the fast path; beyond it the same
#: arithmetic runs on Python integers (``dtype=object``), so results never overflow.
_SAFE_PRODUCT: Final = 2**62


class DayType(StrEnum):
    """Days are comparable when they have the same type; holidays count as weekend days."""

    WEEKDAY = "weekday"
    WEEKEND = "weekend"


def day_type(day: date, holidays: Iterable[date] = ()) -> DayType:
    if day.weekday() >= 5 or day in set(holidays):
        return DayType.WEEKEND
    return DayType.WEEKDAY


class Selection(StrEnum):
    """Which of the last ``y`` eligible days an X-of-Y baseline keeps."""

    MOST_RECENT = "mostRecent"
    """The ``x`` most recent (CAISO 10-of-10 keeps all ten)."""
    HIGHEST = "highest"
    """The ``x`` with the highest energy over the event window (ties: the more recent day)."""


@dataclass(frozen=True, eq=False)
class BaselineInputs:
    """Everything a method may look at, per slot."""

    measured: PeriodEnergy
    """The authoritative meter on the event day, ``[slots, periods]``."""
    event_start: NDArray[np.intp]
    """First activated period of each slot (index into the day)."""
    event_end: NDArray[np.intp]
    """One past the last activated period of each slot."""
    declared: PeriodEnergy | None = None
    """The BSP's declared baseline, ``[slots, periods]``."""
    history: PeriodEnergy | None = None
    """The authoritative meter on earlier days, ``[days, slots, periods]``, oldest first."""
    history_eligible: NDArray[np.bool_] | None = None
    """``[days, slots]``: the day has the event day's type and is not an event day of the
    slot's POD. Days with a missing value in the periods a method needs are dropped on top."""
    read: slice | None = None
    """The periods whose baseline is read (every slot's event within them); a method may
    leave the others at 0. ``None``: the whole day."""

    @property
    def slots(self) -> int:
        return int(self.measured.wh.shape[0])

    @property
    def periods(self) -> int:
        return self.measured.periods


@dataclass(frozen=True, eq=False)
class Baseline:
    """A method's result per slot and period (Wh), with what it was made of."""

    wh: NDArray[np.int64]
    available: NDArray[np.bool_]
    days_used: NDArray[np.bool_] | None = None
    """X-of-Y: ``[days, slots]``, the history days averaged for each slot."""
    factor: tuple[NDArray[Any], NDArray[Any]] | None = None
    """X-of-Y with adjustment: the factor applied to each slot as an exact fraction
    (numerators, denominators; ``1/1`` when no adjustment was possible)."""


class BaselineMethod(Protocol):
    """A named, versioned baseline method with frozen, JSON-serialisable parameters."""

    name: ClassVar[str]
    version: ClassVar[int]

    def compute(self, inputs: BaselineInputs) -> Baseline: ...


def describe(method: BaselineMethod) -> dict[str, Any]:
    """``{name, version, params}`` as recorded in a settlement (camelCase parameter names)."""
    if not dataclasses.is_dataclass(method):
        raise TypeError("a baseline method must be a dataclass")
    return {
        "name": method.name,
        "version": method.version,
        "params": _camel(dataclasses.asdict(method)),
    }


# --------------------------------------------------------------------------------- declared


@dataclass(frozen=True)
class DeclaredBaseline:
    """The BSP's declared baseline, per POD and period, committed before gate closure."""

    name: ClassVar[str] = "declared"
    version: ClassVar[int] = 1

    def compute(self, inputs: BaselineInputs) -> Baseline:
        if inputs.declared is None:
            raise SettlementInputError("the declared baseline needs the declared values")
        if inputs.declared.wh.shape != inputs.measured.wh.shape:
            raise SettlementInputError("declared values must be [slots, periods] as measured")
        return Baseline(inputs.declared.wh.copy(), inputs.declared.present.copy())


# ----------------------------------------------------------------------------- meter before


@dataclass(frozen=True)
class MeterBeforeBaseline:
    """The mean energy per period over ``window_periods`` periods ending ``gap_periods``
    before the activation starts, held flat through the event (``meterBefore``).

    Unavailable when the window starts before the day or misses a value.
    """

    window_periods: int = 2
    gap_periods: int = 0

    name: ClassVar[str] = "meterBefore"
    version: ClassVar[int] = 1

    def __post_init__(self) -> None:
        if self.window_periods < 1 or self.gap_periods < 0:
            raise ValueError("window_periods >= 1 and gap_periods >= 0 required")

    def compute(self, inputs: BaselineInputs) -> Baseline:
        window_end = inputs.event_start - self.gap_periods
        window_start = window_end - self.window_periods
        inside = window_start >= 0
        total, missing = _window_sums(inputs.measured, np.maximum(window_start, 0), window_end)
        value = div_round_half_even(total, self.window_periods)
        available = inside & (missing == 0)
        shape = inputs.measured.wh.shape
        wh = np.broadcast_to(np.where(available, value, 0)[:, None], shape).copy()
        return Baseline(wh, np.broadcast_to(available[:, None], shape).copy())


# ------------------------------------------------------------------------------------ X of Y


@dataclass(frozen=True)
class SameDayAdjustment:
    """Scale the X-of-Y baseline by ``actual / baseline`` over a window before the event.

    The window is the ``window_periods`` periods ending ``gap_periods`` before the event starts.
    The ratio is exact (a fraction) and clipped to ``[low, high]``. No adjustment (factor 1)
    when the window starts before the day, misses an event-day value, or the baseline's energy
    over it is zero. With negative energies (net generation) the same ratio applies: equal
    signs give a positive ratio, opposite signs a negative one, which the band clips to ``low``.
    """

    window_periods: int = 12
    gap_periods: int = 4
    low: Decimal = Decimal("0.8")
    high: Decimal = Decimal("1.2")

    def __post_init__(self) -> None:
        if self.window_periods < 1 or self.gap_periods < 0:
            raise ValueError("window_periods >= 1 and gap_periods >= 0 required")
        if not 0 < fraction_of(self.low) <= fraction_of(self.high):
            raise ValueError("the band needs 0 < low <= high")


@dataclass(frozen=True)
class XOfYBaseline:
    """X-of-Y days (``xOfY``): for each period, the mean over ``k`` selected days of the same
    period, where the candidates are the last ``y`` eligible days (same day type, not an event
    day of the POD, no missing value in the periods needed) and ``k = min(x, candidates)``.

    Unavailable for a POD with fewer than ``min_days`` candidates. With ``adjustment``, the mean
    is multiplied by the clipped same-day factor before the single rounding.
    """

    x: int = 10
    y: int = 10
    selection: Selection = Selection.MOST_RECENT
    min_days: int = 5
    adjustment: SameDayAdjustment | None = None

    name: ClassVar[str] = "xOfY"
    version: ClassVar[int] = 1

    def __post_init__(self) -> None:
        if not 1 <= self.x <= self.y:
            raise ValueError("1 <= x <= y required")
        if not 1 <= self.min_days <= self.y:
            raise ValueError("1 <= min_days <= y required")

    def compute(self, inputs: BaselineInputs) -> Baseline:
        history, eligible_base = inputs.history, inputs.history_eligible
        if history is None or eligible_base is None:
            raise SettlementInputError("an X-of-Y baseline needs the history and its calendar")
        days = int(history.wh.shape[0])
        if history.wh.shape[1:] != inputs.measured.wh.shape:
            raise SettlementInputError("history must be [days, slots, periods]")
        if eligible_base.shape != (days, inputs.slots):
            raise SettlementInputError("history_eligible must be [days, slots]")

        needed_start = inputs.event_start
        if self.adjustment is not None:
            reach = self.adjustment.gap_periods + self.adjustment.window_periods
            needed_start = np.maximum(inputs.event_start - reach, 0)
        gaps = _missing_between(history.present, needed_start, inputs.event_end)
        eligible = eligible_base & (gaps == 0)

        # Recency rank among eligible days: 1 for the most recent.
        rank = np.cumsum(eligible[::-1], axis=0)[::-1]
        candidates = eligible & (rank <= self.y)
        count = candidates.sum(axis=0)
        keep = np.minimum(count, self.x)
        if self.selection is Selection.MOST_RECENT:
            used = candidates & (rank <= keep[None, :])
        else:
            window = _inside(inputs.event_start, inputs.event_end, inputs.periods)
            score = np.einsum("dsp,sp->ds", history.wh, window.astype(np.int64))
            score = np.where(candidates, score, np.iinfo(np.int64).min)
            recency = np.broadcast_to(np.arange(days)[:, None], score.shape)
            order = np.lexsort((recency, score), axis=0)
            position = np.empty_like(order)
            np.put_along_axis(position, order, np.arange(days)[:, None], axis=0)
            used = candidates & (position >= days - keep[None, :])

        available = count >= self.min_days
        # Summed only over the periods read and those the same-day factor needs before them.
        read = inputs.read or slice(0, inputs.periods)
        first = min(int(needed_start.min()), read.start) if needed_start.size else read.start
        total = np.einsum("dsp,ds->sp", history.wh[:, :, first : read.stop], used.astype(np.int64))
        divisor = np.maximum(keep, 1).astype(np.int64)
        numerator: NDArray[Any] = np.ones(inputs.slots, dtype=np.int64)
        denominator: NDArray[Any] = divisor
        if self.adjustment is not None:
            numerator, denominator = self._factor(inputs, total, first, divisor)
        shape = inputs.measured.wh.shape
        wh = np.zeros(shape, dtype=np.int64)
        scaled = _scaled(total[:, read.start - first :], numerator, denominator)
        wh[:, read] = np.where(available[:, None], scaled, 0)
        return Baseline(
            wh=wh,
            available=np.broadcast_to(available[:, None], shape).copy(),
            days_used=used & available[None, :],
            factor=None if self.adjustment is None else _reduced(numerator * divisor, denominator),
        )

    def _factor(
        self,
        inputs: BaselineInputs,
        total: NDArray[np.int64],
        first: int,
        divisor: NDArray[np.int64],
    ) -> tuple[NDArray[Any], NDArray[Any]]:
        """Per slot ``(N, M)`` with baseline = ``total * N / M``: ``(1, k)`` unadjusted,
        ``(A, S)`` within the band, ``(low, k)`` or ``(high, k)`` when clipped, where ``A`` is
        the actual and ``S`` the summed selected days' energy over the adjustment window
        (``total`` holds the periods from ``first``, at or before every window's start)."""
        assert self.adjustment is not None
        adjustment = self.adjustment
        window_end = inputs.event_start - adjustment.gap_periods
        window_start = window_end - adjustment.window_periods
        actual, missing = _window_sums(inputs.measured, np.maximum(window_start, 0), window_end)
        start = np.maximum(window_start, 0)
        reference = _between(
            _cumulative(total), start - first, np.maximum(window_end, start) - first
        )
        usable = (window_start >= 0) & (missing == 0) & (reference != 0)
        sign = np.where(reference < 0, -1, 1)
        actual, reference = actual * sign, reference * sign

        low, high = fraction_of(adjustment.low), fraction_of(adjustment.high)
        bound = max(_magnitude(actual) * _magnitude(divisor), _magnitude(reference)) * max(
            low.numerator, low.denominator, high.numerator, high.denominator
        )
        exact: NDArray[Any]
        if bound >= _SAFE_PRODUCT:
            actual, reference, divisor = (_python_ints(a) for a in (actual, reference, divisor))
        scaled_actual = actual * divisor
        below = scaled_actual * low.denominator < reference * low.numerator
        above = scaled_actual * high.denominator > reference * high.numerator
        numerator = np.where(below, low.numerator, np.where(above, high.numerator, actual))
        exact = np.where(
            below, divisor * low.denominator, np.where(above, divisor * high.denominator, reference)
        )
        numerator = np.where(usable, numerator, 1)
        exact = np.where(usable, exact, divisor)
        return numerator, exact


CAISO_10_OF_10: Final = XOfYBaseline(
    x=10,
    y=10,
    selection=Selection.MOST_RECENT,
    min_days=5,
    adjustment=SameDayAdjustment(
        window_periods=12, gap_periods=4, low=Decimal("0.8"), high=Decimal("1.2")
    ),
)
"""After CAISO 10-in-10: the ten most recent eligible days, at least five; the same-day factor
over the three hours ending one hour before the event, clipped to [0.8, 1.2]."""

HIGH_4_OF_5: Final = XOfYBaseline(
    x=4,
    y=5,
    selection=Selection.HIGHEST,
    min_days=4,
    adjustment=SameDayAdjustment(
        window_periods=12, gap_periods=4, low=Decimal("0.8"), high=Decimal("1.2")
    ),
)
"""After NYISO/PJM "high 4 of 5": of the five most recent eligible days, the four with the
highest energy over the event window; multiplicative same-day factor as above (the ISOs use an
additive one)."""


# ---------------------------------------------------------------------------------- helpers


def _cumulative(values: NDArray[Any]) -> NDArray[np.int64]:
    """Cumulative sums along the last axis with a leading zero (``[..., periods + 1]``)."""
    shape = (*values.shape[:-1], 1)
    return np.concatenate(
        [np.zeros(shape, dtype=np.int64), np.cumsum(values, axis=-1, dtype=np.int64)], axis=-1
    )


def _between(
    cumulative: NDArray[np.int64], start: NDArray[np.intp], end: NDArray[np.intp]
) -> NDArray[np.int64]:
    """Sum over ``[start[s], end[s])`` of each slot ``s`` (the second-to-last axis)."""
    lead = cumulative.shape[:-2]
    shape = (*(1 for _ in lead), cumulative.shape[-2], 1)
    hi = np.broadcast_to(np.asarray(end).reshape(shape), (*lead, cumulative.shape[-2], 1))
    lo = np.broadcast_to(np.asarray(start).reshape(shape), (*lead, cumulative.shape[-2], 1))
    taken = np.take_along_axis(cumulative, hi, axis=-1) - np.take_along_axis(cumulative, lo, -1)
    return np.asarray(taken[..., 0], dtype=np.int64)


def _inside(start: NDArray[np.intp], end: NDArray[np.intp], periods: int) -> NDArray[np.bool_]:
    """``[slots, periods]``: the period is in ``[start, end)`` of the slot."""
    index = np.arange(periods)
    inside: NDArray[np.bool_] = (index >= start[:, None]) & (index < end[:, None])
    return inside


def _missing_between(
    present: NDArray[np.bool_], start: NDArray[np.intp], end: NDArray[np.intp]
) -> NDArray[np.int64]:
    """Missing values over ``[start[s], end[s])`` per row of ``present`` (``[..., slots,
    periods]``). Only rows with a gap are counted: complete data costs one pass."""
    lacking = ~present.all(axis=-1)
    counts = np.zeros(lacking.shape, dtype=np.int64)
    if lacking.any():
        where = np.nonzero(lacking)
        slot = where[-1]
        cumulative = _cumulative(~present[where])
        rows = np.arange(len(slot))
        counts[where] = cumulative[rows, end[slot]] - cumulative[rows, start[slot]]
    return counts


def _window_sums(
    energy: PeriodEnergy, start: NDArray[np.intp], end: NDArray[np.intp]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Energy and number of missing values over ``[start, end)`` of each slot (``end <=
    start`` gives an empty window)."""
    end = np.maximum(end, start)
    total = _between(_cumulative(energy.wh), start, end)
    missing = _missing_between(energy.present, start, end)
    return total, missing


def _magnitude(values: NDArray[Any]) -> int:
    return int(np.max(np.abs(values))) if values.size else 0


def _python_ints(values: NDArray[Any]) -> NDArray[Any]:
    """``values`` as an object array of Python ints, of the same shape (any number of axes).

    Filled flat and then reshaped: assigning a flat list to an ``[a, b]`` array would make
    NumPy broadcast it and fail as soon as ``a > 1``."""
    flat = np.empty(values.size, dtype=object)
    flat[:] = [int(v) for v in np.asarray(values).ravel()]
    return flat.reshape(values.shape)


def _scaled(
    total: NDArray[np.int64], numerator: NDArray[Any], denominator: NDArray[Any]
) -> NDArray[np.int64]:
    """``round_half_even(total * N / M)`` per slot row, exactly."""
    if numerator.dtype == object or _magnitude(total) * _magnitude(numerator) >= _SAFE_PRODUCT:
        product = _python_ints(total) * _python_ints(numerator)[:, None]
        rounded = div_round_half_even(product, _python_ints(denominator)[:, None])
        return np.asarray(rounded.astype(np.int64))
    return div_round_half_even(total * numerator[:, None], denominator[:, None])


def _reduced(
    numerator: NDArray[Any], denominator: NDArray[Any]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Positive fractions in lowest terms."""
    if numerator.dtype != object and denominator.dtype != object:
        divisor = np.gcd(numerator, denominator)
        return numerator // divisor, denominator // divisor
    fractions = [Fraction(int(n), int(d)) for n, d in zip(numerator, denominator, strict=True)]
    return (
        _python_ints(np.array([f.numerator for f in fractions], dtype=object)),
        _python_ints(np.array([f.denominator for f in fractions], dtype=object)),
    )


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel_name(key): _camel(item) for key, item in value.items()}
    return value


def _camel_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)
