"""Input models of the market API: bids, needs, activations, grid constraints, products,
measurement uploads. camelCase on the wire, unknown fields refused (as every connector input)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from ledger.core.periods import MAX_PERIODS, PERIOD_SECONDS, to_unix
from ledger.core.units import MAX_KW, price_to_micro
from ledger.market.grid import Light, ReasonCode
from ledger.market.terms import Direction, Pricing
from ledger.registry.schemas import CbpModel

PowerKw = Annotated[int, Field(ge=0, le=MAX_KW)]
#: The most bids one call places, updates, withdraws or suspends (a longer list is refused with 422
#: before any bid is checked).
MAX_BIDS_PER_CALL = 5000
Quantities = Annotated[list[PowerKw], Field(min_length=1, max_length=MAX_PERIODS)]
Reasons = Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]], Field(max_length=20)]


def _period_start(moment: datetime) -> datetime:
    if to_unix(moment) % PERIOD_SECONDS or moment.microsecond:
        raise ValueError("must be the start of a 15-minute period (:00, :15, :30 or :45)")
    return moment


def _exact_price(value: Decimal) -> Decimal:
    price_to_micro(value)
    return value


PeriodStart = Annotated[AwareDatetime, AfterValidator(_period_start)]
Price = Annotated[Decimal, AfterValidator(_exact_price)]


class BidCreate(CbpModel):
    """One bid: the flexibility of a qualified UVAM over consecutive 15-minute periods."""

    uvam_id: str = Field(min_length=1, max_length=36)
    """The UVAM offering its flexibility (it must be Qualified and yours)."""
    product_id: str = Field(min_length=1, max_length=32)
    """The market product, e.g. ``MSD-TERTIARY-UP`` (``GET /market/products``)."""
    direction: Direction
    """``up``: less consumption / more generation; ``down``: the opposite."""
    delivery_start: PeriodStart
    """Start of the first delivery period (aligned to 15 minutes)."""
    quantities_kw: Quantities
    """kW offered per period from deliveryStart ("time pattern"); each at most the UVAM's
    qualified power for the direction."""
    price: Price
    """EUR/MWh the TSO pays if the bid is selected (exact decimal, at most 6 decimals)."""
    valid_until: AwareDatetime | None = None
    """The offer lapses at this instant (default: the end of its last period)."""
    divisible: bool = True
    """Whether the TSO may accept part of a period's quantity (partial acceptance)."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not any(self.quantities_kw):
            raise ValueError("quantitiesKw: at least one period must offer some kW")
        return self


class BidsSubmit(CbpModel):
    bids: Annotated[list[BidCreate], Field(min_length=1, max_length=MAX_BIDS_PER_CALL)]


class BidUpdate(CbpModel):
    """New terms for a bid before its gate closes (PATCH semantics; the UVAM, product and
    direction stay)."""

    bid_id: str = Field(min_length=1, max_length=36)
    delivery_start: PeriodStart | None = None
    quantities_kw: Quantities | None = None
    price: Price | None = None
    valid_until: AwareDatetime | None = None
    divisible: bool | None = None


class BidsUpdate(CbpModel):
    bids: Annotated[list[BidUpdate], Field(min_length=1, max_length=MAX_BIDS_PER_CALL)]


class BidsWithdraw(CbpModel):
    bid_ids: Annotated[list[str], Field(min_length=1, max_length=MAX_BIDS_PER_CALL)]


class BidsSuspend(CbpModel):
    bid_ids: Annotated[list[str], Field(min_length=1, max_length=MAX_BIDS_PER_CALL)]
    reasons: Reasons = Field(default_factory=list)
    """Why the BSP cannot deliver (kept off chain; their hash goes on chain)."""


class ConstraintScope(StrEnum):
    POD = "pod"
    ZONE = "zone"


class GridConstraintCreate(CbpModel):
    """A DSO's traffic light for one POD or one zone of its grid."""

    scope: ConstraintScope
    target: str = Field(min_length=1, max_length=64)
    """POD id (scope pod) or zone, as the PODs' ``locationId`` (scope zone)."""
    start: AwareDatetime
    end: AwareDatetime
    light: Light
    limit_kw: PowerKw | None = None
    """For amber: the most flexibility each POD concerned may provide."""
    direction: Direction | None = None
    """Only bids in this direction are concerned (default: both)."""
    reason_code: ReasonCode = ReasonCode.CONGESTION
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end: must be after the start")
        if self.light is Light.AMBER and self.limit_kw is None:
            raise ValueError("limitKw: an amber light needs a limit per POD, in kW")
        return self


