"""TSO needs and their clearing against the active bids (merit order, see
:mod:`ledger.market.clearing`).

The TSO states a need (product, direction, quantity per period, optional price limit, pricing
rule); it is published on chain, then cleared once the gate of its first period has closed
(``clearing: immediate``: the worker waits for it on the platform's clock) or when the TSO asks
after that; before, bids may still come, and clearing is refused (here and on chain). The
clearing reads the bids that are Active on chain (the database mirrors them), computes the
awards, and records on chain the awards, the rejected bids and the hashes of the clearing's
inputs and result. The inputs are stored with the need: :func:`rerun` clears them again and
compares the result's hash with the one on chain. A clearing that awards nothing leaves the
need ``Unfilled``, with the reason (:func:`ledger.market.clearing.unfilled_reason`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, func, select

from ledger import payloads
from ledger.core import operations
from ledger.core.access import require_role, sees_everything
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import bytes32, simulate
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.domain.enums import Role
from ledger.core.errors import Conflict, InvalidInput, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import chain_key, new_id
from ledger.core.periods import delivery_end, gate_closes_at, iso, period_starts, to_unix
from ledger.core.runtime import Runtime
from ledger.core.units import price_text, price_to_micro
from ledger.market import clearing
from ledger.market.bids import product_spec, sync_bid_status
from ledger.market.common import (
    ERROR_FIELDS,
    MARKET,
    bid_terms,
    events,
    hex32,
    now,
    tso_of,
)
from ledger.market.schemas import ClearingMode, NeedCreate
from ledger.market.tables import MarketAward, MarketBid, MarketNeed
from ledger.market.terms import Direction, NeedTerms, Pricing
from ledger.payloads import market as payload_models
from ledger.settlement.terms import award_terms

TASK_CLEAR_NEED = "cbp.market.clear_need"
OPEN, CLEARED, UNFILLED = "Open", "Cleared", "Unfilled"
CLEARED_STATUSES = (CLEARED, UNFILLED)


class GateNotClosed(Conflict):
    """Clearing asked before the gate of the need's first period closed."""

    code = "gate_not_closed"


def need_gate(session: Session, need: MarketNeed) -> int:
    """When the need's gate closes (unix s): recorded at publication (on chain too); for a need
    published before that was recorded, from its product's gate closure."""
    if need.gate_closes_at is not None:
        return need.gate_closes_at
    spec = product_spec(session, need.product_id)
    return gate_closes_at(need.delivery_start, spec.gate_closure_s if spec else 0)


def _need_terms(need: MarketNeed) -> NeedTerms:
    return NeedTerms(
        market_id=need.product_id,
        direction=Direction(need.direction),
        delivery_start=need.delivery_start,
        quantities_kw=tuple(need.quantities_kw),
        price_limit_micro=need.price_limit_micro,
        pricing=Pricing(need.pricing),
    )


def _terms_from_payload(payload: dict[str, Any]) -> NeedTerms:
    return NeedTerms(
        market_id=payload["productId"],
        direction=Direction(payload["direction"]),
        delivery_start=payload["deliveryStart"],
        quantities_kw=tuple(payload["quantitiesKw"]),
        price_limit_micro=payload["priceLimitMicro"],
        pricing=Pricing(payload["pricing"]),
    )


