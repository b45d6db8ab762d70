"""Settlement records: per period results, money and totals, hashed for the chain.

Per period of an activation, as USEF ``FlexOrderSettlementISP`` (energies in Wh over the
15-minute period instead of powers):

* ``remuneratedWh = min(max(delivered, 0), ordered)`` - over-delivery is not paid;
* ``deficiencyWh = ordered - remuneratedWh`` - under-delivery, including any delivery in the
  wrong direction counted as zero; ``surplusWh = max(delivered - ordered, 0)``;
* ``remuneration = remuneratedWh x price / 10^6``, ``penalty = deficiencyWh x sanction / 10^6``
  (EUR, prices in EUR/MWh), each rounded half to even to the cent; ``net = remuneration -
  penalty``. Totals are sums of the rounded period amounts.

A period where a POD lacks data is flagged. Under ``MissingDataPolicy.INCOMPLETE`` it is not
assessed: its remunerated, deficiency and surplus energies are ``None``, its amounts zero, and
the record is ``complete = False``. Under ``ZERO_DELIVERY`` it is assessed with those PODs at 0.

:meth:`SettlementRecord.settlement_hash` is ``keccak256(canonical_json(record))``: the same data,
method and rules give the same bytes, and so the same hash, on any machine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from itertools import compress
from typing import Any, Final

import numpy as np
from eth_utils.crypto import keccak

from ledger.core.domain.canonical import (
    bool_table,
    canonical_json,
    date_table,
    int_table,
    within_safe_integers,
)
from ledger.market.terms import Direction
from ledger.settlement.baselines import describe
from ledger.settlement.energy import PERIOD_SECONDS
from ledger.settlement.engine import DayResults
from ledger.settlement.rounding import MONEY_CONTEXT, round_cents
from ledger.settlement.rules import MissingDataPolicy

__all__ = [
    "RECORD_SCHEMA",
    "RECORD_SCHEMA_ACTIVATION_TERMS",
    "RECORD_SCHEMA_DAY_PARTS",
    "DayPart",
    "DeliveryCheckResult",
    "PeriodResult",
    "PeriodStatus",
    "PodResults",
    "SettlementRecord",
    "Totals",
    "build_records",
    "record_schema",
    "totals_of",
]

RECORD_SCHEMA: Final = "cbp.settlement/4"
"""/4: the terms were frozen at award (``terms.award``: the clearing result that froze them,
with the pricing rule and the baseline method). /3: the settlement terms fixed once per
activation (``terms``), carried into every version. /2: per period, the delivery by the other
meter source (``otherSourceDeliveredWh``)."""
RECORD_SCHEMA_ACTIVATION_TERMS: Final = "cbp.settlement/3"
"""What a record whose terms name no award still says (terms fixed at the first settlement
request, before issue 14), so that it recomputes to the same bytes."""
RECORD_SCHEMA_WITHOUT_TERMS: Final = "cbp.settlement/2"
"""What a record given no terms still says, so that settlements made before the terms were
fixed recompute to the same bytes."""
RECORD_SCHEMA_DAY_PARTS: Final = "cbp.settlement/5"
"""What a record of an activation over more than one UTC day says: /4 with ``dayParts`` (the
baseline of each UTC day's periods, :mod:`ledger.settlement.days`)."""
_WH_PER_MWH: Final = Decimal(1_000_000)


def record_schema(terms: Mapping[str, Any] | None, *, day_parts: bool = False) -> str:
    """The schema a record with these terms says: /2 without terms, /3 with terms that name no
    award, /4 with terms frozen at award, /5 when the activation spans UTC days."""
    if day_parts:
        return RECORD_SCHEMA_DAY_PARTS
    if terms is None:
        return RECORD_SCHEMA_WITHOUT_TERMS
    return RECORD_SCHEMA if "award" in terms else RECORD_SCHEMA_ACTIVATION_TERMS


class PeriodStatus(StrEnum):
    SETTLED = "settled"
    ZERO_FILLED = "zeroFilled"
    """Data missing for some POD, assessed with it at 0 Wh (``ZERO_DELIVERY``)."""
    NOT_ASSESSED = "notAssessed"
    """Data missing for some POD, left out of the money (``INCOMPLETE``)."""


@dataclass(frozen=True)
class PeriodResult:
    """One period of an activation, for the UVAM (sums over its PODs)."""

    start: int
    duration_s: int
    baseline_wh: int
    measured_wh: int
    ordered_wh: int
    delivered_wh: int
    remunerated_wh: int | None
    deficiency_wh: int | None
    surplus_wh: int | None
    met: bool
    price_eur_mwh: Decimal
    sanction_eur_mwh: Decimal
    remuneration_eur: Decimal
    penalty_eur: Decimal
    net_eur: Decimal
    missing_pods: int
    disagreeing_pods: int
    status: PeriodStatus
    other_source: bool = False
    """A second meter source was given (the key ``otherSourceDeliveredWh`` is then recorded)."""
    other_source_delivered_wh: int | None = None
    """The UVAM's delivered energy by the other source against the same baseline; ``None``
    when the other source (or the baseline) misses a POD in the period."""

    def as_dict(self) -> dict[str, Any]:
        body = {
            "start": self.start,
            "durationS": self.duration_s,
            "baselineWh": self.baseline_wh,
            "measuredWh": self.measured_wh,
            "orderedWh": self.ordered_wh,
            "deliveredWh": self.delivered_wh,
            "remuneratedWh": self.remunerated_wh,
            "deficiencyWh": self.deficiency_wh,
            "surplusWh": self.surplus_wh,
            "met": self.met,
            "priceEurMwh": self.price_eur_mwh,
            "sanctionEurMwh": self.sanction_eur_mwh,
            "remunerationEur": self.remuneration_eur,
            "penaltyEur": self.penalty_eur,
            "netEur": self.net_eur,
            "missingPods": self.missing_pods,
            "disagreeingPods": self.disagreeing_pods,
            "status": self.status,
        }
        if self.other_source:
            body["otherSourceDeliveredWh"] = self.other_source_delivered_wh
        return body


@dataclass(frozen=True)
class PodResults:
    """Per POD of the UVAM (rows, in ``pod_ids`` order) and period of the activation (columns).

    ``None`` marks a value that is not there: no authoritative measurement, no baseline, no
    reading from the other source. ``delivered_wh`` is 0 wherever data are missing.
    """

    pod_ids: tuple[str, ...]
    baseline_wh: tuple[tuple[int | None, ...], ...]
    measured_wh: tuple[tuple[int | None, ...], ...]
    delivered_wh: tuple[tuple[int, ...], ...]
    other_source_wh: tuple[tuple[int | None, ...], ...] | None
    disagreement: tuple[tuple[bool, ...], ...]
    baseline_days: tuple[tuple[date, ...], ...] | None
    """X-of-Y: the history days averaged for each POD."""
    adjustment: tuple[tuple[int, int], ...] | None
    """X-of-Y with same-day adjustment: the factor applied, as (numerator, denominator)."""

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "podIds": self.pod_ids,
            "baselineWh": self.baseline_wh,
            "measuredWh": self.measured_wh,
            "deliveredWh": self.delivered_wh,
            "otherSourceWh": self.other_source_wh,
            "disagreement": self.disagreement,
        }
        if self.baseline_days is not None:
            body["baselineDays"] = date_table(self.baseline_days)
        if self.adjustment is not None:
            body["adjustment"] = self.adjustment
        return body


