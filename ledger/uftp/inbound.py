"""What the platform takes from aggregators over UFTP, through the same services as the JSON
API: FlexOffer -> bids, FlexOfferRevocation -> their withdrawal, FlexOrderResponse -> the
activation's acknowledgement, FlexSettlementResponse -> the settlement's acceptance or dispute.

Every check runs before anything is written; a refused FlexOffer raises a
:class:`~ledger.uftp.rejections.UftpRejection` (the endpoint answers Rejected with its reason) and
leaves nothing behind. An accepted message is recorded together with what it caused and its
Accepted response (composed here, delivered by the endpoint), in one commit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from shapeshifter_uftp import FlexOfferResponse, FlexOfferRevocationResponse
from shapeshifter_uftp.uftp.enums import AcceptedDisputed, AcceptedRejected
from sqlmodel import Session

from ledger.core import operations
from ledger.core.errors import CbpError
from ledger.core.periods import delivery_end, iso
from ledger.core.runtime import Runtime
from ledger.market import activations as market_activations
from ledger.market import bids as market
from ledger.market.common import now, pending_after_commit
from ledger.market.needs import OPEN, need_gate
from ledger.market.schemas import Acknowledgement, BidCreate
from ledger.market.tables import MarketNeed
from ledger.market.terms import Direction
from ledger.settlement import service as settlement
from ledger.uftp import isp, messages
from ledger.uftp.participants import Participant
from ledger.uftp.rejections import (
    ExpirationOutOfBounds,
    InvalidCongestionPoint,
    InvalidMessage,
    IspsOutOfBounds,
    ReferenceMessageExpired,
    ReferencePeriodMismatch,
    UftpRejection,
    UnknownRecipient,
    UnknownReference,
)

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------- FlexOffer


def take_flex_offer(
    runtime: Runtime, participant: Participant, offer: Any, *, sealed: str | None = None
) -> str:
    """A solicited FlexOffer of one option becomes one bid of the UVAM the request named, for
    the need's product and direction; returns the bid id."""
    settings = runtime.settings
    with runtime.session() as session:
        messages.check_new(session, offer)
        if offer.recipient_domain != settings.uftp_domain:
            raise UnknownRecipient(f"RecipientDomain {offer.recipient_domain} is not this endpoint")
        day = offer.period.to_date()
        isp.check_frame(
            isp_duration=str(offer.isp_duration),
            time_zone=offer.time_zone,
            day=day,
            market_zone=settings.uftp_time_zone,
        )
        request_row, need = _requested(session, participant, offer)
        option = _one_option(offer)
        direction = Direction(need.direction)
        requested = {item.start for item in messages.parse(request_row).isps}
        powers = isp.expand(
            (isp.IspPower(item.start, item.duration, item.power) for item in option.isps),
            day=day,
            time_zone=settings.uftp_time_zone,
        )
        outside = sorted(set(powers) - requested)
        if outside:
            raise IspsOutOfBounds(f"ISPs {outside} were not requested")
        first, last = min(powers), max(powers)
        quantities = [
            isp.kilowatts(powers.get(number, 0), direction, isp=number)
            for number in range(first, last + 1)
        ]
        start = isp.isp_start(day, first, settings.uftp_time_zone)
        valid_until = _expiration(
            offer, gate=need_gate(session, need), end=delivery_end(start, len(quantities))
        )
        if offer.currency != "EUR":
            raise InvalidMessage(f"Currency {offer.currency}: this market settles in EUR")
        try:
            bid = BidCreate(
                uvam_id=request_row.links["uvamId"],
                product_id=need.product_id,
                direction=direction,
                delivery_start=datetime.fromtimestamp(start, UTC),
                quantities_kw=quantities,
                price=isp.price_per_mwh(option.price, quantities),
                valid_until=datetime.fromtimestamp(valid_until, UTC),
                divisible=option.min_activation_factor < 1,
            )
        except ValidationError as exc:
            raise InvalidMessage(exc.errors()[0]["msg"]) from exc
        try:
            operation = market.submit_bids(
                runtime, session, bsp=participant.organisation, bids=[bid]
            )
        except CbpError as exc:
            raise InvalidMessage(_platform_refusal(exc)) from exc
        bid_id: str = operation.payload["bids"][0]["id"]
        messages.record_inbound(
            session,
            offer,
            reference=request_row.message_id,
            sealed=sealed,
            subject=f"bid:{bid_id}",
            links={
                "needId": need.id,
                "uvamId": request_row.links["uvamId"],
                "bidIds": [bid_id],
                "operationId": operation.id,
                "optionReference": option.option_reference,
                "congestionPoint": offer.congestion_point,
            },
        )
        messages.compose(
            session,
            FlexOfferResponse(
                flex_offer_message_id=offer.message_id, result=AcceptedRejected.ACCEPTED
            ),
            sender_domain=settings.uftp_domain,
            recipient_domain=participant.domain,
            reference=offer.message_id,
            conversation_id=offer.conversation_id,
            links={"bidIds": [bid_id]},
        )
        operations.commit_and_enqueue(
            runtime, session, operation, prerequisites=pending_after_commit(session)
        )
        return bid_id


