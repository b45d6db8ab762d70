"""BRP perimeter corrections (transfer of energy, issue 14 item 3): the TSO asks for the
correction reports of a period; one report per BRP over every final settlement whose
activation starts in the period, stored as canonical JSON and its hash recorded on
``StatementLedger.recordCorrection``. The TSO and the auditor read them. ``docs/statements.md``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from ledger.core import operations
from ledger.core.access import require_role, sees_everything
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import add_or_conflict
from ledger.core.db.models import Operation, Organisation
from ledger.core.domain.canonical import canonical_json
from ledger.core.domain.enums import Role
from ledger.core.errors import Conflict, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import chain_key, new_id, to_bytes32
from ledger.market.common import events, hex32
from ledger.payloads import read
from ledger.payloads.statements import CorrectionsRecord
from ledger.settlement.statements.perimeter import build_corrections
from ledger.settlement.statements.period import parse_period
from ledger.settlement.statements.statement import document_hash
from ledger.settlement.statements.stored_inputs import brp_of_pods, document_of, settled_in
from ledger.settlement.tables import PerimeterCorrection

LEDGER = "StatementLedger"
PENDING, RECORDED, FAILED = "pending", "recorded", "failed"


def request_reports(session: Session, *, tso: Organisation, request: dict[str, Any]) -> Operation:
    """Compute and store every BRP's report for ``request["period"]``; one operation records
    their hashes. Refused 409 when the period's reports exist already or nothing is settled."""
    require_role(tso, Role.TSO, field="role")
    period = parse_period(request.get("period"))
    bounds = (period.first.isoformat(), period.end.isoformat())
    existing = session.exec(
        select(PerimeterCorrection.id).where(
            PerimeterCorrection.period_start == bounds[0],
            PerimeterCorrection.period_end == bounds[1],
            PerimeterCorrection.status != FAILED,
        )
    ).first()
    if existing is not None:
        raise Conflict(f"the corrections of {period.label} are recorded already", field="period")
    settled, _ = settled_in(session, None, period)
    reports = build_corrections(
        period=period, settled=settled, brp_of_pod=brp_of_pods(session, settled)
    )
    if not reports:
        raise Conflict(f"no final settlement in {period.label}: nothing to correct", field="period")
    rows = []
    for brp, report in reports.items():
        report_id = new_id()
        rows.append(
            PerimeterCorrection(
                id=report_id,
                chain_key=chain_key("perimeterCorrection", report_id),
                brp=brp,
                period_start=bounds[0],
                period_end=bounds[1],
                status=PENDING,
                document_json=canonical_json(report).decode(),
                report_hash=hex32(document_hash(report)),
            )
        )
    add_or_conflict(
        session,
        rows,
        conflict=f"the corrections of {period.label} are being recorded by another request",
        field="period",
    )
    operation = operations.accept(
        session,
        organisation=tso,
        kind=RecordCorrectionsHandler.kind,
        target_id=rows[0].id,
        payload={"reportIds": [row.id for row in rows]},
    )
    for row in rows:
        row.operation_id = operation.id
    return operation


def _rows(session: Session, operation: Operation) -> list[PerimeterCorrection]:
    ids = read(operation, CorrectionsRecord).report_ids
    found = session.exec(select(PerimeterCorrection).where(col(PerimeterCorrection.id).in_(ids)))
    by_id = {row.id: row for row in found.all()}
    return [by_id[i] for i in ids]


class RecordCorrectionsHandler(Handler):
    kind = "correction.record"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        return [
            Call(
                LEDGER,
                "recordCorrection",
                (to_bytes32(row.chain_key), to_bytes32(row.report_hash)),
            )
            for row in _rows(session, operation)
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        by_key = {row.chain_key: row for row in _rows(session, operation)}
        for args, event in events(receipts, "CorrectionRecorded"):
            row = by_key.get(hex32(args["reportId"]))
            if row is not None:
                row.status = RECORDED
                row.transaction_hash = event.transaction_hash
                row.block_number = event.block_number
        operation.result = {"reportIds": list(read(operation, CorrectionsRecord).report_ids)}
        return []

    def release(self, session: Session, operation: Operation) -> None:
        for row in _rows(session, operation):
            if row.status == PENDING:
                row.status = FAILED
                row.slot = f"failed:{row.id}"


def handlers() -> dict[str, Handler]:
    return {RecordCorrectionsHandler.kind: RecordCorrectionsHandler()}


def view(row: PerimeterCorrection, *, with_document: bool = True) -> dict[str, Any]:
    document = document_of(row.document_json)
    body: dict[str, Any] = {
        "id": row.id,
        "brp": row.brp,
        "period": {"start": row.period_start, "end": row.period_end},
        "status": row.status,
        "reportHash": row.report_hash,
        "chainKey": row.chain_key,
        "totals": document["totals"],
        "transactionHash": row.transaction_hash,
    }
    if with_document:
        body["document"] = document
    return body


def _reader(organisation: Organisation) -> None:
    if not sees_everything(organisation):
        raise NotFound("correction reports are the TSO's and the auditor's", field="reportId")


def list_reports(
    session: Session, organisation: Organisation, *, period: str | None = None
) -> dict[str, Any]:
    _reader(organisation)
    query = select(PerimeterCorrection).where(PerimeterCorrection.status != FAILED)
    if period:
        chosen = parse_period(period)
        query = query.where(
            PerimeterCorrection.period_start == chosen.first.isoformat(),
            PerimeterCorrection.period_end == chosen.end.isoformat(),
        )
    rows = session.exec(
        query.order_by(col(PerimeterCorrection.period_start).desc(), col(PerimeterCorrection.brp))
    ).all()
    return {"data": [view(r, with_document=False) for r in rows], "count": len(rows)}


def get_report(session: Session, organisation: Organisation, report_id: str) -> dict[str, Any]:
    _reader(organisation)
    row = session.get(PerimeterCorrection, report_id)
    if row is None:
        raise NotFound(f"no correction report {report_id}", field="reportId")
    return view(row)
