"""The merit order of a cleared need, for the TSO (and the auditor): per period, the bids in
the order the clearing took them (price, then time priority, then bid id), with what each
offered and was awarded, its BSP and UVAM by name.

The order is not read from the stored result: the clearing is run again from its stored inputs
(``ledger/market/clearing.py``, pure), and ``reproduced`` says whether that run gives the result
hash the need recorded, so the table shown is the reproducible one.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from ledger.core.access import require_role
from ledger.core.db.models import Organisation
from ledger.core.domain.enums import Role
from ledger.core.errors import Conflict, NotFound
from ledger.core.periods import iso
from ledger.core.units import price_text
from ledger.market import clearing
from ledger.market.common import hex32
from ledger.market.tables import MarketBid, MarketNeed
from ledger.registry.tables import Uvam


def merit_order(session: Session, organisation: Organisation, need_id: str) -> dict[str, Any]:
    require_role(organisation, Role.TSO, Role.AUDITOR, field="needId")
    need = session.get(MarketNeed, need_id)
    if need is None:
        raise NotFound(f"no need {need_id}", field="needId")
    if need.inputs is None:
        raise Conflict(f"need {need_id} is not cleared yet", field="needId")
    spec, offers = clearing.from_inputs_document(need.inputs)
    result = clearing.clear(spec, offers)
    offer_of = {offer.bid_id: offer for offer in offers}
    bids = {
        bid.id: bid
        for bid in session.exec(
            select(MarketBid).where(col(MarketBid.id).in_(list(offer_of)))
        ).all()
    }
    uvams = {
        uvam.id: uvam.name
        for uvam in session.exec(
            select(Uvam).where(col(Uvam.id).in_({bid.uvam_id for bid in bids.values()}))
        ).all()
    }
    bsps = {
        org.id: org.name
        for org in session.exec(
            select(Organisation).where(
                col(Organisation.id).in_({bid.bsp_id for bid in bids.values()})
            )
        ).all()
    }

    def row(rank: int, bid_id: str, offered: int, awarded: int) -> dict[str, Any]:
        bid = bids.get(bid_id)
        return {
            "rank": rank,
            "bidId": bid_id,
            "price": price_text(offer_of[bid_id].price_micro),
            "offeredKw": offered,
            "awardedKw": awarded,
            "divisible": offer_of[bid_id].divisible,
            "bspName": bsps.get(bid.bsp_id) if bid else None,
            "uvamName": uvams.get(bid.uvam_id) if bid else None,
        }

    limit = spec.price_limit_micro
    above = sorted(o.bid_id for o in offers if limit is not None and o.price_micro > limit)
    return {
        "needId": need.id,
        "pricing": spec.pricing.value,
        "priceLimit": None if limit is None else price_text(limit),
        "aboveLimit": above,
        "reproduced": hex32(clearing.result_hash(result)) == need.result_hash,
        "inputsHash": need.inputs_hash,
        "resultHash": need.result_hash,
        "periods": [
            {
                "periodStart": iso(period.period_start),
                "neededKw": period.needed_kw,
                "awardedKw": period.awarded_kw,
                "clearingPrice": None
                if period.clearing_price_micro is None
                else price_text(period.clearing_price_micro),
                "bids": [
                    row(rank, bid_id, offered, awarded)
                    for rank, (bid_id, offered, awarded) in enumerate(period.merit_order, start=1)
                ],
            }
            for period in result.periods
        ],
    }