@dataclass(frozen=True)
class DayPart:
    """The periods of an activation that lie on one UTC day, and what their baseline was made
    of (an activation over midnight, :mod:`ledger.settlement.days`)."""

    day: date
    periods: int
    """How many of the activation's periods lie on ``day`` (consecutive, in order)."""
    baseline_days: tuple[tuple[date, ...], ...] | None
    """X-of-Y: per POD, the history days averaged for this day's periods."""
    adjustment: tuple[tuple[int, int], ...] | None
    """X-of-Y with same-day adjustment: per POD, the factor applied to this day's periods."""

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"day": self.day, "periods": self.periods}
        if self.baseline_days is not None:
            body["baselineDays"] = date_table(self.baseline_days)
        if self.adjustment is not None:
            body["adjustment"] = self.adjustment
        return body


@dataclass(frozen=True)
class DeliveryCheckResult:
    passed: bool
    reached_after_s: int | None
    resolution_s: int
    """60 when the check used 60 s readings, 900 when it fell back to period energies."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reachedAfterS": self.reached_after_s,
            "resolutionS": self.resolution_s,
        }


@dataclass(frozen=True)
class Totals:
    ordered_wh: int
    delivered_wh: int
    remunerated_wh: int
    deficiency_wh: int
    surplus_wh: int
    remuneration_eur: Decimal
    penalty_eur: Decimal
    net_eur: Decimal
    assessed_periods: int
    flagged_periods: int
    """Periods with some POD missing data (zero-filled or not assessed)."""
    disagreements: int
    """POD periods where the two meter sources disagree beyond the tolerance."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "orderedWh": self.ordered_wh,
            "deliveredWh": self.delivered_wh,
            "remuneratedWh": self.remunerated_wh,
            "deficiencyWh": self.deficiency_wh,
            "surplusWh": self.surplus_wh,
            "remunerationEur": self.remuneration_eur,
            "penaltyEur": self.penalty_eur,
            "netEur": self.net_eur,
            "assessedPeriods": self.assessed_periods,
            "flaggedPeriods": self.flagged_periods,
            "disagreements": self.disagreements,
        }


