"""Tables of P2P EV trading: EVs, charging sessions, trading windows and trades.

As for the registration tables, a row claiming a chain fact (an EV registered, a window opened,
a trade Pending, Confirmed or Rejected) is written by the worker after the transaction that
records it is mined. Balances are not mirrored: the chain holds them and the API reads them
there. Charging sessions are operational data and live only here; a window commits to those it
used through the salted hash of its record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from ledger.core.db.models import utcnow


class P2PEv(SQLModel, table=True):
    """An EV known to the platform under a pseudonymous id; its agent is the BSP acting for it.

    ``record`` holds what is known off chain (capacity, an optional owner reference); it can be
    erased without breaking the chain, which has only ``commitment`` (its salted hash).
    """

    __tablename__ = "p2p_evs"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    agent_id: str = Field(foreign_key="organisations.id", index=True)
    operator_id: str | None = Field(default=None, index=True, max_length=64)
    """The infrastructure operator that credits the EV's balance (the only one allowed to)."""
    capacity_wh: int
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    salt: str = Field(max_length=64)
    commitment: str = Field(max_length=66)
    created_at: datetime = Field(default_factory=utcnow)


class P2PSession(SQLModel, table=True):
    """A charging session at a charge point of an infrastructure operator, with its SoC."""

    __tablename__ = "p2p_sessions"

    id: str = Field(primary_key=True, max_length=36)
    ev_id: str = Field(foreign_key="p2p_evs.id", index=True)
    operator_id: str = Field(foreign_key="organisations.id", index=True)
    charge_point_id: str = Field(max_length=64)
    soc_bp: int  # state of charge in basis points (1/100 of a percent)
    reported_at: datetime
    window_id: str | None = Field(default=None, index=True, max_length=36)
    role: str | None = Field(default=None, max_length=8)
    energy_wh: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class P2PWindow(SQLModel, table=True):
    """A trading window opened by an operator at a posted price, with its thresholds."""

    __tablename__ = "p2p_windows"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    operator_id: str = Field(foreign_key="organisations.id", index=True)
    price_micro_eur_per_kwh: int
    buyer_threshold_bp: int
    seller_threshold_bp: int
    status: str = Field(default="Open", max_length=16)
    closes_at: datetime | None = None
    """From this instant (the platform clock, the chain's block time) no more trades."""
    demand_wh: int = Field(default=0, sa_type=BigInteger)
    supply_wh: int = Field(default=0, sa_type=BigInteger)
    matched_wh: int = Field(default=0, sa_type=BigInteger)
    record: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    salt: str = Field(max_length=64)
    record_hash: str = Field(max_length=66)
    transaction_hash: str | None = Field(default=None, max_length=66)
    created_at: datetime = Field(default_factory=utcnow)


class P2PTrade(SQLModel, table=True):
    """A trade between two EVs: ``Matched`` (proposed by the window's matching, not yet on
    chain), then ``Pending``, ``Confirmed`` or ``Rejected`` as the chain records it."""

    __tablename__ = "p2p_trades"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    window_id: str = Field(foreign_key="p2p_windows.id", index=True)
    buyer_ev_id: str = Field(foreign_key="p2p_evs.id", index=True)
    seller_ev_id: str = Field(foreign_key="p2p_evs.id", index=True)
    agent_id: str = Field(foreign_key="organisations.id", index=True)
    operator_id: str = Field(foreign_key="organisations.id", index=True)
    energy_wh: int
    cost_cents: int
    status: str = Field(index=True, max_length=16)
    reasons: list[str] | None = Field(default=None, sa_column=Column(JSON))
    reason_hash: str | None = Field(default=None, max_length=66)
    created_transaction: str | None = Field(default=None, max_length=66)
    settled_transaction: str | None = Field(default=None, max_length=66)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
