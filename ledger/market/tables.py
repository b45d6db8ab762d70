"""SQLModel tables of the market: products, admissions, bids, grid constraints, needs, awards,
activations, measurement batches and their series.

As for registration, rows that claim a chain fact (a bid's status, an award, an activation, a
committed root) are written or changed only by the worker, from the events of mined
transactions. Times are unix seconds (``BigInteger``), prices integer micro-EUR/MWh, powers kW.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from ledger.core.db.models import utcnow


def _big(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(BigInteger, nullable=nullable, index=index))


def _json(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


class MarketProduct(SQLModel, table=True):
    """A market product and the configuration confirmed on chain (gate closure, notices)."""

    __tablename__ = "market_products"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    directions: list[str] = Field(sa_column=Column(JSON, nullable=False))
    gate_closure_s: int
    activation_notice_s: int
    acknowledgement_s: int
    open: bool = True
    config_hash: str = Field(max_length=66)
    updated_at: datetime = Field(default_factory=utcnow)


class MarketAdmission(SQLModel, table=True):
    """A qualified UVAM admitted to the market by the TSO: qualified powers and its DSOs."""

    __tablename__ = "market_admissions"

    uvam_id: str = Field(primary_key=True, foreign_key="uvams.id", max_length=36)
    up_kw: int
    down_kw: int
    dso_eics: list[str] = Field(sa_column=Column(JSON, nullable=False))
    transaction_hash: str = Field(max_length=66)
    admitted_at: datetime = Field(default_factory=utcnow)


class MarketBid(SQLModel, table=True):
    """A bid as confirmed on chain; ``quantities_kw`` are the current ones (after DSO caps)."""

    __tablename__ = "market_bids"
    __table_args__ = (
        Index("ix_market_bids_product_period", "product_id", "direction", "delivery_start"),
    )

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    bsp_id: str = Field(foreign_key="organisations.id", index=True)
    uvam_id: str = Field(foreign_key="uvams.id", index=True)
    product_id: str = Field(max_length=32)
    direction: str = Field(max_length=8)
    delivery_start: int = _big()
    period_count: int
    valid_until: int = _big()
    gate_closes_at: int = _big()
    price_micro: int = _big()
    divisible: bool = True
    offered_kw: list[int] = Field(sa_column=Column(JSON, nullable=False))
    quantities_kw: list[int] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(index=True, max_length=16)
    terms_hash: str = Field(max_length=66)
    priority_block: int = _big()
    priority_log: int
    dso_pending: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    dso_checks: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    need_id: str | None = Field(default=None, max_length=36, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class MarketStatusChange(SQLModel, table=True):
    """Every confirmed status transition of a bid or activation, with its transaction."""

    __tablename__ = "market_status_changes"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    resource_id: str = Field(index=True, max_length=36)
    from_status: str = Field(max_length=16)
    to_status: str = Field(max_length=16)
    actor_id: str = Field(max_length=64)
    detail: dict[str, Any] | None = _json()
    transaction_hash: str = Field(max_length=66)
    block_number: int = _big()
    at: datetime = Field(default_factory=utcnow)


class GridConstraint(SQLModel, table=True):
    """A DSO's traffic light for a POD or a zone of its grid over a time window."""

    __tablename__ = "grid_constraints"

    id: str = Field(primary_key=True, max_length=36)
    dso_id: str = Field(foreign_key="organisations.id", index=True)
    scope: str = Field(max_length=8)
    target: str = Field(max_length=64, index=True)
    start: int = _big()
    end: int = _big()
    light: str = Field(max_length=8)
    limit_kw: int | None = None
    direction: str | None = Field(default=None, max_length=8)
    reason_code: int = 1
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class MarketNeed(SQLModel, table=True):
    """A TSO need as published on chain, and its clearing (inputs, result, their hashes)."""

    __tablename__ = "market_needs"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    product_id: str = Field(max_length=32)
    direction: str = Field(max_length=8)
    delivery_start: int = _big()
    quantities_kw: list[int] = Field(sa_column=Column(JSON, nullable=False))
    price_limit_micro: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    pricing: str = Field(max_length=16)
    clearing: str = Field(max_length=16)
    gate_closes_at: int | None = _big(nullable=True)
    """The gate of the need's first period (unix s): clearing waits for it."""
    status: str = Field(index=True, max_length=16)
    terms_hash: str = Field(max_length=66)
    settlement_terms: dict[str, Any] | None = _json()
    """The awards' settlement terms, frozen when the need is stated (issue 14); also in the
    clearing's inputs and result, under the result hash on chain. None for older needs."""
    inputs: dict[str, Any] | None = _json()
    inputs_hash: str | None = Field(default=None, max_length=66)
    result: dict[str, Any] | None = _json()
    result_hash: str | None = Field(default=None, max_length=66)
    clear_transaction_hash: str | None = Field(default=None, max_length=66)
    created_at: datetime = Field(default_factory=utcnow)
    cleared_at: datetime | None = None