@dataclass(frozen=True)
class SettlementRecord:
    """The settlement of one activation: what goes off chain, and whose hash goes on chain."""

    activation_id: str
    uvam_id: str
    direction: Direction
    version: int
    """1 for the first settlement; a re-settlement after a dispute gets the next number."""
    day: date
    method: dict[str, Any]
    """``{name, version, params}`` of the baseline method."""
    rules: dict[str, Any]
    data_roots: tuple[tuple[str, bytes], ...]
    """Merkle roots of the committed data used, by name, sorted by name."""
    periods: tuple[PeriodResult, ...]
    pods: PodResults
    delivery_check: DeliveryCheckResult
    totals: Totals
    complete: bool
    terms: Mapping[str, Any] | None = None
    """The settlement terms fixed once for the activation (prices, sanction, tolerance, ...),
    recorded as given, in every version; ``None`` for a record without them (schema /2)."""
    holidays: tuple[date, ...] = ()
    """The public holidays among the history days and the settled day (they count as weekend
    days, :mod:`ledger.core.calendar`); listed only when there are some."""
    day_parts: tuple[DayPart, ...] = ()
    """An activation over more than one UTC day: one part per day, in order (the pods' tables
    then give no ``baselineDays`` nor ``adjustment``: each part does)."""

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schema": record_schema(self.terms, day_parts=bool(self.day_parts)),
            "activationId": self.activation_id,
            "uvamId": self.uvam_id,
            "direction": self.direction,
            "version": self.version,
            "day": self.day,
            "method": self.method,
            "rules": self.rules,
            "dataRoots": dict(self.data_roots),
            "periods": [period.as_dict() for period in self.periods],
            "pods": self.pods.as_dict(),
            "deliveryCheck": self.delivery_check.as_dict(),
            "totals": self.totals.as_dict(),
            "complete": self.complete,
        }
        if self.terms is not None:
            body["terms"] = dict(self.terms)
        if self.holidays:
            body["holidays"] = list(self.holidays)
        if self.day_parts:
            body["dayParts"] = [part.as_dict() for part in self.day_parts]
        return body

    def canonical_json(self) -> bytes:
        return canonical_json(self.as_dict())

    def settlement_hash(self) -> bytes:
        """``keccak256`` of the canonical JSON of the record: what is committed on chain."""
        return bytes(keccak(self.canonical_json()))