class GridConstraintsCreate(CbpModel):
    constraints: Annotated[list[GridConstraintCreate], Field(min_length=1, max_length=10_000)]


class ClearingMode(StrEnum):
    IMMEDIATE = "immediate"
    MANUAL = "manual"


class NeedSettlement(CbpModel):
    """The need's own settlement terms; each value left out is the product's
    (``GET /market/products``). Frozen with the awards at clearing."""

    method: dict[str, Any] | None = None
    """Baseline method, e.g. ``{"name": "xOfY", "x": 10, "y": 10}`` (docs/settlement_ledger.md)."""
    sanction_eur_mwh: Price | None = Field(default=None, ge=0)
    """EUR/MWh the BSP pays for flexibility not delivered (exact, at most 6 decimals)."""
    tolerance_relative: Decimal | None = Field(default=None, ge=0, le=1)
    tolerance_wh: int | None = Field(default=None, ge=0, le=10**9)
    availability_eur_kw_isp: Price | None = Field(default=None, ge=0)
    """EUR per awarded kW per ISP, paid for availability beside the energy (exact, at most 6
    decimals); the product's where left out."""


class NeedCreate(CbpModel):
    """What the TSO needs: a quantity per period, in one direction, on one product."""

    product_id: str = Field(min_length=1, max_length=32)
    direction: Direction
    delivery_start: PeriodStart
    quantities_kw: Quantities
    price_limit: Price | None = None
    """EUR/MWh; bids above it are not selected."""
    pricing: Pricing = Pricing.PAY_AS_BID
    clearing: ClearingMode = ClearingMode.IMMEDIATE
    """``immediate``: cleared as soon as the need is on chain and the gate of its first period
    has closed; ``manual``: on ``POST /market/needs/{id}/clear`` (refused before that gate)."""
    settlement: NeedSettlement | None = None
    """Settlement terms of the awards (baseline method, sanction price, meter tolerance);
    the product's where left out."""


class ActivationCreate(CbpModel):
    """Set points for an awarded bid's UVAM, kW per period from ``firstPeriod``."""

    bid_id: str = Field(min_length=1, max_length=36)
    first_period: PeriodStart
    set_points_kw: Quantities


class ActivationChange(CbpModel):
    set_points_kw: Quantities


class ActivationStop(CbpModel):
    reasons: Reasons = Field(default_factory=list)


class Acknowledgement(CbpModel):
    """The BSP's answer to an activation: Accepted (``accept: true``) or Cancelled."""

    accept: bool
    reasons: Reasons = Field(default_factory=list)


class ProductUpdate(CbpModel):
    """The TSO's configuration of a market product (recorded on chain)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    directions: list[Direction] | None = Field(default=None, min_length=1)
    gate_closure_seconds: int | None = Field(default=None, ge=0, le=7 * 86_400)
    activation_notice_seconds: int | None = Field(default=None, ge=0, le=86_400)
    acknowledgement_seconds: int | None = Field(default=None, ge=1, le=86_400)
    open: bool | None = None


class MeterKindName(StrEnum):
    DEVICE = "device"
    POD = "pod"
    BASELINE = "baseline"


class MeasurementUpload(CbpModel):
    """Readings in JSON: a list of ``{resourceId, timestamp, powerW}`` and/or compact series
    ``{resourceId, start, values}`` (one value per resolution step, ``null`` when missing)."""

    kind: MeterKindName
    """``device``: behind-the-meter readings of flex devices (BSP); ``pod``: POD meter data
    (DSO); ``baseline``: the declared baseline of the BSP's PODs, average W per 15-minute period
    (900 s), uploaded before gate closure (docs/market.md)."""
    resolution_seconds: int = Field(gt=0, le=3600)
    readings: list[dict[str, Any]] | None = None
    series: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.readings and not self.series:
            raise ValueError("send readings or series")
        return self


class MeasurementCorrection(CbpModel):
    """Corrected or missing readings of a committed batch; the new version overlays them."""

    readings: list[dict[str, Any]] | None = None
    series: list[dict[str, Any]] | None = None
