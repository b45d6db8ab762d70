"""What a settlement is computed from, read from the database (issue 4).

* **When** an activation may be settled (:func:`check_settleable`): not before its last delivery
  period has ended; and while the measurement upload window after it (``settlement_grace_s``)
  is open, not while a member POD lacks authoritative measurements over the activated periods.
  After the window, missing data are settled as non-delivery and flagged
  (``MissingDataPolicy.ZERO_DELIVERY``).
* **Which meter** is authoritative (:func:`authoritative_source`): the DSO's POD meter whenever
  it has readings of the UVAM's PODs over the activated periods; otherwise the BSP's
  behind-the-meter devices, summed per POD. The other source, when there is one, is compared
  with it per POD and period within the meter tolerance (``settlement_tolerance_*``).
* **Declared baselines** (:func:`declared_energy`): with method ``declared``, the latest
  committed declaration (batches of kind ``baseline``, later over earlier) of every member POD
  and activated period; a settlement is refused while one is missing.
* **The inputs** (:func:`fresh_inputs`): fixed once per settlement version and stored with it,
  so that the audit recomputes the same record: method, direction, the activation's settlement
  terms (prices, sanction, tolerance, missing-data policy: fixed once per activation,
  :mod:`ledger.settlement.terms`), member PODs, their devices, the batches used of
  each source (and of the declared baseline), the authoritative source.
* **The arrays** (:func:`build_inputs`): the readings of those batches on a 60 s grid, later
  batches over earlier ones, with each batch's Merkle root recomputed from the stored series
  read (the batch's other series by their stored roots).

Days are UTC days. An activation over midnight UTC is settled once per UTC day it touches
(:mod:`ledger.settlement.days`): every part covers the activation's days, with the X-of-Y history
of its own day's type, and keeps the periods of its day.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from ledger.core.calendar import holidays_between
from ledger.core.domain.canonical import canonical_json
from ledger.core.errors import Conflict, InvalidInput, NotFound
from ledger.core.ids import to_bytes32
from ledger.core.periods import DAY_SECONDS, iso
from ledger.core.settings import Settings
from ledger.market.common import now
from ledger.market.tables import (
    MarketActivation,
    MarketBid,
    MeasurementBatch,
    MeasurementSeries,
)
from ledger.market.terms import Direction
from ledger.measurements import readings
from ledger.registry.tables import FlexDevice, Membership, Pod
from ledger.settlement import (
    CAISO_10_OF_10,
    GAP,
    HIGH_4_OF_5,
    PERIOD_SECONDS,
    Activation,
    BaselineMethod,
    DeclaredBaseline,
    History,
    MeterBeforeBaseline,
    MeterSource,
    MeterTolerance,
    MissingDataPolicy,
    PeriodEnergy,
    PowerSeries,
    SameDayAdjustment,
    Selection,
    SettlementDay,
    SettlementInputError,
    SettlementRules,
    XOfYBaseline,
    devices_to_pods,
    ordered_wh_from_kw,
    utc_days,
    within_reading_bound,
)

GRID_S = 60
STEPS_PER_DAY = DAY_SECONDS // GRID_S
MAX_HISTORY_DAYS = 28
SOURCE_KIND = {MeterSource.DSO_POD_METER: "pod", MeterSource.BSP_DEVICES: "device"}
"""The measurement batch kind of each meter source."""
DECLARED_KIND = "baseline"
"""The measurement batch kind of declared baselines."""
DECLARED_ROOT = "declared"
"""Name prefix of the declared baseline's batch roots in a settlement's data roots."""


class SettlementRefused(Conflict):
    code = "settlement_refused"


# ------------------------------------------------------------------------- methods


def method_from_spec(spec: dict[str, Any] | None) -> BaselineMethod:
    """A baseline method from its JSON spec: ``{"name": "caiso10of10"}``, ``"high4of5"``,
    ``{"name": "xOfY", "x", "y", "selection", "minDays", "adjustment": {...}}``,
    ``{"name": "meterBefore", "windowPeriods", "gapPeriods"}`` or ``{"name": "declared"}``."""
    if spec is not None and not isinstance(spec, dict):
        raise InvalidInput('method is an object such as {"name": "xOfY"}', field="method")
    spec = dict(spec or {"name": "caiso10of10"})
    name = spec.get("name")
    try:
        if name == "caiso10of10":
            return CAISO_10_OF_10
        if name == "high4of5":
            return HIGH_4_OF_5
        if name == "xOfY":
            adjustment = spec.get("adjustment")
            return XOfYBaseline(
                x=int(spec.get("x", 10)),
                y=int(spec.get("y", 10)),
                selection=Selection(spec.get("selection", "mostRecent")),
                min_days=int(spec.get("minDays", 5)),
                adjustment=None
                if not adjustment
                else SameDayAdjustment(
                    window_periods=int(adjustment.get("windowPeriods", 12)),
                    gap_periods=int(adjustment.get("gapPeriods", 4)),
                    low=Decimal(str(adjustment.get("low", "0.8"))),
                    high=Decimal(str(adjustment.get("high", "1.2"))),
                ),
            )
        if name == DeclaredBaseline.name:
            return DeclaredBaseline()
        if name == "meterBefore":
            return MeterBeforeBaseline(
                window_periods=int(spec.get("windowPeriods", 2)),
                gap_periods=int(spec.get("gapPeriods", 0)),
            )
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise InvalidInput(f"bad baseline parameters: {exc}", field="method") from exc
    raise InvalidInput(
        f"unknown baseline method {name!r} (caiso10of10, high4of5, xOfY, meterBefore, declared)",
        field="method",
    )


def _history_days(method: BaselineMethod) -> int:
    if isinstance(method, XOfYBaseline):
        # y eligible days of the same day type: weekends are 2 in 7, so look back far enough.
        return min(MAX_HISTORY_DAYS, max(7, method.y * 7 // 2 + 7))
    return 0


def terms_from_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    """The settlement terms a version was computed with: its ``terms``, or, for versions
    stored before the terms were fixed per activation, the same values from their own keys."""
    if "terms" in inputs:
        return dict(inputs["terms"])
    rules = inputs.get("rules") or {}
    legacy = {
        "pricesEurMwh": [Decimal(p) for p in inputs["pricesEurMwh"]],
        "sanctionEurMwh": Decimal(inputs["sanctionEurMwh"]),
        "tolerance": {
            "relative": Decimal(rules.get("toleranceRelative", "0.01")),
            "absoluteWh": int(rules.get("toleranceWh", 10)),
        },
        "missingData": rules.get("missingData", MissingDataPolicy.INCOMPLETE),
    }
    terms: dict[str, Any] = json.loads(canonical_json(legacy))
    return terms


def rules_from_inputs(inputs: dict[str, Any]) -> SettlementRules:
    """The rules a settlement was computed with: the authoritative source of its inputs, the
    tolerance and missing-data policy of its terms."""
    terms = terms_from_inputs(inputs)
    spec = inputs.get("rules") or {}
    return SettlementRules(
        authoritative=MeterSource(spec.get("authoritative", MeterSource.DSO_POD_METER)),
        tolerance=MeterTolerance(
            relative=Decimal(terms["tolerance"]["relative"]),
            absolute_wh=int(terms["tolerance"]["absoluteWh"]),
        ),
        missing_data=MissingDataPolicy(terms["missingData"]),
    )


# ------------------------------------------------------------------------- when


def delivery_end(activation: MarketActivation) -> int:
    """End of the activation's last delivery period (unix seconds)."""
    return activation.first_period + PERIOD_SECONDS * len(activation.set_points_kw)