def build_records(
    results: DayResults, *, version: int = 1, terms: Mapping[str, Any] | None = None
) -> list[SettlementRecord]:
    """One record per activation, in the order the activations were given; ``terms`` (the
    settlement terms fixed for the activations, JSON-able) go into each record as given."""
    if version < 1:
        raise ValueError("settlement versions start at 1")
    method = describe(results.method)
    rules = results.rules.describe()
    roots = tuple(sorted((name, bytes(root)) for name, root in results.day.data_roots.items()))
    history = results.day.history
    history_dates = history.dates if history is not None else ()
    window = {*history_dates, results.day.day}
    holidays = tuple(sorted(d for d in history.holidays if d in window)) if history else ()
    checked = _CheckedSources.of(results)
    return [
        replace(
            _record(results, index, version, method, rules, roots, history_dates, checked),
            terms=terms,
            holidays=holidays,
        )
        for index in range(len(results.activations))
    ]


def _record(
    results: DayResults,
    index: int,
    version: int,
    method: dict[str, Any],
    rules: dict[str, Any],
    roots: tuple[tuple[str, bytes], ...],
    history_dates: Sequence[date],
    checked: _CheckedSources,
) -> SettlementRecord:
    activation = results.activations[index]
    window = slice(activation.first_period, activation.first_period + activation.periods)
    slots = results.slots_of(index)
    policy = results.rules.missing_data
    check = results.rules.delivery_check
    reached = int(results.reached_after_s[index])
    passed = reached >= 0
    forfeit = check.forfeit_remuneration and not passed

    periods = []
    for offset, period in enumerate(range(window.start, window.stop)):
        ordered = int(results.ordered[index, period])
        delivered = int(results.uvam_delivered[index, period])
        missing = int(results.uvam_missing[index, period])
        price = activation.price_eur_mwh[offset]
        sanction = activation.sanction_eur_mwh[offset]
        status = PeriodStatus.SETTLED
        if missing:
            status = (
                PeriodStatus.NOT_ASSESSED
                if policy is MissingDataPolicy.INCOMPLETE
                else PeriodStatus.ZERO_FILLED
            )
        remunerated: int | None = None
        deficiency: int | None = None
        surplus: int | None = None
        remuneration = penalty = Decimal(0)
        if status is not PeriodStatus.NOT_ASSESSED:
            remunerated = min(max(delivered, 0), ordered)
            deficiency = ordered - remunerated
            surplus = max(delivered - ordered, 0)
            remuneration = Decimal(0) if forfeit else _amount(remunerated, price)
            penalty = _amount(deficiency, sanction)
        periods.append(
            PeriodResult(
                start=results.day.day_start + period * PERIOD_SECONDS,
                duration_s=PERIOD_SECONDS,
                baseline_wh=int(results.uvam_baseline[index, period]),
                measured_wh=int(results.uvam_measured[index, period]),
                ordered_wh=ordered,
                delivered_wh=delivered,
                remunerated_wh=remunerated,
                deficiency_wh=deficiency,
                surplus_wh=surplus,
                met=bool(results.met[index, period]),
                price_eur_mwh=price,
                sanction_eur_mwh=sanction,
                remuneration_eur=remuneration,
                penalty_eur=penalty,
                net_eur=remuneration - penalty,
                missing_pods=missing,
                disagreeing_pods=int(results.uvam_disagreement[index, period]),
                status=status,
                **_other_source(results, index, period),
            )
        )

    totals = totals_of(periods)
    return SettlementRecord(
        activation_id=activation.activation_id,
        uvam_id=activation.uvam_id,
        direction=activation.direction,
        version=version,
        day=results.day.day,
        method=method,
        rules=rules,
        data_roots=roots,
        periods=tuple(periods),
        pods=_pod_results(results, index, slots, window, history_dates, checked),
        delivery_check=DeliveryCheckResult(
            passed=passed,
            reached_after_s=reached if passed else None,
            resolution_s=results.check_resolution_s,
        ),
        totals=totals,
        complete=totals.assessed_periods == len(periods),
    )


