"""Answers of settlement: a settlement's versions and per-period table (USEF UFTP
``FlexOrderSettlementISP``), and its recomputation against the chain."""

from __future__ import annotations

from api.models.common import Hex32, Instant, JsonObject
from api.models.common import PublicModel as _Public


class SettlementSummary(_Public):
    """One version of the settlement of an activation; its hash is on chain."""

    id: str
    activation_id: str
    version: int
    bsp: str
    status: str
    """``Settled``, ``Accepted``, ``Disputed``, ``Resolved``, ``Final``, ..."""
    settlement_hash: Hex32
    method: JsonObject
    """The baseline method and its parameters: ``{"name": "xOfY", "params": {...}, ...}``."""
    rules: JsonObject
    data_roots: dict[str, str]
    """The measurement batch roots the settlement was computed from, by name."""
    totals: JsonObject
    complete: bool
    answer_deadline: Instant | None
    """Until when the BSP may accept or dispute."""
    dispute_reason: str | None
    resolution: str | None
    resolution_reply: str | None
    history: list[JsonObject]
    transaction_hash: str | None
    created_at: Instant
    updated_at: Instant


class SettlementDetail(SettlementSummary):
    periods: list[JsonObject]
    """Per period: start, duration, baseline, ordered, actual and delivered flex power,
    deficiency, price, penalty, net settlement."""
    pods: JsonObject
    delivery_check: JsonObject
    record: JsonObject
    """The whole record whose canonical JSON is hashed on chain."""


class DataRootCheck(_Public):
    name: str
    recomputed: Hex32
    on_chain: Hex32
    matches: bool


class SettlementAudit(_Public):
    """A settlement recomputed from the committed data, compared with the chain."""

    settlement_id: str
    activation_id: str
    version: int
    method: JsonObject
    stored_hash: str
    recomputed_hash: Hex32
    on_chain_hash: Hex32
    matches: bool
    record_matches: bool
    data_roots: list[DataRootCheck]
    data_roots_match: bool


__all__ = ["DataRootCheck", "SettlementAudit", "SettlementDetail", "SettlementSummary"]
