"""Prices as the chain stores them: exact, never rounded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.core.units import energy_mwh, micro_to_price, price_text, price_to_micro


def test_prices_round_trip_exactly() -> None:
    assert price_to_micro(Decimal("45.50")) == 45_500_000
    assert price_to_micro(Decimal("-12.000001")) == -12_000_001
    assert micro_to_price(45_500_000) == Decimal("45.5")
    assert price_text(50_000_000) == "50"
    assert price_text(-1) == "-0.000001"
    with pytest.raises(ValueError, match="decimals"):
        price_to_micro(Decimal("0.0000001"))
    with pytest.raises(ValueError, match="finite"):
        price_to_micro(Decimal("Infinity"))
    with pytest.raises(ValueError, match="range"):
        price_to_micro(Decimal(2**63))
    assert energy_mwh(40, 900) == Decimal("0.01")
