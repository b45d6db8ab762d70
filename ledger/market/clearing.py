"""Clearing a TSO need against bids: merit order, partial acceptance, deterministic ties.

For every delivery period of the need, the bids offering in that period are sorted by

1. price, cheapest first (prices are what the TSO pays per MWh, for both directions: a bid that
   asks less is better for the TSO; a negative price means the BSP pays);
2. time priority: the bid whose current terms reached the chain first (block number, then log
   index of its last ``BidSubmitted``/``BidUpdated`` event) goes first;
3. the bid id, so that the order is total even for identical inputs.

Bids are then accepted in that order until the period's need is met. A divisible bid may be
accepted in part (partial acceptance, FLEXGRID §5.1); an indivisible one only in full, or it is
skipped for that period and the next bid is tried. Bids above the need's price limit take no
part in the period.

Prices: **pay-as-bid** pays each awarded bid its own price; **pay-as-clear** pays every bid
awarded in a period the period's clearing price, the highest price accepted in it (the marginal
bid). A bid that overlaps the need but is awarded nothing in any period is rejected.

The function is pure: the same need and offers give the same result, byte for byte
(:func:`inputs_hash`, :func:`result_hash`), which is what makes a rerun checkable against the
hashes recorded on chain.

A need stated with settlement terms (issue 14: baseline method, sanction price, tolerance,
pricing rule) carries them through the clearing unchanged: ``need.settlementTerms`` in the
inputs document and ``settlementTerms`` in the result document, so the result hash recorded
on chain (``FlexMarket.need(id).resultHash``) covers the terms every award is settled under.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from ledger.core.domain.canonical import canonical_json
from ledger.core.periods import PERIOD_SECONDS, period_starts
from ledger.market.terms import Pricing


@dataclass(frozen=True)
class Offer:
    """An active bid as the clearing sees it."""

    bid_id: str
    price_micro: int
    delivery_start: int
    quantities_kw: tuple[int, ...]
    divisible: bool = True
    priority: tuple[int, int] = (0, 0)
    """(block number, log index) of the event that recorded the bid's current terms."""

    def quantity_at(self, period_start: int) -> int:
        offset = period_start - self.delivery_start
        if offset < 0 or offset % PERIOD_SECONDS:
            return 0
        index = offset // PERIOD_SECONDS
        return self.quantities_kw[index] if index < len(self.quantities_kw) else 0

    def merit_key(self) -> tuple[int, int, int, str]:
        return (self.price_micro, self.priority[0], self.priority[1], self.bid_id)


@dataclass(frozen=True)
class NeedSpec:
    """What the TSO asks for: a quantity per period from ``delivery_start``."""

    delivery_start: int
    quantities_kw: tuple[int, ...]
    pricing: Pricing = Pricing.PAY_AS_BID
    price_limit_micro: int | None = None
    settlement_terms: Mapping[str, Any] | None = None
    """The awards' settlement terms (JSON-able), frozen with them: in the inputs and the
    result documents, so the result hash on chain covers them. ``None`` for needs stated
    before terms were frozen at award (their documents keep their bytes)."""


@dataclass(frozen=True)
class Award:
    """What one bid wins: kW and price per period, aligned with the bid's own periods."""

    bid_id: str
    awarded_kw: tuple[int, ...]
    prices_micro: tuple[int, ...]

    @property
    def total_kw(self) -> int:
        return sum(self.awarded_kw)


@dataclass(frozen=True)
class PeriodOutcome:
    period_start: int
    needed_kw: int
    awarded_kw: int
    clearing_price_micro: int | None
    """Highest accepted price in the period (the marginal bid); None when nothing was accepted."""
    merit_order: tuple[tuple[str, int, int], ...] = field(default=())
    """(bid id, offered kW, awarded kW) in merit order, bids above the price limit left out."""

    @property
    def unmet_kw(self) -> int:
        return self.needed_kw - self.awarded_kw


@dataclass(frozen=True)
class ClearingResult:
    awards: tuple[Award, ...]
    rejected: tuple[str, ...]
    periods: tuple[PeriodOutcome, ...]
    settlement_terms: Mapping[str, Any] | None = None

    def award_of(self, bid_id: str) -> Award | None:
        return next((award for award in self.awards if award.bid_id == bid_id), None)


def clear(need: NeedSpec, offers: Sequence[Offer]) -> ClearingResult:
    """Clear ``need`` against ``offers`` (see the module docstring for the rules)."""
    if not need.quantities_kw:
        raise ValueError("a need covers at least one period")
    if any(quantity < 0 for quantity in need.quantities_kw):
        raise ValueError("needed quantities must not be negative")
    ids = [offer.bid_id for offer in offers]
    if len(set(ids)) != len(ids):
        raise ValueError("an offer is listed twice")
    starts = period_starts(need.delivery_start, len(need.quantities_kw))
    candidates = [o for o in offers if any(o.quantity_at(start) > 0 for start in starts)]
    awarded: dict[str, dict[int, int]] = {offer.bid_id: {} for offer in candidates}
    prices: dict[str, dict[int, int]] = {offer.bid_id: {} for offer in candidates}
    outcomes = []
    for start, needed in zip(starts, need.quantities_kw, strict=True):
        in_period = sorted(
            (
                offer
                for offer in candidates
                if offer.quantity_at(start) > 0
                and (need.price_limit_micro is None or offer.price_micro <= need.price_limit_micro)
            ),
            key=Offer.merit_key,
        )
        remaining = needed
        order = []
        accepted: list[Offer] = []
        for offer in in_period:
            offered = offer.quantity_at(start)
            take = (
                min(offered, remaining)
                if offer.divisible
                else (offered if offered <= remaining else 0)
            )
            if take:
                awarded[offer.bid_id][start] = take
                accepted.append(offer)
                remaining -= take
            order.append((offer.bid_id, offered, take))
        marginal = max((offer.price_micro for offer in accepted), default=None)
        for offer in accepted:
            paid = offer.price_micro if need.pricing is Pricing.PAY_AS_BID else marginal
            assert paid is not None
            prices[offer.bid_id][start] = paid
        outcomes.append(PeriodOutcome(start, needed, needed - remaining, marginal, tuple(order)))
    awards = []
    rejected = []
    for offer in sorted(candidates, key=lambda o: o.bid_id):
        if not awarded[offer.bid_id]:
            rejected.append(offer.bid_id)
            continue
        own = period_starts(offer.delivery_start, len(offer.quantities_kw))
        awards.append(
            Award(
                bid_id=offer.bid_id,
                awarded_kw=tuple(awarded[offer.bid_id].get(start, 0) for start in own),
                prices_micro=tuple(prices[offer.bid_id].get(start, 0) for start in own),
            )
        )
    return ClearingResult(
        awards=tuple(awards),
        rejected=tuple(rejected),
        periods=tuple(outcomes),
        settlement_terms=need.settlement_terms,
    )