def _requested(session: Session, participant: Participant, offer: Any) -> tuple[Any, MarketNeed]:
    """The FlexRequest the offer answers, and its need still open for bids."""
    if not offer.flex_request_message_id:
        raise InvalidMessage("unsolicited FlexOffers are not taken: answer a FlexRequest")
    row = messages.sent(
        session,
        message_type="FlexRequest",
        participant_domain=participant.domain,
        message_id=offer.flex_request_message_id,
    )
    if row is None:
        raise UnknownReference(
            f"FlexRequestMessageID {offer.flex_request_message_id}: no FlexRequest was sent to"
            f" {participant.domain} with this id"
        )
    request = messages.parse(row)
    if offer.congestion_point != request.congestion_point:
        raise InvalidCongestionPoint(
            f"{offer.congestion_point} is not {request.congestion_point} of the FlexRequest"
        )
    if offer.period.to_date() != request.period.to_date():
        raise ReferencePeriodMismatch(
            f"Period {offer.period} is not {request.period} of the FlexRequest"
        )
    need = session.get(MarketNeed, row.links["needId"])
    assert need is not None
    if need.status != OPEN or now(session) >= need_gate(session, need):
        raise ReferenceMessageExpired(
            f"the FlexRequest expired at {request.expiration_date_time} (the need's gate closure)"
        )
    return row, need


def _one_option(offer: Any) -> Any:
    if len(offer.offer_options) != 1:
        raise InvalidMessage(
            f"{len(offer.offer_options)} OfferOptions: the platform takes one option per FlexOffer"
            " (send another FlexOffer for another bid)"
        )
    return offer.offer_options[0]


def _expiration(offer: Any, *, gate: int, end: int) -> int:
    """The bid's validity: the offer must still hold when the need is cleared (at its gate)
    and may not outlast the offered ISPs."""
    until = isp.parse_instant(offer.expiration_date_time, what="ExpirationDateTime")
    if until <= gate:
        raise ExpirationOutOfBounds(
            f"{offer.expiration_date_time} is not after the gate closure {iso(gate)}, when the"
            " need is cleared and the offer ordered"
        )
    if until > end:
        raise ExpirationOutOfBounds(
            f"{offer.expiration_date_time} is after the end of the offered ISPs"
        )
    return until


def _platform_refusal(exc: CbpError) -> str:
    return f"{exc.message} ({exc.field})" if exc.field else exc.message


def take_flex_offer_revocation(
    runtime: Runtime, participant: Participant, revocation: Any, *, sealed: str | None = None
) -> None:
    """Revoking an accepted FlexOffer withdraws its bid, which the platform allows before the
    bid's gate closes and never once it is selected (UFTP: no revocation of an ordered offer)."""
    settings = runtime.settings
    with runtime.session() as session:
        messages.check_new(session, revocation)
        if revocation.recipient_domain != settings.uftp_domain:
            raise UnknownRecipient(
                f"RecipientDomain {revocation.recipient_domain} is not this endpoint"
            )
        offer = messages.received(
            session,
            message_type="FlexOffer",
            participant_domain=participant.domain,
            message_id=revocation.flex_offer_message_id,
        )
        if offer is None:
            raise UnknownReference(
                f"FlexOfferMessageID {revocation.flex_offer_message_id}: no FlexOffer of"
                f" {participant.domain} was accepted with this id"
            )
        bid_ids = list(offer.links["bidIds"])
        try:
            operation = market.withdraw_bids(
                runtime, session, bsp=participant.organisation, bid_ids=bid_ids
            )
        except CbpError as exc:
            raise InvalidMessage(_platform_refusal(exc)) from exc
        messages.record_inbound(
            session,
            revocation,
            reference=offer.message_id,
            sealed=sealed,
            subject=offer.subject,
            links={"bidIds": bid_ids, "operationId": operation.id},
        )
        messages.compose(
            session,
            FlexOfferRevocationResponse(
                flex_offer_revocation_message_id=revocation.message_id,
                result=AcceptedRejected.ACCEPTED,
            ),
            sender_domain=settings.uftp_domain,
            recipient_domain=participant.domain,
            reference=revocation.message_id,
            conversation_id=revocation.conversation_id,
            links={"bidIds": bid_ids},
        )
        operations.commit_and_enqueue(runtime, session, operation)


