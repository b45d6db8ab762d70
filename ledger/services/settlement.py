"""Settlement of activations on the ledger (issue 4): inputs from the committed data, the pure
core (``ledger.settlement``), the record and its hash on chain, the BSP's answer, the TSO's
resolution, and the audit that recomputes a settlement and compares it with the chain.

Flow: the TSO asks for the settlement of an activation (operation ``settlement.record``); a
worker task (``cbp.settlement.settle_activation``) builds the inputs from the database - set
points, the awarded prices, the sanction price, the DSO's POD readings from the committed, not
superseded measurement batches (the batches used are recorded with their Merkle roots) and the
history the baseline needs - runs :func:`ledger.settlement.settle`, stores the record's
canonical JSON and hash, and records the hash on chain (``SettlementLedger``). The BSP accepts
or disputes (``settlement.accept`` / ``settlement.dispute``) before the deadline; the TSO
confirms a dispute (``settlement.confirm``) or re-settles it (``settlement.resettle``: a new
version computed the same way, possibly with another method). Refusals come from the contract,
simulated before anything is stored, with its decoded error.

Days are UTC days; an activation is settled within the UTC day of its first period.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from eth_utils import keccak
from sqlmodel import Session, col, select

from ledger.chain.client import Call, Receipt
from ledger.db.market_models import (
    MarketActivation,
    MarketAward,
    MarketBid,
    MeasurementBatch,
    MeasurementSeries,
)
from ledger.db.models import Membership, Operation, Organisation, Pod, utcnow
from ledger.db.settlement_models import Settlement
from ledger.domain.enums import Role
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.ids import new_id, to_bytes32
from ledger.market import readings
from ledger.market.periods import iso
from ledger.market.terms import Direction
from ledger.runtime import Runtime
from ledger.services import operations
from ledger.services.common import simulate
from ledger.services.market_common import events, hex32, now, require_role, sees_everything
from ledger.services.operations import FollowUp, Handler
from ledger.settlement import (
    CAISO_10_OF_10,
    GAP,
    HIGH_4_OF_5,
    PERIOD_SECONDS,
    Activation,
    BaselineMethod,
    History,
    MeterBeforeBaseline,
    PowerSeries,
    SameDayAdjustment,
    Selection,
    SettlementDay,
    SettlementInputError,
    SettlementRecord,
    SettlementRules,
    XOfYBaseline,
    ordered_wh_from_kw,
    settle,
)

LEDGER = "SettlementLedger"
TASK_SETTLE = "cbp.settlement.settle_activation"
DAY_SECONDS = 86_400
PERIODS_PER_DAY = DAY_SECONDS // PERIOD_SECONDS
GRID_S = 60
MAX_HISTORY_DAYS = 28
DEFAULT_SANCTION_EUR_MWH = Decimal(os.environ.get("CBP_SETTLEMENT_SANCTION_EUR_MWH", "200"))
"""Sanction price when the market has none (the products carry no sanction price yet)."""
DEFAULT_ANSWER_WINDOW_S = int(os.environ.get("CBP_SETTLEMENT_ANSWER_WINDOW_S", str(7 * 86_400)))
SETTLED = "Accepted"
"""Only an activation the BSP accepted is settled."""

# Statuses of a settlement row (SettlementLedger.Status and the off-chain ones).
PENDING, RECORDED, DISPUTED, FINAL = "pending", "recorded", "disputed", "final"
SUPERSEDED, FAILED = "superseded", "failed"
CHAIN_STATUS = {1: RECORDED, 2: DISPUTED, 3: FINAL}

ERROR_FIELDS = {
    "SettlementUnauthorizedTso": "role",
    "SettlementUnauthorizedBsp": "settlementId",
    "SettlementWrongStatus": "status",
    "SettlementStaleVersion": "version",
    "SettlementAnswerLate": "answerDeadline",
    "SettlementAlreadyRecorded": "activationId",
}


class SettlementRefused(Conflict):
    code = "settlement_refused"


# ------------------------------------------------------------------------- methods


def method_from_spec(spec: dict[str, Any] | None) -> BaselineMethod:
    """A baseline method from its JSON spec: ``{"name": "caiso10of10"}``, ``"high4of5"``,
    ``{"name": "xOfY", "x", "y", "selection", "minDays", "adjustment": {...}}`` or
    ``{"name": "meterBefore", "windowPeriods", "gapPeriods"}``."""
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
        if name == "meterBefore":
            return MeterBeforeBaseline(
                window_periods=int(spec.get("windowPeriods", 2)),
                gap_periods=int(spec.get("gapPeriods", 0)),
            )
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise InvalidInput(f"bad baseline parameters: {exc}", field="method") from exc
    raise InvalidInput(
        f"unknown baseline method {name!r} (caiso10of10, high4of5, xOfY, meterBefore)",
        field="method",
    )


def _history_days(method: BaselineMethod) -> int:
    if isinstance(method, XOfYBaseline):
        # y eligible days of the same day type: weekends are 2 in 7, so look back far enough.
        return min(MAX_HISTORY_DAYS, max(7, method.y * 7 // 2 + 7))
    return 0


# ------------------------------------------------------------------------- inputs


def _members(session: Session, activation: MarketActivation) -> list[Pod]:
    rows = session.exec(
        select(Pod)
        .join(Membership, Membership.pod_id == Pod.id)  # type: ignore[arg-type]
        .where(Membership.uvam_id == activation.uvam_id, col(Membership.active).is_(True))
        .order_by(Pod.id)
    ).all()
    return list(rows)


def _batches_in_use(session: Session, pod_ids: Sequence[str], start: int, end: int) -> list[str]:
    """Committed, not superseded POD meter batches with readings of these PODs in [start, end)."""
    rows = session.exec(
        select(MeasurementBatch.id)
        .join(MeasurementSeries, MeasurementSeries.batch_id == MeasurementBatch.id)  # type: ignore[arg-type]
        .where(
            MeasurementBatch.kind == "pod",
            MeasurementBatch.status == "committed",
            col(MeasurementBatch.superseded_by_id).is_(None),
            col(MeasurementSeries.resource_id).in_(list(pod_ids)),
            MeasurementBatch.first_timestamp < end,
            MeasurementBatch.last_timestamp >= start,
        )
        .distinct()
    ).all()
    return sorted(rows)


def _grid(
    session: Session, batch_ids: Sequence[str], pod_ids: Sequence[str], start: int, end: int
) -> tuple[np.ndarray, dict[str, bytes]]:
    """The POD readings of the batches on a 60 s grid ``[pods, steps]`` (GAP where missing),
    later batches over earlier ones; and each batch's Merkle root recomputed from its series."""
    steps = (end - start) // GRID_S
    grid = np.full((len(pod_ids), steps), GAP, dtype=np.int32)
    row_of = {pod_id: index for index, pod_id in enumerate(pod_ids)}
    roots: dict[str, bytes] = {}
    if not batch_ids:
        return grid, roots
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
            unpacked = readings.Series.unpack(
                row.resource_id, row.start, row.resolution_s, row.values
            )
            key = to_bytes32(row.resource_key)
            pairs.append((key, unpacked.root(key)))
            if row.resource_id not in row_of or row.resolution_s % GRID_S:
                continue
            values = np.frombuffer(row.values, dtype=np.int32)
            repeat = row.resolution_s // GRID_S
            expanded = np.repeat(values, repeat)
            first = (row.start - start) // GRID_S
            lo, hi = max(0, first), min(steps, first + expanded.size)
            if lo >= hi:
                continue
            chunk = expanded[lo - first : hi - first]
            target = grid[row_of[row.resource_id], lo:hi]
            present = chunk != GAP
            target[present] = chunk[present]
        roots[batch.chain_key] = readings.batch_root(pairs)
    return grid, roots