def publish_need(
    runtime: Runtime, session: Session, *, tso: Organisation, need: NeedCreate
) -> Operation:
    """The TSO states a need; it goes on chain and is cleared (now, or when the TSO asks)."""
    require_role(tso, Role.TSO, field="productId")
    spec = product_spec(session, need.product_id)
    if spec is None:
        raise NotFound(f"no market product {need.product_id}", field="productId")
    if need.direction not in spec.directions:
        raise InvalidInput(
            f"product {need.product_id} has no {need.direction.value} direction", field="direction"
        )
    need_id = new_id()
    payload = {
        "needId": need_id,
        "chainKey": chain_key("need", need_id),
        "productId": need.product_id,
        "direction": need.direction.value,
        "deliveryStart": to_unix(need.delivery_start),
        "quantitiesKw": list(need.quantities_kw),
        "priceLimitMicro": price_to_micro(need.price_limit)
        if need.price_limit is not None
        else None,
        "pricing": need.pricing.value,
        "clearing": need.clearing.value,
        "settlementTerms": award_terms(
            runtime.settings, spec.settlement, need.pricing, need.settlement
        ),
    }
    payload["termsHash"] = hex32(_terms_from_payload(payload).hash())
    operation = operations.accept(
        session, organisation=tso, kind="market.need.publish", target_id=need_id, payload=payload
    )
    simulate(runtime, tso, NeedPublish().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


class NeedPublish(Handler):
    kind = "market.need.publish"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = payloads.read(operation, payload_models.NeedPublication)
        return [
            Call(
                MARKET,
                "publishNeed",
                (bytes32(p.chain_key), _terms_from_payload(operation.payload).as_tuple()),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        published = events(receipts, "NeedPublished")
        if not published:
            return []
        args, _ = published[0]
        p = payloads.read(operation, payload_models.NeedPublication)
        session.add(
            MarketNeed(
                id=p.need_id,
                chain_key=p.chain_key,
                product_id=p.product_id,
                direction=p.direction,
                delivery_start=p.delivery_start,
                quantities_kw=p.quantities_kw,
                price_limit_micro=p.price_limit_micro,
                pricing=p.pricing,
                clearing=p.clearing,
                status=OPEN,
                terms_hash=p.terms_hash,
                gate_closes_at=args["gateClosesAt"],
                settlement_terms=p.settlement_terms,
            )
        )
        operation.result = {"needId": p.need_id, "gateClosesAt": iso(args["gateClosesAt"])}
        if p.clearing == ClearingMode.IMMEDIATE.value:
            return [
                FollowUp(
                    TASK_CLEAR_NEED, {"need_id": p.need_id, "not_before": args["gateClosesAt"]}
                )
            ]
        return []


def _offers(session: Session, need: MarketNeed, at: int) -> list[clearing.Offer]:
    end = delivery_end(need.delivery_start, len(need.quantities_kw))
    rows = session.exec(
        select(MarketBid).where(
            MarketBid.product_id == need.product_id,
            MarketBid.direction == need.direction,
            MarketBid.status == "Active",
            MarketBid.valid_until > at,
            MarketBid.delivery_start < end,
        )
    ).all()
    return [
        clearing.Offer(
            bid_id=bid.id,
            price_micro=bid.price_micro,
            delivery_start=bid.delivery_start,
            quantities_kw=tuple(bid.quantities_kw),
            divisible=bid.divisible,
            priority=(bid.priority_block, bid.priority_log),
        )
        for bid in rows
        if delivery_end(bid.delivery_start, bid.period_count) > need.delivery_start
    ]


def _spec(need: MarketNeed) -> clearing.NeedSpec:
    return clearing.NeedSpec(
        delivery_start=need.delivery_start,
        quantities_kw=tuple(need.quantities_kw),
        pricing=Pricing(need.pricing),
        price_limit_micro=need.price_limit_micro,
        settlement_terms=need.settlement_terms,
    )


def clear_need(
    runtime: Runtime,
    session: Session,
    *,
    tso: Organisation,
    need_id: str,
    idempotency_key: str | None = None,
) -> Operation:
    """Clear an open need against the active bids and record the awards on chain, once the
    gate of its first period has closed (409 ``gate_not_closed`` before)."""
    require_role(tso, Role.TSO, field="needId")
    need = session.get(MarketNeed, need_id)
    if need is None:
        raise NotFound(f"no need {need_id}", field="needId")
    if need.status != OPEN:
        raise Conflict(f"need {need_id} is {need.status}", field="needId")
    at, gate = now(session), need_gate(session, need)
    if at < gate:
        raise GateNotClosed(
            f"need {need_id} can be cleared once its gate closes at {iso(gate)} (platform clock"
            f" now {iso(at)}): until then bids for its periods are still on time",
            field="needId",
            reason="gateNotClosed",
            gateClosesAt=iso(gate),
        )
    spec = _spec(need)
    offers = _offers(session, need, at)
    result = clearing.clear(spec, offers)
    inputs = clearing.inputs_document(spec, offers)
    outcome = clearing.result_document(result)
    operation = operations.accept(
        session,
        organisation=tso,
        kind="market.need.clear",
        target_id=need.id,
        idempotency_key=idempotency_key,
        payload={
            "needId": need.id,
            "inputs": inputs,
            "inputsHash": hex32(clearing.document_hash(inputs)),
            "result": outcome,
            "resultHash": hex32(clearing.document_hash(outcome)),
        },
    )
    if operation.status == "accepted":
        simulate(runtime, tso, NeedClear().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def gate_of(runtime: Runtime, need_id: str) -> int | None:
    """When the gate of a stored need closes (``None`` for an unknown need)."""
    with runtime.session() as session:
        need = session.get(MarketNeed, need_id)
        return None if need is None else need_gate(session, need)


def clear_need_task(runtime: Runtime, need_id: str) -> str | None:
    """Automatic clearing of a need published with ``clearing: immediate`` (the task waits for
    the need's gate closure first)."""
    with runtime.session() as session:
        need = session.get(MarketNeed, need_id)
        if need is None or need.status != OPEN or now(session) < need_gate(session, need):
            return None
        operation = clear_need(
            runtime,
            session,
            tso=tso_of(session),
            need_id=need_id,
            idempotency_key=f"clear:{need_id}:auto",
        )
    operations.submit(runtime, operation)
    return operation.id


class NeedClear(Handler):
    kind = "market.need.clear"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = payloads.read(operation, payload_models.NeedClearing)
        need = session.get(MarketNeed, p.need_id)
        assert need is not None
        awards = []
        for award in p.result["awards"]:
            bid = session.get(MarketBid, award["bidId"])
            assert bid is not None
            awards.append(
                (
                    bytes32(bid.chain_key),
                    bid_terms(session, bid).as_tuple(),
                    award["awardedKw"],
                    award["pricesMicro"],
                )
            )
        rejected = []
        for bid_id in p.result["rejected"]:
            bid = session.get(MarketBid, bid_id)
            assert bid is not None
            rejected.append(bytes32(bid.chain_key))
        return [
            Call(
                MARKET,
                "clearNeed",
                (
                    bytes32(need.chain_key),
                    _need_terms(need).as_tuple(),
                    bytes32(p.inputs_hash),
                    bytes32(p.result_hash),
                    awards,
                    rejected,
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        cleared = events(receipts, "NeedCleared")
        if not cleared:
            return []
        p = payloads.read(operation, payload_models.NeedClearing)
        need = session.get(MarketNeed, p.need_id)
        assert need is not None
        need.status = CLEARED if p.result["awards"] else UNFILLED
        need.inputs, need.inputs_hash = p.inputs, p.inputs_hash
        need.result, need.result_hash = p.result, p.result_hash
        need.clear_transaction_hash = cleared[0][1].transaction_hash
        need.cleared_at = utcnow()
        for award in p.result["awards"]:
            bid = session.get(MarketBid, award["bidId"])
            assert bid is not None
            bid.need_id = need.id
            session.add(
                MarketAward(
                    bid_id=bid.id,
                    need_id=need.id,
                    uvam_id=bid.uvam_id,
                    bsp_id=bid.bsp_id,
                    delivery_start=bid.delivery_start,
                    awarded_kw=award["awardedKw"],
                    prices_micro=award["pricesMicro"],
                )
            )
        for bid_id in p.result["rejected"]:
            bid = session.get(MarketBid, bid_id)
            assert bid is not None
            bid.need_id = need.id
        session.flush()
        sync_bid_status(session, receipts, detail={"needId": need.id})
        operation.result = {"needId": need.id, "resultHash": p.result_hash}
        return []


def rerun(
    runtime: Runtime, session: Session, *, organisation: Organisation, need_id: str
) -> dict[str, Any]:
    """Clear a cleared need again from its stored inputs; compare with the hash on chain."""
    need = _visible_need(session, organisation, need_id)
    if need.status not in CLEARED_STATUSES or need.inputs is None:
        raise Conflict(f"need {need_id} is not cleared yet", field="needId")
    spec, offers = clearing.from_inputs_document(need.inputs)
    result = clearing.clear(spec, offers)
    recomputed = hex32(clearing.result_hash(result))
    on_chain = runtime.chain.read(MARKET, "need", bytes32(need.chain_key))
    chain_hash = hex32(on_chain["resultHash"])
    return {
        "needId": need.id,
        "inputsHash": hex32(clearing.inputs_hash(spec, offers)),
        "storedInputsHash": need.inputs_hash,
        "resultHash": recomputed,
        "onChainResultHash": chain_hash,
        "reproduced": recomputed == chain_hash == need.result_hash,
    }


# ------------------------------------------------------------------------- reads


def _visible_need(session: Session, organisation: Organisation, need_id: str) -> MarketNeed:
    need = session.get(MarketNeed, need_id)
    if need is None:
        raise NotFound(f"no need {need_id}", field="needId")
    return need


def need_view(session: Session, need: MarketNeed, organisation: Organisation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": need.id,
        "chainKey": need.chain_key,
        "productId": need.product_id,
        "direction": need.direction,
        "deliveryStart": iso(need.delivery_start),
        "quantitiesKw": need.quantities_kw,
        "priceLimit": price_text(need.price_limit_micro)
        if need.price_limit_micro is not None
        else None,
        "pricing": need.pricing,
        "clearing": need.clearing,
        "status": need.status,
        "gateClosesAt": iso(need_gate(session, need)),
        "unfilledReason": None,
        "termsHash": need.terms_hash,
        "settlementTerms": need.settlement_terms,
        "inputsHash": need.inputs_hash,
        "resultHash": need.result_hash,
        "clearTransactionHash": need.clear_transaction_hash,
        "createdAt": need.created_at.isoformat(),
        "clearedAt": need.cleared_at.isoformat() if need.cleared_at else None,
    }
    if need.result is not None and need.inputs is not None:
        body["unfilledReason"] = clearing.unfilled_reason(need.inputs, need.result)
        starts = period_starts(need.delivery_start, len(need.quantities_kw))
        body["periods"] = [
            {
                "periodStart": iso(start),
                "neededKw": p["neededKw"],
                "awardedKw": p["awardedKw"],
                "unmetKw": p["unmetKw"],
                "clearingPrice": price_text(p["clearingPriceMicro"])
                if p["clearingPriceMicro"] is not None
                else None,
            }
            for start, p in zip(starts, need.result["periods"], strict=True)
        ]
        awards = session.exec(select(MarketAward).where(MarketAward.need_id == need.id)).all()
        body["awards"] = [
            {
                "bidId": a.bid_id,
                "uvamId": a.uvam_id,
                "bsp": a.bsp_id,
                "deliveryStart": iso(a.delivery_start),
                "awardedKw": a.awarded_kw,
                "prices": [price_text(x) for x in a.prices_micro],
            }
            for a in awards
            if sees_everything(organisation) or a.bsp_id == organisation.id
        ]
        if sees_everything(organisation):
            body["rejected"] = need.result["rejected"]
            body["inputs"] = need.inputs
            body["result"] = need.result
    return body


def get_need(session: Session, organisation: Organisation, need_id: str) -> dict[str, Any]:
    return need_view(session, _visible_need(session, organisation, need_id), organisation)


def list_needs(
    session: Session, organisation: Organisation, *, status: str | None, limit: int, offset: int
) -> dict[str, Any]:
    query = select(MarketNeed)
    if status:
        query = query.where(MarketNeed.status == status)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(MarketNeed.created_at).desc())
        .offset(max(0, offset))
        .limit(min(limit, 500))
    ).all()
    return {"data": [need_view(session, n, organisation) for n in rows], "count": int(count)}
