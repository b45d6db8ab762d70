"""Matching buyers and sellers of one trading window (equation 4 of ``docs/p2p.md``).

The rule: **time priority at the posted price**. Every trade of a window is at the price the
infrastructure operator posted, so price cannot rank anyone; arrival does. Buyers are ranked by
the time their charging session reported its state of charge (earlier first, ties by EV id),
sellers the same way. The first buyer takes energy from the first seller until one of them is
done (``E_ij = min(remaining need of i, remaining offer of j)``); whichever is done is replaced
by the next in its queue, until one queue is empty. So:

* the energy traded is ``min(sum of E_req, sum of E_av)``: nothing is left that could trade;
* a buyer is served in full before any later buyer gets anything (and likewise for sellers);
* a window of ``b`` buyers and ``s`` sellers makes at most ``b + s - 1`` trades, so the ledger
  records O(n) trades, not O(b * s);
* each trade costs ``cost_cents(E_ij, P)`` (Eq. 5), rounded per trade, since each is a payment
  of its own.

Energy is in whole Wh throughout, so matching is exact integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ledger.p2p.energy import EvRole, Thresholds, position_of
from ledger.p2p.pricing import cost_cents

__all__ = [
    "MatchResult",
    "MatchedTrade",
    "Offer",
    "SessionReport",
    "match",
    "match_sessions",
    "offers_from_sessions",
]


@dataclass(frozen=True)
class SessionReport:
    """What a charge point reports of a charging session: the EV, its SoC, and when."""

    ev_id: str
    soc_percent: Decimal
    capacity_wh: int
    reported_at: datetime


@dataclass(frozen=True)
class Offer:
    """A buyer's required or a seller's available energy in a window, with its priority."""

    ev_id: str
    role: EvRole
    energy_wh: int
    reported_at: datetime

    @property
    def priority(self) -> tuple[datetime, str]:
        return (self.reported_at, self.ev_id)


@dataclass(frozen=True)
class MatchedTrade:
    buyer_ev_id: str
    seller_ev_id: str
    energy_wh: int
    cost_cents: int


@dataclass(frozen=True)
class MatchResult:
    """The trades of a window, and per EV what it bought or sold."""

    trades: tuple[MatchedTrade, ...]
    demand_wh: int
    supply_wh: int
    bought_wh: dict[str, int] = field(default_factory=dict)
    sold_wh: dict[str, int] = field(default_factory=dict)

    @property
    def traded_wh(self) -> int:
        return sum(trade.energy_wh for trade in self.trades)

    @property
    def cost_cents(self) -> int:
        return sum(trade.cost_cents for trade in self.trades)


def offers_from_sessions(sessions: Iterable[SessionReport], thresholds: Thresholds) -> list[Offer]:
    """Eqs. 1-3 for every session; neutral EVs and zero energies make no offer."""
    offers = []
    for session in sessions:
        position = position_of(session.soc_percent, session.capacity_wh, thresholds)
        if position.role is not EvRole.NEUTRAL and position.energy_wh > 0:
            offers.append(
                Offer(session.ev_id, position.role, position.energy_wh, session.reported_at)
            )
    return offers


def match(offers: Sequence[Offer], *, price_micro_eur_per_kwh: int) -> MatchResult:
    """Eq. 4 by time priority (module docstring), and Eq. 5 per trade."""
    ev_ids = [offer.ev_id for offer in offers]
    if len(set(ev_ids)) != len(ev_ids):
        raise ValueError("an EV may make only one offer per window")
    if any(offer.energy_wh <= 0 or offer.role is EvRole.NEUTRAL for offer in offers):
        raise ValueError("offers must be a buyer's or seller's positive energy")
    buyers = sorted((o for o in offers if o.role is EvRole.BUYER), key=lambda o: o.priority)
    sellers = sorted((o for o in offers if o.role is EvRole.SELLER), key=lambda o: o.priority)
    trades: list[MatchedTrade] = []
    bought: dict[str, int] = {}
    sold: dict[str, int] = {}
    b = s = 0
    need = buyers[0].energy_wh if buyers else 0
    offer = sellers[0].energy_wh if sellers else 0
    while b < len(buyers) and s < len(sellers):
        energy = min(need, offer)
        buyer, seller = buyers[b].ev_id, sellers[s].ev_id
        trades.append(
            MatchedTrade(buyer, seller, energy, cost_cents(energy, price_micro_eur_per_kwh))
        )
        bought[buyer] = bought.get(buyer, 0) + energy
        sold[seller] = sold.get(seller, 0) + energy
        need -= energy
        offer -= energy
        if need == 0:
            b += 1
            need = buyers[b].energy_wh if b < len(buyers) else 0
        if offer == 0:
            s += 1
            offer = sellers[s].energy_wh if s < len(sellers) else 0
    return MatchResult(
        trades=tuple(trades),
        demand_wh=sum(o.energy_wh for o in buyers),
        supply_wh=sum(o.energy_wh for o in sellers),
        bought_wh=bought,
        sold_wh=sold,
    )


def match_sessions(
    sessions: Iterable[SessionReport], thresholds: Thresholds, *, price_micro_eur_per_kwh: int
) -> MatchResult:
    """Eqs. 1-5: from session reports to priced trades."""
    return match(
        offers_from_sessions(sessions, thresholds), price_micro_eur_per_kwh=price_micro_eur_per_kwh
    )
