"""Input models of the P2P trading API: camelCase on the wire, exact decimals, strict bounds.

Energy is given in kWh with at most three decimals (whole Wh), money in EUR with at most two
(whole cents), prices in EUR/kWh with at most six (whole micro-euro), states of charge and
thresholds in percent with at most two (basis points). Numbers may be sent as JSON numbers or,
to avoid any float on the client side, as strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Self

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from ledger.registry.schemas import CbpModel

__all__ = [
    "DepositBatch",
    "DepositItem",
    "EvBatch",
    "EvCreate",
    "MatchedTradesSubmit",
    "SessionBatch",
    "SessionReportIn",
    "TradeBatch",
    "TradeConfirm",
    "TradeDecisionBatch",
    "TradeIn",
    "TradeReject",
    "WindowCreate",
]

MAX_BATCH = 5000
#: Trades per operation. Its transactions travel in one JSON-RPC request, which must stay well
#: under the 2 MiB a node accepts (Anvil's limit): 2500 trades are about 1 MiB of calldata.
MAX_TRADES = 2500
MAX_SESSIONS = 20000

Id = Annotated[str, StringConstraints(min_length=1, max_length=36)]
Kwh = Annotated[Decimal, Field(gt=0, le=Decimal(10_000), decimal_places=3)]
Eur = Annotated[Decimal, Field(gt=0, le=Decimal(1_000_000), decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class EvCreate(CbpModel):
    capacity_kwh: Kwh
    """Usable battery capacity, kWh."""
    owner_reference: str | None = Field(default=None, max_length=200)
    """The agent's own reference for the EV or its owner. Personal data: kept off chain, in the
    EV's record, and only its salted hash (the commitment) is on chain."""


class EvBatch(CbpModel):
    operator_id: Id
    """The infrastructure operator (its organisation id) that credits these EVs' balances; no
    other organisation, not even the TSO, can credit them."""
    evs: list[EvCreate] = Field(min_length=1, max_length=MAX_BATCH)


class DepositItem(CbpModel):
    ev_id: Id
    amount_eur: Eur
    """Money paid in off chain, credited to the EV's balance in cents."""


class DepositBatch(CbpModel):
    deposits: list[DepositItem] = Field(min_length=1, max_length=MAX_BATCH)


class SessionReportIn(CbpModel):
    ev_id: Id
    charge_point_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    soc_percent: Percent
    """State of charge reported by the charge point, percent of capacity."""
    reported_at: AwareDatetime | None = None
    """When the SoC was read; now when omitted. Orders buyers and sellers in matching."""


class SessionBatch(CbpModel):
    sessions: list[SessionReportIn] = Field(min_length=1, max_length=MAX_SESSIONS)


class WindowCreate(CbpModel):
    price_eur_per_kwh: Annotated[Decimal, Field(gt=0, le=100, decimal_places=6)]
    """The posted P2P price every trade of the window is made at."""
    buyer_threshold_percent: Percent = Decimal(75)
    """T_B: an EV below this SoC buys."""
    seller_threshold_percent: Percent = Decimal(80)
    """T_S: an EV above this SoC sells."""
    session_ids: list[Id] | None = Field(default=None, max_length=MAX_SESSIONS)
    """The sessions to match; all of the operator's sessions not yet in a window when omitted."""
    closes_at: AwareDatetime | None = None
    """From this instant the window takes no more trades (pending ones are still confirmed or
    rejected); one hour after opening when omitted. Must be in the future."""

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> Self:
        if self.buyer_threshold_percent > self.seller_threshold_percent:
            raise ValueError("buyerThresholdPercent must not exceed sellerThresholdPercent")
        return self


class TradeIn(CbpModel):
    buyer_ev_id: Id
    seller_ev_id: Id
    energy_kwh: Kwh
    cost_eur: Annotated[Decimal, Field(ge=0, decimal_places=2)] | None = None
    """What the buyer expects to pay; refused unless it is the energy at the window's price."""


class TradeBatch(CbpModel):
    """Add Batch: trades of one window, created Pending in one chain transaction per chunk."""

    window_id: Id
    trades: list[TradeIn] = Field(min_length=1, max_length=MAX_TRADES)


class MatchedTradesSubmit(CbpModel):
    trade_ids: list[Id] | None = Field(default=None, max_length=MAX_TRADES)
    """Matched trades to submit. When omitted: the caller's matched trades in the window, up to
    2500 per call (a buyer's trades are never split); the answer says how many remain."""


class TradeConfirm(CbpModel):
    """The operator's confirmation; it may restate the energy and cost it measured."""

    energy_kwh: Kwh | None = None
    cost_eur: Annotated[Decimal, Field(ge=0, decimal_places=2)] | None = None


class TradeReject(CbpModel):
    reasons: list[Reason] = Field(min_length=1, max_length=20)


class TradeDecisionBatch(CbpModel):
    trade_ids: list[Id] = Field(min_length=1, max_length=MAX_TRADES)
    reasons: list[Reason] | None = Field(default=None, max_length=20)
    """Required to reject; ignored to confirm."""
