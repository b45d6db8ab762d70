"""PODs and flex devices: Register Flex Resource, Update Resource Information, Update Resource
Status, attachments, mass loading, reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import JSONResponse

from api.deps import CurrentOrg, Offset, RuntimeDep, SessionDep, accepted, require_role
from api.idempotency import IdempotentRoute
from ledger.domain.mass_load import parse_pod_csv
from ledger.domain.schemas import (
    AttachmentCreate,
    AttachmentUpdate,
    FlexDeviceCreate,
    PodCreate,
    PodStatusUpdate,
    PodUpdate,
    ValidationDecision,
)
from ledger.errors import InvalidInput
from ledger.payloads import read
from ledger.payloads.registration import PodRegistration
from ledger.services import attachments, pods, queries, reviews

router = APIRouter(prefix="/pods", tags=["PODs"], route_class=IdempotentRoute)
MAX_CSV_BYTES = 10 * 1024 * 1024


@router.post(
    "", status_code=status.HTTP_202_ACCEPTED, summary="Register Flex Resource (service 1): a POD"
)
def register_pod(
    body: PodCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    operation = pods.register_pods(runtime, session, bsp=org, pods=[body])
    return accepted(runtime, session, operation, podId=operation.target_id)


@router.post(
    "/mass-load",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Mass loading of PODs from a CSV file",
)
def mass_load(
    file: Annotated[UploadFile, File(description="CSV, header = the POD's JSON field names")],
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> Any:
    require_role(org, "BSP")
    data = file.file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise InvalidInput(f"the file exceeds {MAX_CSV_BYTES} bytes", field="file")
    report = parse_pod_csv(data)
    if not report.rows and not report.file_errors:
        raise InvalidInput("the file has no data rows, only a header or nothing", field="file")
    rows: list[dict[str, Any]] = []
    accepted_pods = []
    for row in report.rows:
        errors = [{"field": e.field, "message": e.message} for e in row.errors]
        if row.accepted and row.pod is not None:
            problems = pods.pod_problems(session, org, row.pod)
            errors = [{"field": p.field, "message": p.message} for p in problems]
            if not problems:
                accepted_pods.append((row.row, row.pod))
        rows.append({"row": row.row, "accepted": not errors, "errors": errors})
    body: dict[str, Any] = {
        "fileErrors": report.file_errors,
        "rows": rows,
        "acceptedCount": len(accepted_pods),
        "rejectedCount": len(rows) - len(accepted_pods),
    }
    if not accepted_pods:
        field = "file" if report.file_errors else None
        message = "; ".join(report.file_errors) or "no row accepted"
        return JSONResponse(
            status_code=422,
            content={"code": "invalid_input", "message": message, "field": field, **body},
        )
    operation = pods.register_pods(
        runtime, session, bsp=org, pods=[pod for _, pod in accepted_pods]
    )
    pod_ids = [item.id for item in read(operation, PodRegistration).pods]
    by_row = {row: pod_id for (row, _), pod_id in zip(accepted_pods, pod_ids, strict=True)}
    for entry in rows:
        entry["podId"] = by_row.get(entry["row"])
    return accepted(runtime, session, operation, report=body)


@router.get("", summary="List and search PODs")
def list_pods(
    org: CurrentOrg,
    session: SessionDep,
    status_: Annotated[str | None, Query(alias="status")] = None,
    q: Annotated[str | None, Query(max_length=100, description="POD code or name contains")] = None,
    uvam: Annotated[str | None, Query(description="only members of this UVAM")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    return queries.list_pods(
        session, org, status=status_, search=q, uvam_id=uvam, limit=limit, offset=offset
    )


@router.get("/{pod_id}", summary="A POD with its devices, attachments, relations and history")
def pod_detail(pod_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return queries.pod_detail(session, org, pod_id)


@router.patch(
    "/{pod_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Update Resource Information (service 2)",
)
def update_pod(
    pod_id: str, body: PodUpdate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return accepted(
        runtime, session, pods.update_pod(runtime, session, bsp=org, pod_id=pod_id, patch=body)
    )


@router.patch(
    "/{pod_id}/status",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Update Resource Status (service 5)",
)
def update_pod_status(
    pod_id: str, body: PodStatusUpdate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    if body.flex_resource_id != pod_id:
        raise InvalidInput("must be the POD of the URL", field="flexResourceId")
    return accepted(runtime, session, pods.set_pod_status(runtime, session, bsp=org, request=body))


@router.post(
    "/{pod_id}/flex-devices",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register Flex Resource (service 1): a flex device",
)
def register_flex_device(
    pod_id: str, body: FlexDeviceCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    if body.parent_resource_id != pod_id:
        raise InvalidInput("must be the POD of the URL", field="parentResourceId")
    operation = pods.register_flex_devices(runtime, session, bsp=org, devices=[body])
    return accepted(runtime, session, operation, deviceId=operation.target_id)


@router.post(
    "/{pod_id}/attachments",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Create Attachment (service 3)",
)
def create_pod_attachment(
    pod_id: str, body: AttachmentCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    operation = attachments.create_attachment(
        runtime, session, bsp=org, owner_kind="pod", owner_id=pod_id, attachment=body
    )
    return accepted(runtime, session, operation, attachmentId=operation.target_id)


@router.patch(
    "/{pod_id}/attachments/{attachment_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Update Attachment (service 4)",
)
def update_pod_attachment(
    pod_id: str,
    attachment_id: str,
    body: AttachmentUpdate,
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> dict[str, Any]:
    operation = attachments.update_attachment(
        runtime,
        session,
        bsp=org,
        owner_kind="pod",
        owner_id=pod_id,
        attachment_id=attachment_id,
        patch=body,
    )
    return accepted(runtime, session, operation)


@router.post(
    "/{pod_id}/review",
    status_code=status.HTTP_202_ACCEPTED,
    summary="TSO verification or DSO validation of a POD",
)
def review_pod(
    pod_id: str, body: ValidationDecision, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return accepted(
        runtime,
        session,
        reviews.decide_pod(runtime, session, actor=org, pod_id=pod_id, decision=body),
    )