def members(session: Session, activation: MarketActivation) -> list[str]:
    rows = session.exec(
        select(Pod.id)
        .join(Membership, Membership.pod_id == Pod.id)  # type: ignore[arg-type]
        .where(Membership.uvam_id == activation.uvam_id, col(Membership.active).is_(True))
        .order_by(Pod.id)
    ).all()
    return list(rows)


def devices_of(session: Session, pod_ids: Sequence[str]) -> list[tuple[str, str]]:
    """``(device id, POD id)`` of the PODs' behind-the-meter devices, by device id."""
    rows = session.exec(
        select(FlexDevice.id, FlexDevice.pod_id)
        .where(col(FlexDevice.pod_id).in_(list(pod_ids)))
        .order_by(FlexDevice.id)
    ).all()
    return [(device, pod) for device, pod in rows]


def batches_in_use(
    session: Session, kind: str, resource_ids: Sequence[str], start: int, end: int
) -> list[str]:
    """Committed, not superseded batches of ``kind`` with readings of these resources that
    overlap ``[start, end)``."""
    if not resource_ids:
        return []
    rows = session.exec(
        select(MeasurementBatch.id)
        .join(MeasurementSeries, MeasurementSeries.batch_id == MeasurementBatch.id)  # type: ignore[arg-type]
        .where(
            MeasurementBatch.kind == kind,
            MeasurementBatch.status == "committed",
            col(MeasurementBatch.superseded_by_id).is_(None),
            col(MeasurementSeries.resource_id).in_(list(resource_ids)),
            MeasurementBatch.first_timestamp < end,
            MeasurementBatch.last_timestamp >= start,
        )
        .distinct()
    ).all()
    return sorted(rows)


