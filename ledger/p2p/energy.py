"""Roles and energies of EVs from their state of charge (equations 1-3 of ``docs/p2p.md``).

With ``SoC_i`` the state of charge of EV ``i`` in percent, ``BC_i`` its battery capacity,
``T_B`` the buyer threshold and ``T_S`` the seller threshold (``0 <= T_B <= T_S <= 100``):

* Eq. 1, role: ``R_i = B`` if ``SoC_i < T_B``; ``S`` if ``SoC_i > T_S``; ``N`` otherwise (an EV
  exactly at a threshold is neutral).
* Eq. 2, energy a buyer requires: ``E_req,i = (T_B - SoC_i) / 100 * BC_i`` - what brings it up
  to the buyer threshold, where it stops being a buyer.
* Eq. 3, energy a seller can offer: ``E_av,j = (SoC_j - T_S) / 100 * BC_j`` - what takes it
  down to the seller threshold, where it stops being a seller.

Energies are whole watt-hours, rounded down: the platform never promises more energy than a
battery can take or give.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

__all__ = [
    "EvRole",
    "Position",
    "Thresholds",
    "available_energy_wh",
    "position_of",
    "required_energy_wh",
    "role_of",
]

HUNDRED = Decimal(100)


class EvRole(StrEnum):
    """The role of an EV in a trading window (Eq. 1)."""

    BUYER = "buyer"
    SELLER = "seller"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Thresholds:
    """The two configurable thresholds, in percent of battery capacity.

    ``buyer_below`` is ``T_B``: an EV below it buys. ``seller_above`` is ``T_S``: an EV above it
    sells. They may be equal (no neutral band but the threshold itself).
    """

    buyer_below: Decimal
    seller_above: Decimal

    def __post_init__(self) -> None:
        for name in ("buyer_below", "seller_above"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValueError(f"{name} must be a finite Decimal, got {value!r}")
        if not Decimal(0) <= self.buyer_below <= self.seller_above <= HUNDRED:
            raise ValueError(
                "thresholds must satisfy 0 <= buyer threshold <= seller threshold <= 100, got "
                f"{self.buyer_below} and {self.seller_above}"
            )


@dataclass(frozen=True)
class Position:
    """An EV's role in a window and the energy it requires (buyer) or offers (seller)."""

    role: EvRole
    energy_wh: int


def _check(soc_percent: Decimal, capacity_wh: int) -> None:
    if not isinstance(soc_percent, Decimal) or not Decimal(0) <= soc_percent <= HUNDRED:
        raise ValueError(
            f"state of charge must be a Decimal between 0 and 100, got {soc_percent!r}"
        )
    if isinstance(capacity_wh, bool) or not isinstance(capacity_wh, int) or capacity_wh <= 0:
        raise ValueError(f"battery capacity must be a positive number of Wh, got {capacity_wh!r}")


def role_of(soc_percent: Decimal, thresholds: Thresholds) -> EvRole:
    """Eq. 1: buyer below ``T_B``, seller above ``T_S``, neutral otherwise."""
    if soc_percent < thresholds.buyer_below:
        return EvRole.BUYER
    if soc_percent > thresholds.seller_above:
        return EvRole.SELLER
    return EvRole.NEUTRAL


def _share_of(capacity_wh: int, percent: Decimal) -> int:
    return int((percent * capacity_wh / HUNDRED).to_integral_value(rounding=ROUND_FLOOR))


def required_energy_wh(soc_percent: Decimal, capacity_wh: int, thresholds: Thresholds) -> int:
    """Eq. 2: ``(T_B - SoC) / 100 * BC`` in whole Wh (rounded down) for a buyer; 0 otherwise."""
    _check(soc_percent, capacity_wh)
    if role_of(soc_percent, thresholds) is not EvRole.BUYER:
        return 0
    return _share_of(capacity_wh, thresholds.buyer_below - soc_percent)


def available_energy_wh(soc_percent: Decimal, capacity_wh: int, thresholds: Thresholds) -> int:
    """Eq. 3: ``(SoC - T_S) / 100 * BC`` in whole Wh (rounded down) for a seller; 0 otherwise."""
    _check(soc_percent, capacity_wh)
    if role_of(soc_percent, thresholds) is not EvRole.SELLER:
        return 0
    return _share_of(capacity_wh, soc_percent - thresholds.seller_above)


def position_of(soc_percent: Decimal, capacity_wh: int, thresholds: Thresholds) -> Position:
    """Eqs. 1-3 together: the role, and the energy required (buyer) or available (seller)."""
    role = role_of(soc_percent, thresholds)
    if role is EvRole.BUYER:
        return Position(role, required_energy_wh(soc_percent, capacity_wh, thresholds))
    if role is EvRole.SELLER:
        return Position(role, available_energy_wh(soc_percent, capacity_wh, thresholds))
    _check(soc_percent, capacity_wh)
    return Position(role, 0)
