"""Merit-order clearing (pure): hand-worked cases, ties, partial acceptance, determinism."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.market.clearing import (
    NeedSpec,
    Offer,
    clear,
    from_inputs_document,
    inputs_document,
    inputs_hash,
    result_hash,
)
from ledger.market.terms import Pricing

T = 1_800_000_000 - 1_800_000_000 % 900  # a period start
EUR = 1_000_000  # micro-EUR per EUR


def offer(
    bid_id: str,
    price: float | int,
    quantities: list[int],
    *,
    start: int = T,
    divisible: bool = True,
    priority: tuple[int, int] = (1, 0),
) -> Offer:
    return Offer(bid_id, int(price * EUR), start, tuple(quantities), divisible, priority)


def test_pay_as_bid_merit_order_with_partial_acceptance() -> None:
    # need 60 kW; b 40 @ 45.50 -> a 20 of 30 @ 50 -> c (60) nothing
    result = clear(
        NeedSpec(T, (60,)), [offer("a", 50, [30]), offer("b", 45.5, [40]), offer("c", 60, [40])]
    )
    assert {a.bid_id: (a.awarded_kw, a.prices_micro) for a in result.awards} == {
        "a": ((20,), (50 * EUR,)),
        "b": ((40,), (45_500_000,)),
    }
    assert result.rejected == ("c",)
    [period] = result.periods
    assert (period.awarded_kw, period.unmet_kw, period.clearing_price_micro) == (60, 0, 50 * EUR)
    assert period.merit_order == (("b", 40, 40), ("a", 30, 20), ("c", 40, 0))


def test_pay_as_clear_pays_the_marginal_price_of_each_period() -> None:
    # T: a 30 @ 40 -> b 20 of 25 @ 40 (a earlier); T+1: a 10 @ 40 -> c 20 of 35 @ 55 -> price 55
    offers = [
        offer("a", 40, [30, 10], priority=(10, 0)),
        offer("b", 40, [25], priority=(11, 0)),
        offer("c", 55, [35, 35], priority=(12, 0)),
    ]
    result = clear(NeedSpec(T, (50, 30), Pricing.PAY_AS_CLEAR, 58 * EUR), offers)
    assert {a.bid_id: (a.awarded_kw, a.prices_micro) for a in result.awards} == {
        "a": ((30, 10), (40 * EUR, 55 * EUR)),
        "b": ((20,), (40 * EUR,)),
        "c": ((0, 20), (0, 55 * EUR)),
    }
    assert [p.clearing_price_micro for p in result.periods] == [40 * EUR, 55 * EUR]
    assert result.rejected == ()


def test_ties_go_to_time_priority_then_to_the_bid_id() -> None:
    need = NeedSpec(T, (10,))
    later, earlier = offer("a", 40, [10], priority=(5, 3)), offer("b", 40, [10], priority=(5, 2))
    assert [a.bid_id for a in clear(need, [later, earlier]).awards] == ["b"]
    same_time = [offer("y", 40, [10], priority=(5, 2)), offer("x", 40, [10], priority=(5, 2))]
    assert [a.bid_id for a in clear(need, same_time).awards] == ["x"]


def test_indivisible_bid_is_skipped_when_it_does_not_fit() -> None:
    # need 30: a (cheapest) 20 -> b 20 indivisible does not fit the 10 left -> c gives 10
    result = clear(
        NeedSpec(T, (30,)),
        [offer("a", 10, [20]), offer("b", 20, [20], divisible=False), offer("c", 30, [15])],
    )
    assert {a.bid_id: a.awarded_kw for a in result.awards} == {"a": (20,), "c": (10,)}
    assert result.rejected == ("b",)


def test_price_limit_unmet_need_and_partial_overlap() -> None:
    # the need covers T and T+1; d starts at T+1 and runs past the need; e is above the limit
    result = clear(
        NeedSpec(T, (50, 50), Pricing.PAY_AS_BID, 70 * EUR),
        [
            offer("d", 60, [20, 30], start=T + 900),
            offer("e", 80, [50, 50]),
            offer("f", 10, [5], start=T + 7200),
        ],
    )
    assert {a.bid_id: a.awarded_kw for a in result.awards} == {"d": (20, 0)}
    assert [p.unmet_kw for p in result.periods] == [50, 30]
    assert result.rejected == ("e",)  # f does not overlap the need: not a candidate at all


def test_inputs_round_trip_and_hashes_do_not_depend_on_order() -> None:
    offers = [offer("a", 50, [30]), offer("b", 45.5, [40], divisible=False), offer("c", 60, [40])]
    need = NeedSpec(T, (60,), Pricing.PAY_AS_CLEAR, None)
    shuffled = offers[:]
    random.Random(4).shuffle(shuffled)
    assert inputs_hash(need, offers) == inputs_hash(need, shuffled)
    assert result_hash(clear(need, offers)) == result_hash(clear(need, shuffled))
    rebuilt_need, rebuilt_offers = from_inputs_document(inputs_document(need, offers))
    assert rebuilt_need == need
    assert sorted(rebuilt_offers, key=lambda o: o.bid_id) == offers
    assert result_hash(clear(rebuilt_need, rebuilt_offers)) == result_hash(clear(need, offers))


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        clear(NeedSpec(T, (10,)), [offer("a", 1, [1]), offer("a", 2, [1])])
    with pytest.raises(ValueError, match="at least one period"):
        clear(NeedSpec(T, ()), [])


offers_strategy = st.lists(
    st.tuples(
        st.integers(-50, 200),
        st.lists(st.integers(0, 50), min_size=1, max_size=4),
        st.integers(-2, 3),
        st.booleans(),
        st.integers(0, 5),
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(
    offers_strategy,
    st.lists(st.integers(0, 120), min_size=1, max_size=4),
    st.sampled_from(list(Pricing)),
    st.one_of(st.none(), st.integers(-50, 200)),
)
def test_clearing_invariants(raw, needed, pricing, limit) -> None:
    offers = [
        offer(f"bid{i}", price, q, start=T + 900 * shift, divisible=div, priority=(prio, i))
        for i, (price, q, shift, div, prio) in enumerate(raw)
    ]
    need = NeedSpec(T, tuple(needed), pricing, None if limit is None else limit * EUR)
    result = clear(need, offers)
    by_id = {o.bid_id: o for o in offers}
    for index, period in enumerate(result.periods):
        start = T + 900 * index
        awarded = {
            a.bid_id: a.awarded_kw[(start - by_id[a.bid_id].delivery_start) // 900]
            for a in result.awards
            if 0
            <= (start - by_id[a.bid_id].delivery_start) // 900
            < len(by_id[a.bid_id].quantities_kw)
        }
        assert sum(awarded.values()) == period.awarded_kw <= needed[index]
        for bid_id, kw in awarded.items():
            o = by_id[bid_id]
            assert kw <= o.quantity_at(start)
            assert o.divisible or kw in (0, o.quantity_at(start))
            if kw and limit is not None:
                assert o.price_micro <= limit * EUR
        # merit order: while a period's need is unmet, no divisible bid under the limit is left out
        if period.unmet_kw:
            for o in offers:
                if (
                    o.divisible
                    and o.quantity_at(start)
                    and awarded.get(o.bid_id, 0) < o.quantity_at(start)
                ):
                    assert limit is not None
                    assert o.price_micro > limit * EUR
    # every candidate is awarded or rejected, never both
    awarded_ids = {a.bid_id for a in result.awards}
    assert not awarded_ids & set(result.rejected)
    assert result_hash(result) == result_hash(clear(need, list(reversed(offers))))
