"""Eqs. 1-3: roles and energies at and around the thresholds (T_B = 75 %, T_S = 80 %)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.p2p.energy import (
    EvRole,
    Position,
    Thresholds,
    available_energy_wh,
    position_of,
    required_energy_wh,
    role_of,
)

T = Thresholds(Decimal(75), Decimal(80))
D = Decimal


@pytest.mark.parametrize(
    ("soc", "role"),
    [
        ("0", EvRole.BUYER),
        ("74.99", EvRole.BUYER),
        ("75", EvRole.NEUTRAL),  # exactly at T_B: not below it
        ("75.01", EvRole.NEUTRAL),
        ("79.99", EvRole.NEUTRAL),
        ("80", EvRole.NEUTRAL),  # exactly at T_S: not above it
        ("80.01", EvRole.SELLER),
        ("100", EvRole.SELLER),
    ],
)
def test_role_at_and_around_the_thresholds(soc: str, role: EvRole) -> None:
    assert role_of(D(soc), T) is role


@pytest.mark.parametrize(
    ("soc", "capacity_wh", "required"),
    [
        ("45", 60_000, 18_000),  # the source's first example row: 18.0 kWh
        ("31.5", 100_000, 43_500),  # the second: 43.5 kWh
        ("74.99", 100_000, 10),  # 0.01 % of 100 kWh
        ("74.99", 40_000, 4),
        ("74.999", 40_000, 0),  # 0.4 Wh rounds down to nothing
        ("75", 100_000, 0),
        ("0", 40_000, 30_000),
        ("90", 60_000, 0),  # a seller requires nothing
    ],
)
def test_required_energy_is_up_to_the_buyer_threshold(
    soc: str, capacity_wh: int, required: int
) -> None:
    assert required_energy_wh(D(soc), capacity_wh, T) == required


@pytest.mark.parametrize(
    ("soc", "capacity_wh", "available"),
    [
        ("95", 100_000, 15_000),
        ("80.01", 100_000, 10),
        ("80.01", 40_000, 4),
        ("80", 100_000, 0),
        ("100", 80_000, 16_000),
        ("87.5", 60_000, 4_500),
        ("45", 60_000, 0),  # a buyer offers nothing
    ],
)
def test_available_energy_is_down_to_the_seller_threshold(
    soc: str, capacity_wh: int, available: int
) -> None:
    assert available_energy_wh(D(soc), capacity_wh, T) == available


def test_position_combines_role_and_energy() -> None:
    assert position_of(D("45"), 60_000, T) == Position(EvRole.BUYER, 18_000)
    assert position_of(D("95"), 40_000, T) == Position(EvRole.SELLER, 6_000)
    assert position_of(D("77"), 40_000, T) == Position(EvRole.NEUTRAL, 0)


def test_equal_thresholds_leave_only_the_threshold_neutral() -> None:
    same = Thresholds(D(50), D(50))
    assert role_of(D("49.99"), same) is EvRole.BUYER
    assert role_of(D("50"), same) is EvRole.NEUTRAL
    assert role_of(D("50.01"), same) is EvRole.SELLER


@pytest.mark.parametrize(("buyer", "seller"), [("81", "80"), ("-1", "80"), ("75", "100.01")])
def test_thresholds_must_be_ordered_percentages(buyer: str, seller: str) -> None:
    with pytest.raises(ValueError, match="thresholds"):
        Thresholds(D(buyer), D(seller))


@pytest.mark.parametrize(
    ("soc", "capacity"), [("-0.01", 40_000), ("100.01", 40_000), ("50", 0), ("50", -1)]
)
def test_impossible_states_are_refused(soc: str, capacity: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        position_of(D(soc), capacity, T)
