"""P2PTrading on the platform's chain: its rounding, its money flows, and every refusal decoded:
deposits only by the EV's own operator, trades only while their window is open."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.exceptions import EncodingError

from ledger.core.chain.client import Call
from ledger.p2p.pricing import cost_cents

PRICE = 150_000  # 0.15 EUR/kWh in micro-EUR
ZERO = b"\x00" * 32


def hx(value: bytes) -> str:
    return "0x" + value.hex()


def block_time(p2p: Any) -> int:
    return int(p2p.chain.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)


def open_window(p2p: Any, window_id: bytes, *, operator: str = "p2p-cpo", hours: int = 1) -> int:
    """Open ``window_id`` at 0.15 EUR/kWh, closing ``hours`` after the latest block; its close."""
    closes_at = block_time(p2p) + hours * 3600
    p2p.tx(operator, "openWindow", window_id, PRICE, p2p.new_id("record"), closes_at)
    return closes_at


@pytest.fixture
def market(p2p: Any) -> dict[str, Any]:
    """EVs of bsp1 credited by p2p-cpo (buyer B funded with 10 EUR, poor buyer P, sellers S
    and S2) and a window of p2p-cpo at 0.15 EUR/kWh, open for an hour."""
    ids = {name: p2p.new_id(name) for name in ("B", "P", "S", "S2", "window")}
    p2p.tx(
        "bsp1",
        "registerEvs",
        [ids["B"], ids["P"], ids["S"], ids["S2"]],
        [p2p.new_id("c")] * 4,
        p2p.signer("p2p-cpo").address,
    )
    p2p.tx("p2p-cpo", "deposit", [ids["B"]], [1_000])
    open_window(p2p, ids["window"])
    return ids


def terms(
    market: dict[str, Any],
    trade_id: bytes,
    energy_wh: int,
    *,
    buyer: str = "B",
    seller: str = "S",
    cost: int | None = None,
) -> tuple[Any, ...]:
    return (
        trade_id,
        market["window"],
        market[buyer],
        market[seller],
        energy_wh,
        cost_cents(energy_wh, PRICE) if cost is None else cost,
    )


def balance(p2p: Any, ev: bytes) -> tuple[int, int]:
    value = p2p.read("balanceOf", ev)
    return value["available"], value["held"]


def test_contract_rounds_like_python(p2p: Any) -> None:
    assert p2p.read("costCents", 18_000, PRICE) == 270
    assert p2p.read("costCents", 43_500, PRICE) == 652
    cases = [
        (wh, price)
        for wh in (0, 1, 33, 100, 18_000, 43_500, 43_700, 99_999, 10**9)
        for price in (1, 150_000, 123_457, 500_000, 10**8)
    ]
    abi = p2p.chain.abis["P2PTrading"]
    address = p2p.chain.address_of("P2PTrading")
    answers = p2p.chain.rpc.batch(
        [
            (
                "eth_call",
                [
                    {"to": address, "data": "0x" + abi.encode_call("costCents", wh, price).hex()},
                    "latest",
                ],
            )
            for wh, price in cases
        ]
    )
    for (wh, price), (result, error) in zip(cases, answers, strict=True):
        assert error is None
        assert int(result, 16) == cost_cents(wh, price), (wh, price)


def test_pending_confirmed_moves_the_held_cost_to_the_seller(
    p2p: Any, market: dict[str, Any]
) -> None:
    trade = terms(market, p2p.new_id("t"), 18_000)
    p2p.tx("bsp1", "addTrades", [trade])
    assert balance(p2p, market["B"]) == (1_000 - 270, 270)
    assert p2p.read("trade", trade[0])["status"] == 1  # Pending
    p2p.tx("p2p-cpo", "confirmTrades", [trade])
    assert p2p.read("trade", trade[0])["status"] == 2  # Confirmed
    assert balance(p2p, market["B"]) == (730, 0)
    assert balance(p2p, market["S"]) == (270, 0)


def test_pending_rejected_returns_the_cost_to_the_buyer(p2p: Any, market: dict[str, Any]) -> None:
    trade = terms(market, p2p.new_id("t"), 43_500)
    p2p.tx("bsp1", "addTrades", [trade])
    assert balance(p2p, market["B"]) == (1_000 - 652, 652)
    p2p.tx("p2p-cpo", "rejectTrades", [trade], [p2p.new_id("reasons")])
    assert p2p.read("trade", trade[0])["status"] == 3  # Rejected
    assert balance(p2p, market["B"]) == (1_000, 0)
    assert balance(p2p, market["S"]) == (0, 0)


def test_add_batch_is_one_transaction(p2p: Any, market: dict[str, Any]) -> None:
    batch = [
        terms(market, p2p.new_id("t"), 1_000 * (i + 1), seller="S" if i % 2 else "S2")
        for i in range(10)
    ]
    p2p.tx("bsp1", "addTrades", batch)
    held = sum(t[5] for t in batch)
    assert balance(p2p, market["B"]) == (1_000 - held, held)
    p2p.tx("p2p-cpo", "confirmTrades", batch)
    assert balance(p2p, market["S"])[0] + balance(p2p, market["S2"])[0] == held


def test_buyer_without_funds_is_refused(p2p: Any, market: dict[str, Any]) -> None:
    revert = p2p.reverts("bsp1", "addTrades", [terms(market, p2p.new_id("t"), 18_000, buyer="P")])
    assert revert.error_name == "P2PInsufficientFunds"
    assert revert.arguments == {
        "evId": hx(market["P"]),
        "availableCents": "0",
        "neededCents": "270",
    }
    over = p2p.reverts(
        "bsp1", "addTrades", [terms(market, p2p.new_id("t"), 66_734)]
    )  # 10.01 EUR > 10.00
    assert over.error_name == "P2PInsufficientFunds"


def test_funds_are_checked_across_a_batch(p2p: Any, market: dict[str, Any]) -> None:
    batch = [
        terms(market, p2p.new_id("t"), 40_000),
        terms(market, p2p.new_id("t"), 40_000),
    ]  # 6 + 6 EUR
    assert p2p.reverts("bsp1", "addTrades", batch).error_name == "P2PInsufficientFunds"
    assert balance(p2p, market["B"]) == (1_000, 0)  # nothing of the batch happened


def test_confirmation_by_someone_who_is_not_the_operator(p2p: Any, market: dict[str, Any]) -> None:
    trade = terms(market, p2p.new_id("t"), 1_000)
    p2p.tx("bsp1", "addTrades", [trade])
    by_agent = p2p.reverts("bsp1", "confirmTrades", [trade])
    assert by_agent.error_name == "P2PUnauthorized"
    assert by_agent.arguments["account"] == p2p.signer("bsp1").address
    by_tso = p2p.reverts("tso", "rejectTrades", [trade], [p2p.new_id("r")])
    assert by_tso.error_name == "P2PUnauthorized"
    other = p2p.reverts("p2p-cpo2", "confirmTrades", [trade])
    assert other.error_name == "P2PUnauthorizedOperator"
    assert other.arguments["operator"] == p2p.signer("p2p-cpo").address
    assert p2p.read("trade", trade[0])["status"] == 1


def test_double_confirmation_is_refused(p2p: Any, market: dict[str, Any]) -> None:
    trade = terms(market, p2p.new_id("t"), 2_000)
    p2p.tx("bsp1", "addTrades", [trade])
    p2p.tx("p2p-cpo", "confirmTrades", [trade])
    again = p2p.reverts("p2p-cpo", "confirmTrades", [trade])
    assert again.error_name == "P2PTradeNotPending"
    assert again.arguments == {"tradeId": hx(trade[0]), "tradeStatus": "2"}
    assert (
        p2p.reverts("p2p-cpo", "rejectTrades", [trade], [p2p.new_id("r")]).error_name
        == "P2PTradeNotPending"
    )
    twice_in_one_batch = terms(market, p2p.new_id("t"), 2_000)
    p2p.tx("bsp1", "addTrades", [twice_in_one_batch])
    assert (
        p2p.reverts("p2p-cpo", "confirmTrades", [twice_in_one_batch] * 2).error_name
        == "P2PTradeNotPending"
    )
    assert balance(p2p, market["S"]) == (30, 0)  # paid once: 2 kWh = 0.30 EUR


def test_double_confirmation_mined_reverts_too(p2p: Any, market: dict[str, Any]) -> None:
    """Sent without the preflight, the second confirmation is mined, reverts, and decodes."""
    trade = terms(market, p2p.new_id("t"), 3_000)
    p2p.tx("bsp1", "addTrades", [trade])
    operator = p2p.signer("p2p-cpo")
    chain = p2p.chain
    data = chain.abis["P2PTrading"].encode_call("confirmTrades", [trade])
    operator.reset_nonce(
        int(chain.rpc.call("eth_getTransactionCount", [operator.address, "pending"]), 16)
    )
    max_fee, priority = chain.fees()
    signed = [
        operator.sign(
            to=chain.address_of("P2PTrading"),
            data=data,
            gas=300_000,
            max_fee=max_fee,
            priority_fee=priority,
        )
        for _ in range(2)
    ]
    chain.send(signed[:1])
    [first] = chain.wait([signed[0].tx_hash])
    chain.send(signed[1:])  # in a block of its own: the replay at its parent block decodes it
    [second] = chain.wait([signed[1].tx_hash])
    assert first.succeeded
    assert not second.succeeded
    assert chain.revert_reason(second).error_name == "P2PTradeNotPending"


@pytest.mark.parametrize("energy_wh", [0])
def test_zero_energy_is_refused(p2p: Any, market: dict[str, Any], energy_wh: int) -> None:
    revert = p2p.reverts("bsp1", "addTrades", [terms(market, p2p.new_id("t"), energy_wh)])
    assert revert.error_name == "P2PZeroEnergy"


def test_negative_energy_cannot_even_be_encoded(p2p: Any, market: dict[str, Any]) -> None:
    with pytest.raises(EncodingError):
        p2p.tx("bsp1", "addTrades", [terms(market, p2p.new_id("t"), -1_000, cost=0)])


def test_other_refusals(p2p: Any, market: dict[str, Any]) -> None:
    t = p2p.new_id("t")
    assert (
        p2p.reverts("bsp1", "addTrades", [terms(market, t, 18_000, cost=271)]).error_name
        == "P2PCostMismatch"
    )
    assert p2p.reverts("bsp2", "addTrades", [terms(market, t, 18_000)]).error_name == "P2PNotOwner"
    assert (
        p2p.reverts("bsp1", "addTrades", [terms(market, t, 1, seller="B")]).error_name
        == "P2PSelfTrade"
    )
    assert p2p.reverts("bsp1", "addTrades", []).error_name == "P2PBadBatch"
    trade = terms(market, t, 1_000)
    p2p.tx("bsp1", "addTrades", [trade])
    assert p2p.reverts("bsp1", "addTrades", [trade]).error_name == "P2PAlreadyExists"
    changed = (*trade[:4], 999, *trade[5:])
    assert p2p.reverts("p2p-cpo", "confirmTrades", [changed]).error_name == "P2PTermsMismatch"
    assert p2p.reverts("p2p-cpo", "rejectTrades", [trade], [ZERO]).error_name == "P2PMissingReason"
    assert (
        p2p.reverts("p2p-cpo", "confirmTrades", [terms(market, p2p.new_id("u"), 1)]).error_name
        == "P2PUnknownId"
    )
    assert p2p.reverts("bsp1", "deposit", [market["B"]], [1]).error_name == "P2PUnauthorized"
    assert p2p.reverts("p2p-cpo", "deposit", [market["B"]], [0]).error_name == "P2PZeroAmount"
    assert (
        p2p.reverts("p2p-cpo", "deposit", [p2p.new_id("nobody")], [1]).error_name == "P2PUnknownId"
    )
    later = block_time(p2p) + 3600
    assert (
        p2p.reverts("bsp1", "openWindow", p2p.new_id("w"), PRICE, ZERO, later).error_name
        == "P2PUnauthorized"
    )
    assert (
        p2p.reverts("p2p-cpo", "openWindow", p2p.new_id("w"), 0, ZERO, later).error_name
        == "P2PZeroPrice"
    )
    cpo = p2p.signer("p2p-cpo").address
    assert (
        p2p.reverts("p2p-cpo", "registerEvs", [p2p.new_id("ev")], [ZERO], cpo).error_name
        == "P2PUnauthorized"
    )
    assert (
        p2p.reverts("bsp2", "registerEvs", [market["B"]], [ZERO], cpo).error_name
        == "P2PAlreadyExists"
    )
    p2p.tx("p2p-cpo", "deposit", [market["B"]], [5])
    assert balance(p2p, market["B"]) == (1_000 - 15 + 5, 15)  # 1 kWh = 0.15 EUR held


def test_only_the_evs_own_operator_credits_it(p2p: Any, market: dict[str, Any]) -> None:
    assert p2p.read("ev", market["B"])["operator"] == p2p.signer("p2p-cpo").address
    other = p2p.reverts("p2p-cpo2", "deposit", [market["B"]], [1_000_000])
    assert other.error_name == "P2PNotEvOperator"
    assert other.arguments == {
        "evId": hx(market["B"]),
        "evOperator": p2p.signer("p2p-cpo").address,
        "account": p2p.signer("p2p-cpo2").address,
    }
    by_tso = p2p.reverts("tso", "deposit", [market["B"]], [1_000_000])
    assert by_tso.error_name == "P2PUnauthorized"
    assert by_tso.arguments["account"] == p2p.signer("tso").address
    # one foreign EV in a batch refuses the whole batch
    mixed = p2p.reverts("p2p-cpo2", "deposit", [market["S"], market["B"]], [1, 1])
    assert mixed.error_name == "P2PNotEvOperator"
    assert balance(p2p, market["B"]) == (1_000, 0)
    assert balance(p2p, market["S"]) == (0, 0)


def test_evs_name_an_operator_that_is_one(p2p: Any) -> None:
    for who in ("bsp2", "tso"):
        refused = p2p.reverts(
            "bsp1", "registerEvs", [p2p.new_id("ev")], [ZERO], p2p.signer(who).address
        )
        assert refused.error_name == "P2PNotAnOperator"
        assert refused.arguments == {"account": p2p.signer(who).address}


def test_a_window_must_close_in_the_future(p2p: Any) -> None:
    window_id = p2p.new_id("w")
    now = block_time(p2p)
    refused = p2p.reverts("p2p-cpo", "openWindow", window_id, PRICE, ZERO, now)
    assert refused.error_name == "P2PBadCloseTime"
    assert refused.arguments["closesAt"] == str(now)
    assert p2p.read("window", window_id)["operator"] == "0x" + "00" * 20


def test_no_trades_after_the_close_time(p2p: Any, market: dict[str, Any]) -> None:
    """The window closes when the chain's time reaches its close time: the next block is
    stamped exactly then (a few seconds ahead of the wall clock, nothing more)."""
    window_id = p2p.new_id("w")
    closes_at = block_time(p2p) + 5
    p2p.tx("p2p-cpo", "openWindow", window_id, PRICE, p2p.new_id("record"), closes_at)
    assert p2p.read("window", window_id)["closesAt"] == closes_at
    pending = (p2p.new_id("t"), window_id, market["B"], market["S"], 1_000, 15)
    p2p.tx("bsp1", "addTrades", [pending])
    p2p.chain.rpc.call("evm_setNextBlockTimestamp", [closes_at])
    late = (p2p.new_id("t"), window_id, market["B"], market["S"], 1_000, 15)
    refused = p2p.reverts("bsp1", "addTrades", [late])
    assert refused.error_name == "P2PWindowClosed"
    assert refused.arguments == {"windowId": hx(window_id), "closedAt": str(closes_at)}
    assert p2p.read("trade", late[0])["status"] == 0
    # a trade made while the window was open is still decided after the close
    p2p.tx("p2p-cpo", "confirmTrades", [pending])
    assert p2p.read("trade", pending[0])["status"] == 2


def test_the_operator_closes_a_window_early(p2p: Any, market: dict[str, Any]) -> None:
    other = p2p.reverts("p2p-cpo2", "closeWindow", market["window"])
    assert other.error_name == "P2PUnauthorizedOperator"
    assert p2p.reverts("bsp1", "closeWindow", market["window"]).error_name == "P2PUnauthorized"
    assert p2p.reverts("p2p-cpo", "closeWindow", p2p.new_id("w")).error_name == "P2PUnknownId"
    pending = terms(market, p2p.new_id("t"), 1_000)
    p2p.tx("bsp1", "addTrades", [pending])

    [receipt] = p2p.chain.transact(
        p2p.signer("p2p-cpo"), [Call("P2PTrading", "closeWindow", (market["window"],))]
    )
    [event] = receipt.events
    closed_at = event.args["closedAt"]
    assert event.name == "WindowClosed"
    assert p2p.read("window", market["window"])["closesAt"] == closed_at
    refused = p2p.reverts("bsp1", "addTrades", [terms(market, p2p.new_id("t"), 1_000)])
    assert refused.error_name == "P2PWindowClosed"
    assert refused.arguments["closedAt"] == str(closed_at)
    again = p2p.reverts("p2p-cpo", "closeWindow", market["window"])
    assert again.error_name == "P2PWindowClosed"
    p2p.tx("p2p-cpo", "rejectTrades", [pending], [p2p.new_id("r")])
    assert balance(p2p, market["B"]) == (1_000, 0)
