"""Typed dependencies: the runtime, its settings and clock, a database session, the calling
organisation. A test overrides any of them (``app.dependency_overrides``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from ledger.core import operations
from ledger.core.clock import Clock
from ledger.core.db.models import Operation, Organisation
from ledger.core.errors import CbpError, Unavailable
from ledger.core.runtime import Runtime
from ledger.core.settings import Settings
from ledger.registry.organisations import TokenRefused, authenticate


class Unauthenticated(CbpError):
    http_status = 401
    code = "unauthenticated"


class OrganisationSuspended(CbpError):
    """The token is valid but its organisation is suspended by the TSO."""

    http_status = 403
    code = "organisationSuspended"


# The trivial dependencies are ``async``: FastAPI runs a plain ``def`` dependency in a thread
# of its pool, a hop per dependency per request.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(runtime: RuntimeDep) -> Settings:
    """The settings the API process read once at start-up (``api.server.build``)."""
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_clock(runtime: RuntimeDep) -> Clock:
    return runtime.clock


ClockDep = Annotated[Clock, Depends(get_clock)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    try:
        with runtime.session() as session:
            yield session
    except OperationalError as exc:
        raise Unavailable("the database is unreachable; retry later") from exc


SessionDep = Annotated[Session, Depends(get_session)]
#: Largest page offset a list accepts: beyond a 64-bit integer the database fails (a 500).
MAX_OFFSET = 2**31 - 1
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
bearer = HTTPBearer(auto_error=False, description="The organisation's API token (cbp_...).")


def current_organisation(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Organisation:
    if credentials is None:
        raise Unauthenticated("send `Authorization: Bearer <token>`")
    found = authenticate(session, credentials.credentials)
    if isinstance(found, TokenRefused):
        raise Unauthenticated(found.value)
    if found.suspended_at is not None:
        raise OrganisationSuspended(
            f"organisation {found.id} is suspended by the TSO: its API access is refused"
        )
    if session.dirty:  # its last use moved on: kept even if the request fails later
        session.commit()
    return found


CurrentOrg = Annotated[Organisation, Depends(current_organisation)]


def accepted(
    runtime: Runtime,
    session: Session,
    operation: Operation,
    **extra: Any,
) -> dict[str, Any]:
    """Commit the accepted operation, then enqueue its task (its kind's, ``Handler.task``):
    the body of every 202.

    If the broker cannot take the task, the operation is marked failed (and its reservations
    released) and the caller gets 503: an accepted operation is never left without its task.
    """
    operations.commit_and_enqueue(runtime, session, operation)
    return {
        "operationId": operation.id,
        "status": operation.status,
        "kind": operation.kind,
        "targetId": operation.target_id,
        "links": {"operation": f"/operations/{operation.id}"},
        **extra,
    }