def authoritative_source(
    session: Session, activation: MarketActivation, pod_ids: Sequence[str]
) -> MeterSource:
    """The DSO's POD meter when it has readings of the PODs over the activated periods, else
    the BSP's devices when they have some, else the DSO's POD meter (all missing)."""
    start, end = activation.first_period, delivery_end(activation)
    if batches_in_use(session, "pod", pod_ids, start, end):
        return MeterSource.DSO_POD_METER
    devices = [device for device, _ in devices_of(session, pod_ids)]
    if batches_in_use(session, "device", devices, start, end):
        return MeterSource.BSP_DEVICES
    return MeterSource.DSO_POD_METER


def _measured(
    session: Session, source: MeterSource, pod_ids: Sequence[str], start: int, end: int
) -> PeriodEnergy:
    """Energy per POD and period of ``source`` over ``[start, end)`` (whole periods)."""
    if source is MeterSource.DSO_POD_METER:
        grid, _ = _grid(
            session, batches_in_use(session, "pod", pod_ids, start, end), pod_ids, start, end
        )
        return grid.period_energy()
    devices = devices_of(session, pod_ids)
    ids = [device for device, _ in devices]
    grid, _ = _grid(session, batches_in_use(session, "device", ids, start, end), ids, start, end)
    row = {pod: index for index, pod in enumerate(pod_ids)}
    owner = np.array([row[pod] for _, pod in devices], dtype=np.intp)
    return devices_to_pods(grid, owner, len(pod_ids))


def declared_energy(
    session: Session, batch_ids: Sequence[str], pod_ids: Sequence[str], start: int, end: int
) -> tuple[PeriodEnergy, dict[str, bytes]]:
    """The declared baseline ``[pods, periods]`` of ``[start, end)`` from these batches (later
    over earlier), and each batch's recomputed Merkle root."""
    grid, roots = _grid(session, batch_ids, pod_ids, start, end)
    return grid.period_energy(), roots


def _check_declared(session: Session, activation: MarketActivation, pod_ids: Sequence[str]) -> None:
    start, end = activation.first_period, delivery_end(activation)
    batch_ids = batches_in_use(session, DECLARED_KIND, pod_ids, start, end)
    declared, _ = declared_energy(session, batch_ids, pod_ids, start, end)
    lacking = [pod for pod, row in zip(pod_ids, declared.present, strict=True) if not row.all()]
    if lacking:
        raise SettlementRefused(
            f"the declared baseline is missing for {len(lacking)} POD(s) over the activated"
            " periods: the BSP declares it before gate closure (measurement kind baseline);"
            " settle with another method",
            field="method",
            reason="declarationMissing",
            missingPods=lacking,
        )


def check_settleable(
    session: Session,
    settings: Settings,
    activation: MarketActivation,
    pod_ids: Sequence[str],
    method: BaselineMethod | None = None,
) -> None:
    """Refuse (409, nothing stored) to settle before the activation's delivery has ended; with
    the ``declared`` method, while a member POD lacks a declaration of an activated period; and,
    while the measurement upload window after it is open, while a member POD lacks
    authoritative measurements over the activated periods."""
    end = delivery_end(activation)
    at = now(session)
    if at < end:
        raise SettlementRefused(
            f"activation {activation.id} delivers until {iso(end)}: it is settled once its last"
            " period has ended",
            field="activationId",
            reason="deliveryNotEnded",
            deliveryEnd=iso(end),
        )
    if isinstance(method, DeclaredBaseline):
        _check_declared(session, activation, pod_ids)
    closes = end + settings.settlement_grace_s
    if at >= closes:
        return
    source = authoritative_source(session, activation, pod_ids)
    measured = _measured(session, source, pod_ids, activation.first_period, end)
    complete = [bool(row.all()) for row in measured.present]
    lacking = [pod for pod, ok in zip(pod_ids, complete, strict=True) if not ok]
    if lacking:
        raise SettlementRefused(
            f"measurements ({source}) are missing for {len(lacking)} POD(s) over the activated"
            f" periods and the upload window is open until {iso(closes)}: settle once they are"
            " uploaded, or after the window (missing data are then settled as non-delivery)",
            field="activationId",
            reason="measurementsMissing",
            missingPods=lacking,
            source=str(source),
            uploadWindowClosesAt=iso(closes),
        )


