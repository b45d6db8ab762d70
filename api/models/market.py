"""Answers of the market: products, bids, DSO grid constraints, needs and their clearing,
activations, measurement batches and proofs.

Prices are exact decimal text in EUR/MWh (``"85.5"``); powers integer kW; instants ISO 8601
in UTC (``...Z``)."""

from __future__ import annotations

from pydantic import Field

from api.models.common import Accepted, DecimalText, Hex32, Instant, JsonObject
from api.models.common import PublicModel as _Public


class MarketStatusChange(_Public):
    """One status change of a market record, as mined."""

    from_: str = Field(alias="from")
    to: str
    actor: str
    detail: JsonObject | None
    transaction_hash: str
    block_number: int
    at: Instant


class ProductSettlement(_Public):
    method: JsonObject
    """The baseline method settlements of this product use: ``{"name": "xOfY", ...}``."""
    sanction_eur_mwh: DecimalText
    """Sanction price per MWh not delivered."""
    tolerance_relative: DecimalText | None
    tolerance_wh: int | None
    availability_eur_kw_isp: DecimalText
    """Availability pay per awarded kW per ISP, EUR (docs/statements.md)."""


class ProductPublic(_Public):
    """A market product: gate closure, activation notice and acknowledgement window."""

    id: str
    name: str
    directions: list[str]
    gate_closure_seconds: int
    activation_notice_seconds: int
    acknowledgement_seconds: int
    open: bool
    settlement: ProductSettlement
    on_chain: bool
    """Whether the TSO has configured the product on chain yet."""


class BidPublic(_Public):
    """A bid: the BSP offers a UVAM's availability per period (EV4EU 1.1.1; FLEXGRID §4.1)."""

    id: str
    chain_key: Hex32
    bsp: str
    uvam_id: str
    product_id: str
    direction: str
    """``up`` or ``down``."""
    delivery_start: Instant
    periods: int
    """Number of 15-minute periods."""
    quantities_kw: list[int]
    offered_kw: list[int]
    price: DecimalText
    """EUR/MWh."""
    valid_until: Instant
    gate_closes_at: Instant
    divisible: bool
    status: str
    """``Received``, ``Active`` (verified by the DSO), ``Suspended``, ``Expired``, ..."""
    terms_hash: Hex32
    priority: list[int]
    """(block, log index) of the bid's submission: the tie-break of the merit order."""
    dso_pending: list[str]
    """EICs of the DSOs whose check is still to come."""
    dso_checks: list[JsonObject]
    need_id: str | None
    created_at: Instant
    updated_at: Instant


class BidAward(_Public):
    need_id: str
    awarded_kw: list[int]
    prices: list[DecimalText]


class BidDetail(BidPublic):
    history: list[MarketStatusChange]
    award: BidAward | None = None
    """Present once the bid is awarded."""


class GridConstraintPublic(_Public):
    """A DSO's traffic light on a POD, a zone or its whole grid for a time span."""

    id: str
    dso: str
    scope: str
    target: str
    start: Instant
    end: Instant
    light: str
    """``green``, ``amber`` or ``red``."""
    limit_kw: int | None
    direction: str | None
    reason_code: str
    reason: str


class NeedPeriod(_Public):
    period_start: Instant
    needed_kw: int
    awarded_kw: int
    unmet_kw: int
    clearing_price: DecimalText | None


class NeedAward(_Public):
    bid_id: str
    uvam_id: str
    bsp: str
    delivery_start: Instant
    awarded_kw: list[int]
    prices: list[DecimalText]


class UnfilledReason(_Public):
    code: str
    """``noBids``, ``aboveLimit`` or ``noFit``."""
    message: str


