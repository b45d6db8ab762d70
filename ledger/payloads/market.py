"""Payloads of the market operations: products and admissions (the TSO's), bids (the BSP's), the
DSO's checks, needs and their clearing, activations, and measurement commitments.

Times are unix seconds, prices micro-euros, powers whole kW, as the services store them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from ledger.payloads.base import Hex32, OperationPayload

Direction = Literal["up", "down"]
#: Reasons given in a decision: their hash goes on chain, the text stays off chain.
Reasons = list[str]


class ProductConfiguration(OperationPayload):
    """The TSO creates or changes a product; stored as the product's settings are named
    (snake case), with the product's id and the hash of the configuration."""

    product_id: str
    id: str
    name: str
    directions: list[Direction]
    gate_closure_s: int = Field(ge=0)
    activation_notice_s: int = Field(ge=0)
    acknowledgement_s: int = Field(ge=1)
    open: bool
    config_hash: Hex32


class Admission(OperationPayload):
    """The TSO admits a qualified UVAM to the market, on the BSP's behalf."""

    uvam_id: str
    uvam_key: Hex32
    up_kw: int = Field(ge=0)
    down_kw: int = Field(ge=0)
    dso_eics: list[str]
    on_behalf_of: str


class BidTerms(OperationPayload):
    """One bid's terms as they are hashed on chain."""

    uvam_id: str
    uvam_key: Hex32
    product_id: str
    direction: Direction
    delivery_start: int
    valid_until: int
    price_micro: int
    divisible: bool
    quantities_kw: list[int] = Field(min_length=1)
    gate_closes_at: int


class BidItem(BidTerms):
    id: str
    chain_key: Hex32


class BidSubmission(OperationPayload):
    """New bids, and the operations (product, admission) they wait for."""

    bids: list[BidItem] = Field(min_length=1)
    requires: list[str] = []


class BidUpdates(OperationPayload):
    bids: list[BidItem] = Field(min_length=1)


class BidSelection(OperationPayload):
    """Bids withdrawn, or expired by the TSO's housekeeping."""

    bid_ids: list[str] = Field(min_length=1)


class BidSuspension(BidSelection):
    reasons: Reasons
    reasons_hash: Hex32


class DsoVerdict(OperationPayload):
    """The DSO's verdict on one bid, against the terms it saw."""

    bid_id: str
    terms_hash: Hex32
    outcome: str
    allowed_kw: list[int]
    reasons: Reasons
    reason_code: int
    reasons_hash: Hex32


class DsoChecks(OperationPayload):
    dso_eic: str
    bids: list[DsoVerdict] = Field(min_length=1)


class NeedPublication(OperationPayload):
    """The TSO's need for flexibility, with the terms hashed on chain."""

    need_id: str
    chain_key: Hex32
    product_id: str
    direction: Direction
    delivery_start: int
    quantities_kw: list[int] = Field(min_length=1)
    price_limit_micro: int | None
    pricing: str
    clearing: str
    settlement_terms: dict[str, Any] | None = None
    terms_hash: Hex32


class NeedClearing(OperationPayload):
    """A need's clearing: its inputs and result (documents hashed on chain)."""

    need_id: str
    inputs: dict[str, Any]
    inputs_hash: Hex32
    result: dict[str, Any]
    result_hash: Hex32


class ActivationSending(OperationPayload):
    """The TSO's set points to the UVAM of a selected bid."""

    activation_id: str
    chain_key: Hex32
    bid_id: str
    first_period: int
    set_points_kw: list[int] = Field(min_length=1)


class ActivationAcknowledgement(OperationPayload):
    activation_id: str
    accept: bool
    reasons: Reasons
    reasons_hash: Hex32


class ActivationChange(OperationPayload):
    activation_id: str
    set_points_kw: list[int] = Field(min_length=1)


class ActivationStop(OperationPayload):
    activation_id: str
    reasons: Reasons
    reasons_hash: Hex32


class ActivationLapse(OperationPayload):
    activation_id: str


class MeasurementCommitment(OperationPayload):
    """A stored batch of readings whose Merkle root goes on chain."""

    batch_id: str


MARKET_PAYLOADS: Mapping[str, type[OperationPayload]] = {
    "market.product": ProductConfiguration,
    "market.admit": Admission,
    "market.bids.submit": BidSubmission,
    "market.bids.update": BidUpdates,
    "market.bids.withdraw": BidSelection,
    "market.bids.expire": BidSelection,
    "market.bids.suspend": BidSuspension,
    "market.dso_check": DsoChecks,
    "market.need.publish": NeedPublication,
    "market.need.clear": NeedClearing,
    "market.activation.send": ActivationSending,
    "market.activation.ack": ActivationAcknowledgement,
    "market.activation.change": ActivationChange,
    "market.activation.stop": ActivationStop,
    "market.activation.lapse": ActivationLapse,
    "market.measurements.commit": MeasurementCommitment,
}
