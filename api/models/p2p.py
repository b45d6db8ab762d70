"""Answers of P2P EV trading (FLOW D5.5 §2): EVs under pseudonyms, trading windows, trades.

Energy is exact decimal text in kWh, money in EUR (``"2.70"``); on chain only pseudonyms and
hashes."""

from __future__ import annotations

from api.models.common import Accepted, DecimalText, Hex32, Instant, JsonObject
from api.models.common import PublicModel as _Public


class EvPublic(_Public):
    ev_id: str
    pseudonym: Hex32
    """The EV's key on chain: no personal data."""
    capacity_kwh: DecimalText
    agent_id: str
    """The BSP acting for the EV's owner."""
    operator_id: str


class EvBalance(_Public):
    available_eur: DecimalText
    held_eur: DecimalText
    """Held for Pending trades until the operator confirms or rejects them."""


class EvDetail(EvPublic):
    commitment: Hex32
    """Hash of the EV's record (salted): what the chain holds of it."""
    balance: EvBalance
    record: JsonObject | None = None
    """The EV's record, to its agent only."""


class WindowSession(_Public):
    session_id: str
    ev_id: str
    charge_point_id: str
    soc_percent: DecimalText
    reported_at: Instant
    role: str
    """``buyer``, ``seller`` or ``neutral`` by state of charge."""
    energy_kwh: DecimalText | None


class WindowPublic(_Public):
    """A trading window: its posted price, the SoC thresholds, totals and trades by status."""

    window_id: str
    pseudonym: Hex32
    operator_id: str
    status: str
    closes_at: Instant | None
    price_eur_per_kwh: DecimalText
    buyer_threshold_percent: DecimalText
    seller_threshold_percent: DecimalText
    demand_kwh: DecimalText
    supply_kwh: DecimalText
    matched_kwh: DecimalText
    record_hash: Hex32
    transaction_hash: str | None
    trades: dict[str, int]
    """How many of the window's trades are in each status."""
    sessions: list[WindowSession] | None = None
    """The charging sessions, to the window's operator, the TSO and the auditor."""


class TradePublic(_Public):
    """A trade: the columns of the source's transaction table (FLOW D5.5 §2)."""

    trade_id: str
    window_id: str
    sender_hash: str | None
    """The buyer EV's pseudonym."""
    receiver_hash: str | None
    """The seller EV's pseudonym."""
    buyer_ev_id: str
    seller_ev_id: str
    energy_kwh: DecimalText
    cost_eur: DecimalText
    status: str
    """``Pending`` until the infrastructure operator confirms (or rejects) it."""
    timestamp: Instant
    reasons: list[str] | None
    created_transaction: str | None
    settled_transaction: str | None


class TradeDetail(TradePublic):
    chain_status: str
    """The trade's status as the chain holds it."""


class SessionsReported(_Public):
    session_ids: list[str]
    count: int


class CaseStudyPublic(_Public):
    """The source's case study (FLOW D5.5 §2): grid load and charging costs with and without
    P2P trading. Decimals as text."""

    parameters: JsonObject
    summary: JsonObject
    evs: list[JsonObject]
    """One row per EV: capacity, SoC, role, energy, traded energy, arrival, costs."""
    load_profile: list[JsonObject]
    """Grid load per step, without and with P2P (kW)."""
    figures: dict[str, str]
    """Each figure's PNG, by name."""


class EvsAccepted(Accepted):
    ev_ids: list[str]


class WindowAccepted(Accepted):
    window_id: str | None
    matched_trades: int


class MatchedAccepted(Accepted):
    trade_ids: list[str]
    remaining_matched: int


class TradesAccepted(Accepted):
    trade_ids: list[str]
