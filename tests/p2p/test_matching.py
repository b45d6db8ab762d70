"""Eq. 4 by time priority at the posted price, worked out by hand (T_B = 75 %, T_S = 80 %,
P = 0.15 EUR/kWh)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ledger.p2p.energy import EvRole, Thresholds
from ledger.p2p.matching import MatchedTrade, Offer, SessionReport, match, match_sessions

T = Thresholds(Decimal(75), Decimal(80))
PRICE = 150_000  # micro-EUR per kWh
T0 = datetime(2024, 9, 27, 10, tzinfo=UTC)


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def test_a_window_worked_by_hand() -> None:
    """
    ev   capacity  SoC    role     energy (Eqs. 2-3)      reported
    S1    60 kWh   90 %   seller   (90-80)% x 60  =  6.0   10:00
    B1    40 kWh   50 %   buyer    (75-50)% x 40  = 10.0   10:01
    S2   100 kWh   95 %   seller   (95-80)% x 100 = 15.0   10:02
    B2    60 kWh   45 %   buyer    (75-45)% x 60  = 18.0   10:03
    N1    80 kWh   78 %   neutral                          10:04
    B3   100 kWh 31.5 %   buyer    (75-31.5)% x 100 = 43.5 10:05
    S3    80 kWh 85.5 %   seller   (85.5-80)% x 80 = 4.4   10:06

    Buyers in order B1, B2, B3; sellers S1, S2, S3:
    B1 takes 6.0 from S1 (S1 done), then 4.0 from S2 (B1 done, S2 has 11.0 left);
    B2 takes 11.0 from S2 (S2 done), then 4.4 from S3 (S3 done: no seller left).
    B3, last in time, gets nothing. Traded 25.4 kWh = the whole supply.
    """
    sessions = [
        SessionReport("S1", Decimal(90), 60_000, at(0)),
        SessionReport("B1", Decimal(50), 40_000, at(1)),
        SessionReport("S2", Decimal(95), 100_000, at(2)),
        SessionReport("B2", Decimal(45), 60_000, at(3)),
        SessionReport("N1", Decimal(78), 80_000, at(4)),
        SessionReport("B3", Decimal("31.5"), 100_000, at(5)),
        SessionReport("S3", Decimal("85.5"), 80_000, at(6)),
    ]
    result = match_sessions(sessions, T, price_micro_eur_per_kwh=PRICE)
    assert result.trades == (
        MatchedTrade("B1", "S1", 6_000, 90),  # 0.90 EUR
        MatchedTrade("B1", "S2", 4_000, 60),
        MatchedTrade("B2", "S2", 11_000, 165),
        MatchedTrade("B2", "S3", 4_400, 66),
    )
    assert (result.demand_wh, result.supply_wh, result.traded_wh) == (71_500, 25_400, 25_400)
    assert result.bought_wh == {"B1": 10_000, "B2": 15_400}
    assert result.sold_wh == {"S1": 6_000, "S2": 15_000, "S3": 4_400}
    assert result.cost_cents == 381


def test_more_supply_than_demand_and_ties_broken_by_ev_id() -> None:
    """Same report time: ids order them. a needs 5, b needs 3; x offers 4, y offers 10.
    a: 4 from x, 1 from y; b: 3 from y; y keeps 6 kWh."""
    offers = [
        Offer("y", EvRole.SELLER, 10_000, T0),
        Offer("b", EvRole.BUYER, 3_000, T0),
        Offer("x", EvRole.SELLER, 4_000, T0),
        Offer("a", EvRole.BUYER, 5_000, T0),
    ]
    result = match(offers, price_micro_eur_per_kwh=PRICE)
    assert result.trades == (
        MatchedTrade("a", "x", 4_000, 60),
        MatchedTrade("a", "y", 1_000, 15),
        MatchedTrade("b", "y", 3_000, 45),
    )
    assert result.traded_wh == result.demand_wh == 8_000


def test_costs_are_rounded_per_trade() -> None:
    """0.2 kWh from two sellers: two payments of 0.015 -> 0.02 EUR each (half to even), not one
    of 0.03 EUR."""
    offers = [
        Offer("buyer", EvRole.BUYER, 200, at(0)),
        Offer("s1", EvRole.SELLER, 100, at(1)),
        Offer("s2", EvRole.SELLER, 100, at(2)),
    ]
    assert [t.cost_cents for t in match(offers, price_micro_eur_per_kwh=PRICE).trades] == [2, 2]


def test_at_most_b_plus_s_minus_one_trades() -> None:
    offers = [Offer(f"b{i}", EvRole.BUYER, 1_000 + 37 * i, at(i)) for i in range(50)]
    offers += [Offer(f"s{i}", EvRole.SELLER, 900 + 53 * i, at(i)) for i in range(40)]
    result = match(offers, price_micro_eur_per_kwh=PRICE)
    assert len(result.trades) <= 50 + 40 - 1
    assert result.traded_wh == min(result.demand_wh, result.supply_wh)


def test_one_sided_windows_make_no_trades() -> None:
    assert match([Offer("b", EvRole.BUYER, 1, T0)], price_micro_eur_per_kwh=PRICE).trades == ()
    assert match([Offer("s", EvRole.SELLER, 1, T0)], price_micro_eur_per_kwh=PRICE).trades == ()
    assert match([], price_micro_eur_per_kwh=PRICE).trades == ()


def test_bad_offers_are_refused() -> None:
    with pytest.raises(ValueError, match="one offer"):
        match(
            [Offer("a", EvRole.BUYER, 1, T0), Offer("a", EvRole.SELLER, 1, T0)],
            price_micro_eur_per_kwh=1,
        )
    with pytest.raises(ValueError, match="positive"):
        match([Offer("a", EvRole.BUYER, 0, T0)], price_micro_eur_per_kwh=1)