def _event_days(
    session: Session, activation: MarketActivation, dates: Sequence[date], pods: int
) -> np.ndarray:
    """``[days, pods]``: days with another accepted activation of the same UVAM."""
    flags = np.zeros((len(dates), pods), dtype=bool)
    others = session.exec(
        select(MarketActivation).where(
            MarketActivation.uvam_id == activation.uvam_id, MarketActivation.id != activation.id
        )
    ).all()
    index = {d: i for i, d in enumerate(dates)}
    for other in others:
        if other.status not in {"Accepted", "Stopped"}:
            continue
        d = datetime.fromtimestamp(other.first_period, UTC).date()
        if d in index:
            flags[index[d], :] = True
    return flags


def build_inputs(
    session: Session, activation: MarketActivation, inputs: dict[str, Any]
) -> tuple[SettlementDay, Activation]:
    """The core's inputs for one activation, from ``inputs`` (method, sanction, batches used)."""
    method = method_from_spec(inputs["method"])
    day = datetime.fromtimestamp(activation.first_period, UTC).date()
    day_start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    first_index = (activation.first_period - day_start) // PERIOD_SECONDS
    periods = len(activation.set_points_kw)
    if first_index + periods > PERIODS_PER_DAY:
        raise SettlementInputError("the activation crosses midnight UTC", field="activationId")
    history_days = _history_days(method)
    start = day_start - history_days * DAY_SECONDS
    end = day_start + DAY_SECONDS
    pod_ids = inputs["podIds"]
    grid, roots = _grid(session, inputs["batchIds"], pod_ids, start, end)
    pods = len(pod_ids)
    day_grid = grid[:, history_days * PERIODS_PER_DAY * (PERIOD_SECONDS // GRID_S) :]
    check = PowerSeries(np.ascontiguousarray(day_grid), GRID_S)
    history = None
    if history_days:
        per_day = DAY_SECONDS // GRID_S
        past = grid[:, : history_days * per_day].reshape(pods, history_days, per_day)
        energy = PowerSeries(np.ascontiguousarray(past.transpose(1, 0, 2)), GRID_S).period_energy()
        dates = tuple(day - timedelta(days=history_days - i) for i in range(history_days))
        history = History(
            energy=energy, dates=dates, event_days=_event_days(session, activation, dates, pods)
        )
    settlement_day = SettlementDay(
        day=day,
        day_start=day_start,
        pod_ids=tuple(pod_ids),
        dso=check.period_energy(),
        check_series=check,
        history=history,
        data_roots={f"dsoPodMeter:{key}": root for key, root in roots.items()},
    )
    sanction = Decimal(inputs["sanctionEurMwh"])
    core = Activation(
        activation_id=activation.id,
        uvam_id=activation.uvam_id,
        direction=Direction(inputs["direction"]),
        first_period=first_index,
        ordered_wh=ordered_wh_from_kw(list(activation.set_points_kw)),
        price_eur_mwh=tuple(Decimal(p) for p in inputs["pricesEurMwh"]),
        sanction_eur_mwh=(sanction,) * periods,
        pod_rows=tuple(range(pods)),
    )
    return settlement_day, core


def _fresh_inputs(
    session: Session, activation: MarketActivation, request: dict[str, Any]
) -> dict[str, Any]:
    """Everything a settlement is computed from, fixed once: the audit reuses it."""
    method = method_from_spec(request.get("method"))
    bid = session.get(MarketBid, activation.bid_id)
    award = session.get(MarketAward, activation.bid_id)
    if bid is None or award is None:
        raise NotFound(f"no award for activation {activation.id}", field="activationId")
    prices = []
    for index in range(len(activation.set_points_kw)):
        offset = (activation.first_period - award.delivery_start) // PERIOD_SECONDS + index
        if not 0 <= offset < len(award.prices_micro):
            raise SettlementInputError(
                "the activation lies outside its award", field="activationId"
            )
        prices.append(str(Decimal(award.prices_micro[offset]) / Decimal(1_000_000)))
    pods = [pod.id for pod in _members(session, activation)]
    if not pods:
        raise SettlementInputError("the UVAM has no member POD", field="activationId")
    day = datetime.fromtimestamp(activation.first_period, UTC).date()
    day_start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    start = day_start - _history_days(method) * DAY_SECONDS
    sanction = request.get("sanctionEurMwh") or DEFAULT_SANCTION_EUR_MWH
    return {
        "method": request.get("method") or {"name": "caiso10of10"},
        "direction": bid.direction,
        "pricesEurMwh": prices,
        "sanctionEurMwh": str(Decimal(str(sanction))),
        "podIds": pods,
        "batchIds": _batches_in_use(session, pods, start, day_start + DAY_SECONDS),
    }


def compute_record(
    session: Session, activation: MarketActivation, inputs: dict[str, Any], version: int
) -> SettlementRecord:
    method = method_from_spec(inputs["method"])
    day, core = build_inputs(session, activation, inputs)
    return settle(
        day=day, activations=[core], method=method, rules=SettlementRules(), version=version
    )[0]


# ------------------------------------------------------------------------- requests (API side)


def _activation(
    session: Session, organisation: Organisation, activation_id: str
) -> MarketActivation:
    row = session.get(MarketActivation, activation_id)
    if row is None or not (sees_everything(organisation) or row.bsp_id == organisation.id):
        raise NotFound(f"no activation {activation_id}", field="activationId")
    return row


def _settlement(session: Session, organisation: Organisation, settlement_id: str) -> Settlement:
    row = session.get(Settlement, settlement_id)
    if row is None or not (sees_everything(organisation) or row.bsp_id == organisation.id):
        raise NotFound(f"no settlement {settlement_id}", field="settlementId")
    return row


def _current(session: Session, activation_id: str) -> Settlement | None:
    return session.exec(
        select(Settlement)
        .where(Settlement.activation_id == activation_id, Settlement.status != FAILED)
        .order_by(col(Settlement.version).desc())
    ).first()


def _window(request: dict[str, Any]) -> int:
    window = int(request.get("answerWindowSeconds") or DEFAULT_ANSWER_WINDOW_S)
    if window < 1:
        raise InvalidInput("the answer window must be positive", field="answerWindowSeconds")
    return window


def request_settlement(
    runtime: Runtime,
    session: Session,
    *,
    tso: Organisation,
    activation_id: str,
    request: dict[str, Any],
) -> Operation:
    """The TSO settles an accepted activation (version 1); a worker computes and records it."""
    require_role(tso, Role.TSO, field="role")
    activation = _activation(session, tso, activation_id)
    if activation.status not in {SETTLED, "Stopped"}:
        raise Conflict(f"activation {activation.id} is {activation.status}", field="activationId")
    if _current(session, activation.id) is not None:
        raise Conflict(f"activation {activation.id} is already settled", field="activationId")
    method_from_spec(request.get("method"))
    return operations.accept(
        session,
        organisation=tso,
        kind="settlement.record",
        target_id=activation.id,
        payload={
            "activationId": activation.id,
            "version": 1,
            "request": request,
            "answerWindowS": _window(request),
        },
    )


def answer(
    runtime: Runtime,
    session: Session,
    *,
    bsp: Organisation,
    settlement_id: str,
    accept: bool,
    reason: str | None = None,
) -> Operation:
    """The BSP accepts or disputes (with a reason) the current version before the deadline."""
    row = _settlement(session, bsp, settlement_id)
    if not accept and not (reason or "").strip():
        raise InvalidInput("a dispute needs a reason", field="reason")
    activation = session.get(MarketActivation, row.activation_id)
    assert activation is not None
    payload: dict[str, Any] = {
        "settlementId": row.id,
        "activationKey": activation.chain_key,
        "version": row.version,
    }
    if not accept:
        payload["reason"] = reason
        payload["reasonHash"] = hex32(keccak(text=reason or ""))
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="settlement.accept" if accept else "settlement.dispute",
        target_id=row.id,
        payload=payload,
    )
    handler = AcceptHandler() if accept else DisputeHandler()
    simulate(runtime, bsp, handler.calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def resolve(
    runtime: Runtime,
    session: Session,
    *,
    tso: Organisation,
    settlement_id: str,
    request: dict[str, Any],
) -> Operation:
    """The TSO resolves a dispute: ``{"decision": "confirm"}`` or ``{"decision": "resettle",
    "method": {...}}`` (a new version, computed by a worker)."""
    row = _settlement(session, tso, settlement_id)
    activation = session.get(MarketActivation, row.activation_id)
    assert activation is not None
    decision = request.get("decision")
    if decision == "confirm":
        operation = operations.accept(
            session,
            organisation=tso,
            kind="settlement.confirm",
            target_id=row.id,
            payload={
                "settlementId": row.id,
                "activationKey": activation.chain_key,
                "version": row.version,
            },
        )
        simulate(
            runtime, tso, ConfirmHandler().calls(session, operation), error_fields=ERROR_FIELDS
        )
        return operation
    if decision != "resettle":
        raise InvalidInput("decision is confirm or resettle", field="decision")
    method_from_spec(request.get("method"))
    # The contract is the judge of who may re-settle and when: simulate with a placeholder hash.
    probe = Call(
        LEDGER,
        "resettle",
        (to_bytes32(activation.chain_key), b"\x01" * 32, now() + _window(request)),
    )
    simulate(runtime, tso, [probe], error_fields=ERROR_FIELDS)
    return operations.accept(
        session,
        organisation=tso,
        kind="settlement.resettle",
        target_id=activation.id,
        payload={
            "activationId": activation.id,
            "version": row.version + 1,
            "request": request,
            "previousId": row.id,
            "answerWindowS": _window(request),
        },
    )


# ------------------------------------------------------------------------- worker side


def settle_activation(runtime: Runtime, operation_id: str) -> str:
    """Compute the settlement an operation asks for, store it, then record it on chain."""
    with runtime.session() as session:
        operation = session.get(Operation, operation_id)
        if operation is None:
            raise NotFound(f"no operation {operation_id}")
        p = dict(operation.payload)
        if operation.status == "accepted" and "settlementId" not in p:
            activation = session.get(MarketActivation, p["activationId"])
            assert activation is not None
            try:
                inputs = _fresh_inputs(session, activation, p["request"])
                record = compute_record(session, activation, inputs, p["version"])
            except (SettlementInputError, NotFound, InvalidInput) as exc:
                operation.status = operations.OperationStatus.FAILED
                operation.error = {**exc.to_dict(), "httpStatus": exc.http_status}
                operation.updated_at = utcnow()
                session.commit()
                return operation.id
            row = Settlement(
                id=new_id(),
                activation_id=activation.id,
                version=p["version"],
                bsp_id=activation.bsp_id,
                status=PENDING,
                record_json=record.canonical_json().decode(),
                settlement_hash=hex32(record.settlement_hash()),
                inputs=inputs,
                answer_window_s=p["answerWindowS"],
                operation_id=operation.id,
            )
            session.add(row)
            operation.payload = {
                **p,
                "settlementId": row.id,
                "activationKey": activation.chain_key,
                "settlementHash": row.settlement_hash,
            }
            session.commit()
    operations.execute(runtime, operation_id)
    return operation_id


def _row(session: Session, operation: Operation) -> Settlement:
    row = session.get(Settlement, operation.payload["settlementId"])
    assert row is not None
    return row


def _log(row: Settlement, event: Any, what: str, **extra: Any) -> None:
    row.history = [
        *row.history,
        {
            "event": what,
            "transactionHash": event.transaction_hash,
            "blockNumber": event.block_number,
            **extra,
        },
    ]
    row.updated_at = utcnow()


class RecordHandler(Handler):
    kind = "settlement.record"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = operation.payload
        row = _row(session, operation)
        bsp = session.get(Organisation, row.bsp_id)
        assert bsp is not None
        deadline = now() + row.answer_window_s
        return [
            Call(
                LEDGER,
                "recordSettlement",
                (
                    to_bytes32(p["activationKey"]),
                    to_bytes32(row.settlement_hash),
                    bsp.address,
                    deadline,
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        for args, event in events(receipts, "SettlementRecorded"):
            row.status = RECORDED
            row.answer_deadline = args["answerDeadline"]
            row.transaction_hash = event.transaction_hash
            row.block_number = event.block_number
            _log(row, event, "recorded", version=args["version"])
            operation.result = {
                "settlementId": row.id,
                "version": row.version,
                "settlementHash": row.settlement_hash,
                "answerDeadline": iso(row.answer_deadline),
            }
        return []

    def release(self, session: Session, operation: Operation) -> None:
        if "settlementId" in operation.payload:
            _row(session, operation).status = FAILED


class ResettleHandler(RecordHandler):
    kind = "settlement.resettle"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = operation.payload
        row = _row(session, operation)
        return [
            Call(
                LEDGER,
                "resettle",
                (
                    to_bytes32(p["activationKey"]),
                    to_bytes32(row.settlement_hash),
                    now() + row.answer_window_s,
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        follow = super().apply(session, operation, receipts)
        previous = session.get(Settlement, operation.payload["previousId"])
        if previous is not None and receipts:
            previous.status = SUPERSEDED
            previous.resolution = "resettled"
            previous.updated_at = utcnow()
        return follow


class AcceptHandler(Handler):
    kind = "settlement.accept"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = operation.payload
        return [Call(LEDGER, "accept", (to_bytes32(p["activationKey"]), p["version"]))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        for _, event in events(receipts, "SettlementAccepted"):
            _log(row, event, "accepted")
        for _, event in events(receipts, "SettlementFinalised"):
            row.status = FINAL
            _log(row, event, "finalised")
        return []


class DisputeHandler(Handler):
    kind = "settlement.dispute"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = operation.payload
        return [
            Call(
                LEDGER,
                "dispute",
                (to_bytes32(p["activationKey"]), p["version"], to_bytes32(p["reasonHash"])),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        for args, event in events(receipts, "SettlementDisputed"):
            row.status = DISPUTED
            row.dispute_reason = operation.payload["reason"]
            row.dispute_reason_hash = hex32(args["reasonHash"])
            _log(row, event, "disputed", reason=row.dispute_reason)
        return []


class ConfirmHandler(Handler):
    kind = "settlement.confirm"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = operation.payload
        return [Call(LEDGER, "confirm", (to_bytes32(p["activationKey"]), p["version"]))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        for _, event in events(receipts, "SettlementConfirmed"):
            row.resolution = "confirmed"
            _log(row, event, "confirmed")
        for _, event in events(receipts, "SettlementFinalised"):
            row.status = FINAL
            _log(row, event, "finalised")
        return []


def handlers() -> dict[str, Handler]:
    return {
        h.kind: h
        for h in (
            RecordHandler(),
            ResettleHandler(),
            AcceptHandler(),
            DisputeHandler(),
            ConfirmHandler(),
        )
    }


# ------------------------------------------------------------------------- reads and audit


def settlement_view(row: Settlement, *, with_periods: bool = True) -> dict[str, Any]:
    import json

    record = json.loads(row.record_json)
    view: dict[str, Any] = {
        "id": row.id,
        "activationId": row.activation_id,
        "version": row.version,
        "bsp": row.bsp_id,
        "status": row.status,
        "settlementHash": row.settlement_hash,
        "method": record["method"],
        "rules": record["rules"],
        "dataRoots": record["dataRoots"],
        "totals": record["totals"],
        "complete": record["complete"],
        "answerDeadline": iso(row.answer_deadline) if row.answer_deadline else None,
        "disputeReason": row.dispute_reason,
        "resolution": row.resolution,
        "history": row.history,
        "transactionHash": row.transaction_hash,
        "createdAt": row.created_at.isoformat(),
        "updatedAt": row.updated_at.isoformat(),
    }
    if with_periods:
        view["periods"] = record["periods"]
        view["pods"] = record["pods"]
        view["deliveryCheck"] = record["deliveryCheck"]
        view["record"] = record
    return view


def get_settlement(
    session: Session, organisation: Organisation, settlement_id: str
) -> dict[str, Any]:
    return settlement_view(_settlement(session, organisation, settlement_id))


def settlements_of(
    session: Session, organisation: Organisation, activation_id: str
) -> dict[str, Any]:
    activation = _activation(session, organisation, activation_id)
    rows = session.exec(
        select(Settlement)
        .where(Settlement.activation_id == activation.id)
        .order_by(col(Settlement.version))
    ).all()
    return {"data": [settlement_view(r, with_periods=False) for r in rows], "count": len(rows)}


def recompute(runtime: Runtime, settlement_id: str) -> dict[str, Any]:
    """Recompute a settlement from the committed data and compare with the chain.

    The readings are read again from the database and their batch roots recomputed (so a
    changed reading changes them), compared with the roots committed on ``MeasurementLedger``;
    the record is rebuilt with the recorded method and inputs, and its hash compared with the
    one ``SettlementLedger`` holds for that version."""
    with runtime.session() as session:
        row = session.get(Settlement, settlement_id)
        if row is None:
            raise NotFound(f"no settlement {settlement_id}", field="settlementId")
        activation = session.get(MarketActivation, row.activation_id)
        assert activation is not None
        record = compute_record(session, activation, row.inputs, row.version)
        chain = runtime.chain
        on_chain = chain.read(
            LEDGER, "settlementHashOf", to_bytes32(activation.chain_key), row.version
        )
        roots = []
        for name, root in record.data_roots:
            key = name.split(":", 1)[1]
            committed = chain.read("MeasurementLedger", "batch", to_bytes32(key))["root"]
            roots.append(
                {
                    "name": name,
                    "recomputed": hex32(root),
                    "onChain": hex32(committed),
                    "matches": committed == root,
                }
            )
        recomputed = record.settlement_hash()
        return {
            "settlementId": row.id,
            "activationId": row.activation_id,
            "version": row.version,
            "method": record.method,
            "storedHash": row.settlement_hash,
            "recomputedHash": hex32(recomputed),
            "onChainHash": hex32(on_chain),
            "matches": recomputed == on_chain,
            "recordMatches": record.canonical_json().decode() == row.record_json,
            "dataRoots": roots,
            "dataRootsMatch": all(r["matches"] for r in roots),
        }