# ------------------------------------------------------------------------- what


def fresh_inputs(
    session: Session,
    activation: MarketActivation,
    *,
    method_spec: dict[str, Any],
    terms: dict[str, Any],
) -> dict[str, Any]:
    """Everything a settlement version is computed from, fixed once: the audit reuses it. The
    terms are the activation's (fixed with its first version); the data are read now."""
    method = method_from_spec(method_spec)
    bid = session.get(MarketBid, activation.bid_id)
    if bid is None:
        raise NotFound(f"no bid for activation {activation.id}", field="activationId")
    pods = members(session, activation)
    if not pods:
        raise SettlementInputError("the UVAM has no member POD", field="activationId")
    day_start, day_end = _days_bounds(activation)
    start = day_start - _history_days(method) * DAY_SECONDS
    authoritative = authoritative_source(session, activation, pods)
    devices = devices_of(session, pods)
    device_ids = [device for device, _ in devices]
    # The authoritative source over the history and the day; the other over the day only.
    pod_from = start if authoritative is MeterSource.DSO_POD_METER else day_start
    device_from = start if authoritative is MeterSource.BSP_DEVICES else day_start
    declared = (
        {"declaredBatchIds": batches_in_use(session, DECLARED_KIND, pods, day_start, day_end)}
        if isinstance(method, DeclaredBaseline)
        else {}
    )
    return {
        "method": method_spec,
        "direction": bid.direction,
        "terms": terms,
        "podIds": pods,
        "batchIds": batches_in_use(session, "pod", pods, pod_from, day_end),
        "devices": [[device, pod] for device, pod in devices],
        "deviceBatchIds": batches_in_use(session, "device", device_ids, device_from, day_end),
        "rules": {"authoritative": str(authoritative)},
        **declared,
        **_holidays(terms, start, day_end - DAY_SECONDS),
    }


def _holidays(terms: dict[str, Any], start: int, last_day_start: int) -> dict[str, Any]:
    """The public holidays from the first history day to the last settled day, of the calendar
    the terms name (none before issue 14); stored, so the audit does not ask the library again."""
    calendar = terms.get("holidayCalendar")
    if calendar is None:
        return {}
    first, last = (datetime.fromtimestamp(t, UTC).date() for t in (start, last_day_start))
    dates = holidays_between(calendar, first, last)
    return {"holidays": {"calendar": calendar, "dates": [d.isoformat() for d in dates]}}


def _days(activation: MarketActivation) -> tuple[date, ...]:
    """The UTC days the activation's periods lie on (two when it runs over midnight)."""
    return utc_days(activation.first_period, len(activation.set_points_kw))


def _days_bounds(activation: MarketActivation) -> tuple[int, int]:
    """Start of the first and end of the last UTC day the activation lies on."""
    days = _days(activation)
    first = int(datetime(days[0].year, days[0].month, days[0].day, tzinfo=UTC).timestamp())
    return first, first + len(days) * DAY_SECONDS


