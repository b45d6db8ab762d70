"""Statements (issue 14, item 4): the TSO issues a BSP's statement for a period (a calendar
month by default); its canonical JSON is stored and its hash recorded on ``StatementLedger``;
the BSP accepts or disputes it as a whole, once (a dispute needs a reason, whose hash goes on
chain). Reads and the CSV/PDF exports are for the BSP, the TSO and the auditor.
``docs/statements.md``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils import keccak
from sqlmodel import Session, col, select

from ledger.core import operations
from ledger.core.access import require_role, sees_everything
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import add_or_conflict, log_step, simulate
from ledger.core.db.models import Operation, Organisation
from ledger.core.domain.canonical import canonical_json
from ledger.core.domain.enums import Role
from ledger.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import chain_key, new_id, to_bytes32
from ledger.core.operations import TERMINAL
from ledger.core.runtime import Runtime
from ledger.market.common import events, hex32
from ledger.payloads import check, read
from ledger.payloads.statements import StatementAnswer, StatementDispute, StatementRecord
from ledger.settlement.statements.export import to_csv, to_pdf
from ledger.settlement.statements.period import parse_period
from ledger.settlement.statements.statement import build_statement, document_hash
from ledger.settlement.statements.stored_inputs import awards_of, document_of, settled_in
from ledger.settlement.tables import Statement

LEDGER = "StatementLedger"
PENDING, RECORDED, ACCEPTED, DISPUTED, FAILED, SUPERSEDED = (
    "pending",
    "recorded",
    "accepted",
    "disputed",
    "failed",
    "superseded",
)
MAX_REASON_CHARS = 2000
ERROR_FIELDS = {
    "StatementUnauthorizedTso": "role",
    "StatementUnauthorizedBsp": "statementId",
    "StatementAlreadyAnswered": "status",
    "StatementUnknownId": "statementId",
    "StatementInvalid": "reason",
}


def _bsp(session: Session, bsp_id: Any) -> Organisation:
    if not isinstance(bsp_id, str) or not bsp_id:
        raise InvalidInput("bspId names the BSP the statement is for", field="bspId")
    bsp = session.get(Organisation, bsp_id)
    if bsp is None or bsp.role != Role.BSP:
        raise NotFound(f"no BSP {bsp_id}", field="bspId")
    return bsp


def issue(
    runtime: Runtime, session: Session, *, tso: Organisation, request: dict[str, Any]
) -> Operation:
    """The TSO issues the statement of ``request["bspId"]`` for ``request["period"]``
    (``"YYYY-MM"`` or ``"YYYY-MM-DD/YYYY-MM-DD"``): computed now from the final settlements
    and awards, stored pending, recorded on chain by a worker. One statement per BSP and
    period (409 otherwise): issued again only when the current one is disputed, or never
    reached the chain. The ``slot`` column's unique constraint settles two requests at once."""
    require_role(tso, Role.TSO, field="role")
    bsp = _bsp(session, request.get("bspId"))
    period = parse_period(request.get("period"))
    existing = session.exec(
        select(Statement).where(
            Statement.bsp_id == bsp.id,
            Statement.period_start == period.first.isoformat(),
            Statement.period_end == period.end.isoformat(),
            col(Statement.status).not_in([FAILED, SUPERSEDED]),
        )
    ).first()
    if existing is not None and existing.status != DISPUTED:
        raise Conflict(
            f"the statement of {bsp.id} for {period.label} is issued already ({existing.id},"
            f" {existing.status}): only a disputed statement is issued again",
            field="period",
        )
    supersedes = (
        {"statementId": existing.id, "statementHash": existing.statement_hash}
        if existing is not None
        else None
    )
    settled, outstanding = settled_in(session, bsp.id, period)
    document = build_statement(
        bsp=bsp.id,
        period=period,
        settled=settled,
        awards=awards_of(session, bsp.id, period),
        outstanding=outstanding,
        supersedes=supersedes,
    )
    statement_id = new_id()
    row = Statement(
        id=statement_id,
        chain_key=chain_key("statement", statement_id),
        bsp_id=bsp.id,
        period_start=period.first.isoformat(),
        period_end=period.end.isoformat(),
        slot=existing.id if existing is not None else "",
        status=PENDING,
        document_json=canonical_json(document).decode(),
        statement_hash=hex32(document_hash(document)),
    )
    add_or_conflict(
        session,
        [row],
        conflict=f"the statement of {bsp.id} for {period.label} is being issued by another request",
        field="period",
    )
    operation = operations.accept(
        session,
        organisation=tso,
        kind=RecordHandler.kind,
        target_id=row.id,
        payload={
            "statementId": row.id,
            "statementKey": row.chain_key,
            "bsp": bsp.address,
            "supersedes": existing.id if existing is not None else None,
        },
    )
    row.operation_id = operation.id
    return operation