# ------------------------------------------------------------------- documents and hashes


def inputs_document(need: NeedSpec, offers: Sequence[Offer]) -> dict[str, Any]:
    """The clearing's inputs as a canonical document (offers sorted by bid id)."""
    spec: dict[str, Any] = {
        "deliveryStart": need.delivery_start,
        "quantitiesKw": list(need.quantities_kw),
        "pricing": need.pricing.value,
        "priceLimitMicro": need.price_limit_micro,
    }
    if need.settlement_terms is not None:
        spec["settlementTerms"] = dict(need.settlement_terms)
    return {
        "need": spec,
        "offers": [
            {
                "bidId": offer.bid_id,
                "priceMicro": offer.price_micro,
                "deliveryStart": offer.delivery_start,
                "quantitiesKw": list(offer.quantities_kw),
                "divisible": offer.divisible,
                "priority": list(offer.priority),
            }
            for offer in sorted(offers, key=lambda o: o.bid_id)
        ],
    }


def from_inputs_document(document: dict[str, Any]) -> tuple[NeedSpec, list[Offer]]:
    """Inverse of :func:`inputs_document`: rebuild the inputs of a stored clearing."""
    raw = document["need"]
    need = NeedSpec(
        delivery_start=int(raw["deliveryStart"]),
        quantities_kw=tuple(int(q) for q in raw["quantitiesKw"]),
        pricing=Pricing(raw["pricing"]),
        price_limit_micro=None if raw["priceLimitMicro"] is None else int(raw["priceLimitMicro"]),
        settlement_terms=raw.get("settlementTerms"),
    )
    offers = [
        Offer(
            bid_id=item["bidId"],
            price_micro=int(item["priceMicro"]),
            delivery_start=int(item["deliveryStart"]),
            quantities_kw=tuple(int(q) for q in item["quantitiesKw"]),
            divisible=bool(item["divisible"]),
            priority=(int(item["priority"][0]), int(item["priority"][1])),
        )
        for item in document["offers"]
    ]
    return need, offers


def result_document(result: ClearingResult) -> dict[str, Any]:
    document: dict[str, Any] = {
        "awards": [
            {
                "bidId": a.bid_id,
                "awardedKw": list(a.awarded_kw),
                "pricesMicro": list(a.prices_micro),
            }
            for a in result.awards
        ],
        "rejected": list(result.rejected),
        "periods": [
            {
                "periodStart": p.period_start,
                "neededKw": p.needed_kw,
                "awardedKw": p.awarded_kw,
                "unmetKw": p.unmet_kw,
                "clearingPriceMicro": p.clearing_price_micro,
                "meritOrder": [
                    {"bidId": bid_id, "offeredKw": offered, "awardedKw": taken}
                    for bid_id, offered, taken in p.merit_order
                ],
            }
            for p in result.periods
        ],
    }
    if result.settlement_terms is not None:
        document["settlementTerms"] = dict(result.settlement_terms)
    return document


def document_hash(document: dict[str, Any]) -> bytes:
    return keccak(canonical_json(document))


def inputs_hash(need: NeedSpec, offers: Sequence[Offer]) -> bytes:
    return document_hash(inputs_document(need, offers))


def result_hash(result: ClearingResult) -> bytes:
    return document_hash(result_document(result))


def unfilled_reason(inputs: dict[str, Any], result: dict[str, Any]) -> dict[str, str] | None:
    """Why a clearing awarded nothing (``None`` when it awarded something), from its stored
    documents: ``noBids`` (no Active bid offered in the need's periods), ``aboveLimit`` (every
    bid offered was above the price limit) or ``noFit`` (only indivisible bids larger than the
    need were left)."""
    if result["awards"]:
        return None
    need, offers = from_inputs_document(inputs)
    starts = period_starts(need.delivery_start, len(need.quantities_kw))
    offering = [o for o in offers if any(o.quantity_at(start) > 0 for start in starts)]
    if not offering:
        return {
            "code": "noBids",
            "message": "no Active bid offered in the need's periods when it was cleared",
        }
    limit = need.price_limit_micro
    if limit is not None and all(o.price_micro > limit for o in offering):
        return {
            "code": "aboveLimit",
            "message": f"all {len(offering)} bids offered were above the need's price limit",
        }
    return {
        "code": "noFit",
        "message": f"the {len(offering)} bids offered were indivisible and larger than the need",
    }
