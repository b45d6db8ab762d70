"""Trading windows for the dashboard's P2P page: the operator's own (the TSO's and auditors':
all; a BSP's: those holding its trades), newest first, each with its price, close time, status
on the platform's clock and its trades counted by status. ``GET /p2p/windows/{id}`` reads one
window; the page needs the list to close windows and to confirm their trades by window."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from ledger.core.access import sees_everything
from ledger.core.db.models import Organisation
from ledger.core.runtime import Runtime
from ledger.p2p.pricing import price_from_micro
from ledger.p2p.service import window_closed
from ledger.p2p.tables import P2PTrade, P2PWindow

MAX_LIMIT = 100


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 with its zone (the database may hand an instant back without its UTC zone)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _visible(organisation: Organisation) -> Any:
    query = select(P2PWindow)
    if sees_everything(organisation):
        return query
    with_own_trades = select(P2PTrade.window_id).where(P2PTrade.agent_id == organisation.id)
    return query.where(
        or_(
            col(P2PWindow.operator_id) == organisation.id,
            col(P2PWindow.id).in_(with_own_trades),
        )
    )


def trading_windows(
    runtime: Runtime,
    session: Session,
    organisation: Organisation,
    *,
    limit: int = 10,
    offset: int = 0,
) -> dict[str, Any]:
    """``{data, count}``: one page of windows, newest first."""
    query = _visible(organisation)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    windows = session.exec(
        query.order_by(col(P2PWindow.created_at).desc(), col(P2PWindow.id))
        .offset(max(0, offset))
        .limit(max(1, min(limit, MAX_LIMIT)))
    ).all()
    counts: dict[str, dict[str, int]] = {window.id: {} for window in windows}
    for window_id, status, number in session.exec(
        select(P2PTrade.window_id, P2PTrade.status, func.count())
        .where(col(P2PTrade.window_id).in_(list(counts)))
        .group_by(col(P2PTrade.window_id), col(P2PTrade.status))
    ).all():
        counts[window_id][status] = number
    data = [
        {
            "windowId": window.id,
            "operatorId": window.operator_id,
            "mine": window.operator_id == organisation.id,
            "priceEurPerKwh": str(price_from_micro(window.price_micro_eur_per_kwh)),
            "openedAt": _iso(window.created_at),
            "closesAt": _iso(window.closes_at),
            "status": "Closed" if window_closed(runtime, window) else window.status,
            "trades": counts[window.id],
        }
        for window in windows
    ]
    return {"data": data, "count": count}