def _statement(
    session: Session, organisation: Organisation, statement_id: str, *, answering: bool = False
) -> Statement:
    """The statement for its BSP, the TSO and the auditor (who read but do not answer: 403);
    404 for anyone else, as for a statement that does not exist."""
    row = session.get(Statement, statement_id)
    if row is None or not (row.bsp_id == organisation.id or sees_everything(organisation)):
        raise NotFound(f"no statement {statement_id}", field="statementId")
    if answering and row.bsp_id != organisation.id:
        raise Forbidden("only the BSP the statement is for answers it", field="statementId")
    return row


def _answer_under_way(session: Session, row: Statement) -> bool:
    return (
        session.exec(
            select(Operation.id).where(
                col(Operation.kind).in_([AcceptHandler.kind, DisputeHandler.kind]),
                Operation.target_id == row.id,
                col(Operation.status).not_in(list(TERMINAL)),
            )
        ).first()
        is not None
    )


def _reason(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput("a dispute needs a reason", field="reason")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(
            f"the reason is {len(text)} characters; at most {MAX_REASON_CHARS}", field="reason"
        )
    return text


def answer(
    runtime: Runtime,
    session: Session,
    *,
    bsp: Organisation,
    statement_id: str,
    accept: bool,
    reason: Any = None,
) -> Operation:
    """The BSP accepts or disputes (with a reason) the statement as a whole, once: a second
    answer - recorded, or on its way to the chain - is refused 409."""
    row = _statement(session, bsp, statement_id, answering=True)
    text = None if accept else _reason(reason)
    if row.status in {ACCEPTED, DISPUTED} or _answer_under_way(session, row):
        raise Conflict(f"statement {row.id} is answered already", field="statementId")
    if row.status == SUPERSEDED:
        raise Conflict(
            f"statement {row.id} was disputed and issued again: answer the new one",
            field="statementId",
        )
    if row.status != RECORDED:
        raise Conflict(
            f"statement {row.id} is {row.status}: it is answered once recorded on chain",
            field="statementId",
        )
    payload: dict[str, Any] = {"statementId": row.id, "statementKey": row.chain_key}
    if text is not None:
        payload["reason"] = text
        payload["reasonHash"] = hex32(keccak(text=text))
    operation = operations.accept(
        session,
        organisation=bsp,
        kind=AcceptHandler.kind if accept else DisputeHandler.kind,
        target_id=row.id,
        payload=payload,
    )
    handler = AcceptHandler() if accept else DisputeHandler()
    simulate(runtime, bsp, handler.calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


# ------------------------------------------------------------------------- worker side


def _row(session: Session, operation: Operation) -> Statement:
    payload = check(operation.kind, operation.payload)  # each kind's model is an answer's
    assert isinstance(payload, StatementAnswer), operation.kind
    row = session.get(Statement, payload.statement_id)
    assert row is not None
    return row


class RecordHandler(Handler):
    kind = "statement.record"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = read(operation, StatementRecord)
        row = _row(session, operation)
        return [
            Call(
                LEDGER,
                "recordStatement",
                (to_bytes32(p.statement_key), to_bytes32(row.statement_hash), p.bsp),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        for _, event in events(receipts, "StatementRecorded"):
            row.status = RECORDED
            row.transaction_hash = event.transaction_hash
            row.block_number = event.block_number
            log_step(row, event, "recorded")
            operation.result = {"statementId": row.id, "statementHash": row.statement_hash}
            previous = read(operation, StatementRecord).supersedes
            replaced = session.get(Statement, previous) if previous else None
            if replaced is not None:
                replaced.status = SUPERSEDED
                log_step(replaced, event, "superseded", by=row.id)
        return []

    def release(self, session: Session, operation: Operation) -> None:
        row = _row(session, operation)
        row.status = FAILED
        row.slot = f"failed:{row.id}"


class AcceptHandler(Handler):
    kind = "statement.accept"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        key = read(operation, StatementAnswer).statement_key
        return [Call(LEDGER, "acceptStatement", (to_bytes32(key),))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        for _, event in events(receipts, "StatementAccepted"):
            row.status = ACCEPTED
            log_step(row, event, "accepted")
        return []


class DisputeHandler(Handler):
    kind = "statement.dispute"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = read(operation, StatementDispute)
        return [
            Call(
                LEDGER, "disputeStatement", (to_bytes32(p.statement_key), to_bytes32(p.reason_hash))
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        row = _row(session, operation)
        for args, event in events(receipts, "StatementDisputed"):
            row.status = DISPUTED
            row.dispute_reason = read(operation, StatementDispute).reason
            row.dispute_reason_hash = hex32(args["reasonHash"])
            log_step(row, event, "disputed", reason=row.dispute_reason)
        return []


def handlers() -> dict[str, Handler]:
    return {h.kind: h for h in (RecordHandler(), AcceptHandler(), DisputeHandler())}


# ------------------------------------------------------------------------- reads and exports


def view(row: Statement, *, with_document: bool = True) -> dict[str, Any]:
    document = document_of(row.document_json)
    body: dict[str, Any] = {
        "id": row.id,
        "bsp": row.bsp_id,
        "period": {"start": row.period_start, "end": row.period_end},
        "status": row.status,
        "statementHash": row.statement_hash,
        "chainKey": row.chain_key,
        "totals": document["totals"],
        "disputeReason": row.dispute_reason,
        "history": row.history,
        "transactionHash": row.transaction_hash,
        "createdAt": row.created_at.isoformat(),
    }
    if with_document:
        body["document"] = document
    return body


def get(session: Session, organisation: Organisation, statement_id: str) -> dict[str, Any]:
    return view(_statement(session, organisation, statement_id))


def list_for(
    session: Session, organisation: Organisation, *, bsp_id: str | None = None
) -> dict[str, Any]:
    """A BSP's own statements; the TSO's and the auditor's view every BSP's (or ``bsp_id``'s)."""
    query = select(Statement).where(Statement.status != FAILED)
    if not sees_everything(organisation):
        if organisation.role != Role.BSP:
            raise Forbidden("statements are for BSPs, the TSO and the auditor", field="role")
        query = query.where(Statement.bsp_id == organisation.id)
    elif bsp_id:
        query = query.where(Statement.bsp_id == bsp_id)
    rows = session.exec(
        query.order_by(col(Statement.period_start).desc(), col(Statement.bsp_id))
    ).all()
    return {"data": [view(r, with_document=False) for r in rows], "count": len(rows)}


def export(
    session: Session, organisation: Organisation, statement_id: str, fmt: str
) -> tuple[bytes, str, str]:
    """``(content, media type, file name)`` of the statement as ``csv`` or ``pdf``."""
    row = _statement(session, organisation, statement_id)
    document = document_of(row.document_json)
    name = f"statement-{row.bsp_id}-{row.period_start}"
    if fmt == "csv":
        return to_csv(document).encode(), "text/csv", f"{name}.csv"
    if fmt == "pdf":
        return to_pdf(document, statement_hash=row.statement_hash), "application/pdf", f"{name}.pdf"
    raise InvalidInput("the format is csv or pdf", field="format")
