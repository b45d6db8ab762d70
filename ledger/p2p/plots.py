"""PNG figures of the case study, after the source's Figures 2-5.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, no display), so the API
process can render them per request. Plotting is the one place decimals become floats: the
figures are pictures of the numbers, never inputs to them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ledger.p2p.case_study import CaseStudy
from ledger.p2p.energy import EvRole
from ledger.p2p.pricing import wh_to_kwh

__all__ = ["FIGURES", "render", "render_all"]

GRID = "#c0392b"
P2P = "#1e8449"
BUYER = "#2471a3"
SELLER = "#d68910"
NEUTRAL = "#7f8c8d"
ROLE_COLOURS = {EvRole.BUYER: BUYER, EvRole.SELLER: SELLER, EvRole.NEUTRAL: NEUTRAL}


def _figure(width: float = 10.0, height: float = 5.0) -> Figure:
    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _f(value: Decimal | int) -> float:
    return float(value)


def load_profile(study: CaseStudy) -> bytes:
    """Figure 2: grid load of the charging fleet over the day, without and with P2P."""
    figure = _figure()
    axes = figure.add_subplot()
    hours = [
        study.parameters.horizon_start_hour + i * study.parameters.step_minutes / 60
        for i in range(len(study.times))
    ]
    without = [_f(v) for v in study.load_without_kw]
    with_p2p = [_f(v) for v in study.load_with_kw]
    axes.step(
        hours, without, where="post", color=GRID, linewidth=2, label="charging from the grid only"
    )
    axes.step(hours, with_p2p, where="post", color=P2P, linewidth=2, label="with P2P trading")
    axes.fill_between(
        hours, with_p2p, without, step="post", color=P2P, alpha=0.15, label="load served by peers"
    )
    summary = study.summary
    axes.axhline(_f(summary["peakLoadWithoutP2PKw"]), color=GRID, linestyle=":", linewidth=1)
    axes.axhline(_f(summary["peakLoadWithP2PKw"]), color=P2P, linestyle=":", linewidth=1)
    busy = [h for h, load in zip(hours, without, strict=True) if load > 0] or hours
    first, last = int(busy[0]) - 1, int(busy[-1]) + 2
    axes.set_xlim(first, last)
    ticks = range(first, last + 1, 1 if last - first <= 12 else 2)
    axes.set_xticks(list(ticks))
    axes.set_xticklabels([f"{h % 24:02d}:00" for h in ticks])
    axes.set_xlabel("time of day")
    axes.set_ylabel("grid load (kW)")
    axes.set_title(
        f"Grid load of {summary['evs']} EVs: peak {summary['peakLoadWithoutP2PKw']:.1f} kW "
        f"from the grid only, {summary['peakLoadWithP2PKw']:.1f} kW with P2P\nenergy from the grid "
        f"{summary['gridEnergyWithoutP2PKwh']:.1f} kWh without P2P, "
        f"{summary['gridEnergyWithP2PKwh']:.1f} kWh with P2P"
    )
    axes.legend(loc="upper right")
    axes.grid(alpha=0.3)
    return _png(figure)


def soc_by_capacity(study: CaseStudy) -> bytes:
    """Figure 3: state of charge of each EV against its battery capacity, by role."""
    figure = _figure(8.0, 5.0)
    axes = figure.add_subplot()
    for role in EvRole:
        evs = [ev for ev in study.evs if ev.role is role]
        if evs:
            axes.scatter(
                [ev.capacity_kwh for ev in evs],
                [_f(ev.soc_percent) for ev in evs],
                color=ROLE_COLOURS[role],
                label=f"{role.value}s ({len(evs)})",
                s=40,
                alpha=0.8,
            )
    thresholds = study.parameters.thresholds
    axes.axhline(
        _f(thresholds.buyer_below),
        color=BUYER,
        linestyle="--",
        label=f"buyer threshold T_B = {thresholds.buyer_below} %",
    )
    axes.axhline(
        _f(thresholds.seller_above),
        color=SELLER,
        linestyle="--",
        label=f"seller threshold T_S = {thresholds.seller_above} %",
    )
    axes.set_xticks([40, 60, 80, 100])
    axes.set_xlabel("battery capacity (kWh)")
    axes.set_ylabel("state of charge (%)")
    axes.set_ylim(0, 100)
    axes.set_title("State of charge of the EVs against their battery capacity")
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3)
    return _png(figure)


def energy_by_ev(study: CaseStudy) -> bytes:
    """Figure 4: energy each EV offers or requires, and what it sold or bought."""
    figure = _figure(max(10.0, len(study.evs) * 0.25), 5.0)
    axes = figure.add_subplot()
    names = [ev.name for ev in study.evs]
    sign = [(-1 if ev.role is EvRole.SELLER else 1) for ev in study.evs]
    wanted = [s * _f(wh_to_kwh(ev.energy_wh)) for s, ev in zip(sign, study.evs, strict=True)]
    traded = [s * _f(wh_to_kwh(ev.traded_wh)) for s, ev in zip(sign, study.evs, strict=True)]
    colours = [ROLE_COLOURS[ev.role] for ev in study.evs]
    axes.bar(
        names,
        wanted,
        color="none",
        edgecolor=colours,
        linewidth=1.2,
        label="required (+) / available (-)",
    )
    axes.bar(names, traded, color=colours, alpha=0.85, label="bought (+) / sold (-) in P2P")
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_ylabel("energy (kWh)")
    axes.set_title(
        f"Energy per EV: {study.summary['tradedKwh']:.1f} kWh traded in "
        f"{study.summary['trades']} trades"
    )
    axes.tick_params(axis="x", labelrotation=90, labelsize=7)
    axes.legend(loc="upper left")
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def charging_cost(study: CaseStudy) -> bytes:
    """Figure 5: each buyer's charging cost from the grid against its cost with P2P."""
    buyers = [ev for ev in study.evs if ev.role is EvRole.BUYER]
    figure = _figure(max(10.0, len(buyers) * 0.45), 5.0)
    axes = figure.add_subplot()
    positions = list(range(len(buyers)))
    width = 0.4
    axes.bar(
        [x - width / 2 for x in positions],
        [_f(ev.cost_grid_eur) for ev in buyers],
        width,
        color=GRID,
        label="from the grid only",
    )
    axes.bar(
        [x + width / 2 for x in positions],
        [_f(ev.cost_p2p_eur) for ev in buyers],
        width,
        color=P2P,
        label="with P2P trading",
    )
    axes.set_xticks(positions)
    axes.set_xticklabels([ev.name for ev in buyers], rotation=90, fontsize=7)
    axes.set_ylabel("charging cost (EUR)")
    summary = study.summary
    p = study.parameters
    axes.set_title(
        f"Buyers' charging cost: {summary['buyersCostGridEur']} EUR from the grid "
        f"({p.grid_tariff_eur_per_kwh} EUR/kWh),\n{summary['buyersCostP2PEur']} EUR with P2P "
        f"({p.price_eur_per_kwh} EUR/kWh); sellers earn {summary['sellersRevenueEur']} EUR"
    )
    axes.legend(loc="upper right")
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


FIGURES: dict[str, Callable[[CaseStudy], bytes]] = {
    "load_profile": load_profile,
    "soc_by_capacity": soc_by_capacity,
    "energy_by_ev": energy_by_ev,
    "charging_cost": charging_cost,
}


def render(study: CaseStudy, name: str) -> bytes:
    """One figure as PNG bytes; ``KeyError`` for an unknown name."""
    return FIGURES[name](study)


def render_all(study: CaseStudy) -> dict[str, bytes]:
    return {name: draw(study) for name, draw in FIGURES.items()}
