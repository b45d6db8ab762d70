"""What needs an organisation's attention now, per role (the dashboard's home, ``GET
/ui/attention``). Read-only; each group reuses the list or view that owns its rule.

* **BSP**: its PODs and UVAMs refused or waiting for a decision, its bids whose gate closes
  within the horizon (default one hour), its activations to acknowledge before their deadline,
  and its settlements to accept or dispute before the answer window ends.
* **DSO**: PODs of its grid waiting for its validation, live activations in its grid (Sent or
  Accepted, not yet delivered), and its grid constraints in force or to come.
* **TSO**: PODs to verify and UVAMs to qualify, disputed settlements to resolve, open needs.

Every group is ``{"count": total, "items": [at most LIMIT views]}``, most urgent first; items
carry the names beside their ids (``ui_names.label_items``: UVAM name, period, POD code).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session, col, func, select

from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.periods import PERIOD_SECONDS, iso
from ledger.dashboard.names import label_items
from ledger.market import activations as market_activations
from ledger.market import bids as market
from ledger.market import checks as market_checks
from ledger.market import needs as market_clearing
from ledger.market.common import now
from ledger.market.tables import GridConstraint, MarketActivation, MarketBid, MarketNeed
from ledger.registry import queries
from ledger.settlement.service import DISPUTED, RECORDED, settlement_view
from ledger.settlement.tables import Settlement

LIMIT = 10
GATE_HORIZON_S = 3600
"""A bid is "near gate closure" when its gate closes within this many seconds."""
LIVE_BIDS = ("Received", "Active")
LIVE_ACTIVATIONS = ("Sent", "Accepted")


def _group(count: int, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"count": int(count), "items": list(items)[:LIMIT]}


def _listed(*pages: dict[str, Any]) -> dict[str, Any]:
    """Pages of list reads (``{"data", "count"}``) as one group."""
    return _group(sum(p["count"] for p in pages), [row for p in pages for row in p["data"]])


def _counted(session: Session, query: Any, view: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    return _group(count, [view(row) for row in session.exec(query.limit(LIMIT)).all()])


def _bsp(session: Session, org: Organisation, at: int, horizon_s: int) -> dict[str, Any]:
    def pods(*statuses: str) -> dict[str, Any]:
        return _listed(*(queries.list_pods(session, org, status=s, limit=LIMIT) for s in statuses))

    def uvams(*statuses: str) -> dict[str, Any]:
        return _listed(*(queries.list_uvams(session, org, status=s, limit=LIMIT) for s in statuses))

    bids = (
        select(MarketBid)
        .where(
            MarketBid.bsp_id == org.id,
            col(MarketBid.status).in_(LIVE_BIDS),
            MarketBid.gate_closes_at > at,
            MarketBid.gate_closes_at <= at + horizon_s,
        )
        .order_by(col(MarketBid.gate_closes_at), col(MarketBid.id))
    )
    activations = (
        select(MarketActivation)
        .where(
            MarketActivation.bsp_id == org.id,
            MarketActivation.status == "Sent",
            MarketActivation.ack_deadline > at,
        )
        .order_by(col(MarketActivation.ack_deadline), col(MarketActivation.id))
    )
    settlements = (
        select(Settlement)
        .where(
            Settlement.bsp_id == org.id,
            Settlement.status == RECORDED,
            (col(Settlement.answer_deadline).is_(None)) | (col(Settlement.answer_deadline) > at),
        )
        .order_by(col(Settlement.answer_deadline), col(Settlement.id))
    )
    return {
        "podsRejected": pods("Rejected"),
        "podsWaiting": pods("UnderReview", "Verified"),
        "uvamsRejected": uvams("Rejected"),
        "uvamsWaiting": uvams("UnderReview"),
        "bidsClosingSoon": _counted(session, bids, market.bid_view),
        "activationsToAcknowledge": _counted(
            session, activations, market_activations.activation_view
        ),
        "settlementsToAnswer": _counted(
            session, settlements, lambda row: settlement_view(row, with_periods=False)
        ),
    }


def _activation_end(row: MarketActivation) -> int:
    return row.first_period + len(row.set_points_kw) * PERIOD_SECONDS


def _dso(session: Session, org: Organisation, at: int) -> dict[str, Any]:
    queue = queries.review_queue(session, org)
    rows = session.exec(
        select(MarketActivation)
        .where(col(MarketActivation.status).in_(LIVE_ACTIVATIONS))
        .order_by(col(MarketActivation.first_period), col(MarketActivation.id))
    ).all()
    live = [
        market_activations.activation_view(row)
        for row in rows
        if market_activations.may_see(org, row) and _activation_end(row) > at
    ]
    constraints = (
        select(GridConstraint)
        .where(GridConstraint.dso_id == org.id, GridConstraint.end > at)
        .order_by(col(GridConstraint.start), col(GridConstraint.id))
    )
    return {
        "podsToValidate": _group(len(queue["pods"]), queue["pods"]),
        "activationsInGrid": _group(len(live), live),
        "constraints": _counted(session, constraints, market_checks.constraint_view),
    }


def _tso(session: Session, org: Organisation) -> dict[str, Any]:
    queue = queries.review_queue(session, org)
    disputes = (
        select(Settlement)
        .where(Settlement.status == DISPUTED)
        .order_by(col(Settlement.updated_at), col(Settlement.id))
    )
    needs = (
        select(MarketNeed)
        .where(MarketNeed.status == market_clearing.OPEN)
        .order_by(col(MarketNeed.delivery_start), col(MarketNeed.id))
    )
    return {
        "podsToVerify": _group(len(queue["pods"]), queue["pods"]),
        "uvamsToQualify": _group(len(queue["uvams"]), queue["uvams"]),
        "disputes": _counted(
            session, disputes, lambda row: settlement_view(row, with_periods=False)
        ),
        "needsOpen": _counted(
            session, needs, lambda row: market_clearing.need_view(session, row, org)
        ),
    }


def attention(
    session: Session,
    org: Organisation,
    *,
    at: int | None = None,
    gate_horizon_s: int = GATE_HORIZON_S,
) -> dict[str, Any]:
    """The groups of items waiting for ``org`` at unix time ``at`` (default: now)."""
    at = now(session) if at is None else at
    groups: dict[str, Any]
    if org.role == Role.BSP:
        groups = _bsp(session, org, at, gate_horizon_s)
    elif org.role == Role.DSO:
        groups = _dso(session, org, at)
    elif org.role == Role.TSO:
        groups = _tso(session, org)
    else:
        groups = {}
    label_items(session, (item for group in groups.values() for item in group["items"]))
    return {
        "role": str(org.role),
        "now": iso(at),
        "gateHorizonSeconds": gate_horizon_s,
        "groups": groups,
    }
