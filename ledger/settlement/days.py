"""An activation over midnight UTC: settled per UTC day, joined into one record.

A settlement's calendar is the UTC day: its X-of-Y history days are of the settled day's type
(weekday / weekend, holidays as weekend days). An activation whose periods lie on two UTC days
(23:30-00:30) is settled once per day it touches, each time over the whole activation but
with that day's type and history (:class:`~ledger.settlement.inputs.SettlementDay` over the
activation's days, ``day`` the part's), and each part keeps the periods that lie on its day
(:func:`join_day_parts`). Everything measured is the same in every part; only the X-of-Y
baseline (and so what follows from it) differs. The record is the activation's: periods in
order, totals over all of them, the delivery check of the part where the activation starts,
and ``dayParts`` saying what each day's baseline was made of (``docs/settlement.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import TypeVar

from ledger.settlement.energy import PERIOD_SECONDS
from ledger.settlement.errors import SettlementInputError
from ledger.settlement.record import (
    DayPart,
    PeriodResult,
    PeriodStatus,
    PodResults,
    SettlementRecord,
    totals_of,
)

__all__ = ["join_day_parts", "utc_date", "utc_days"]

T = TypeVar("T")


def utc_date(timestamp: int) -> date:
    """The UTC day of a moment (unix seconds)."""
    return datetime.fromtimestamp(timestamp, UTC).date()


def utc_days(first_period: int, periods: int) -> tuple[date, ...]:
    """The UTC days that ``periods`` periods from ``first_period`` (unix seconds) lie on."""
    first = utc_date(first_period)
    last = utc_date(first_period + (periods - 1) * PERIOD_SECONDS)
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def join_day_parts(parts: Sequence[SettlementRecord]) -> SettlementRecord:
    """One activation's record from its records settled with each UTC day's baseline, in day
    order: each part gives the periods that lie on its own ``day``. One part is returned as it
    is (an activation within one day keeps its record, byte for byte)."""
    if not parts:
        raise SettlementInputError("no day part to join", field="activations")
    first = parts[0]
    if len(parts) == 1:
        return first
    _check_same_activation(parts)
    starts = [period.start for period in first.periods]
    kept: list[tuple[SettlementRecord, list[int]]] = []
    for part in parts:
        columns = [i for i, start in enumerate(starts) if utc_date(start) == part.day]
        if not columns:
            raise SettlementInputError(
                f"no period of activation {first.activation_id} lies on {part.day}",
                field="activations",
            )
        kept.append((part, columns))
    if [i for _, columns in kept for i in columns] != list(range(len(starts))):
        raise SettlementInputError(
            "the day parts must cover every period once, in order", field="activations"
        )
    periods: list[PeriodResult] = [part.periods[i] for part, columns in kept for i in columns]
    totals = totals_of(periods)
    return replace(
        first,
        periods=tuple(periods),
        pods=_joined_pods(kept),
        totals=totals,
        complete=all(p.status is not PeriodStatus.NOT_ASSESSED for p in periods),
        holidays=tuple(sorted({d for part in parts for d in part.holidays})),
        day_parts=tuple(
            DayPart(
                day=part.day,
                periods=len(columns),
                baseline_days=part.pods.baseline_days,
                adjustment=part.pods.adjustment,
            )
            for part, columns in kept
        ),
    )


def _check_same_activation(parts: Sequence[SettlementRecord]) -> None:
    first = parts[0]
    for previous, part in pairwise(parts):
        same = (
            part.activation_id == first.activation_id
            and part.uvam_id == first.uvam_id
            and part.direction == first.direction
            and part.version == first.version
            and part.method == first.method
            and part.rules == first.rules
            and part.data_roots == first.data_roots
            and part.terms == first.terms
            and part.pods.pod_ids == first.pods.pod_ids
            and [p.start for p in part.periods] == [p.start for p in first.periods]
        )
        if not same:
            raise SettlementInputError(
                "day parts must settle the same activation with the same data", field="activations"
            )
        if part.day <= previous.day:
            raise SettlementInputError("day parts must be in day order", field="activations")
    forfeit = bool(first.rules.get("deliveryCheck", {}).get("forfeitRemuneration"))
    if forfeit and any(part.delivery_check != first.delivery_check for part in parts):
        # The check reads the baseline at the activation's start: with forfeiture, a later
        # day's own verdict would void (or keep) its remuneration on another baseline.
        raise SettlementInputError(
            "the delivery check differs between day parts while a failed check forfeits the"
            " remuneration: settle without forfeiture",
            field="rules",
        )


def _columns(
    tables: Sequence[tuple[tuple[tuple[T, ...], ...], list[int]]],
) -> tuple[tuple[T, ...], ...]:
    """Per row (POD), the given columns of each part's table, end to end."""
    rows = len(tables[0][0])
    return tuple(
        tuple(values[row][i] for values, columns in tables for i in columns) for row in range(rows)
    )


def _joined_pods(kept: Sequence[tuple[SettlementRecord, list[int]]]) -> PodResults:
    other = [(part.pods.other_source_wh, columns) for part, columns in kept]
    others = [(values, columns) for values, columns in other if values is not None]
    return PodResults(
        pod_ids=kept[0][0].pods.pod_ids,
        baseline_wh=_columns([(part.pods.baseline_wh, columns) for part, columns in kept]),
        measured_wh=_columns([(part.pods.measured_wh, columns) for part, columns in kept]),
        delivered_wh=_columns([(part.pods.delivered_wh, columns) for part, columns in kept]),
        other_source_wh=_columns(others) if len(others) == len(other) else None,
        disagreement=_columns([(part.pods.disagreement, columns) for part, columns in kept]),
        baseline_days=None,
        adjustment=None,
    )
