"""The Portfolio page's figures over time, for the organisation's own scope (a BSP: its PODs,
UVAMs, bids and activations; a DSO: those in its grid; the TSO and auditors: everything):

- ``registrations``: PODs and UVAMs registered, cumulative, per day (wall clock, UTC);
- ``periods``: per 15-minute period (platform clock) the kW offered in bids, awarded by
  clearings, activated by set points, and the Wh delivered as settled (the latest version of
  each settlement), every period up to the last that has any (at most ``MAX_PERIODS``);
- ``zones`` (grid operators and auditors): per grid zone (the PODs' ``locationId``) the PODs,
  their flexibility up and down, and the grid constraints in force or to come.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from ledger.core.access import sees_everything
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.periods import PERIOD_SECONDS, iso
from ledger.market.common import now
from ledger.market.tables import GridConstraint, MarketActivation, MarketAward, MarketBid
from ledger.registry.access import visible_pods
from ledger.registry.tables import Membership, Pod, Uvam
from ledger.settlement.tables import Settlement

MAX_PERIODS = 96
MAX_ROWS = 5000
NO_ZONE = "(no zone)"
#: Settlement versions whose figures stand (a superseded or failed one does not).
SETTLED = ("recorded", "disputed", "final")
#: Activations whose set points were (or are to be) delivered.
ACTIVATED = ("Sent", "Accepted", "Stopped")
#: Bids whose offer stands or stood.
OFFERING = ("Received", "Active", "Selected", "Rejected", "Suspended", "Expired")


def _pods(session: Session, organisation: Organisation) -> Sequence[Pod]:
    return session.exec(visible_pods(select(Pod), organisation).limit(MAX_ROWS)).all()


def _uvam_ids(session: Session, organisation: Organisation, pods: Sequence[Pod]) -> set[str] | None:
    """The UVAMs in scope; None for all of them."""
    if sees_everything(organisation):
        return None
    if organisation.role == Role.BSP:
        return set(session.exec(select(Uvam.id).where(Uvam.bsp_id == organisation.id)).all())
    pod_ids = [pod.id for pod in pods]
    return set(
        session.exec(select(Membership.uvam_id).where(col(Membership.pod_id).in_(pod_ids))).all()
    )


def _day(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).date().isoformat()


def _registrations(pods: Iterable[Pod], uvams: Iterable[Uvam]) -> list[dict[str, Any]]:
    added: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pod in pods:
        added[_day(pod.created_at)][0] += 1
    for uvam in uvams:
        added[_day(uvam.created_at)][1] += 1
    rows, pod_total, uvam_total = [], 0, 0
    for day in sorted(added):
        pod_total += added[day][0]
        uvam_total += added[day][1]
        rows.append({"day": day, "pods": pod_total, "uvams": uvam_total})
    return rows


def _spread(values: dict[int, int], start: int, amounts: Iterable[int]) -> None:
    for index, amount in enumerate(amounts):
        values[start + index * PERIOD_SECONDS] += amount


def _periods(session: Session, scope: set[str] | None) -> list[dict[str, Any]]:
    def scoped(model: Any) -> Any:
        query = select(model)
        return query if scope is None else query.where(col(model.uvam_id).in_(scope))

    offered: dict[int, int] = defaultdict(int)
    awarded: dict[int, int] = defaultdict(int)
    activated: dict[int, int] = defaultdict(int)
    delivered: dict[int, int] = defaultdict(int)
    bids = scoped(MarketBid).where(col(MarketBid.status).in_(OFFERING))
    for bid in session.exec(bids.order_by(col(MarketBid.delivery_start).desc()).limit(MAX_ROWS)):
        _spread(offered, bid.delivery_start, bid.quantities_kw)
    for award in session.exec(scoped(MarketAward).limit(MAX_ROWS)):
        _spread(awarded, award.delivery_start, award.awarded_kw)
    activations = session.exec(scoped(MarketActivation).limit(MAX_ROWS)).all()
    for activation in activations:
        if activation.status in ACTIVATED:
            _spread(activated, activation.first_period, activation.set_points_kw)
    activation_ids = [activation.id for activation in activations]
    settlements = session.exec(
        select(Settlement).where(
            col(Settlement.activation_id).in_(activation_ids), col(Settlement.status).in_(SETTLED)
        )
    ).all()
    for row in settlements:
        for period in json.loads(row.record_json)["periods"]:
            delivered[int(period["start"])] += int(period.get("deliveredWh") or 0)
    known = set(offered) | set(awarded) | set(activated) | set(delivered)
    if not known:
        return []
    # every period from the first to the last (at most MAX_PERIODS), so that a chart's steps
    # never hold a value over a gap
    last = max(known)
    first = max(min(known), last - (MAX_PERIODS - 1) * PERIOD_SECONDS)
    starts = range(first, last + PERIOD_SECONDS, PERIOD_SECONDS)
    return [
        {
            "start": iso(start),
            "offeredKw": offered.get(start, 0),
            "awardedKw": awarded.get(start, 0),
            "activatedKw": activated.get(start, 0),
            "deliveredWh": delivered.get(start, 0),
        }
        for start in starts
    ]


def _zones(
    session: Session, organisation: Organisation, pods: Sequence[Pod]
) -> list[dict[str, Any]]:
    zone_of = {pod.id: pod.record.get("locationId") or NO_ZONE for pod in pods}
    zones: dict[str, dict[str, Any]] = {}
    for pod in pods:
        zone = zones.setdefault(
            zone_of[pod.id],
            {"zone": zone_of[pod.id], "pods": 0, "flexUpKw": 0, "flexDownKw": 0, "constraints": 0},
        )
        zone["pods"] += 1
        zone["flexUpKw"] += int(pod.record.get("maximumFlexUp") or 0)
        zone["flexDownKw"] += int(pod.record.get("maximumFlexDown") or 0)
    query = select(GridConstraint).where(GridConstraint.end > now(session))
    if organisation.role == Role.DSO:
        query = query.where(GridConstraint.dso_id == organisation.id)
    for constraint in session.exec(query.limit(MAX_ROWS)):
        zone_name = (
            constraint.target if constraint.scope == "zone" else zone_of.get(constraint.target)
        )
        if zone_name in zones:
            zones[zone_name]["constraints"] += 1
    return sorted(zones.values(), key=lambda z: str(z["zone"]))


def portfolio(session: Session, organisation: Organisation) -> dict[str, Any]:
    pods = _pods(session, organisation)
    scope = _uvam_ids(session, organisation, pods)
    uvam_query = select(Uvam) if scope is None else select(Uvam).where(col(Uvam.id).in_(scope))
    uvams = session.exec(uvam_query.limit(MAX_ROWS)).all()
    grid = organisation.role == Role.DSO or sees_everything(organisation)
    return {
        "registrations": _registrations(pods, uvams),
        "periods": _periods(session, scope),
        "zones": _zones(session, organisation, pods) if grid else [],
    }
