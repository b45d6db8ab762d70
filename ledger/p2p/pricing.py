"""Exact money for P2P trades (equation 5 of ``docs/p2p.md``).

The cost of a trade is ``C_ij = E_ij * P``: energy in kWh times the window's posted price in
EUR/kWh, computed exactly with :class:`~decimal.Decimal` and then rounded **to the cent, half to
even** (banker's rounding): 18.0 kWh at 0.15 EUR/kWh is exactly 2.70 EUR; 43.5 kWh is 6.525 EUR,
a tie, which goes to the even cent, 6.52 EUR. Half-to-even is unbiased over many trades (ties go
up as often as down), unlike truncation, which always favours the buyer.

On chain the same rule runs on integers: energy in Wh, price in micro-euro per kWh, cost in
cents = ``Wh * micro-EUR/kWh / 10**7`` rounded half to even (``P2PTrading.costCents``).
:func:`cost_cents` is that integer form and :func:`cost_eur` the Decimal form; they agree for
every energy in whole Wh and every price in whole micro-euro.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

__all__ = [
    "CENT",
    "ROUNDING",
    "cents_to_eur",
    "cost_cents",
    "cost_eur",
    "eur_to_cents",
    "kwh_to_wh",
    "price_from_micro",
    "price_to_micro",
    "wh_to_kwh",
]

CENT = Decimal("0.01")
ROUNDING = ROUND_HALF_EVEN
MICRO = Decimal("0.000001")
WH = Decimal("0.001")
#: Wh x micro-EUR/kWh per cent: 10**3 Wh per kWh times 10**4 micro-EUR per cent.
CENT_DIVISOR = 10**7


def _exact(value: Decimal, unit: Decimal, what: str) -> int:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{what} must be a finite Decimal, got {value!r}")
    units = value / unit
    if units != units.to_integral_value():
        raise ValueError(f"{what} {value} is not a whole multiple of {unit}")
    return int(units)


def price_to_micro(price_eur_per_kwh: Decimal) -> int:
    """A posted price in EUR/kWh as whole micro-euro per kWh; it must be positive and exact."""
    micro = _exact(price_eur_per_kwh, MICRO, "price")
    if micro <= 0:
        raise ValueError(f"price must be positive, got {price_eur_per_kwh}")
    return micro


def price_from_micro(micro: int) -> Decimal:
    return (Decimal(micro) * MICRO).normalize()


def kwh_to_wh(energy_kwh: Decimal) -> int:
    """Energy in kWh (at most three decimals) as whole Wh."""
    return _exact(energy_kwh, WH, "energy")


def wh_to_kwh(energy_wh: int) -> Decimal:
    return Decimal(energy_wh) * WH


def cents_to_eur(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def eur_to_cents(amount_eur: Decimal) -> int:
    """An amount in EUR (at most two decimals) as whole cents."""
    return _exact(amount_eur, CENT, "amount")


def cost_eur(energy_kwh: Decimal, price_eur_per_kwh: Decimal) -> Decimal:
    """Eq. 5: ``E * P`` in EUR, rounded to the cent half to even."""
    if energy_kwh < 0 or price_eur_per_kwh < 0:
        raise ValueError("energy and price must not be negative")
    return (energy_kwh * price_eur_per_kwh).quantize(CENT, rounding=ROUNDING)


def cost_cents(energy_wh: int, price_micro_eur_per_kwh: int) -> int:
    """Eq. 5 on integers, exactly as the contract computes it: cents, half to even."""
    if energy_wh < 0 or price_micro_eur_per_kwh < 0:
        raise ValueError("energy and price must not be negative")
    cents, remainder = divmod(energy_wh * price_micro_eur_per_kwh, CENT_DIVISOR)
    twice = 2 * remainder
    if twice > CENT_DIVISOR or (twice == CENT_DIVISOR and cents % 2 == 1):
        cents += 1
    return cents
