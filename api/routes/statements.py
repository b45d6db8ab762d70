"""Statements per BSP and period, and BRP perimeter correction reports (issue 14): the TSO
issues them, the BSP accepts or disputes its statement as a whole. Thin: each route calls one
ledger service; writes answer 202 with their operation. docs/statements.md."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import Response

from api.deps import CurrentOrg, RuntimeDep, SessionDep, accepted
from api.idempotency import IdempotentRoute
from api.models.common import Accepted, Page, errors
from api.models.statements import (
    CorrectionDetail,
    CorrectionSummary,
    StatementDetail,
    StatementSummary,
)
from ledger.settlement.statements import corrections as perimeter
from ledger.settlement.statements import service as statements

router = APIRouter(tags=["Statements"], route_class=IdempotentRoute)
ACCEPTED = status.HTTP_202_ACCEPTED


@router.post(
    "/statements",
    status_code=ACCEPTED,
    summary='Issue a BSP\'s statement for a period (TSO): {"bspId", "period": "YYYY-MM"}',
    response_model=Accepted,
    responses=errors(404, 409, 413),
)
def issue_statement(
    org: CurrentOrg,
    session: SessionDep,
    runtime: RuntimeDep,
    body: dict[str, Any] = Body(...),  # noqa: B008
) -> dict[str, Any]:
    operation = statements.issue(runtime, session, tso=org, request=body)
    return accepted(runtime, session, operation)


@router.get(
    "/statements",
    summary="Statements: a BSP's own; every BSP's for the TSO, auditor",
    response_model=Page[StatementSummary],
    responses=errors(),
)
def list_statements(
    org: CurrentOrg, session: SessionDep, bsp_id: str | None = Query(default=None, alias="bspId")
) -> dict[str, Any]:
    return statements.list_for(session, org, bsp_id=bsp_id)


@router.get(
    "/statements/{statement_id}",
    summary="A statement with its document",
    response_model=StatementDetail,
    responses=errors(404),
)
def get_statement(statement_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return statements.get(session, org, statement_id)


@router.get(
    "/statements/{statement_id}/export",
    summary="The statement as CSV or PDF (?format=csv|pdf)",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}, "application/pdf": {}},
            "description": "The statement's lines and netting (docs/statements.md)",
        },
        **errors(404),
    },
)
def export_statement(
    statement_id: str,
    org: CurrentOrg,
    session: SessionDep,
    fmt: str = Query(default="csv", alias="format"),
) -> Response:
    content, media_type, name = statements.export(session, org, statement_id, fmt)
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/statements/{statement_id}/accept",
    status_code=ACCEPTED,
    summary="The BSP accepts its statement as a whole",
    response_model=Accepted,
    responses=errors(404, 409),
)
def accept_statement(
    statement_id: str, org: CurrentOrg, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    operation = statements.answer(runtime, session, bsp=org, statement_id=statement_id, accept=True)
    return accepted(runtime, session, operation)


@router.post(
    "/statements/{statement_id}/dispute",
    status_code=ACCEPTED,
    summary="The BSP disputes its statement as a whole, with a reason (its hash goes on chain)",
    response_model=Accepted,
    responses=errors(404, 409, 413),
)
def dispute_statement(
    statement_id: str,
    org: CurrentOrg,
    session: SessionDep,
    runtime: RuntimeDep,
    body: dict[str, Any] = Body(...),  # noqa: B008
) -> dict[str, Any]:
    operation = statements.answer(
        runtime,
        session,
        bsp=org,
        statement_id=statement_id,
        accept=False,
        reason=body.get("reason"),
    )
    return accepted(runtime, session, operation)


@router.post(
    "/perimeter-corrections",
    status_code=ACCEPTED,
    summary='BRP perimeter correction reports of a period (TSO): {"period": "YYYY-MM"}',
    response_model=Accepted,
    responses=errors(409, 413),
)
def record_corrections(
    org: CurrentOrg,
    session: SessionDep,
    runtime: RuntimeDep,
    body: dict[str, Any] = Body(...),  # noqa: B008
) -> dict[str, Any]:
    operation = perimeter.request_reports(session, tso=org, request=body)
    return accepted(runtime, session, operation)


@router.get(
    "/perimeter-corrections",
    summary="Correction reports (TSO, auditor)",
    response_model=Page[CorrectionSummary],
    responses=errors(404),
)
def list_corrections(
    org: CurrentOrg, session: SessionDep, period: str | None = Query(default=None)
) -> dict[str, Any]:
    return perimeter.list_reports(session, org, period=period)


@router.get(
    "/perimeter-corrections/{report_id}",
    summary="A correction report with its lines",
    response_model=CorrectionDetail,
    responses=errors(404),
)
def get_correction(report_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return perimeter.get_report(session, org, report_id)
