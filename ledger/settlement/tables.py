"""SQLModel tables of settlement: one row per version of the settlement of an activation.

The record is stored as its canonical JSON (exact ``Decimal``s as strings), so that its hash is
``keccak256`` of the stored text; the inputs (method, rules, prices, the measurement batches
used) are stored beside it so that the audit recomputes the record from the committed data.
Rows are written by the API (pending) and changed only by the worker from mined events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ledger.core.db.models import utcnow


class Settlement(SQLModel, table=True):
    """One version of the settlement of an activation, and its life on chain."""

    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("activation_id", "version", name="uq_settlements_version"),)

    id: str = Field(primary_key=True, max_length=36)
    activation_id: str = Field(foreign_key="market_activations.id", index=True, max_length=36)
    version: int
    bsp_id: str = Field(index=True, max_length=64)
    status: str = Field(index=True, max_length=16)
    """pending (not on chain yet), recorded, disputed, final, superseded, failed."""
    record_json: str = Field(sa_column=Column(Text, nullable=False))
    settlement_hash: str = Field(max_length=66)
    inputs: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """Method, rules, prices, the batches used: what the audit needs to recompute."""
    answer_window_s: int
    answer_deadline: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    dispute_reason: str | None = Field(default=None, max_length=2000)
    dispute_reason_hash: str | None = Field(default=None, max_length=66)
    resolution: str | None = Field(default=None, max_length=16)
    history: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    operation_id: str | None = Field(default=None, max_length=36)
    transaction_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SettlementTerms(SQLModel, table=True):
    """The settlement terms of an activation, fixed once when the TSO first asks for its
    settlement and carried into every version: the awarded price per period, the sanction
    price, the meter tolerance and the missing-data policy. A re-settlement after a dispute
    corrects the baseline method, never these (docs/settlement_ledger.md)."""

    __tablename__ = "settlement_terms"

    activation_id: str = Field(primary_key=True, foreign_key="market_activations.id", max_length=36)
    terms: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """``{pricesEurMwh, sanctionEurMwh, tolerance: {relative, absoluteWh}, missingData}``,
    Decimals as canonical strings; copied as is into every version's hashed record."""
    terms_hash: str = Field(max_length=66)
    """``keccak256(canonical_json(terms))``."""
    created_at: datetime = Field(default_factory=utcnow)


class Statement(SQLModel, table=True):
    """A BSP's statement for a period (issue 14): the document's canonical JSON, its hash on
    chain (``StatementLedger``), and the BSP's answer. docs/statements.md."""

    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("bsp_id", "period_start", "period_end", "slot", name="uq_statements_slot"),
    )

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    bsp_id: str = Field(foreign_key="organisations.id", index=True, max_length=64)
    period_start: str = Field(max_length=10)
    """First UTC day of the period (ISO date)."""
    period_end: str = Field(max_length=10)
    """First UTC day after the period (ISO date)."""
    slot: str = Field(max_length=48)
    """What makes the statement the only one of its BSP and period: ``""`` for the first, the
    id of the disputed statement it replaces for one issued again, ``failed:<its id>`` once it
    failed to reach the chain (which frees the slot). Two requests at once cannot both win."""
    status: str = Field(index=True, max_length=16)
    """pending (not on chain yet), recorded, accepted, disputed, failed."""
    document_json: str = Field(sa_column=Column(Text, nullable=False))
    statement_hash: str = Field(max_length=66)
    dispute_reason: str | None = Field(default=None, max_length=2000)
    dispute_reason_hash: str | None = Field(default=None, max_length=66)
    operation_id: str | None = Field(default=None, max_length=36)
    transaction_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    history: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PerimeterCorrection(SQLModel, table=True):
    """One BRP's perimeter correction report for a period (transfer of energy, issue 14): the
    document's canonical JSON and its hash on chain (``StatementLedger.recordCorrection``)."""

    __tablename__ = "perimeter_corrections"
    __table_args__ = (
        UniqueConstraint("brp", "period_start", "period_end", "slot", name="uq_corrections_slot"),
    )

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    brp: str = Field(index=True, max_length=200)
    """The BRP: the PODs' dispatching contract (``brpContractId``), or ``unassigned``."""
    period_start: str = Field(max_length=10)
    period_end: str = Field(max_length=10)
    slot: str = Field(default="", max_length=48)
    """``""``, or ``failed:<its id>`` once it failed to reach the chain: one report per BRP and
    period, whatever requests arrive at once."""
    status: str = Field(index=True, max_length=16)
    """pending, recorded, failed."""
    document_json: str = Field(sa_column=Column(Text, nullable=False))
    report_hash: str = Field(max_length=66)
    operation_id: str | None = Field(default=None, max_length=36)
    transaction_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
