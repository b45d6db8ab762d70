"""UVAMs (resource groups): services 6-14 of the CBP connector, reviews and reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from api.deps import CurrentOrg, Offset, RuntimeDep, SessionDep, accepted
from api.idempotency import IdempotentRoute
from api.models.common import Accepted, Page, errors
from api.models.registry import (
    AttachmentAccepted,
    RelationAccepted,
    UvamAccepted,
    UvamDetail,
    UvamPublic,
)
from ledger.core.errors import InvalidInput
from ledger.registry import attachments, queries, reviews, uvams
from ledger.registry.common import owned_uvam
from ledger.registry.schemas import (
    AttachmentCreate,
    AttachmentUpdate,
    ConnectionCreate,
    ConnectionUpdate,
    EndRelation,
    MembershipCreate,
    UvamCreate,
    UvamStatusUpdate,
    UvamUpdate,
    ValidationDecision,
)

router = APIRouter(prefix="/uvams", tags=["UVAMs"], route_class=IdempotentRoute)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register Resource Group (service 6)",
    response_model=UvamAccepted,
    responses=errors(403, 409, 413),
)
def register_uvam(
    body: UvamCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 6 (FLOW D5.5 Table 1): Register Resource Group, POST on a UVAM
    (Table 8). The UVAM's id is in ``uvamId``."""
    operation = uvams.register_uvam(runtime, session, bsp=org, uvam=body)
    return accepted(runtime, session, operation, uvamId=operation.target_id)


@router.get(
    "",
    summary="List and search UVAMs",
    response_model=Page[UvamPublic],
    responses=errors(),
)
def list_uvams(
    org: CurrentOrg,
    session: SessionDep,
    status_: Annotated[str | None, Query(alias="status")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The UVAM dashboard (FLOW D5.5 §4): a BSP its own UVAMs, the TSO and the auditor all."""
    return queries.list_uvams(session, org, status=status_, search=q, limit=limit, offset=offset)


@router.get(
    "/{uvam_id}",
    summary="A UVAM with members, connection, attachments and history",
    response_model=UvamDetail,
    responses=errors(404),
)
def uvam_detail(uvam_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return queries.uvam_detail(session, org, uvam_id)


@router.patch(
    "/{uvam_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Update Resource Group (service 7)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def update_uvam(
    uvam_id: str, body: UvamUpdate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 7: Update Resource Group, PATCH on a UVAM (Table 8, every field
    optional). Only while the UVAM is ``Open``."""
    return accepted(
        runtime, session, uvams.update_uvam(runtime, session, bsp=org, uvam_id=uvam_id, patch=body)
    )


@router.post(
    "/{uvam_id}/members",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register Resource in Resource Group (service 8)",
    response_model=RelationAccepted,
    responses=errors(403, 404, 409, 413),
)
def add_member(
    uvam_id: str, body: MembershipCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 8: Register Resource in Resource Group, POST on a UVAM (Table 10):
    add a validated POD to the UVAM. The membership's id is in ``relationId``."""
    if body.resource_group != uvam_id:
        raise InvalidInput("must be the UVAM of the URL", field="resourceGroup")
    operation = uvams.add_member(runtime, session, bsp=org, membership=body)
    return accepted(runtime, session, operation, relationId=operation.target_id)


@router.patch(
    "/{uvam_id}/members/end",
    status_code=status.HTTP_202_ACCEPTED,
    summary="End Relation (service 14)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def end_relation(
    uvam_id: str, body: EndRelation, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 14: End Relation, PATCH on a UVAM (Table 16): end a POD-UVAM
    membership, named by its ``relationId``."""
    owned_uvam(session, uvam_id, org)
    return accepted(
        runtime,
        session,
        uvams.end_relation(runtime, session, bsp=org, relation_id=body.relation_id),
    )


@router.post(
    "/{uvam_id}/attachments",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Create Attachment (service 9)",
    response_model=AttachmentAccepted,
    responses=errors(403, 404, 409, 413),
)
def create_uvam_attachment(
    uvam_id: str, body: AttachmentCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 9: Create Attachment, POST on a UVAM (Table 11): a PDF or XML
    document, at most 5 MiB, base64 in ``documentFile``. Only its hash goes on chain."""
    operation = attachments.create_attachment(
        runtime, session, bsp=org, owner_kind="uvam", owner_id=uvam_id, attachment=body
    )
    return accepted(runtime, session, operation, attachmentId=operation.target_id)


@router.patch(
    "/{uvam_id}/attachments/{attachment_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Update Attachment (service 10)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def update_uvam_attachment(
    uvam_id: str,
    attachment_id: str,
    body: AttachmentUpdate,
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> dict[str, Any]:
    """CBP connector service 10: Update Attachment, PATCH on a UVAM (Table 12)."""
    operation = attachments.update_attachment(
        runtime,
        session,
        bsp=org,
        owner_kind="uvam",
        owner_id=uvam_id,
        attachment_id=attachment_id,
        patch=body,
    )
    return accepted(runtime, session, operation)


@router.post(
    "/{uvam_id}/connection",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register Connection (service 11)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def register_connection(
    uvam_id: str, body: ConnectionCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 11: Register Connection, POST on a UVAM (Table 13): the UVAM's
    connection parameters."""
    return accepted(
        runtime,
        session,
        uvams.set_connection(runtime, session, bsp=org, uvam_id=uvam_id, connection=body),
    )


@router.patch(
    "/{uvam_id}/connection",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Update Connection (service 12)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def update_connection(
    uvam_id: str, body: ConnectionUpdate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 12: Update Connection, PATCH on a UVAM (Table 14)."""
    return accepted(
        runtime,
        session,
        uvams.set_connection(runtime, session, bsp=org, uvam_id=uvam_id, connection=body),
    )


@router.patch(
    "/{uvam_id}/status",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Update Resource Group Status (service 13)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def update_uvam_status(
    uvam_id: str, body: UvamStatusUpdate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """CBP connector service 13: Update Resource Group Status, PATCH on a UVAM (Table 15). A BSP
    asks for ``Open`` or ``UnderReview`` (sends the UVAM for qualification)."""
    if body.resource_group_id not in (None, uvam_id):
        raise InvalidInput("must be the UVAM of the URL", field="resourceGroupId")
    return accepted(
        runtime,
        session,
        uvams.set_uvam_status(runtime, session, bsp=org, uvam_id=uvam_id, request=body),
    )


@router.post(
    "/{uvam_id}/review",
    status_code=status.HTTP_202_ACCEPTED,
    summary="TSO qualification of a UVAM",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def review_uvam(
    uvam_id: str,
    body: ValidationDecision,
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> dict[str, Any]:
    """The UVAM's review (FLOW D5.5 §3): after review the TSO qualifies the UVAM for the market,
    or rejects it with reasons."""
    return accepted(
        runtime,
        session,
        reviews.decide_uvam(runtime, session, actor=org, uvam_id=uvam_id, decision=body),
    )
