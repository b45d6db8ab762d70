"""Operations, the calling organisation, review queues, attachment files, health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from api.deps import CurrentOrg, Offset, RuntimeDep, SessionDep, SettingsDep
from api.idempotency import IdempotentRoute
from api.models.common import Page, errors
from api.models.platform import (
    CallbackDelivery,
    CallbackSet,
    Health,
    OperationPublic,
    OrganisationPublic,
    SigningSecret,
)
from api.models.registry import ReviewQueue
from ledger.core import operations, webhooks
from ledger.registry import files, queries
from ledger.registry.organisations import set_callback

router = APIRouter(tags=["Platform"], route_class=IdempotentRoute)


class CallbackSettings(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    callback_url: str | None = Field(default=None, max_length=500)
    """Where the platform POSTs each finished operation of this organisation; null to stop."""


@router.get(
    "/operations/{operation_id}",
    summary="An operation's status (poll after a 202)",
    response_model=OperationPublic,
    responses=errors(404),
)
def get_operation(
    operation_id: str, org: CurrentOrg, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Every write answers 202 with an ``operationId``: its status here, from ``accepted`` to
    ``succeeded`` (mined, with its transaction hashes and block) or ``failed`` (with the error).
    An operation is read by its organisation, the TSO and the auditor."""
    operation = operations.get_operation(session, operation_id, organisation=org)
    return operations.public_views(runtime, session, [operation])[0]


@router.get(
    "/operations",
    summary="This organisation's operations, newest first",
    response_model=Page[OperationPublic],
    responses=errors(),
)
def list_operations(
    org: CurrentOrg,
    session: SessionDep,
    runtime: RuntimeDep,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    return queries.list_operations(runtime, session, org, status=status, limit=limit, offset=offset)


@router.get(
    "/organisations/me",
    summary="The calling organisation",
    response_model=OrganisationPublic,
    responses=errors(),
)
def me(org: CurrentOrg) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "role": org.role,
        "eic": org.eic,
        "address": org.address,
        "callbackUrl": org.callback_url,
    }


@router.put(
    "/organisations/me/callback",
    summary="Register or clear the callback URL",
    response_model=CallbackSet,
    responses=errors(413),
)
def put_callback(body: CallbackSettings, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    """The first registration answers the signing secret (``whsec_...``), once: keep it to
    verify the ``webhook-signature`` of every callback. Later changes of the URL keep it."""
    set_callback(session, org, body.callback_url)
    secret = webhooks.ensure_secret(session, org) if body.callback_url else None
    session.commit()  # before answering: the session dependency would commit after the response
    return {"callbackUrl": org.callback_url, "signingSecret": secret}


@router.post(
    "/organisations/me/callback/secret",
    summary="Rotate the callback signing secret (the new one is shown once)",
    response_model=SigningSecret,
    responses=errors(),
)
def rotate_callback_secret(org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    secret = webhooks.rotate_secret(session, org)
    session.commit()
    return {"signingSecret": secret}


@router.get(
    "/organisations/me/callback/deliveries",
    summary="Callbacks sent to this organisation, newest first, with every delivery attempt",
    response_model=Page[CallbackDelivery],
    responses=errors(),
)
def callback_deliveries(
    org: CurrentOrg,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    return webhooks.list_deliveries(session, org, limit=limit, offset=offset)


@router.get(
    "/reviews",
    summary="PODs and UVAMs waiting for this organisation's decision",
    response_model=ReviewQueue,
    responses=errors(),
)
def review_queue(org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    """The TSO verifies the PODs and qualifies the UVAMs ``UnderReview``; a DSO validates the
    ``Verified`` PODs of its grid (FLOW D5.5 §3)."""
    return queries.review_queue(session, org)


@router.get(
    "/attachments/{attachment_id}/content",
    summary="Download an attachment's file",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {}, "application/xml": {}, "text/xml": {}},
            "description": "The file, of the attachment's MIME type",
        },
        **errors(404),
    },
)
def attachment_content(
    attachment_id: str, org: CurrentOrg, session: SessionDep, settings: SettingsDep
) -> Response:
    row = queries.attachment_row(session, org, attachment_id)
    content = files.load(settings.attachments_dir, row.content_sha256)
    return Response(content=content, media_type=row.mime_type)


@router.get(
    "/health",
    summary="Liveness: the database and the chain answer",
    response_model=Health,
    responses=errors(authenticated=False),
)
def health(session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    from sqlalchemy import text

    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return {
        "status": "ok",
        "chainId": runtime.chain.chain_id,
        "block": runtime.chain.block_number(),
    }
