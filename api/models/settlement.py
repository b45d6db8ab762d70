"""Answers of settlement: a settlement's versions and per-period table (USEF UFTP
``FlexOrderSettlementISP``), and its recomputation against the chain."""

from __future__ import annotations

from api.models.common import DecimalText, Hex32, Instant, JsonObject
from api.models.common import PublicModel as _Public


class SettlementTotals(_Public):
    """Sums over the assessed periods (energy in Wh, money in EUR as exact text)."""

    ordered_wh: int
    delivered_wh: int
    remunerated_wh: int
    deficiency_wh: int
    surplus_wh: int
    remuneration_eur: DecimalText
    penalty_eur: DecimalText
    net_eur: DecimalText
    """Remuneration less penalty."""
    assessed_periods: int
    flagged_periods: int
    """Periods with some POD missing data (zero-filled or not assessed)."""
    disagreements: int
    """POD periods where the two meter sources disagree beyond the tolerance."""


class SettlementPeriod(_Public):
    """One period (ISP) of the settlement, as USEF UFTP ``FlexOrderSettlementISP``: baseline,
    ordered, measured and delivered energy, the deficiency, price, penalty, net settlement."""

    start: int
    """Unix seconds."""
    duration_s: int
    baseline_wh: int
    measured_wh: int
    ordered_wh: int
    delivered_wh: int
    """Baseline less measured energy, signed by the direction."""
    remunerated_wh: int | None
    deficiency_wh: int | None
    surplus_wh: int | None
    met: bool
    price_eur_mwh: DecimalText
    sanction_eur_mwh: DecimalText
    remuneration_eur: DecimalText
    penalty_eur: DecimalText
    net_eur: DecimalText
    missing_pods: int
    disagreeing_pods: int
    status: str
    """``settled``, ``zeroFilled`` or ``notAssessed``."""
    other_source_delivered_wh: int | None = None
    """Present when a second meter source was given."""


class DeliveryCheck(_Public):
    """Whether the UVAM reached the ordered flexibility in time (FLEXGRID §5.3.2)."""

    passed: bool
    reached_after_s: int | None
    resolution_s: int
    """60 when the check used 60 s readings, 900 when it fell back to period energies."""


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
    totals: SettlementTotals
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
    periods: list[SettlementPeriod]
    pods: JsonObject
    """Per POD: its baseline, measured and delivered energy (and the days of its baseline)."""
    delivery_check: DeliveryCheck
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
