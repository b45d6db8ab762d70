"""Market settings: the product list and the limits, read from ``CBP_MARKET_*`` variables.

The products are configurable (``CBP_MARKET_PRODUCTS`` as JSON); the defaults are the upward
and downward tertiary reserve of the Italian ancillary services market (MSD) and a balancing
product. Gate closure, activation notice and acknowledgement window of a product are what the
TSO configures on chain when the product is first used; the TSO may change them later through
the API (``PUT /market/products/{id}``), which records the change on chain too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.market.terms import Direction


class ProductSettlement(BaseModel):
    """How a product's activations are settled (issue 14): the need may override each value;
    the clearing freezes the result with the awards (``docs/settlement_ledger.md``)."""

    method: dict[str, Any] = Field(default_factory=lambda: {"name": "caiso10of10"})
    """Baseline method spec, as the settlement API reads it (``{"name": "xOfY", ...}``)."""
    sanction_eur_mwh: Decimal = Field(default=Decimal("200"), ge=0)
    """What the BSP pays per MWh not delivered (Interflex's sanction price)."""
    availability_eur_kw_isp: Decimal = Field(default=Decimal("0"), ge=0, decimal_places=6)
    """Availability pay: EUR per awarded kW per ISP (15 min), paid for every awarded period
    whether activated or not (docs/statements.md); 0 when the product pays none."""
    tolerance_relative: Decimal | None = Field(default=None, ge=0, le=1)
    """Meter tolerance between the DSO's and the BSP's data; ``None``: the platform's
    ``CBP_SETTLEMENT_TOLERANCE_RELATIVE`` when the need is stated."""
    tolerance_wh: int | None = Field(default=None, ge=0)
    """Absolute part of that tolerance; ``None``: ``CBP_SETTLEMENT_TOLERANCE_WH``."""


class ProductConfig(BaseModel):
    """One market product (``market/product`` of a bid)."""

    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
    name: str
    directions: list[Direction]
    gate_closure_s: int = Field(ge=0, le=7 * 86_400)
    """A bid's gate closes this long before its first period starts (InterConnect §4.4: day-ahead
    offers until 16:00 D-1, intraday offers until T-3h)."""
    activation_notice_s: int = Field(ge=0, le=86_400)
    """Shortest time advance between an activation and its first set point."""
    acknowledgement_s: int = Field(ge=1, le=86_400)
    """How long the BSP has to accept or refuse an activation."""
    open: bool = True
    settlement: ProductSettlement = Field(default_factory=ProductSettlement)
    """Settlement terms of the product's awards, unless the need names its own."""


DEFAULT_PRODUCTS = [
    ProductConfig(
        id="MSD-TERTIARY-UP",
        name="Upward tertiary reserve, Italian ancillary services market (MSD)",
        directions=[Direction.UP],
        gate_closure_s=3600,
        activation_notice_s=900,
        acknowledgement_s=300,
    ),
    ProductConfig(
        id="MSD-TERTIARY-DOWN",
        name="Downward tertiary reserve, Italian ancillary services market (MSD)",
        directions=[Direction.DOWN],
        gate_closure_s=3600,
        activation_notice_s=900,
        acknowledgement_s=300,
    ),
    ProductConfig(
        id="MB-BALANCING",
        name="Balancing market (MB), both directions",
        directions=[Direction.UP, Direction.DOWN],
        gate_closure_s=900,
        activation_notice_s=300,
        acknowledgement_s=120,
    ),
]


class MarketSettings(BaseSettings):
    """Read with the platform's settings, of which it is the ``market`` part
    (``ledger.core.settings.Settings.market``)."""

    model_config = SettingsConfigDict(env_prefix="CBP_MARKET_", extra="ignore")

    products: list[ProductConfig] = Field(default_factory=lambda: list(DEFAULT_PRODUCTS))
    bids_per_transaction: int = Field(default=100, ge=1, le=200)
    """Bids packed into one ``submitBids`` transaction (about 60 k gas each)."""
    max_bids_per_request: int = Field(default=5000, ge=1)
    device_resolutions_s: list[int] = Field(default_factory=lambda: [60])
    """Resolutions accepted for behind-the-meter readings (the demo's 60 s, FLOW D5.5 §3)."""
    pod_resolutions_s: list[int] = Field(default_factory=lambda: [60, 900])
    """Resolutions accepted for POD meter readings (1 min or 15 min)."""
    plausibility_factor: Decimal = Decimal("1.2")
    """A reading beyond this factor times the resource's contracted power is implausible."""
    max_upload_bytes: int = 200 * 1024 * 1024

    def product(self, product_id: str) -> ProductConfig | None:
        return next((p for p in self.products if p.id == product_id), None)
