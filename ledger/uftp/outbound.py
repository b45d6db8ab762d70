"""What the platform tells aggregators over UFTP, composed from what it already records:

- a need that is open for bids -> a FlexRequest per qualified UVAM of each aggregator;
- an activation of a bid that came in as a FlexOffer -> a FlexOrder (``OrderReference`` = the
  activation id);
- a recorded settlement of such an activation -> a FlexSettlement.

:func:`compose_due` composes (and records) each of them once; the endpoint delivers them.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from decimal import Decimal
from typing import Any

from shapeshifter_uftp import (
    ContractSettlement,
    ContractSettlementISP,
    ContractSettlementPeriod,
    FlexOrder,
    FlexOrderISP,
    FlexOrderSettlement,
    FlexOrderSettlementISP,
    FlexRequest,
    FlexRequestISP,
    FlexSettlement,
)
from shapeshifter_uftp.uftp.enums import AvailableRequested
from sqlmodel import Session, select
from xsdata.models.datatype import XmlDate, XmlDuration

from ledger.core.domain.enums import ActivationStatus
from ledger.core.periods import period_starts
from ledger.core.settings import Settings
from ledger.market.bids import QUALIFIED
from ledger.market.common import now
from ledger.market.needs import OPEN, need_gate
from ledger.market.tables import MarketActivation, MarketAward, MarketBid, MarketNeed
from ledger.market.terms import Direction
from ledger.registry.tables import Uvam
from ledger.settlement.service import RECORDED
from ledger.settlement.tables import Settlement
from ledger.uftp import isp, messages, participants
from ledger.uftp.participants import Participant
from ledger.uftp.tables import UftpMessage

log = logging.getLogger(__name__)
#: Entity address of a congestion point: the platform's domain names it; the local part is the
#: UVAM the aggregator offers with (the platform's bids are per UVAM).
EA_PREFIX = "ea1.2026-12."


def congestion_point(settings: Settings, uvam_id: str) -> str:
    return f"{EA_PREFIX}{settings.uftp_domain}:{uvam_id}"


def uvam_of(settings: Settings, point: str) -> str | None:
    prefix = f"{EA_PREFIX}{settings.uftp_domain}:"
    return point.removeprefix(prefix) if point.startswith(prefix) else None


def _day_of(starts: list[int], time_zone: str) -> tuple[date, list[int]] | None:
    """The local day of ``starts`` and their ISP numbers; None if they span two days."""
    days = {isp.isp_of(start, time_zone) for start in starts}
    if len({day for day, _ in days}) != 1:
        return None
    day = isp.isp_of(starts[0], time_zone)[0]
    return day, [isp.isp_of(start, time_zone)[1] for start in starts]


def _frame(settings: Settings, day: date, point: str) -> dict[str, Any]:
    return {
        "isp_duration": XmlDuration(isp.ISP_DURATION),
        "time_zone": settings.uftp_time_zone,
        "period": XmlDate.from_date(day),
        "congestion_point": point,
    }


# ------------------------------------------------------------------------- FlexRequest


def flex_request(settings: Settings, session: Session, need: MarketNeed, uvam_id: str) -> Any:
    starts = period_starts(need.delivery_start, len(need.quantities_kw))
    found = _day_of(starts, settings.uftp_time_zone)
    if found is None:
        return None
    day, numbers = found
    direction = Direction(need.direction)
    isps = []
    for number, kw in zip(numbers, need.quantities_kw, strict=True):
        power = isp.watts(kw, direction)
        isps.append(
            FlexRequestISP(
                disposition=AvailableRequested.REQUESTED,
                min_power=min(power, 0),
                max_power=max(power, 0),
                start=number,
            )
        )
    return FlexRequest(
        **_frame(settings, day, congestion_point(settings, uvam_id)),
        isps=isps,
        revision=1,
        expiration_date_time=isp.iso_with_zone(need_gate(session, need), settings.uftp_time_zone),
        service_type=need.product_id,
    )


def _announce_needs(settings: Settings, session: Session, aggregators: list[Participant]) -> int:
    at = now(session)
    composed = 0
    needs = session.exec(select(MarketNeed).where(MarketNeed.status == OPEN)).all()
    for need in needs:
        if need_gate(session, need) <= at:
            continue
        for participant in aggregators:
            uvams = session.exec(
                select(Uvam).where(
                    Uvam.bsp_id == participant.organisation.id, Uvam.status == QUALIFIED
                )
            ).all()
            for uvam in uvams:
                subject = f"need:{need.id}:{uvam.id}"
                if messages.about(
                    session, direction=messages.OUT, message_type="FlexRequest", subject=subject
                ):
                    continue
                request = flex_request(settings, session, need, uvam.id)
                if request is None:
                    log.warning("need %s spans two days: no FlexRequest", need.id)
                    continue
                messages.compose(
                    session,
                    request,
                    sender_domain=settings.uftp_domain,
                    recipient_domain=participant.domain,
                    subject=subject,
                    links={"needId": need.id, "uvamId": uvam.id, "productId": need.product_id},
                )
                composed += 1
    return composed


# ------------------------------------------------------------------------- FlexOrder


def flex_order(
    settings: Settings, session: Session, activation: MarketActivation
) -> tuple[Any, UftpMessage] | None:
    """The FlexOrder of an activation, and the FlexOffer it orders from."""
    offer = messages.about(
        session, direction=messages.IN, message_type="FlexOffer", subject=f"bid:{activation.bid_id}"
    )
    bid = session.get(MarketBid, activation.bid_id)
    award = session.get(MarketAward, activation.bid_id)
    if offer is None or bid is None or award is None:
        return None
    starts = period_starts(activation.first_period, len(activation.set_points_kw))
    found = _day_of(starts, settings.uftp_time_zone)
    if found is None:
        return None
    day, numbers = found
    direction = Direction(bid.direction)
    first = (activation.first_period - award.delivery_start) // 900
    prices = award.prices_micro[first : first + len(activation.set_points_kw)]
    return FlexOrder(
        **_frame(settings, day, offer.links["congestionPoint"]),
        isps=[
            FlexOrderISP(power=isp.watts(kw, direction), start=number)
            for number, kw in zip(numbers, activation.set_points_kw, strict=True)
        ],
        flex_offer_message_id=offer.message_id,
        service_type=bid.product_id,
        price=isp.amount(activation.set_points_kw, prices),
        currency="EUR",
        order_reference=activation.id,
        option_reference=offer.links["optionReference"],
    ), offer


def _announce_orders(settings: Settings, session: Session) -> int:
    composed = 0
    sent = session.exec(
        select(MarketActivation).where(MarketActivation.status == ActivationStatus.SENT.label)
    ).all()
    for activation in sent:
        subject = f"activation:{activation.id}"
        if messages.about(
            session, direction=messages.OUT, message_type="FlexOrder", subject=subject
        ):
            continue
        built = flex_order(settings, session, activation)
        if built is None:
            continue
        order, offer = built
        messages.compose(
            session,
            order,
            sender_domain=settings.uftp_domain,
            recipient_domain=offer.participant_domain,
            reference=offer.message_id,
            conversation_id=offer.conversation_id,
            subject=subject,
            links={"activationId": activation.id, "bidId": activation.bid_id},
        )
        composed += 1
    return composed


# ------------------------------------------------------------------------- FlexSettlement


def _w(wh: int | None) -> int:
    """Average W over a 15-minute period of ``wh`` (a missing value counts as 0)."""
    return (wh or 0) * 4


def flex_settlement(
    settings: Settings, row: Settlement, activation: MarketActivation, order: Any
) -> Any:
    """The FlexSettlement of one settlement version: its order settlement per ISP (W averaged
    over the ISP), and the product as the market contract (nothing reserved in advance; the
    ordered flex per ISP)."""
    record = json.loads(row.record_json)
    direction = Direction(record["direction"])
    sign = -1 if direction is Direction.UP else 1
    starts = [period["start"] for period in record["periods"]]
    found = _day_of(starts, settings.uftp_time_zone)
    if found is None:
        return None
    day, numbers = found
    totals = record["totals"]
    isps = [
        FlexOrderSettlementISP(
            start=number,
            baseline_power=_w(period["baselineWh"]),
            ordered_flex_power=sign * _w(period["orderedWh"]),
            actual_power=_w(period["measuredWh"]),
            delivered_flex_power=sign * _w(period["deliveredWh"]),
            power_deficiency=_w(period["deficiencyWh"]),
        )
        for number, period in zip(numbers, record["periods"], strict=True)
    ]
    return FlexSettlement(
        flex_order_settlements=[
            FlexOrderSettlement(
                isps=isps,
                order_reference=activation.id,
                period=XmlDate.from_date(day),
                congestion_point=order.congestion_point,
                baseline_reference=f"{record['method']['name']}:{row.settlement_hash}",
                price=Decimal(str(totals["remunerationEur"])),
                penalty=Decimal(str(totals["penaltyEur"])),
                net_settlement=Decimal(str(totals["netEur"])),
            )
        ],
        contract_settlements=[
            ContractSettlement(
                contract_id=order.service_type,
                periods=[
                    ContractSettlementPeriod(
                        period=XmlDate.from_date(day),
                        isps=[
                            ContractSettlementISP(
                                start=item.start,
                                reserved_power=0,
                                ordered_power=item.ordered_flex_power,
                            )
                            for item in isps
                        ],
                    )
                ],
            )
        ],
        period_start=XmlDate.from_date(day),
        period_end=XmlDate.from_date(day),
        currency="EUR",
    )


def _announce_settlements(settings: Settings, session: Session) -> int:
    composed = 0
    recorded = session.exec(select(Settlement).where(Settlement.status == RECORDED)).all()
    for row in recorded:
        subject = f"settlement:{row.id}"
        if messages.about(
            session, direction=messages.OUT, message_type="FlexSettlement", subject=subject
        ):
            continue
        order_row = messages.about(
            session,
            direction=messages.OUT,
            message_type="FlexOrder",
            subject=f"activation:{row.activation_id}",
        )
        activation = session.get(MarketActivation, row.activation_id)
        if order_row is None or activation is None:
            continue
        settlement = flex_settlement(settings, row, activation, messages.parse(order_row))
        if settlement is None:
            continue
        messages.compose(
            session,
            settlement,
            sender_domain=settings.uftp_domain,
            recipient_domain=order_row.participant_domain,
            reference=order_row.message_id,
            conversation_id=order_row.conversation_id,
            subject=subject,
            links={
                "settlementId": row.id,
                "activationId": row.activation_id,
                "version": row.version,
            },
        )
        composed += 1
    return composed


def compose_due(settings: Settings, session: Session) -> int:
    """Compose and record every FlexRequest, FlexOrder and FlexSettlement not sent yet."""
    aggregators = participants.of_role(session, "AGR")
    composed = _announce_needs(settings, session, aggregators) if aggregators else 0
    composed += _announce_orders(settings, session)
    composed += _announce_settlements(settings, session)
    if composed:
        session.commit()
    return composed