class MarketAward(SQLModel, table=True):
    """What one bid won in one clearing, per period of the bid."""

    __tablename__ = "market_awards"

    bid_id: str = Field(primary_key=True, foreign_key="market_bids.id", max_length=36)
    need_id: str = Field(foreign_key="market_needs.id", index=True, max_length=36)
    uvam_id: str = Field(index=True, max_length=36)
    bsp_id: str = Field(index=True, max_length=64)
    delivery_start: int = _big()
    awarded_kw: list[int] = Field(sa_column=Column(JSON, nullable=False))
    prices_micro: list[int] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class MarketActivation(SQLModel, table=True):
    """Set points the TSO sent to an awarded UVAM, and what became of them."""

    __tablename__ = "market_activations"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    bid_id: str = Field(foreign_key="market_bids.id", index=True, max_length=36)
    uvam_id: str = Field(index=True, max_length=36)
    bsp_id: str = Field(index=True, max_length=64)
    first_period: int = _big()
    set_points_kw: list[int] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(index=True, max_length=16)
    ack_deadline: int = _big()
    dso_eics: list[str] = Field(sa_column=Column(JSON, nullable=False))
    reasons: list[str] | None = _json()
    notifications: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    sent_block: int = _big()
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class MeasurementBatch(SQLModel, table=True):
    """One uploaded batch of readings (one version of it), committed on chain as a Merkle root."""

    __tablename__ = "measurement_batches"

    id: str = Field(primary_key=True, max_length=36)
    chain_key: str = Field(unique=True, max_length=66)
    uploader_id: str = Field(foreign_key="organisations.id", index=True)
    kind: str = Field(max_length=8)
    resolution_s: int
    lineage_id: str = Field(index=True, max_length=36)
    version: int = 1
    supersedes_id: str | None = Field(default=None, max_length=36)
    superseded_by_id: str | None = Field(default=None, max_length=36)
    status: str = Field(index=True, max_length=16)
    root: str = Field(max_length=66)
    reading_count: int
    resource_count: int
    first_timestamp: int = _big()
    last_timestamp: int = _big()
    gaps: dict[str, Any] | None = _json()
    source: str = Field(max_length=16)
    operation_id: str | None = Field(default=None, max_length=36)
    transaction_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    committed_at: datetime | None = None


class MeasurementSeries(SQLModel, table=True):
    """The readings of one resource in one batch: packed ``int32`` W from ``start`` on."""

    __tablename__ = "measurement_series"
    __table_args__ = (Index("ix_measurement_series_resource_start", "resource_id", "start"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(foreign_key="measurement_batches.id", index=True, max_length=36)
    resource_kind: str = Field(max_length=8)
    resource_id: str = Field(max_length=36)
    resource_key: str = Field(max_length=66)
    start: int = _big()
    resolution_s: int
    count: int
    values: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    series_root: str = Field(max_length=66)