class NeedPublic(_Public):
    """A TSO need and, once cleared, its clearing (the inputs and result for the TSO and the
    auditor; a BSP sees its own awards)."""

    id: str
    chain_key: Hex32
    product_id: str
    direction: str
    delivery_start: Instant
    quantities_kw: list[int]
    price_limit: DecimalText | None
    pricing: str
    """``pay-as-bid`` or ``pay-as-clear``."""
    clearing: str
    status: str
    gate_closes_at: Instant
    unfilled_reason: UnfilledReason | None
    """Why the clearing awarded nothing; null when it awarded something (or is to come)."""
    terms_hash: Hex32
    settlement_terms: JsonObject | None
    inputs_hash: str | None
    result_hash: str | None
    clear_transaction_hash: str | None
    created_at: Instant
    cleared_at: Instant | None
    periods: list[NeedPeriod] | None = None
    awards: list[NeedAward] | None = None
    rejected: list[str] | None = None
    """Bids that overlapped the need and were awarded nothing (to the TSO and the auditor)."""
    inputs: JsonObject | None = None
    result: JsonObject | None = None


class ClearingRerun(_Public):
    """A cleared need cleared again from its stored inputs, compared with the chain."""

    need_id: str
    inputs_hash: Hex32
    stored_inputs_hash: str | None
    result_hash: Hex32
    on_chain_result_hash: Hex32
    reproduced: bool


class ActivationPublic(_Public):
    """Set points the TSO sent to an awarded UVAM (InterConnect §3.2.6: ``Sent``, ``Accepted``,
    ``Cancelled``)."""

    id: str
    chain_key: Hex32
    bid_id: str
    uvam_id: str
    bsp: str
    first_period: Instant
    period_seconds: int
    set_points_kw: list[int]
    status: str
    ack_deadline: Instant
    dso_eics: list[str]
    reasons: list[str] | None
    sent_block: int
    created_at: Instant
    updated_at: Instant


class ActivationDetail(ActivationPublic):
    notifications: JsonObject
    """Whom the platform told of the activation (the BSP, the DSOs) and when."""
    history: list[MarketStatusChange]


class BatchPublic(_Public):
    """A batch of meter readings; its Merkle root is on chain."""

    id: str
    chain_key: Hex32
    uploader: str
    kind: str
    resolution_seconds: int
    lineage_id: str
    version: int
    supersedes: str | None
    superseded_by: str | None
    status: str
    root: Hex32
    reading_count: int
    resource_count: int
    from_: Instant = Field(alias="from")
    to: Instant
    gaps: JsonObject
    source: str
    """``json`` or ``csv``."""
    operation_id: str | None
    transaction_hash: str | None
    block_number: int | None
    created_at: Instant
    committed_at: Instant | None


class BatchVersion(_Public):
    id: str
    version: int
    root: Hex32
    status: str
    superseded_by: str | None


class BatchDetail(BatchPublic):
    versions: list[BatchVersion]


class ReadingProof(_Public):
    """The Merkle path of one reading, to check on chain."""

    batch_id: str
    batch_key: Hex32
    version: int
    status: str
    resource_id: str
    resource_key: Hex32
    timestamp: int
    """Unix seconds."""
    value_w: int
    leaf: Hex32
    proof: list[Hex32]
    root: Hex32
    verified: bool
    how_to_verify: str


class Reading(_Public):
    timestamp: Instant
    power_w: int
    batch_id: str
    version: int


class Readings(_Public):
    resource_id: str
    data: list[Reading]
    count: int


class MarketAccepted(Accepted):
    """A market write's 202: with the operations it waits for (the TSO's product
    configuration, the UVAM's admission before its first bid)."""

    prerequisites: list[str]


class ProductAccepted(MarketAccepted):
    product_id: str


class AdmissionAccepted(MarketAccepted):
    uvam_id: str


class BidsAccepted(MarketAccepted):
    bid_ids: list[str]


class NeedAccepted(MarketAccepted):
    need_id: str | None


class ActivationAccepted(MarketAccepted):
    activation_id: str | None


class BatchAccepted(MarketAccepted):
    batch: BatchPublic


class ExpiryStarted(_Public):
    operation_id: str | None
    """The expiry operation; null when no bid is past its validity (or one is under way)."""