# ------------------------------------------------------------------------- responses


def take_flex_request_response(
    runtime: Runtime, participant: Participant, response: Any, *, sealed: str | None = None
) -> bool:
    """Record the aggregator's answer to a FlexRequest; False if it answers nothing we sent."""
    with runtime.session() as session:
        row = _answered_message(
            session, participant, response, "FlexRequest", response.flex_request_message_id
        )
        if row is None:
            return False
        messages.record_inbound(
            session,
            response,
            reference=row.message_id,
            sealed=sealed,
            subject=row.subject,
            links=row.links,
        )
        session.commit()
        return True


def take_flex_order_response(
    runtime: Runtime, participant: Participant, response: Any, *, sealed: str | None = None
) -> bool:
    """Accepted: the BSP accepts the activation; Rejected: it refuses it (Cancelled), with the
    rejection reason as its reason. False if it answers nothing we sent or came too late."""
    with runtime.session() as session:
        row = _answered_message(
            session, participant, response, "FlexOrder", response.flex_order_message_id
        )
        if row is None:
            return False
        accept = response.result == AcceptedRejected.ACCEPTED
        reasons = [] if accept else [response.rejection_reason or "Rejected"]
        try:
            operation = market_activations.acknowledge(
                runtime,
                session,
                bsp=participant.organisation,
                activation_id=row.links["activationId"],
                answer=Acknowledgement(accept=accept, reasons=reasons),
            )
        except CbpError as exc:
            log.warning("FlexOrderResponse %s not taken: %s", response.message_id, exc.message)
            return False
        messages.record_inbound(
            session,
            response,
            reference=row.message_id,
            sealed=sealed,
            subject=row.subject,
            links={**row.links, "operationId": operation.id},
        )
        operations.commit_and_enqueue(runtime, session, operation)
        return True


def take_flex_settlement_response(
    runtime: Runtime, participant: Participant, response: Any, *, sealed: str | None = None
) -> bool:
    """The aggregator's disposition of the order settlement becomes the BSP's answer to the
    settlement version sent: Accepted accepts it, Disputed disputes it with the reason; a
    Rejected message disputes it with the rejection reason (UFTP: all its orders are then
    potentially disputed)."""
    with runtime.session() as session:
        row = _answered_message(
            session, participant, response, "FlexSettlement", response.flex_settlement_message_id
        )
        if row is None:
            return False
        activation_id = row.links["activationId"]
        if response.result == AcceptedRejected.REJECTED:
            accept, reason = False, response.rejection_reason or "Rejected"
        else:
            status = next(
                (
                    s
                    for s in response.flex_order_settlement_statuses
                    if s.order_reference == activation_id
                ),
                None,
            )
            if status is None:
                log.warning(
                    "FlexSettlementResponse %s names no order %s",
                    response.message_id,
                    activation_id,
                )
                return False
            accept = status.disposition == AcceptedDisputed.ACCEPTED
            reason = None if accept else (status.dispute_reason or "Disputed (no reason given)")
        try:
            operation = settlement.answer(
                runtime,
                session,
                bsp=participant.organisation,
                settlement_id=row.links["settlementId"],
                accept=accept,
                reason=reason,
            )
        except CbpError as exc:
            log.warning("FlexSettlementResponse %s not taken: %s", response.message_id, exc.message)
            return False
        messages.record_inbound(
            session,
            response,
            reference=row.message_id,
            sealed=sealed,
            subject=row.subject,
            links={**row.links, "operationId": operation.id, "accepted": accept},
        )
        operations.commit_and_enqueue(runtime, session, operation)
        return True


def _answered_message(
    session: Session, participant: Participant, response: Any, message_type: str, reference: str
) -> Any:
    """The message of ours a response answers, if it is one and not answered yet."""
    try:
        messages.check_new(session, response)
    except UftpRejection as exc:  # a response is never answered: log and drop
        log.warning("%s %s dropped: %s", type(response).__name__, response.message_id, exc)
        return None
    row = messages.sent(
        session,
        message_type=message_type,
        participant_domain=participant.domain,
        message_id=reference,
    )
    if row is None:
        log.warning(
            "%s %s answers no %s sent to %s: out of sequence, dropped",
            type(response).__name__,
            response.message_id,
            message_type,
            participant.domain,
        )
        return None
    if messages.answered(session, message_type=type(response).__name__, reference=reference):
        log.warning(
            "%s %s: %s was answered before, dropped",
            type(response).__name__,
            response.message_id,
            reference,
        )
        return None
    return row
