"""Read-only audit queries for the auditor role (and the TSO): history, export, verify."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentOrg, RuntimeDep, SessionDep
from api.idempotency import IdempotentRoute
from api.models.audit import EventRow, HistoryEntryPublic, MismatchPublic
from api.models.common import Page, errors
from ledger.audit import export, history, verify
from ledger.core.access import require_role
from ledger.core.domain.enums import Role

router = APIRouter(prefix="/audit", tags=["Audit"], route_class=IdempotentRoute)
AUDIT_ROLES = (Role.AUDITOR, Role.TSO)


@router.get(
    "/history/{resource_id}",
    summary="Every indexed state change of one record",
    response_model=Page[HistoryEntryPublic],
    responses=errors(403),
)
def record_history(
    resource_id: str, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    require_role(org, *AUDIT_ROLES)
    entries = history(session, resource_id, chain_id=runtime.chain.chain_id)
    return {"data": [entry.as_dict() for entry in entries], "count": len(entries)}


@router.get(
    "/events",
    summary="Indexed events by organisation, kind of record and block time",
    response_model=Page[EventRow],
    responses=errors(403),
)
def events(
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
    organisation: Annotated[str | None, Query(description="id of the sending organisation")] = None,
    kind: Annotated[str | None, Query(description="pod, device, uvam, connection, ...")] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 with zone")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601 with zone")] = None,
) -> dict[str, Any]:
    require_role(org, *AUDIT_ROLES)
    rows = export(
        session,
        chain_id=runtime.chain.chain_id,
        organisation=organisation,
        kind=kind,
        since=since,
        until=until,
    )
    return {"data": rows, "count": len(rows)}


@router.get(
    "/verify",
    summary="Database rows the chain contradicts (empty when they agree)",
    response_model=Page[MismatchPublic],
    responses=errors(403),
)
def verify_database(org: CurrentOrg, runtime: RuntimeDep) -> dict[str, Any]:
    """Brings the event index up to date first (usually a few blocks), then checks."""
    require_role(org, *AUDIT_ROLES)
    mismatches = verify(runtime)
    return {"data": [m.as_dict() for m in mismatches], "count": len(mismatches)}
