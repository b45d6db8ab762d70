"""What a statement or a correction report is built from, read from the database: the final
settlement of each activation in the period, the awards and their availability price frozen
at award, and each POD's BRP. One home for the API (issuing) and the audit (recomputing)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from ledger.core.periods import PERIOD_SECONDS
from ledger.market.tables import MarketActivation, MarketAward, MarketNeed
from ledger.registry.tables import Pod
from ledger.settlement.statements.availability import AwardedCapacity
from ledger.settlement.statements.period import StatementPeriod
from ledger.settlement.statements.statement import SettledActivation
from ledger.settlement.tables import Settlement

SETTLEABLE = ("Accepted", "Stopped")
FINAL = "final"
FAILED = "failed"


def _activations(
    session: Session, bsp_id: str | None, period: StatementPeriod
) -> Sequence[MarketActivation]:
    query = select(MarketActivation).where(
        col(MarketActivation.status).in_(SETTLEABLE),
        MarketActivation.first_period >= period.start_ts,
        MarketActivation.first_period < period.end_ts,
    )
    if bsp_id is not None:
        query = query.where(MarketActivation.bsp_id == bsp_id)
    return session.exec(query.order_by(col(MarketActivation.id))).all()


def _latest(session: Session, activation_ids: Iterable[str]) -> dict[str, Settlement]:
    latest: dict[str, Settlement] = {}
    rows = session.exec(
        select(Settlement)
        .where(col(Settlement.activation_id).in_(list(activation_ids)), Settlement.status != FAILED)
        .order_by(col(Settlement.version))
    ).all()
    for row in rows:
        latest[row.activation_id] = row
    return latest


def settled_of(row: Settlement) -> SettledActivation:
    return SettledActivation(row.id, row.settlement_hash, json.loads(row.record_json))


def settled_in(
    session: Session, bsp_id: str | None, period: StatementPeriod
) -> tuple[list[SettledActivation], list[dict[str, str]]]:
    """The final settlements of the activations (of ``bsp_id``, or of every BSP) whose first
    period is in ``period``, and ``{activationId, status}`` of the others (``unsettled``, or
    their latest version's status)."""
    activations = _activations(session, bsp_id, period)
    latest = _latest(session, (a.id for a in activations))
    settled, outstanding = [], []
    for activation in activations:
        row = latest.get(activation.id)
        if row is not None and row.status == FINAL:
            settled.append(settled_of(row))
        else:
            outstanding.append(
                {"activationId": activation.id, "status": row.status if row else "unsettled"}
            )
    return settled, outstanding


def settled_by_ids(session: Session, settlement_ids: Sequence[str]) -> list[SettledActivation]:
    """The settlements a stored document names, as they are stored now (for the audit)."""
    rows = session.exec(
        select(Settlement).where(col(Settlement.id).in_(list(settlement_ids)))
    ).all()
    return [settled_of(row) for row in rows]


def _price(need: MarketNeed | None) -> Decimal | None:
    terms = ((need.result or {}).get("settlementTerms") or {}) if need is not None else {}
    value = terms.get("availabilityEurKwIsp")
    return None if value is None else Decimal(str(value))


def awards_of(
    session: Session, bsp_id: str, period: StatementPeriod, *, bid_ids: Sequence[str] | None = None
) -> list[AwardedCapacity]:
    """The BSP's awards with an ISP in ``period`` (or those of ``bid_ids``), each with the
    availability price its clearing result froze (under the result hash on chain)."""
    query = select(MarketAward).where(MarketAward.bsp_id == bsp_id)
    if bid_ids is not None:
        query = query.where(col(MarketAward.bid_id).in_(list(bid_ids)))
    awards = [
        award
        for award in session.exec(query).all()
        if award.delivery_start < period.end_ts
        and award.delivery_start + len(award.awarded_kw) * PERIOD_SECONDS > period.start_ts
    ]
    needs = {
        n.id: n
        for n in session.exec(
            select(MarketNeed).where(col(MarketNeed.id).in_([a.need_id for a in awards]))
        ).all()
    }
    return [
        AwardedCapacity(
            bid_id=award.bid_id,
            need_id=award.need_id,
            uvam_id=award.uvam_id,
            delivery_start=award.delivery_start,
            awarded_kw=tuple(award.awarded_kw),
            price_eur_kw_isp=_price(needs.get(award.need_id)),
        )
        for award in awards
    ]


def brp_of_pods(session: Session, settled: Sequence[SettledActivation]) -> dict[str, str | None]:
    """Each settled POD's BRP as its registration names it (``brpContractId``)."""
    pod_ids = {pod for s in settled for pod in s.record["pods"]["podIds"]}
    pods = session.exec(select(Pod).where(col(Pod.id).in_(list(pod_ids)))).all()
    return {pod.id: pod.record.get("brpContractId") for pod in pods}


def document_of(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    return document
