"""Activations: the TSO's set points to awarded UVAMs, the BSP's acknowledgement, stop/change.

"The TSO sends set points with a specific time advance. States: Sent, Accepted, Cancelled"
(InterConnect §3.2.6); "The DSO must tell the TSO what it activated to avoid double activation"
(EV4EU 3.1.2). Here the contract keeps, per awarded bid and period, how much is activated: set
points beyond the award, alone or with other live activations, are refused on chain. The first
set point must be at least the product's notice ahead. Once the activation is on chain the BSP
is told at once (its callback URL; the API lists it too), and so is every DSO whose grid the
UVAM's PODs are on. The BSP accepts or refuses before the acknowledgement deadline; an
activation nobody acknowledged lapses at the deadline and releases its set points; the TSO may
change the set points (the BSP acknowledges again) or stop the activation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from ledger import payloads
from ledger.core import operations, webhooks
from ledger.core.access import require_role, sees_everything
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import bytes32, simulate
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.domain.enums import ActivationStatus, Role
from ledger.core.domain.identifiers import eic_from_bytes16
from ledger.core.errors import Conflict, Forbidden, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import chain_key, new_id
from ledger.core.periods import PERIOD_SECONDS, delivery_end, iso, period_starts, to_unix
from ledger.core.runtime import Runtime
from ledger.market.bids import product_spec
from ledger.market.common import (
    ERROR_FIELDS,
    MARKET,
    actors,
    bid_terms,
    events,
    hex32,
    history,
    now,
    reasons_hash,
    record_change,
    tso_of,
)
from ledger.market.schemas import (
    Acknowledgement,
    ActivationChange,
    ActivationCreate,
    ActivationStop,
)
from ledger.market.tables import MarketActivation, MarketAward, MarketBid
from ledger.payloads import market as payload_models

TASK_LAPSE = "cbp.market.lapse_activation"
LIVE = (ActivationStatus.SENT.label, ActivationStatus.ACCEPTED.label)


class BeyondAward(Conflict):
    """Set points that, with the live activations of the bid, exceed what was awarded."""

    code = "beyond_award"


class NoticeTooShort(Conflict):
    code = "notice_too_short"


class DeadlinePassed(Conflict):
    code = "acknowledgement_deadline_passed"


class DeliveryOver(Conflict):
    """A change or stop of an activation whose delivery is over (and may be settled)."""

    code = "delivery_over"


def _require_delivery_not_over(session: Session, row: MarketActivation, action: str) -> None:
    """Set points of a delivery that is over are what the settlement measures against: they no
    longer change (the contract refuses it too, ``MarketDeliveryOver``)."""
    end = delivery_end(row.first_period, len(row.set_points_kw))
    if now(session) >= end:
        raise DeliveryOver(
            f"activation {row.id} delivered until {iso(end)}: it can no longer be {action}"
            " (only an activation whose delivery is not over can be changed or stopped)",
            field="activationId",
            reason="deliveryOver",
            deliveryEnd=iso(end),
        )


def activated_kw(session: Session, bid_id: str, *, exclude: str | None = None) -> dict[int, int]:
    """kW per period already taken by the bid's live activations."""
    used: dict[int, int] = {}
    rows = session.exec(
        select(MarketActivation).where(
            MarketActivation.bid_id == bid_id, col(MarketActivation.status).in_(LIVE)
        )
    ).all()
    for row in rows:
        if row.id == exclude:
            continue
        for start, kw in zip(
            period_starts(row.first_period, len(row.set_points_kw)), row.set_points_kw, strict=True
        ):
            used[start] = used.get(start, 0) + kw
    return used


