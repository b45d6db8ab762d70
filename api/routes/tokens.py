"""The calling organisation's API tokens: list, issue, revoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import AwareDatetime, Field

from api.deps import CurrentOrg, SessionDep
from api.models.common import Page, errors
from api.models.platform import TokenIssued, TokenPublic
from api.routing import PublicRoute
from ledger.registry import organisations
from ledger.registry.schemas import CbpModel

router = APIRouter(prefix="/organisations/me/tokens", tags=["Platform"], route_class=PublicRoute)


class TokenCreate(CbpModel):
    label: str = Field(default="", max_length=100)
    """What the token is for (a system, a person's laptop); shown in the list."""
    expires_at: AwareDatetime | None = None
    """When the token stops working; never when omitted. Must be in the future."""


@router.get(
    "",
    summary="This organisation's API tokens (never the tokens themselves)",
    response_model=Page[TokenPublic],
    responses=errors(),
)
def list_tokens(org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    rows = organisations.list_tokens(session, org)
    return {"data": [organisations.token_view(row) for row in rows], "count": len(rows)}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a new API token; the token is shown in this answer only",
    response_model=TokenIssued,
    responses=errors(413),
)
def create_token(body: TokenCreate, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    row, token = organisations.create_token(
        session, org, label=body.label, expires_at=body.expires_at
    )
    session.commit()  # before answering: the token must work as soon as the client has it
    return {**organisations.token_view(row), "token": token}


@router.delete(
    "/{token_id}",
    summary="Revoke a token (the one in use included)",
    response_model=TokenPublic,
    responses=errors(404),
)
def revoke_token(token_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    row = organisations.revoke_token(session, org, token_id)
    session.commit()
    return organisations.token_view(row)