def _grid(
    session: Session, batch_ids: Sequence[str], resource_ids: Sequence[str], start: int, end: int
) -> tuple[PowerSeries, dict[str, bytes]]:
    """The resources' readings of the batches on a 60 s grid ``[resources, steps]`` (GAP where
    missing), later batches over earlier ones, :attr:`~PowerSeries.bounded` when every stored
    reading read here lies within the upload bound (readings stored before it may not); and
    each batch's Merkle root, recomputed from the readings of the series read here (the other
    series of the batch, other PODs' readings that this settlement does not use, enter with
    their stored roots: a batch of 10,000 PODs is not rehashed for each UVAM's settlement)."""
    steps = (end - start) // GRID_S
    grid = np.full((len(resource_ids), steps), GAP, dtype=np.int32)
    row_of = {resource_id: index for index, resource_id in enumerate(resource_ids)}
    roots: dict[str, bytes] = {}
    bounded = True
    if not batch_ids:
        return PowerSeries(grid, GRID_S, bounded=bounded), roots
    batches = session.exec(
        select(MeasurementBatch)
        .where(col(MeasurementBatch.id).in_(list(batch_ids)))
        .order_by(col(MeasurementBatch.created_at), col(MeasurementBatch.id))
    ).all()
    for batch in batches:
        series = session.exec(
            select(MeasurementSeries).where(MeasurementSeries.batch_id == batch.id)
        ).all()
        pairs = []
        for row in series:
            key = to_bytes32(row.resource_key)
            if row.resource_id not in row_of:
                # Not read by this settlement: its stored root stands for it in the batch root.
                pairs.append((key, to_bytes32(row.series_root)))
                continue
            unpacked = readings.Series.unpack(
                row.resource_id, row.start, row.resolution_s, row.values
            )
            pairs.append((key, unpacked.root(key)))
            if row.resolution_s % GRID_S:
                continue
            values = np.frombuffer(row.values, dtype=np.int32)
            bounded = bounded and within_reading_bound(values)
            expanded = np.repeat(values, row.resolution_s // GRID_S)
            first = (row.start - start) // GRID_S
            lo, hi = max(0, first), min(steps, first + expanded.size)
            if lo >= hi:
                continue
            chunk = expanded[lo - first : hi - first]
            target = grid[row_of[row.resource_id], lo:hi]
            present = chunk != GAP
            target[present] = chunk[present]
        roots[batch.chain_key] = readings.batch_root(pairs)
    return PowerSeries(grid, GRID_S, bounded=bounded), roots


def _event_days(
    session: Session, activation: MarketActivation, spans: Sequence[tuple[int, int]], pods: int
) -> np.ndarray:
    """``[rows, pods]``: history rows (each ``[start, end)`` in unix seconds) during which
    another accepted activation of the same UVAM delivered."""
    flags = np.zeros((len(spans), pods), dtype=bool)
    others = session.exec(
        select(MarketActivation).where(
            MarketActivation.uvam_id == activation.uvam_id, MarketActivation.id != activation.id
        )
    ).all()
    for other in others:
        if other.status not in {"Accepted", "Stopped"}:
            continue
        begin, end = other.first_period, delivery_end(other)
        for row, (start, stop) in enumerate(spans):
            if begin < stop and end > start:
                flags[row, :] = True
    return flags


def _per_day(grid: PowerSeries, days: int, pods: int, owner: np.ndarray | None) -> PeriodEnergy:
    """``[days, pods, periods]`` energies of the first ``days`` days of a grid: its rows are
    PODs, or devices summed per POD row ``owner``."""
    power: np.ndarray = grid.power_w
    if owner is None:
        shaped = power[:, : days * STEPS_PER_DAY].reshape(pods, days, STEPS_PER_DAY)
        return replace(
            grid, power_w=np.ascontiguousarray(shaped.transpose(1, 0, 2))
        ).period_energy()
    parts = [
        devices_to_pods(
            replace(
                grid,
                power_w=np.ascontiguousarray(power[:, d * STEPS_PER_DAY : (d + 1) * STEPS_PER_DAY]),
            ),
            owner,
            pods,
        )
        for d in range(days)
    ]
    return PeriodEnergy(np.stack([p.wh for p in parts]), np.stack([p.present for p in parts]))


def _consecutive(values: PeriodEnergy, first: int, rows: int, span: int) -> PeriodEnergy:
    """``[rows, pods, span x periods]`` from ``[days, pods, periods]``: row ``r`` is the days
    ``first + r`` to ``first + r + span - 1`` end to end."""
    return PeriodEnergy(
        np.concatenate([values.wh[first + t : first + t + rows] for t in range(span)], axis=2),
        np.concatenate([values.present[first + t : first + t + rows] for t in range(span)], axis=2),
    )


def build_inputs(
    session: Session, activation: MarketActivation, inputs: dict[str, Any]
) -> list[tuple[SettlementDay, Activation]]:
    """The core's inputs for one activation, from its stored ``inputs``: one
    ``(SettlementDay, Activation)`` per UTC day the activation lies on, in day order (one for
    an activation within a day). Each covers all the activation's days; the part of day ``i``
    has that day's type (``day``) and X-of-Y history: the same days' runs shifted back by whole
    days, labelled by the date that stands where day ``i`` stands (``ledger.settlement.days``)."""
    method = method_from_spec(inputs["method"])
    rules = rules_from_inputs(inputs)
    days = _days(activation)
    span = len(days)
    day_start, end = _days_bounds(activation)
    first_index = (activation.first_period - day_start) // PERIOD_SECONDS
    periods = len(activation.set_points_kw)
    history_days = _history_days(method)
    start = day_start - history_days * DAY_SECONDS
    pod_ids = list(inputs["podIds"])
    pods = len(pod_ids)
    devices = [tuple(pair) for pair in inputs.get("devices", [])]
    device_ids = [device for device, _ in devices]
    row = {pod: index for index, pod in enumerate(pod_ids)}
    owner = np.array([row[pod] for _, pod in devices], dtype=np.intp)

    pod_grid, pod_roots = _grid(session, inputs["batchIds"], pod_ids, start, end)
    device_grid, device_roots = _grid(
        session, inputs.get("deviceBatchIds", []), device_ids, start, end
    )
    per_day = history_days + span
    energy = {
        MeterSource.DSO_POD_METER: _per_day(pod_grid, per_day, pods, None),
        MeterSource.BSP_DEVICES: _per_day(device_grid, per_day, pods, owner) if devices else None,
    }
    authoritative = rules.authoritative
    other = (
        MeterSource.DSO_POD_METER
        if authoritative is MeterSource.BSP_DEVICES
        else MeterSource.BSP_DEVICES
    )
    primary = energy[authoritative]
    if primary is None:
        raise SettlementInputError("no device of the PODs to settle with", field="podIds")
    if not inputs.get("deviceBatchIds" if other is MeterSource.BSP_DEVICES else "batchIds"):
        energy[other] = None  # the other source has no data: nothing to compare

    history_rows: PeriodEnergy | None = None
    event_days: np.ndarray | None = None
    if history_days:
        history_rows = _consecutive(primary, 0, history_days, span)
        spans = [
            (day_start - (history_days - r) * DAY_SECONDS, end - (history_days - r) * DAY_SECONDS)
            for r in range(history_days)
        ]
        event_days = _event_days(session, activation, spans, pods)
    holidays = frozenset(
        date.fromisoformat(d) for d in (inputs.get("holidays") or {}).get("dates", [])
    )

    def settled(source: MeterSource) -> PeriodEnergy | None:
        values = energy[source]
        if values is None:
            return None
        joined = _consecutive(values, history_days, 1, span)
        return PeriodEnergy(joined.wh[0], joined.present[0])

    # The delivery check on the 60 s POD meter readings when it is authoritative; on the
    # period energies otherwise (stricter, docs/settlement.md).
    check = None
    if authoritative is MeterSource.DSO_POD_METER:
        day_grid: np.ndarray = pod_grid.power_w[:, history_days * STEPS_PER_DAY :]
        check = replace(pod_grid, power_w=np.ascontiguousarray(day_grid))
    declared: PeriodEnergy | None = None
    declared_roots: dict[str, bytes] = {}
    if "declaredBatchIds" in inputs:
        declared, declared_roots = declared_energy(
            session, inputs["declaredBatchIds"], pod_ids, day_start, end
        )
    data_roots = {
        **{f"{MeterSource.DSO_POD_METER}:{key}": root for key, root in pod_roots.items()},
        **{f"{MeterSource.BSP_DEVICES}:{key}": root for key, root in device_roots.items()},
        **{f"{DECLARED_ROOT}:{key}": root for key, root in declared_roots.items()},
    }
    terms = terms_from_inputs(inputs)
    sanction = Decimal(terms["sanctionEurMwh"])
    core = Activation(
        activation_id=activation.id,
        uvam_id=activation.uvam_id,
        direction=Direction(inputs["direction"]),
        first_period=first_index,
        ordered_wh=ordered_wh_from_kw(list(activation.set_points_kw)),
        price_eur_mwh=tuple(Decimal(p) for p in terms["pricesEurMwh"]),
        sanction_eur_mwh=(sanction,) * periods,
        pod_rows=tuple(range(pods)),
    )
    dso, bsp = settled(MeterSource.DSO_POD_METER), settled(MeterSource.BSP_DEVICES)
    parts = []
    for day in days:
        history = None
        if history_rows is not None and event_days is not None:
            history = History(
                energy=history_rows,
                dates=tuple(day - timedelta(days=history_days - r) for r in range(history_days)),
                event_days=event_days,
                holidays=holidays,
            )
        part = SettlementDay(
            day=day,
            day_start=day_start,
            pod_ids=tuple(pod_ids),
            dso=dso,
            bsp=bsp,
            check_series=check,
            history=history,
            declared=declared,
            data_roots=data_roots,
        )
        parts.append((part, core))
    return parts