def _check_against_award(
    session: Session,
    *,
    bid: MarketBid,
    first_period: int,
    set_points: Sequence[int],
    exclude: str | None = None,
) -> None:
    award = session.get(MarketAward, bid.id)
    assert award is not None
    awarded = dict(
        zip(
            period_starts(award.delivery_start, len(award.awarded_kw)),
            award.awarded_kw,
            strict=True,
        )
    )
    used = activated_kw(session, bid.id, exclude=exclude)
    for index, (start, kw) in enumerate(
        zip(period_starts(first_period, len(set_points)), set_points, strict=True)
    ):
        available = awarded.get(start, 0) - used.get(start, 0)
        if kw > available:
            raise BeyondAward(
                f"{kw} kW in the period starting {iso(start)} exceeds what is left of the award:"
                f" {awarded.get(start, 0)} kW awarded, {used.get(start, 0)} kW already activated",
                field=f"setPointsKw.{index}",
                availableKw=available,
                awardedKw=awarded.get(start, 0),
            )


def send_activation(
    runtime: Runtime, session: Session, *, tso: Organisation, request: ActivationCreate
) -> Operation:
    """The TSO sends set points to the UVAM of a selected bid."""
    require_role(tso, Role.TSO, field="bidId")
    bid = session.get(MarketBid, request.bid_id)
    if bid is None:
        raise NotFound(f"no bid {request.bid_id}", field="bidId")
    if bid.status != "Selected":
        raise Conflict(f"bid {bid.id} is {bid.status}, not Selected", field="bidId")
    first = to_unix(request.first_period)
    spec = product_spec(session, bid.product_id)
    assert spec is not None
    earliest = now(session) + spec.activation_notice_s
    if first < earliest:
        raise NoticeTooShort(
            f"the first set point starts {iso(first)}, sooner than the notice of"
            f" {spec.activation_notice_s} s"
            f" on {bid.product_id} allows ({iso(earliest)})",
            field="firstPeriod",
        )
    _check_against_award(session, bid=bid, first_period=first, set_points=request.set_points_kw)
    activation_id = new_id()
    operation = operations.accept(
        session,
        organisation=tso,
        kind="market.activation.send",
        target_id=activation_id,
        payload={
            "activationId": activation_id,
            "chainKey": chain_key("activation", activation_id),
            "bidId": bid.id,
            "firstPeriod": first,
            "setPointsKw": list(request.set_points_kw),
        },
    )
    simulate(runtime, tso, ActivationSend().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def _activation(
    session: Session, organisation: Organisation, activation_id: str
) -> MarketActivation:
    row = session.get(MarketActivation, activation_id)
    if row is None or not may_see(organisation, row):
        raise NotFound(f"no activation {activation_id}", field="activationId")
    return row


def acknowledge(
    runtime: Runtime,
    session: Session,
    *,
    bsp: Organisation,
    activation_id: str,
    answer: Acknowledgement,
) -> Operation:
    """The BSP accepts (Accepted) or refuses (Cancelled) an activation before the deadline."""
    row = _activation(session, bsp, activation_id)
    if row.bsp_id != bsp.id:
        raise Forbidden("only the BSP of the activation acknowledges it", field="activationId")
    if row.status != ActivationStatus.SENT.label:
        raise Conflict(f"activation {row.id} is {row.status}", field="accept")
    if now(session) > row.ack_deadline:
        raise DeadlinePassed(
            f"the acknowledgement deadline {iso(row.ack_deadline)} has passed", field="accept"
        )
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="market.activation.ack",
        target_id=row.id,
        payload={
            "activationId": row.id,
            "accept": answer.accept,
            "reasons": list(answer.reasons),
            "reasonsHash": hex32(reasons_hash(answer.reasons)),
        },
    )
    simulate(runtime, bsp, ActivationAck().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def change_activation(
    runtime: Runtime,
    session: Session,
    *,
    tso: Organisation,
    activation_id: str,
    change: ActivationChange,
) -> Operation:
    """The TSO changes the set points of a live activation (same periods)."""
    require_role(tso, Role.TSO, field="activationId")
    row = _activation(session, tso, activation_id)
    if row.status not in LIVE:
        raise Conflict(f"activation {row.id} is {row.status}", field="activationId")
    _require_delivery_not_over(session, row, "changed")
    if len(change.set_points_kw) != len(row.set_points_kw):
        raise Conflict(
            f"the activation covers {len(row.set_points_kw)} periods", field="setPointsKw"
        )
    bid = session.get(MarketBid, row.bid_id)
    assert bid is not None
    _check_against_award(
        session,
        bid=bid,
        first_period=row.first_period,
        set_points=change.set_points_kw,
        exclude=row.id,
    )
    operation = operations.accept(
        session,
        organisation=tso,
        kind="market.activation.change",
        target_id=row.id,
        payload={"activationId": row.id, "setPointsKw": list(change.set_points_kw)},
    )
    simulate(
        runtime, tso, ActivationChangeHandler().calls(session, operation), error_fields=ERROR_FIELDS
    )
    return operation


def stop_activation(
    runtime: Runtime,
    session: Session,
    *,
    tso: Organisation,
    activation_id: str,
    stop: ActivationStop,
) -> Operation:
    require_role(tso, Role.TSO, field="activationId")
    row = _activation(session, tso, activation_id)
    if row.status not in LIVE:
        raise Conflict(f"activation {row.id} is {row.status}", field="activationId")
    _require_delivery_not_over(session, row, "stopped")
    operation = operations.accept(
        session,
        organisation=tso,
        kind="market.activation.stop",
        target_id=row.id,
        payload={
            "activationId": row.id,
            "reasons": list(stop.reasons),
            "reasonsHash": hex32(reasons_hash(stop.reasons)),
        },
    )
    simulate(
        runtime, tso, ActivationStopHandler().calls(session, operation), error_fields=ERROR_FIELDS
    )
    return operation


def lapse(runtime: Runtime, activation_id: str) -> str | None:
    """At the deadline: an activation still Sent lapses (the TSO's account sends it)."""
    with runtime.session() as session:
        row = session.get(MarketActivation, activation_id)
        if (
            row is None
            or row.status != ActivationStatus.SENT.label
            or now(session) <= row.ack_deadline
        ):
            return None
        operation = operations.accept(
            session,
            organisation=tso_of(session),
            kind="market.activation.lapse",
            target_id=row.id,
            payload={"activationId": row.id},
            idempotency_key=f"lapse:{row.id}:{row.ack_deadline}",
        )
        if operation.status != "accepted":
            return operation.id
    operations.submit(runtime, operation)
    return operation.id


# ------------------------------------------------------------------------- notifications


def show_callback_outcome(session: Session, activation_id: str, key: str, outcome: str) -> None:
    """A callback's latest delivery outcome about an activation, in its ``notifications``
    (``key``: receiver and event)."""
    activation = session.get(MarketActivation, activation_id)
    if activation is not None:
        activation.notifications = {**activation.notifications, key: outcome}


def _notifications(session: Session, row: MarketActivation, event: str) -> list[FollowUp]:
    audience = [row.bsp_id]
    for eic in row.dso_eics:
        dso = session.exec(select(Organisation).where(Organisation.eic == eic)).first()
        if dso is not None:
            audience.append(dso.id)
    return _notify(session, row, event, audience)


def _notify(
    session: Session, row: MarketActivation, event: str, audience: Sequence[str]
) -> list[FollowUp]:
    """A callback of the activation to each organisation of ``audience`` that has a URL."""
    body = {"event": event, "activation": activation_view(row)}
    follow_ups = []
    for org_id in audience:
        organisation = session.get(Organisation, org_id)
        message_id = organisation and webhooks.message(
            session,
            organisation,
            event_type=event,
            subject_kind="activation",
            subject_id=row.id,
            body=body,
        )
        if message_id:
            follow_ups.append(FollowUp(webhooks.TASK_DELIVER, {"message_id": message_id}))
    return follow_ups


# ------------------------------------------------------------------------- handlers


def sync_activation_status(
    session: Session, receipts: Sequence[Receipt], *, detail: dict[str, Any] | None = None
) -> None:
    who = actors(session)
    for args, event in events(receipts, "ActivationStatusChanged"):
        row = session.exec(
            select(MarketActivation).where(
                MarketActivation.chain_key == hex32(args["activationId"])
            )
        ).first()
        if row is None:
            continue
        to_label = ActivationStatus(args["toStatus"]).label
        row.status = to_label
        row.updated_at = utcnow()
        record_change(
            session,
            kind="activation",
            resource_id=row.id,
            from_status=ActivationStatus(args["fromStatus"]).label,
            to_status=to_label,
            actor=who.get(args["actor"].lower(), args["actor"]),
            transaction_hash=event.transaction_hash,
            block_number=event.block_number,
            detail=detail,
        )
    session.flush()


def _key(session: Session, activation_id: str) -> bytes:
    row = session.get(MarketActivation, activation_id)
    return bytes32(row.chain_key if row else chain_key("activation", activation_id))


def _released(row: MarketActivation, from_time: int) -> list[int]:
    starts = period_starts(row.first_period, len(row.set_points_kw))
    return [
        0 if start >= from_time else kw for start, kw in zip(starts, row.set_points_kw, strict=True)
    ]


class ActivationSend(Handler):
    kind = "market.activation.send"
    time_critical = True  # a block's wait matters: never deferred behind the TSO's pending one

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = payloads.read(operation, payload_models.ActivationSending)
        bid = session.get(MarketBid, p.bid_id)
        assert bid is not None
        return [
            Call(
                MARKET,
                "sendActivation",
                (
                    bytes32(p.chain_key),
                    bytes32(bid.chain_key),
                    bid_terms(session, bid).as_tuple(),
                    p.first_period,
                    p.set_points_kw,
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        sent = events(receipts, "ActivationSent")
        if not sent:
            return []
        args, event = sent[0]
        p = payloads.read(operation, payload_models.ActivationSending)
        bid = session.get(MarketBid, p.bid_id)
        assert bid is not None
        row = MarketActivation(
            id=p.activation_id,
            chain_key=p.chain_key,
            bid_id=bid.id,
            uvam_id=bid.uvam_id,
            bsp_id=bid.bsp_id,
            first_period=p.first_period,
            set_points_kw=list(args["setPointsKw"]),
            status="None",
            ack_deadline=args["ackDeadline"],
            dso_eics=[eic_from_bytes16(e) for e in args["dsoEics"]],
            sent_block=event.block_number,
        )
        session.add(row)
        session.flush()
        sync_activation_status(session, receipts)
        operation.result = {"activationId": row.id, "ackDeadline": iso(row.ack_deadline)}
        return [
            *_notifications(session, row, "activation.sent"),
            FollowUp(TASK_LAPSE, {"activation_id": row.id, "not_before": row.ack_deadline + 1}),
        ]


class ActivationAck(Handler):
    kind = "market.activation.ack"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = payloads.read(operation, payload_models.ActivationAcknowledgement)
        return [
            Call(
                MARKET,
                "acknowledgeActivation",
                (
                    _key(session, p.activation_id),
                    p.accept,
                    bytes32(p.reasons_hash),
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        p = payloads.read(operation, payload_models.ActivationAcknowledgement)
        sync_activation_status(
            session, receipts, detail={"reasons": p.reasons} if p.reasons else None
        )
        row = session.get(MarketActivation, p.activation_id)
        if row is not None and receipts:
            if not p.accept:
                row.set_points_kw = [0] * len(row.set_points_kw)
                row.reasons = p.reasons
            row.notifications = {**row.notifications, "acknowledgedAt": utcnow().isoformat()}
            tso = tso_of(session)
            return _notify(session, row, "activation.acknowledged", [tso.id])
        return []


class ActivationChangeHandler(Handler):
    kind = "market.activation.change"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = payloads.read(operation, payload_models.ActivationChange)
        return [Call(MARKET, "changeActivation", (_key(session, p.activation_id), p.set_points_kw))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        changed = events(receipts, "ActivationChanged")
        p = payloads.read(operation, payload_models.ActivationChange)
        row = session.get(MarketActivation, p.activation_id)
        if not changed or row is None:
            return []
        args, _ = changed[0]
        row.set_points_kw, row.ack_deadline = list(args["setPointsKw"]), args["ackDeadline"]
        sync_activation_status(session, receipts)
        return [
            *_notifications(session, row, "activation.changed"),
            FollowUp(TASK_LAPSE, {"activation_id": row.id, "not_before": row.ack_deadline + 1}),
        ]


class ActivationStopHandler(Handler):
    kind = "market.activation.stop"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = payloads.read(operation, payload_models.ActivationStop)
        return [
            Call(
                MARKET,
                "stopActivation",
                (_key(session, p.activation_id), bytes32(p.reasons_hash)),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        p = payloads.read(operation, payload_models.ActivationStop)
        row = session.get(MarketActivation, p.activation_id)
        stopped = events(receipts, "ActivationStatusChanged")
        if row is None or not stopped:
            return []
        block_time = now(session)
        row.set_points_kw = _released(row, block_time)
        row.reasons = p.reasons or None
        sync_activation_status(session, receipts)
        return _notifications(session, row, "activation.stopped")


class ActivationLapse(Handler):
    kind = "market.activation.lapse"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = payloads.read(operation, payload_models.ActivationLapse)
        return [Call(MARKET, "lapseActivations", ([_key(session, p.activation_id)],))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        p = payloads.read(operation, payload_models.ActivationLapse)
        row = session.get(MarketActivation, p.activation_id)
        if row is None or not receipts:
            return []
        row.set_points_kw = [0] * len(row.set_points_kw)
        sync_activation_status(session, receipts)
        return _notifications(session, row, "activation.lapsed")


# ------------------------------------------------------------------------- reads


def may_see(organisation: Organisation, row: MarketActivation) -> bool:
    if sees_everything(organisation) or row.bsp_id == organisation.id:
        return True
    return organisation.role == Role.DSO and organisation.eic in row.dso_eics


def activation_view(row: MarketActivation) -> dict[str, Any]:
    return {
        "id": row.id,
        "chainKey": row.chain_key,
        "bidId": row.bid_id,
        "uvamId": row.uvam_id,
        "bsp": row.bsp_id,
        "firstPeriod": iso(row.first_period),
        "periodSeconds": PERIOD_SECONDS,
        "setPointsKw": row.set_points_kw,
        "status": row.status,
        "ackDeadline": iso(row.ack_deadline),
        "dsoEics": row.dso_eics,
        "reasons": row.reasons,
        "sentBlock": row.sent_block,
        "createdAt": row.created_at.isoformat(),
        "updatedAt": row.updated_at.isoformat(),
    }


def get_activation(
    session: Session, organisation: Organisation, activation_id: str
) -> dict[str, Any]:
    row = _activation(session, organisation, activation_id)
    return {
        **activation_view(row),
        "notifications": row.notifications,
        "history": history(session, row.id),
    }


def list_activations(
    session: Session,
    organisation: Organisation,
    *,
    status: str | None,
    bid_id: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    query = select(MarketActivation)
    if organisation.role == Role.BSP:
        query = query.where(MarketActivation.bsp_id == organisation.id)
    elif not sees_everything(organisation) and organisation.role != Role.DSO:
        query = query.where(col(MarketActivation.id).is_(None))
    if status:
        query = query.where(MarketActivation.status == status)
    if bid_id:
        query = query.where(MarketActivation.bid_id == bid_id)
    rows = session.exec(query.order_by(col(MarketActivation.created_at).desc())).all()
    visible = [r for r in rows if may_see(organisation, r)]
    page = visible[max(0, offset) : max(0, offset) + min(limit, 1000)]
    return {"data": [activation_view(r) for r in page], "count": len(visible)}
