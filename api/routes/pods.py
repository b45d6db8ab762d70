"""PODs and flex devices: Register Flex Resource, Update Resource Information, Update Resource
Status, attachments, mass loading, reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import JSONResponse

from api.deps import CurrentOrg, Offset, RuntimeDep, SessionDep, accepted
from api.idempotency import IdempotentRoute
from api.models.common import Accepted, Page, errors
from api.models.registry import (
    AttachmentAccepted,
    DeviceAccepted,
    MassLoadAccepted,
    MassLoadRefused,
    PodAccepted,
    PodDetail,
    PodPublic,
)
from ledger.core.access import require_role
from ledger.core.errors import InvalidInput
from ledger.payloads import read
from ledger.payloads.registration import PodRegistration
from ledger.registry import attachments, pods, queries, reviews
from ledger.registry.mass_load import parse_pod_csv
from ledger.registry.schemas import (
    AttachmentCreate,
    AttachmentUpdate,
    FlexDeviceCreate,
    PodCreate,
    PodStatusUpdate,
    PodUpdate,
    ValidationDecision,
)

router = APIRouter(prefix="/pods", tags=["PODs"], route_class=IdempotentRoute)
MAX_CSV_BYTES = 10 * 1024 * 1024


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register Flex Resource (service 1): a POD",
    response_model=PodAccepted,
    responses=errors(403, 409, 413),
)
def register_pod(
    body: PodCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 1 (FLOW D5.5 Table 1): Register Flex Resource, POST on a POD (the
    Grid Connection Point). The BSP registers the POD (Table 3); it starts ``Registered``, and
    attachments and data make it ``Open``. The POD's id is in ``podId``."""
    operation = pods.register_pods(runtime, session, bsp=org, pods=[body])
    return accepted(runtime, session, operation, podId=operation.target_id)


@router.post(
    "/mass-load",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Mass loading of PODs from a CSV file",
    response_model=MassLoadAccepted,
    responses={
        **errors(403, 409, 413),
        422: {"model": MassLoadRefused, "description": "No row accepted: the report says why"},
    },
)
def mass_load(
    file: Annotated[UploadFile, File(description="CSV, header = the POD's JSON field names")],
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> Any:
    """The source plans mass loading of PODs from a file (FLOW D5.5 §3): one CSV whose header
    is the POD's JSON field names (service 1, Table 3), one POD per row. The rows accepted are
    registered in one operation; the report gives each row's errors or its ``podId``."""
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


@router.get("", summary="List and search PODs", response_model=Page[PodPublic], responses=errors())
def list_pods(
    org: CurrentOrg,
    session: SessionDep,
    status_: Annotated[str | None, Query(alias="status")] = None,
    q: Annotated[str | None, Query(max_length=100, description="POD code or name contains")] = None,
    uvam: Annotated[str | None, Query(description="only members of this UVAM")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The POD dashboard (FLOW D5.5 §4): a BSP its own PODs, a DSO those of its grid, the TSO
    and the auditor all; by status, code or name, or membership of a UVAM."""
    return queries.list_pods(
        session, org, status=status_, search=q, uvam_id=uvam, limit=limit, offset=offset
    )


@router.get(
    "/{pod_id}",
    summary="A POD with its devices, attachments, relations and history",
    response_model=PodDetail,
    responses=errors(404),
)
def pod_detail(pod_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return queries.pod_detail(session, org, pod_id)


@router.patch(
    "/{pod_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Update Resource Information (service 2)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def update_pod(
    pod_id: str, body: PodUpdate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 2: Update Resource Information, PATCH on a POD (Table 3, every
    field optional). Only while the POD is ``Open``."""
    return accepted(
        runtime, session, pods.update_pod(runtime, session, bsp=org, pod_id=pod_id, patch=body)
    )


@router.patch(
    "/{pod_id}/status",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Update Resource Status (service 5)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def update_pod_status(
    pod_id: str, body: PodStatusUpdate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 5: Update Resource Status, PATCH on a POD (Table 7). A BSP asks
    for ``Open`` or ``UnderReview`` (sends the POD for validation)."""
    if body.flex_resource_id != pod_id:
        raise InvalidInput("must be the POD of the URL", field="flexResourceId")
    return accepted(runtime, session, pods.set_pod_status(runtime, session, bsp=org, request=body))


@router.post(
    "/{pod_id}/flex-devices",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register Flex Resource (service 1): a flex device",
    response_model=DeviceAccepted,
    responses=errors(403, 404, 409, 413),
)
def register_flex_device(
    pod_id: str, body: FlexDeviceCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 1: Register Flex Resource, POST on a POD, for a flex device under
    the POD (Table 4). The device's id is in ``deviceId``."""
    if body.parent_resource_id != pod_id:
        raise InvalidInput("must be the POD of the URL", field="parentResourceId")
    operation = pods.register_flex_devices(runtime, session, bsp=org, devices=[body])
    return accepted(runtime, session, operation, deviceId=operation.target_id)


@router.post(
    "/{pod_id}/attachments",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Create Attachment (service 3)",
    response_model=AttachmentAccepted,
    responses=errors(403, 404, 409, 413),
)
def create_pod_attachment(
    pod_id: str, body: AttachmentCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 3: Create Attachment, POST on a POD (Table 5): a PDF or XML
    document, at most 5 MiB, base64 in ``documentFile``. Only its hash goes on chain."""
    operation = attachments.create_attachment(
        runtime, session, bsp=org, owner_kind="pod", owner_id=pod_id, attachment=body
    )
    return accepted(runtime, session, operation, attachmentId=operation.target_id)


@router.patch(
    "/{pod_id}/attachments/{attachment_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Update Attachment (service 4)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def update_pod_attachment(
    pod_id: str,
    attachment_id: str,
    body: AttachmentUpdate,
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> dict[str, Any]:
    """CBP connector service 4: Update Attachment, PATCH on a POD (Table 6)."""
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
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def review_pod(
    pod_id: str, body: ValidationDecision, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """The POD's review (FLOW D5.5 §3, steps 5-8): the TSO verifies a POD ``UnderReview``; the
    DSO of its grid then validates it (recording static constraints) or rejects it, with
    reasons."""
    return accepted(
        runtime,
        session,
        reviews.decide_pod(runtime, session, actor=org, pod_id=pod_id, decision=body),
    )
