"""Payloads of the P2P trading operations: EVs, deposits, trading windows and their trades."""

from __future__ import annotations

from collections.abc import Mapping

from ledger.payloads.base import Hex32, OperationPayload
from ledger.payloads.registration import Sealed


class NewEv(Sealed):
    id: str
    chain_key: Hex32
    capacity_wh: int


class EvRegistration(OperationPayload):
    evs: list[NewEv]
    #: The infrastructure operator that alone credits the EVs' balances.
    operator_id: str


class Credit(OperationPayload):
    ev_id: str
    chain_key: Hex32
    amount_cents: int


class DepositBatch(OperationPayload):
    deposits: list[Credit]


class MatchedTrade(OperationPayload):
    """A trade the window's matching found (created on chain later, by the buyer's side)."""

    id: str
    chain_key: Hex32
    buyer_ev_id: str
    seller_ev_id: str
    energy_wh: int
    cost_cents: int


class WindowOpening(Sealed):
    window_id: str
    chain_key: Hex32
    price_micro_eur_per_kwh: int
    buyer_threshold_bp: int
    seller_threshold_bp: int
    demand_wh: int
    supply_wh: int
    closes_at: int
    trades: list[MatchedTrade]


class WindowClosing(OperationPayload):
    window_id: str
    chain_key: Hex32


class TradeTerms(OperationPayload):
    """``P2PTrading.TradeTerms``: what a trade's creation, confirmation or rejection restates."""

    id: str
    chain_key: Hex32
    buyer_key: Hex32
    seller_key: Hex32
    energy_wh: int
    cost_cents: int


class NewTrade(TradeTerms):
    buyer_ev_id: str
    seller_ev_id: str
    #: Whether the window's matching found it (its row exists, Matched) or the caller sent it.
    matched: bool


class TradeAddition(OperationPayload):
    window_id: str
    window_key: Hex32
    trades: list[NewTrade]
    #: Matched trades of the caller left for a next request (Add Batch from the matching).
    remaining_matched: int | None = None


class DecidedTrade(TradeTerms):
    window_key: Hex32


class TradeConfirmation(OperationPayload):
    trades: list[DecidedTrade]


class TradeRejection(OperationPayload):
    trades: list[DecidedTrade]
    reasons: list[str]
    reason_hash: Hex32


P2P_PAYLOADS: Mapping[str, type[OperationPayload]] = {
    "p2p.ev.register": EvRegistration,
    "p2p.deposit": DepositBatch,
    "p2p.window.open": WindowOpening,
    "p2p.window.close": WindowClosing,
    "p2p.trades.add": TradeAddition,
    "p2p.trades.confirm": TradeConfirmation,
    "p2p.trades.reject": TradeRejection,
}
