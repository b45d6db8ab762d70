"""Eq. 5 and the rounding rule: half to even, to the cent; Decimal and integer forms agree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.p2p.pricing import (
    cents_to_eur,
    cost_cents,
    cost_eur,
    eur_to_cents,
    kwh_to_wh,
    price_from_micro,
    price_to_micro,
    wh_to_kwh,
)

D = Decimal
PRICE = D("0.15")


def test_the_source_example_trades() -> None:
    """FLOW D5.5 Figure 7: 18.0 kWh for 2.70 EUR and 43.5 kWh for 6.52 EUR at 0.15 EUR/kWh."""
    assert cost_eur(D("18.0"), PRICE) == D("2.70")
    assert cost_eur(D("43.5"), PRICE) == D("6.52")  # 6.525 is a tie: to the even cent
    assert cost_cents(18_000, 150_000) == 270
    assert cost_cents(43_500, 150_000) == 652


@pytest.mark.parametrize(
    ("kwh", "eur"),
    [
        ("43.5", "6.52"),  # 6.525 -> 6.52 (2 is even)
        ("43.7", "6.56"),  # 6.555 -> 6.56 (6 is even)
        ("43.9", "6.58"),  # 6.585 -> 6.58
        ("44.1", "6.62"),  # 6.615 -> 6.62
        ("43.51", "6.53"),  # 6.5265: above the tie, up
        ("43.49", "6.52"),  # 6.5235: below the tie, down
        ("0.001", "0.00"),
        ("0.1", "0.02"),  # 0.015 -> 0.02
        ("0.3", "0.04"),  # 0.045 -> 0.04
    ],
)
def test_half_to_even(kwh: str, eur: str) -> None:
    assert cost_eur(D(kwh), PRICE) == D(eur)
    assert cost_cents(kwh_to_wh(D(kwh)), price_to_micro(PRICE)) == eur_to_cents(D(eur))


@given(
    energy_wh=st.integers(min_value=0, max_value=10**9),
    price_micro=st.integers(min_value=1, max_value=10**8),
)
def test_integer_and_decimal_forms_agree(energy_wh: int, price_micro: int) -> None:
    euros = cost_eur(wh_to_kwh(energy_wh), price_from_micro(price_micro))
    assert cents_to_eur(cost_cents(energy_wh, price_micro)) == euros


def test_units_are_exact_or_refused() -> None:
    assert price_to_micro(D("0.15")) == 150_000
    assert kwh_to_wh(D("43.5")) == 43_500
    assert eur_to_cents(D("6.52")) == 652
    with pytest.raises(ValueError, match="whole multiple"):
        kwh_to_wh(D("0.0005"))
    with pytest.raises(ValueError, match="whole multiple"):
        eur_to_cents(D("1.005"))
    with pytest.raises(ValueError, match="positive"):
        price_to_micro(D(0))
    with pytest.raises(ValueError, match="negative"):
        cost_cents(-1, 150_000)
