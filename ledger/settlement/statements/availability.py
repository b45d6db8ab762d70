"""Availability pay (issue 14, item 2): an awarded bid earns, for each awarded period (ISP),
``awarded kW x price per kW per ISP``, rounded half to even to the cent per ISP; the total is
the sum of the rounded ISP amounts (the same rule as the energy amounts, docs/settlement.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from ledger.core.periods import PERIOD_SECONDS
from ledger.settlement.rounding import MONEY_CONTEXT, round_cents
from ledger.settlement.statements.period import StatementPeriod


def availability_amount(awarded_kw: int, price_eur_kw_isp: Decimal) -> Decimal:
    """EUR for one ISP: ``kW x EUR/kW/ISP``, exact, then half to even to the cent."""
    with localcontext(MONEY_CONTEXT):
        exact = Decimal(awarded_kw) * price_eur_kw_isp
    return round_cents(exact)


@dataclass(frozen=True)
class AwardedCapacity:
    """What one bid won in one clearing, with the availability price frozen at award
    (``None``: the award's terms name none - cleared before issue 14 - so it earns nothing)."""

    bid_id: str
    need_id: str
    uvam_id: str
    delivery_start: int
    awarded_kw: Sequence[int]
    price_eur_kw_isp: Decimal | None


def availability_lines(award: AwardedCapacity, period: StatementPeriod) -> dict[str, Any] | None:
    """The award's ISPs that start within ``period`` and were awarded a positive quantity,
    each with its amount; ``None`` when there is none."""
    price = award.price_eur_kw_isp
    isps: list[dict[str, Any]] = []
    for index, kw in enumerate(award.awarded_kw):
        start = award.delivery_start + index * PERIOD_SECONDS
        if kw <= 0 or not period.contains(start):
            continue
        amount = Decimal(0) if price is None else availability_amount(kw, price)
        isps.append({"start": start, "awardedKw": kw, "availabilityEur": amount})
    if not isps:
        return None
    return {
        "bidId": award.bid_id,
        "needId": award.need_id,
        "uvamId": award.uvam_id,
        "priceEurKwIsp": price,
        "isps": isps,
        "availabilityEur": sum((line["availabilityEur"] for line in isps), Decimal(0)),
    }
