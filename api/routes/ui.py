"""The connector web dashboard: static files under ``/ui``, and the three reads it needs beyond
the platform API: who the TSO and the DSOs are (guided entry), what needs this organisation's
attention (the home page), and the platform's clock (for countdowns).

The dashboard is plain HTML, CSS and ES modules in ``connector_ui/``; it calls the API with the
organisation's bearer token like any other client. Everything is served from here: the
Content-Security-Policy below forbids the pages to load anything from another origin.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from sqlmodel import col, select
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.deps import ClockDep, CurrentOrg, RuntimeDep, SessionDep
from api.models.common import Page, errors
from api.models.ui import (
    Attention,
    AuditMatch,
    Clock,
    Directory,
    MarketUvam,
    MeritOrder,
    Portfolio,
    WindowRow,
)
from api.routing import PublicRoute
from ledger.core.access import BSP_READERS
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.periods import iso
from ledger.core.settings import PROJECT_ROOT
from ledger.dashboard import attention as attention_service
from ledger.dashboard import audit as ui_audit
from ledger.dashboard import portfolio as ui_portfolio
from ledger.market import merit as ui_merit
from ledger.market import views as ui_market
from ledger.p2p import views as ui_p2p

UI_DIR = PROJECT_ROOT / "connector_ui"
UI_PATH = "/ui"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-src 'self' blob:; object-src 'self' blob:; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'"
)

router = APIRouter(tags=["Dashboard"], route_class=PublicRoute)


class DashboardFiles(StaticFiles):
    """Static files with the headers that keep the dashboard local and unframed by others."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if path.endswith((".html", ".js", ".css")) or path in ("", "."):
            response.headers["Cache-Control"] = "no-cache"
        return response


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse(url=f"{UI_PATH}/")


@router.get(
    f"{UI_PATH}/directory",
    summary="The TSO and DSOs of the platform (for guided entry), and the BSPs for the grid side",
    response_model=Directory,
    responses=errors(),
)
def directory(org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    """Public identifiers only: name, role and EIC of the grid operators a BSP addresses; the
    grid operators and the auditor, who see every BSP's resources, also get the BSPs (their
    tables name and filter by BSP)."""
    roles = [Role.TSO, Role.DSO, *([Role.BSP] if org.role in BSP_READERS else [])]
    rows = session.exec(
        select(Organisation)
        .where(col(Organisation.role).in_(roles))
        .order_by(col(Organisation.role).desc(), col(Organisation.name))
    ).all()
    view = [{"name": row.name, "role": row.role, "eic": row.eic} for row in rows]
    tso = next((entry for entry in view if entry["role"] == Role.TSO), None)
    return {
        "tso": tso,
        "dsos": [entry for entry in view if entry["role"] == Role.DSO],
        "bsps": [entry for entry in view if entry["role"] == Role.BSP],
    }


@router.get(
    f"{UI_PATH}/attention",
    summary="What needs this organisation's attention now (per role), most urgent first",
    response_model=Attention,
    responses=errors(),
)
def attention(org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return attention_service.attention(session, org)


@router.get(
    f"{UI_PATH}/market/uvams",
    summary="Qualified UVAMs that can bid, with their qualified powers and market admission",
    response_model=Page[MarketUvam],
    responses=errors(),
)
def market_uvams(org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return ui_market.market_uvams(session, org)


@router.get(
    f"{UI_PATH}/audit/find",
    summary="Records by POD code, UVAM name, settlement id or record id, with their audit trail",
    response_model=Page[AuditMatch],
    responses=errors(),
)
def audit_find(org: CurrentOrg, session: SessionDep, q: str = "") -> dict[str, Any]:
    """Each match names the id its history is kept under (``GET /audit/history/{id}``): a
    settlement's is its activation's."""
    matches = [match.as_dict() for match in ui_audit.find_records(session, org, q)]
    return {"data": matches, "count": len(matches)}


@router.get(
    f"{UI_PATH}/p2p/windows",
    summary="Trading windows (an operator's own), newest first, with trades counted by status",
    response_model=Page[WindowRow],
    responses=errors(),
)
def p2p_windows(
    org: CurrentOrg, runtime: RuntimeDep, session: SessionDep, limit: int = 10, offset: int = 0
) -> dict[str, Any]:
    return ui_p2p.trading_windows(runtime, session, org, limit=limit, offset=offset)


@router.get(
    f"{UI_PATH}/market/needs/{{need_id}}/merit-order",
    summary="A cleared need's bids per period in merit order, cleared again from its inputs",
    response_model=MeritOrder,
    responses=errors(404, 409),
)
def need_merit_order(need_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return ui_merit.merit_order(session, org, need_id)


@router.get(
    f"{UI_PATH}/portfolio",
    summary="Registrations per day, bids, awards, activations and deliveries per period, zones",
    response_model=Portfolio,
    responses=errors(),
)
def portfolio(org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return ui_portfolio.portfolio(session, org)


@router.get(
    f"{UI_PATH}/clock",
    summary="The platform's clock (deadlines are counted on it)",
    response_model=Clock,
    responses=errors(),
)
def platform_clock(org: CurrentOrg, clock: ClockDep) -> dict[str, Any]:
    """On a local demo chain the platform's clock may run ahead of the wall clock
    (``ledger/core/clock.py``); the dashboard counts deadlines down on this one."""
    return {"now": iso(clock.now())}


def install(app: FastAPI) -> None:
    """Add the dashboard to ``app``: its API route first, then the static files."""
    app.include_router(router)
    app.mount(UI_PATH, DashboardFiles(directory=UI_DIR, html=True, check_dir=False), name="ui")
