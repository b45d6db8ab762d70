"""The case study of FLOW D5.5 §2: a fleet of EVs charging from the grid, with and without P2P.

The source's set-up: EVs of 40, 60, 80 and 100 kWh; sellers at 80-95 % SoC, buyers at 30-60 %;
roles and energies by Eqs. 1-3; trades by Eqs. 4-5. It reports the load drawn from the grid with
and without P2P (its Figure 2) and each EV's charging cost from the grid versus with P2P (its
Figure 5). What the source leaves open is fixed here, as parameters:

* capacities cycle through 40, 60, 80, 100 kWh; the first ``seller_share`` of the fleet are
  sellers with SoC uniform in (80, 95] %, the rest buyers with SoC uniform in [30, 60] %
  (one decimal), drawn from a seeded generator, so a run is reproducible;
* each EV plugs in at a time drawn from a normal distribution (evening peak by default) and the
  buyers charge at the charger's power until they have their required energy;
* with P2P, the energy a buyer bought from peers is delivered while it charges, in proportion,
  so the grid supplies ``1 - bought / required`` of its charging power; sellers discharge into
  the buyers, not into the grid;
* the grid tariff is what a buyer pays per kWh from the grid; with P2P it pays the trades at
  the posted P2P price plus the rest at the grid tariff; a seller's cost is minus its revenue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger.p2p.energy import EvRole, Thresholds, position_of
from ledger.p2p.matching import MatchResult, Offer, match
from ledger.p2p.pricing import cents_to_eur, cost_eur, price_to_micro, wh_to_kwh

__all__ = ["CaseStudy", "CaseStudyParameters", "EvOutcome", "run_case_study"]

CAPACITIES_KWH = (40, 60, 80, 100)


@dataclass(frozen=True)
class CaseStudyParameters:
    evs: int = 40
    seed: int = 2024
    seller_share: Decimal = Decimal("0.5")
    seller_soc_percent: tuple[int, int] = (80, 95)
    buyer_soc_percent: tuple[int, int] = (30, 60)
    thresholds: Thresholds = field(default_factory=lambda: Thresholds(Decimal(75), Decimal(80)))
    price_eur_per_kwh: Decimal = Decimal("0.15")
    grid_tariff_eur_per_kwh: Decimal = Decimal("0.30")
    charger_kw: int = 11
    arrival_mean_hour: float = 18.0
    arrival_sd_hours: float = 1.5
    step_minutes: int = 15
    horizon_start_hour: int = 12

    def __post_init__(self) -> None:
        if not 2 <= self.evs <= 100_000:
            raise ValueError("the fleet needs between 2 and 100000 EVs")
        if not Decimal(0) <= self.seller_share <= Decimal(1):
            raise ValueError("the seller share is between 0 and 1")
        if self.charger_kw <= 0 or self.step_minutes not in (5, 10, 15, 30, 60):
            raise ValueError("the charger power is positive and the step 5, 10, 15, 30 or 60 min")


@dataclass(frozen=True)
class EvOutcome:
    """One EV of the fleet: its state, its role and energy, what it traded, what it paid."""

    name: str
    ev_id: str
    capacity_kwh: int
    soc_percent: Decimal
    role: EvRole
    energy_wh: int  # required (buyer) or available (seller)
    traded_wh: int  # bought (buyer) or sold (seller)
    arrival_step: int
    cost_grid_eur: Decimal  # charging its required energy from the grid alone
    cost_p2p_eur: Decimal  # with P2P: trades + the rest from the grid; minus revenue for sellers

    @property
    def grid_wh_without(self) -> int:
        return self.energy_wh if self.role is EvRole.BUYER else 0

    @property
    def grid_wh_with(self) -> int:
        return self.energy_wh - self.traded_wh if self.role is EvRole.BUYER else 0


@dataclass(frozen=True)
class CaseStudy:
    parameters: CaseStudyParameters
    evs: tuple[EvOutcome, ...]
    matching: MatchResult
    times: tuple[datetime, ...]
    load_without_kw: tuple[Decimal, ...]
    load_with_kw: tuple[Decimal, ...]

    @property
    def summary(self) -> dict[str, Any]:
        buyers = [ev for ev in self.evs if ev.role is EvRole.BUYER]
        sellers = [ev for ev in self.evs if ev.role is EvRole.SELLER]
        return {
            "evs": len(self.evs),
            "buyers": len(buyers),
            "sellers": len(sellers),
            "trades": len(self.matching.trades),
            "demandKwh": wh_to_kwh(self.matching.demand_wh),
            "supplyKwh": wh_to_kwh(self.matching.supply_wh),
            "tradedKwh": wh_to_kwh(self.matching.traded_wh),
            "gridEnergyWithoutP2PKwh": wh_to_kwh(sum(ev.grid_wh_without for ev in self.evs)),
            "gridEnergyWithP2PKwh": wh_to_kwh(sum(ev.grid_wh_with for ev in self.evs)),
            "peakLoadWithoutP2PKw": max(self.load_without_kw),
            "peakLoadWithP2PKw": max(self.load_with_kw),
            "buyersCostGridEur": sum((ev.cost_grid_eur for ev in buyers), Decimal("0.00")),
            "buyersCostP2PEur": sum((ev.cost_p2p_eur for ev in buyers), Decimal("0.00")),
            "sellersRevenueEur": -sum((ev.cost_p2p_eur for ev in sellers), Decimal("0.00")),
        }

    def as_json(self) -> dict[str, Any]:
        """Parameters, summary, one row per EV and the load profile; decimals as strings."""
        p = self.parameters
        document: dict[str, Any] = _plain(
            {
                "parameters": {
                    "evs": p.evs,
                    "seed": p.seed,
                    "sellerShare": p.seller_share,
                    "sellerSocPercent": list(p.seller_soc_percent),
                    "buyerSocPercent": list(p.buyer_soc_percent),
                    "buyerThresholdPercent": p.thresholds.buyer_below,
                    "sellerThresholdPercent": p.thresholds.seller_above,
                    "priceEurPerKwh": p.price_eur_per_kwh,
                    "gridTariffEurPerKwh": p.grid_tariff_eur_per_kwh,
                    "chargerKw": p.charger_kw,
                    "stepMinutes": p.step_minutes,
                },
                "summary": self.summary,
                "evs": [
                    {
                        "ev": ev.name,
                        "capacityKwh": ev.capacity_kwh,
                        "socPercent": ev.soc_percent,
                        "role": ev.role.value,
                        "energyKwh": wh_to_kwh(ev.energy_wh),
                        "tradedKwh": wh_to_kwh(ev.traded_wh),
                        "arrival": self.times[ev.arrival_step].strftime("%H:%M"),
                        "costGridEur": ev.cost_grid_eur,
                        "costP2PEur": ev.cost_p2p_eur,
                    }
                    for ev in self.evs
                ],
                "loadProfile": [
                    {"time": t.strftime("%H:%M"), "withoutP2PKw": a, "withP2PKw": b}
                    for t, a, b in zip(
                        self.times, self.load_without_kw, self.load_with_kw, strict=True
                    )
                ],
            }
        )
        return document


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def run_case_study(parameters: CaseStudyParameters | None = None) -> CaseStudy:
    """Draw the fleet, match it at the posted price, and compare grid load and costs."""
    p = parameters or CaseStudyParameters()
    rng = random.Random(p.seed)
    steps_per_day = 24 * 60 // p.step_minutes
    start = datetime(2024, 9, 27, p.horizon_start_hour, tzinfo=UTC)
    times = tuple(start + timedelta(minutes=p.step_minutes * i) for i in range(steps_per_day))
    sellers = int(p.seller_share * p.evs)

    fleet = []
    for index in range(p.evs):
        capacity = CAPACITIES_KWH[index % len(CAPACITIES_KWH)]
        if index < sellers:
            low, high = p.seller_soc_percent
            soc = Decimal(rng.randint(low * 10 + 1, high * 10)) / 10
        else:
            low, high = p.buyer_soc_percent
            soc = Decimal(rng.randint(low * 10, high * 10)) / 10
        hour = min(
            max(rng.gauss(p.arrival_mean_hour, p.arrival_sd_hours), p.horizon_start_hour), 23.75
        )
        arrival = int((hour - p.horizon_start_hour) * 60 // p.step_minutes)
        fleet.append((f"EV{index + 1:0{len(str(p.evs))}d}", capacity, soc, arrival))

    price_micro = price_to_micro(p.price_eur_per_kwh)
    offers, positions = [], {}
    for name, capacity, soc, arrival in fleet:
        position = position_of(soc, capacity * 1000, p.thresholds)
        positions[name] = position
        if position.role is not EvRole.NEUTRAL and position.energy_wh > 0:
            offers.append(Offer(name, position.role, position.energy_wh, times[arrival]))
    result = match(offers, price_micro_eur_per_kwh=price_micro)
    paid = {name: 0 for name, *_ in fleet}
    for trade in result.trades:
        paid[trade.buyer_ev_id] += trade.cost_cents
        paid[trade.seller_ev_id] -= trade.cost_cents

    outcomes = []
    for name, capacity, soc, arrival in fleet:
        position = positions[name]
        buyer = position.role is EvRole.BUYER
        traded = (result.bought_wh if buyer else result.sold_wh).get(name, 0)
        grid_cost = (
            cost_eur(wh_to_kwh(position.energy_wh), p.grid_tariff_eur_per_kwh)
            if buyer
            else Decimal("0.00")
        )
        rest = (
            cost_eur(wh_to_kwh(position.energy_wh - traded), p.grid_tariff_eur_per_kwh)
            if buyer
            else Decimal("0.00")
        )
        outcomes.append(
            EvOutcome(
                name=name,
                ev_id=name,
                capacity_kwh=capacity,
                soc_percent=soc,
                role=position.role,
                energy_wh=position.energy_wh,
                traded_wh=traded,
                arrival_step=arrival,
                cost_grid_eur=grid_cost,
                cost_p2p_eur=cents_to_eur(paid[name]) + rest,
            )
        )
    without, with_p2p = _load_profiles(outcomes, p, steps_per_day)
    return CaseStudy(p, tuple(outcomes), result, times, without, with_p2p)


def _load_profiles(
    evs: list[EvOutcome], p: CaseStudyParameters, steps: int
) -> tuple[tuple[Decimal, ...], tuple[Decimal, ...]]:
    """Grid load per step in kW: each buyer charges at the charger's power from its arrival
    until its required energy is in; with P2P the grid gives only its grid share of that."""
    step_hours = Decimal(p.step_minutes) / 60
    step_wh = int(p.charger_kw * 1000 * step_hours)
    without = [Decimal(0)] * steps
    with_p2p = [Decimal(0)] * steps
    for ev in evs:
        if ev.role is not EvRole.BUYER or ev.energy_wh == 0:
            continue
        grid_share = Decimal(ev.grid_wh_with) / ev.energy_wh
        remaining = ev.energy_wh
        step = ev.arrival_step
        while remaining > 0 and step < steps:
            delivered = min(step_wh, remaining)
            kw = Decimal(delivered) / 1000 / step_hours
            without[step] += kw
            with_p2p[step] += kw * grid_share
            remaining -= delivered
            step += 1
    quantum = Decimal("0.001")
    return (
        tuple(v.quantize(quantum) for v in without),
        tuple(v.quantize(quantum) for v in with_p2p),
    )
