"""Money and power as the chain stores them.

Prices are EUR/MWh as exact ``Decimal`` off chain and integers of micro-EUR per MWh on chain
(six decimals, ``int64``); a price with more decimals is refused, never rounded. Powers are
integer kW (a ``uint32`` on chain).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

PRICE_DECIMALS: Final = 6
PRICE_SCALE: Final = 10**PRICE_DECIMALS
#: int64 bounds of the contract's price fields.
MAX_PRICE_MICRO: Final = 2**63 - 1
MIN_PRICE_MICRO: Final = -(2**63)
#: uint32 bound of the contract's kW fields.
MAX_KW: Final = 2**32 - 1


def price_to_micro(price: Decimal) -> int:
    """EUR/MWh -> micro-EUR/MWh; ``ValueError`` for more than 6 decimals or out of range."""
    if not price.is_finite():
        raise ValueError("price must be a finite number")
    scaled = price * PRICE_SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"price has more than {PRICE_DECIMALS} decimals")
    micro = int(scaled)
    if not MIN_PRICE_MICRO <= micro <= MAX_PRICE_MICRO:
        raise ValueError("price out of range")
    return micro


def micro_to_price(micro: int) -> Decimal:
    """micro-EUR/MWh -> EUR/MWh, normalised (``Decimal("45.5")``, not ``45.500000``)."""
    value = Decimal(micro) / PRICE_SCALE
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def price_text(micro: int) -> str:
    """The price as the API writes it: plain decimal notation, no exponent."""
    return format(micro_to_price(micro), "f")


def energy_mwh(power_kw: int, seconds: int) -> Decimal:
    """Energy of ``power_kw`` held for ``seconds``, in MWh (exact)."""
    return Decimal(power_kw) * Decimal(seconds) / Decimal(3_600_000)
