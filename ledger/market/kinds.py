"""The market's operation kinds and their handlers (composed in ``ledger.capabilities``)."""

from __future__ import annotations

from ledger.core.handler import Handler
from ledger.market import activations as market_activations
from ledger.market import bids as market
from ledger.market import checks as market_checks
from ledger.market import needs as market_clearing


def handlers() -> dict[str, Handler]:
    """Every market operation kind and its handler: products, admissions, bids, DSO checks,
    needs and their clearing, activations."""
    table: list[Handler] = [
        market.ProductHandler(),
        market.AdmissionHandler(),
        market.BidSubmit(),
        market.BidUpdateHandler(),
        market.BidWithdraw(),
        market.BidExpire(),
        market.BidSuspend(),
        market_checks.DsoCheckHandler(),
        market_clearing.NeedPublish(),
        market_clearing.NeedClear(),
        market_activations.ActivationSend(),
        market_activations.ActivationAck(),
        market_activations.ActivationChangeHandler(),
        market_activations.ActivationStopHandler(),
        market_activations.ActivationLapse(),
    ]
    return {handler.kind: handler for handler in table}