def totals_of(periods: Sequence[PeriodResult]) -> Totals:
    """The totals of an activation's periods: sums of the period values (the money already
    rounded per period), assessed energies over the assessed periods only."""
    assessed = [p for p in periods if p.status is not PeriodStatus.NOT_ASSESSED]
    return Totals(
        ordered_wh=sum(p.ordered_wh for p in periods),
        delivered_wh=sum(p.delivered_wh for p in periods),
        remunerated_wh=sum(p.remunerated_wh or 0 for p in assessed),
        deficiency_wh=sum(p.deficiency_wh or 0 for p in assessed),
        surplus_wh=sum(p.surplus_wh or 0 for p in assessed),
        remuneration_eur=sum((p.remuneration_eur for p in periods), Decimal(0)),
        penalty_eur=sum((p.penalty_eur for p in periods), Decimal(0)),
        net_eur=sum((p.net_eur for p in periods), Decimal(0)),
        assessed_periods=len(assessed),
        flagged_periods=sum(1 for p in periods if p.status is not PeriodStatus.SETTLED),
        disagreements=sum(p.disagreeing_pods for p in periods),
    )


def _other_source(results: DayResults, index: int, period: int) -> dict[str, Any]:
    if results.uvam_other_delivered is None or results.uvam_other_missing is None:
        return {}
    complete = int(results.uvam_other_missing[index, period]) == 0
    delivered = int(results.uvam_other_delivered[index, period])
    return {"other_source": True, "other_source_delivered_wh": delivered if complete else None}


@dataclass(frozen=True)
class _CheckedSources:
    """Which of the day's slot arrays lie within canonical JSON's exact integers, checked once
    for all records (each record's tables are cut from them)."""

    baseline: bool
    measured: bool
    delivered: bool
    secondary: bool

    @classmethod
    def of(cls, results: DayResults) -> _CheckedSources:
        other = results.secondary
        return cls(
            baseline=within_safe_integers(results.baseline.wh),
            measured=within_safe_integers(results.measured.wh),
            delivered=within_safe_integers(results.delivered),
            secondary=other is not None and within_safe_integers(other.wh),
        )


def _pod_results(
    results: DayResults,
    index: int,
    slots: slice,
    window: slice,
    history_dates: Sequence[date],
    checked: _CheckedSources,
) -> PodResults:
    baseline = results.baseline
    rows = results.slot_rows[slots]
    other = results.secondary
    days_used = None
    if baseline.days_used is not None:
        # Most slots share their days: each distinct row of flags is turned into dates once.
        used = list(map(tuple, baseline.days_used[:, slots].T.tolist()))
        dates_of = {flags: tuple(compress(history_dates, flags)) for flags in set(used)}
        days_used = tuple(map(dates_of.__getitem__, used))
    adjustment = None
    if baseline.factor is not None:
        numerators, denominators = baseline.factor
        adjustment = int_table(np.stack((numerators[slots], denominators[slots]), axis=1))
    return PodResults(
        pod_ids=tuple(map(results.day.pod_ids.__getitem__, rows.tolist())),
        baseline_wh=int_table(
            baseline.wh[slots, window],
            baseline.available[slots, window],
            checked=checked.baseline,
        ),
        measured_wh=int_table(
            results.measured.wh[slots, window],
            results.measured.present[slots, window],
            checked=checked.measured,
        ),
        delivered_wh=int_table(results.delivered[slots, window], checked=checked.delivered),
        other_source_wh=None
        if other is None
        else int_table(
            other.wh[slots, window], other.present[slots, window], checked=checked.secondary
        ),
        disagreement=bool_table(results.disagreement[slots, window]),
        baseline_days=days_used,
        adjustment=adjustment,
    )


def _amount(energy_wh: int, price_eur_mwh: Decimal) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        exact = Decimal(energy_wh) * price_eur_mwh / _WH_PER_MWH
    return round_cents(exact)
