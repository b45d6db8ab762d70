"""Settlement of activations on the ledger (issue 4): inputs from the committed data, the pure
core (``ledger.settlement``), the record and its hash on chain, the BSP's answer, the TSO's
resolution, and the audit that recomputes a settlement and compares it with the chain.

Flow: the TSO asks for the settlement of an activation (operation ``settlement.record``), which
is refused while the activation is not settleable yet
(:func:`ledger.settlement.stored_inputs.check_settleable`: delivery not ended, or measurements
missing while the upload window is open); a worker task (``cbp.settlement.settle_activation``)
builds the inputs from the database (:mod:`ledger.settlement.stored_inputs`), runs
:func:`ledger.settlement.settle`, stores the record's canonical JSON and hash, and records the
hash on chain (``SettlementLedger``). The BSP accepts or disputes (``settlement.accept`` /
``settlement.dispute``) before the deadline; the TSO confirms a dispute (``settlement.confirm``)
or re-settles it (``settlement.resettle``: a new version computed the same way, possibly with
another method). A settlement left unanswered past its deadline is finalised
(``settlement.finalise``) on request or by the periodic task ``cbp.settlement.finalise_lapsed``.
Refusals come from the contract, simulated before anything is stored, with its decoded error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from eth_utils import keccak
from sqlmodel import Session, col, select

from ledger.core import operations
from ledger.core.access import require_role, sees_everything
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import log_step, simulate
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.domain.enums import Role
from ledger.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import new_id, to_bytes32
from ledger.core.operations import TERMINAL
from ledger.core.periods import iso
from ledger.core.runtime import Runtime
from ledger.core.settings import Settings
from ledger.market.activations import may_see
from ledger.market.common import (
    events,
    hex32,
    now,
    tso_of,
)
from ledger.market.tables import MarketActivation
from ledger.payloads import PAYLOADS, read
from ledger.payloads.settlement import (
    DisputeConfirmation,
    Resettlement,
    SettlementDispute,
    SettlementRequest,
    SettlementStep,
)
from ledger.settlement import SettlementInputError, SettlementRecord, join_day_parts, settle
from ledger.settlement.stored_inputs import (
    build_inputs,
    check_settleable,
    fresh_inputs,
    members,
    method_from_spec,
    rules_from_inputs,
)
from ledger.settlement.tables import Settlement
from ledger.settlement.terms import (
    activation_terms,
    method_spec,
    refuse_term_changes,
    resettlement_method,
    store_terms,
    terms_of,
)

LEDGER = "SettlementLedger"
TASK_SETTLE = "cbp.settlement.settle_activation"
TASK_FINALISE_LAPSED = "cbp.settlement.finalise_lapsed"
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
    "SettlementWindowOpen": "answerDeadline",
    "SettlementAlreadyRecorded": "activationId",
    "SettlementDeliveryNotEnded": "activationId",
    "SettlementNotSettleable": "activationId",
}


def compute_record(
    session: Session, activation: MarketActivation, inputs: dict[str, Any], version: int
) -> SettlementRecord:
    """The activation's record: settled once per UTC day it lies on, the parts joined
    (``ledger.settlement.days``; one part is the record as it is)."""
    method, rules = method_from_spec(inputs["method"]), rules_from_inputs(inputs)
    parts = [
        settle(
            day=day,
            activations=[core],
            method=method,
            rules=rules,
            version=version,
            terms=inputs.get("terms"),  # absent from versions stored before terms were fixed
        )[0]
        for day, core in build_inputs(session, activation, inputs)
    ]
    return join_day_parts(parts)


# ------------------------------------------------------------------------- requests (API side)


def _activation(
    session: Session, organisation: Organisation, activation_id: str, *, reading: bool = False
) -> MarketActivation:
    """The activation, if ``organisation`` may act on its settlement (the TSO, its BSP) or,
    ``reading``, read it (also an auditor, and a DSO of the UVAM's grid); 404 otherwise."""
    row = session.get(MarketActivation, activation_id)
    if row is None or not (
        sees_everything(organisation)
        or row.bsp_id == organisation.id
        or (reading and may_see(organisation, row))
    ):
        raise NotFound(f"no activation {activation_id}", field="activationId")
    return row


def _settlement(
    session: Session, organisation: Organisation, settlement_id: str, *, reading: bool = False
) -> Settlement:
    """The settlement, for reading (``reading``: also a DSO of the activation's grid) or for
    acting on it. A DSO that reads it but tries to act is refused 403; anyone else who does not
    see it gets 404, as for a settlement that does not exist."""
    row = session.get(Settlement, settlement_id)
    activation = session.get(MarketActivation, row.activation_id) if row is not None else None
    if row is None or activation is None:
        raise NotFound(f"no settlement {settlement_id}", field="settlementId")
    if sees_everything(organisation) or row.bsp_id == organisation.id:
        return row
    if organisation.role == Role.DSO and may_see(organisation, activation):
        if reading:
            return row
        raise Forbidden(
            "a DSO reads the settlements of activations in its grid; it does not answer them",
            field="role",
        )
    raise NotFound(f"no settlement {settlement_id}", field="settlementId")


def _current(session: Session, activation_id: str) -> Settlement | None:
    return session.exec(
        select(Settlement)
        .where(Settlement.activation_id == activation_id, Settlement.status != FAILED)
        .order_by(col(Settlement.version).desc())
    ).first()


def _window(settings: Settings, request: dict[str, Any]) -> int:
    window = int(request.get("answerWindowSeconds") or settings.settlement_answer_window_s)
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
    """The TSO settles an accepted activation (version 1) under the terms frozen at its award
    (baseline method included); a worker computes and records it."""
    require_role(tso, Role.TSO, field="role")
    activation = _activation(session, tso, activation_id)
    if activation.status not in {SETTLED, "Stopped"}:
        raise Conflict(f"activation {activation.id} is {activation.status}", field="activationId")
    if _current(session, activation.id) is not None:
        raise Conflict(f"activation {activation.id} is already settled", field="activationId")
    terms = activation_terms(session, activation, request)
    method = method_from_spec(terms["baseline"])
    window = _window(runtime.settings, request)
    check_settleable(session, runtime.settings, activation, members(session, activation), method)
    store_terms(session, activation, terms)
    return operations.accept(
        session,
        organisation=tso,
        kind="settlement.record",
        target_id=activation.id,
        payload={
            "activationId": activation.id,
            "version": 1,
            "request": request,
            "method": method_spec(method),
            "answerWindowS": window,
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
    """The TSO resolves a dispute: ``{"decision": "confirm", "reply": "..."}`` or
    ``{"decision": "resettle", "method": {...}}`` (a new version, computed by a worker, with the
    activation's fixed terms and the previous version's method corrected by ``method``). The
    optional ``reply`` to a confirmed dispute is kept with the version's history and shown to
    the BSP (off chain, like the dispute's reason)."""
    row = _settlement(session, tso, settlement_id)
    activation = session.get(MarketActivation, row.activation_id)
    assert activation is not None
    decision = request.get("decision")
    if decision == "confirm":
        reply = _reply(request.get("reply"))
        operation = operations.accept(
            session,
            organisation=tso,
            kind="settlement.confirm",
            target_id=row.id,
            payload={
                "settlementId": row.id,
                "activationKey": activation.chain_key,
                "version": row.version,
                "reply": reply,
            },
        )
        simulate(
            runtime, tso, ConfirmHandler().calls(session, operation), error_fields=ERROR_FIELDS
        )
        return operation
    if decision != "resettle":
        raise InvalidInput("decision is confirm or resettle", field="decision")
    refuse_term_changes(terms_of(session, activation), request)
    spec = resettlement_method(row.inputs["method"], request.get("method"))
    method = method_from_spec(spec)
    check_settleable(session, runtime.settings, activation, members(session, activation), method)
    window = _window(runtime.settings, request)
    # The contract is the judge of who may re-settle and when: simulate with a placeholder hash.
    probe = Call(
        LEDGER,
        "resettle",
        (to_bytes32(activation.chain_key), b"\x01" * 32, now(session) + window),
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
            "method": spec,
            "previousId": row.id,
            "answerWindowS": window,
        },
    )


# ------------------------------------------------------------------------- worker side


def settle_activation(runtime: Runtime, operation_id: str) -> str:
    """Compute the settlement an operation asks for, store it, then record it on chain.

    Idempotent: a copy of the task (redelivered, or re-driven by the block follower while the
    first was merely slow) waits for the operation's lock, then finds the record computed and
    only executes, which is idempotent itself."""
    with runtime.locks.hold(f"operation:{operation_id}"), runtime.session() as session:
        operation = session.get(Operation, operation_id)
        if operation is None:
            raise NotFound(f"no operation {operation_id}")
        asked = _request(operation)
        if operation.status == "accepted" and not asked.computed:
            activation = session.get(MarketActivation, asked.activation_id)
            assert activation is not None
            try:
                spec = asked.method or method_spec(method_from_spec(asked.request.get("method")))
                inputs = fresh_inputs(
                    session, activation, method_spec=spec, terms=terms_of(session, activation)
                )
                record = compute_record(session, activation, inputs, asked.version)
            except (SettlementInputError, NotFound, InvalidInput) as exc:
                error = {**exc.to_dict(), "httpStatus": exc.http_status}
                operations.fail(runtime, session, operation, error=error)
                return operation.id
            row = Settlement(
                id=new_id(),
                activation_id=activation.id,
                version=asked.version,
                bsp_id=activation.bsp_id,
                status=PENDING,
                record_json=record.canonical_json().decode(),
                settlement_hash=hex32(record.settlement_hash()),
                inputs=inputs,
                answer_window_s=asked.answer_window_s,
                operation_id=operation.id,
            )
            session.add(row)
            operation.payload = {
                **operation.payload,
                "settlementId": row.id,
                "activationKey": activation.chain_key,
                "settlementHash": row.settlement_hash,
            }
            session.commit()
    operations.execute(runtime, operation_id)
    return operation_id


def _request(operation: Operation) -> SettlementRequest:
    """The payload of a settlement.record or settlement.resettle operation."""
    if operation.kind == ResettleHandler.kind:
        return read(operation, Resettlement)
    return read(operation, SettlementRequest)


def _step(operation: Operation) -> SettlementStep:
    """The payload of an accept, dispute, confirm or finalise operation, read by its kind."""
    model = PAYLOADS[operation.kind]
    assert issubclass(model, SettlementStep), operation.kind
    return read(operation, model)


def _row(session: Session, operation: Operation) -> Settlement:
    """The settlement version an operation is about (a record's once computed)."""
    if operation.kind in {RecordHandler.kind, ResettleHandler.kind}:
        settlement_id = _request(operation).settlement_id
    else:
        settlement_id = _step(operation).settlement_id
    row = session.get(Settlement, settlement_id)
    assert row is not None
    return row


MAX_REPLY_CHARS = 2000


def _reply(value: Any) -> str | None:
    """The TSO's reply to a confirmed dispute: text of at most 2000 characters, or none."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("the reply is text", field="reply")
    text = value.strip()
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidInput(
            f"the reply is {len(text)} characters; at most {MAX_REPLY_CHARS}", field="reply"
        )
    return text or None


def _mark_final(row: Settlement, receipts: Sequence[Receipt], **extra: Any) -> None:
    """Mirror ``SettlementFinalised`` (after an accept, a confirm or a lapse) in the row."""
    for _, event in events(receipts, "SettlementFinalised"):
        row.status = FINAL
        log_step(row, event, "finalised", **extra)


class RecordHandler(Handler):
    kind = "settlement.record"
    task = TASK_SETTLE  # the worker computes the record, then executes (settle_activation)

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        activation_key = _request(operation).activation_key
        assert activation_key is not None  # the worker computed the settlement first
        row = _row(session, operation)
        bsp = session.get(Organisation, row.bsp_id)
        assert bsp is not None
        deadline = now(session) + row.answer_window_s
        return [
            Call(
                LEDGER,
                "recordSettlement",
                (
                    to_bytes32(activation_key),
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
            log_step(row, event, "recorded", version=args["version"])
            operation.result = {
                "settlementId": row.id,
                "version": row.version,
                "settlementHash": row.settlement_hash,
                "answerDeadline": iso(row.answer_deadline),
            }
        return []

    def release(self, session: Session, operation: Operation) -> None:
        if _request(operation).computed:
            _row(session, operation).status = FAILED


class ResettleHandler(RecordHandler):
    kind = "settlement.resettle"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        activation_key = read(operation, Resettlement).activation_key
        assert activation_key is not None  # the worker computed the new version first
        row = _row(session, operation)
        return [
            Call(
                LEDGER,
                "resettle",
                (
                    to_bytes32(activation_key),
                    to_bytes32(row.settlement_hash),
                    now(session) + row.answer_window_s,
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        follow = super().apply(session, operation, receipts)
        previous = session.get(Settlement, read(operation, Resettlement).previous_id)
        if previous is not None and receipts:
            previous.status = SUPERSEDED
            previous.resolution = "resettled"
            previous.updated_at = utcnow()
        return follow


class AcceptHandler(Handler):
    kind = "settlement.accept"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        step = read(operation, SettlementStep)
        return [Call(LEDGER, "accept", (to_bytes32(step.activation_key), step.version))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        for _, event in events(receipts, "SettlementAccepted"):
            log_step(row, event, "accepted")
        _mark_final(row, receipts)
        return []


class DisputeHandler(Handler):
    kind = "settlement.dispute"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        dispute = read(operation, SettlementDispute)
        return [
            Call(
                LEDGER,
                "dispute",
                (
                    to_bytes32(dispute.activation_key),
                    dispute.version,
                    to_bytes32(dispute.reason_hash),
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        for args, event in events(receipts, "SettlementDisputed"):
            row.status = DISPUTED
            row.dispute_reason = read(operation, SettlementDispute).reason
            row.dispute_reason_hash = hex32(args["reasonHash"])
            log_step(row, event, "disputed", reason=row.dispute_reason)
        return []


class ConfirmHandler(Handler):
    kind = "settlement.confirm"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        step = read(operation, DisputeConfirmation)
        return [Call(LEDGER, "confirm", (to_bytes32(step.activation_key), step.version))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        for _, event in events(receipts, "SettlementConfirmed"):
            row.resolution = "confirmed"
            log_step(row, event, "confirmed", reply=read(operation, DisputeConfirmation).reply)
        _mark_final(row, receipts)
        return []


class FinaliseHandler(Handler):
    kind = "settlement.finalise"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        step = read(operation, SettlementStep)
        return [Call(LEDGER, "finalise", (to_bytes32(step.activation_key),))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        if events(receipts, "SettlementFinalised"):
            row.resolution = row.resolution or "lapsed"
        _mark_final(row, receipts, lapsed=True)
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
            FinaliseHandler(),
        )
    }


def _finalise_operation(session: Session, organisation: Organisation, row: Settlement) -> Operation:
    activation = session.get(MarketActivation, row.activation_id)
    assert activation is not None
    return operations.accept(
        session,
        organisation=organisation,
        kind=FinaliseHandler.kind,
        target_id=row.id,
        payload={
            "settlementId": row.id,
            "activationKey": activation.chain_key,
            "version": row.version,
        },
    )


def finalise(
    runtime: Runtime, session: Session, *, organisation: Organisation, settlement_id: str
) -> Operation:
    """Finalise a settlement whose answer window lapsed without an answer. Anyone who sees the
    settlement (the TSO, an auditor, its BSP) may ask, signed by their own account, as the
    contract lets anyone; before the deadline the contract refuses (``SettlementWindowOpen``)."""
    row = _settlement(session, organisation, settlement_id)
    operation = _finalise_operation(session, organisation, row)
    simulate(
        runtime,
        organisation,
        FinaliseHandler().calls(session, operation),
        error_fields=ERROR_FIELDS,
    )
    return operation


def finalise_lapsed(runtime: Runtime) -> list[str]:
    """The periodic task: finalise, as the TSO, every recorded settlement whose answer deadline
    has passed and that no finalisation is already under way for. Returns the operations."""
    started: list[str] = []
    with runtime.session() as session:
        lapsed = session.exec(
            select(Settlement).where(
                Settlement.status == RECORDED,
                col(Settlement.answer_deadline).is_not(None),
                col(Settlement.answer_deadline) < now(session),
            )
        ).all()
        if not lapsed:
            return started
        busy = set(
            session.exec(
                select(Operation.target_id).where(
                    Operation.kind == FinaliseHandler.kind,
                    col(Operation.target_id).in_([row.id for row in lapsed]),
                    col(Operation.status).not_in(list(TERMINAL)),
                )
            ).all()
        )
        tso = tso_of(session)
        operations_ = [
            _finalise_operation(session, tso, row) for row in lapsed if row.id not in busy
        ]
        session.commit()
        for operation in operations_:
            operations.submit(runtime, operation)
            started.append(operation.id)
    return started


# ------------------------------------------------------------------------- reads and audit


def settlement_view(row: Settlement, *, with_periods: bool = True) -> dict[str, Any]:
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
        "resolutionReply": next(
            (entry["reply"] for entry in reversed(row.history) if entry.get("reply")), None
        ),
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
    return settlement_view(_settlement(session, organisation, settlement_id, reading=True))


def settlements_of(
    session: Session, organisation: Organisation, activation_id: str
) -> dict[str, Any]:
    activation = _activation(session, organisation, activation_id, reading=True)
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
