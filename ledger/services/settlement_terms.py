"""The settlement terms of an activation: fixed once, carried into every version (issue 12).

When the TSO first asks for the settlement of an activation, the terms are fixed and stored
(``settlement_terms``): the awarded price of each activated period (from the award), the
sanction price (the request's ``sanctionEurMwh``, else ``CBP_SETTLEMENT_SANCTION_EUR_MWH``),
the meter tolerance and the missing-data policy. Every version (the first, and each
re-settlement after a dispute) is computed with them and carries them in its hashed record
(``terms``), so a dispute about the baseline cannot silently change the price of a shortfall.

A re-settlement corrects the baseline method only (:func:`resettlement_method`): without a
``method`` it keeps the previous version's; with one of the same name it changes only the
parameters given; with another name it is that method.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from eth_utils import keccak
from sqlmodel import Session, col, select

from ledger.db.market_models import MarketActivation, MarketAward
from ledger.db.settlement_models import Settlement, SettlementTerms
from ledger.domain.canonical import canonical_json
from ledger.errors import InvalidInput, NotFound
from ledger.market.periods import PERIOD_SECONDS
from ledger.market.units import micro_to_price, price_to_micro
from ledger.services.market_common import hex32
from ledger.services.settlement_inputs import method_from_spec, terms_from_inputs
from ledger.settings import Settings
from ledger.settlement import (
    BaselineMethod,
    MissingDataPolicy,
    SettlementInputError,
    describe,
)

DEFAULT_SANCTION_EUR_MWH: Final = Decimal(os.environ.get("CBP_SETTLEMENT_SANCTION_EUR_MWH", "200"))
"""Sanction price when the request names none (the products carry no sanction price yet)."""
PRESETS: Final = frozenset({"caiso10of10", "high4of5"})
"""Method names that stand for fixed parameters: a correction names them whole."""
FIXED_BY_TERMS: Final = ("sanctionEurMwh",)
"""Request fields a re-settlement may not change: the terms fixed with the first version."""


def sanction_of(request: dict[str, Any]) -> Decimal:
    """The request's sanction price (EUR/MWh, at most 6 decimals, not negative) or the default;
    a bad one is refused naming ``sanctionEurMwh``."""
    raw = request.get("sanctionEurMwh")
    if raw is None or raw == "":
        return DEFAULT_SANCTION_EUR_MWH
    if isinstance(raw, bool | float) or not isinstance(raw, str | int):
        raise InvalidInput(
            'the sanction price is a decimal string in EUR/MWh, e.g. "150"',
            field="sanctionEurMwh",
        )
    try:
        value = Decimal(str(raw))
        price_to_micro(value)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(f"bad sanction price {raw!r}: {exc}", field="sanctionEurMwh") from exc
    if value < 0:
        raise InvalidInput("the sanction price cannot be negative", field="sanctionEurMwh")
    return value


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """JSON-able, with Decimals as canonical strings (``Decimal("150.00")`` -> ``"150"``)."""
    plain: dict[str, Any] = json.loads(canonical_json(value))
    return plain


def _prices(session: Session, activation: MarketActivation) -> list[Decimal]:
    award = session.get(MarketAward, activation.bid_id)
    if award is None:
        raise NotFound(f"no award for activation {activation.id}", field="activationId")
    prices = []
    for index in range(len(activation.set_points_kw)):
        offset = (activation.first_period - award.delivery_start) // PERIOD_SECONDS + index
        if not 0 <= offset < len(award.prices_micro):
            raise SettlementInputError(
                "the activation lies outside its award", field="activationId"
            )
        prices.append(micro_to_price(award.prices_micro[offset]))
    return prices


def fix_terms(
    session: Session, settings: Settings, activation: MarketActivation, request: dict[str, Any]
) -> dict[str, Any]:
    """Fix (store) the terms of the activation's first settlement version and return them.

    Called when the TSO asks for version 1, so a bad sanction price is refused at once, with
    nothing stored. Terms left by an earlier first request whose version never reached the
    chain are replaced: nothing was settled with them."""
    terms = _plain(
        {
            "pricesEurMwh": _prices(session, activation),
            "sanctionEurMwh": sanction_of(request),
            "tolerance": {
                "relative": settings.settlement_tolerance_relative,
                "absoluteWh": settings.settlement_tolerance_wh,
            },
            "missingData": MissingDataPolicy.ZERO_DELIVERY,
        }
    )
    row = session.get(SettlementTerms, activation.id)
    if row is None:
        row = SettlementTerms(activation_id=activation.id, terms=terms, terms_hash="")
    row.terms = terms
    row.terms_hash = hex32(keccak(canonical_json(terms)))
    session.add(row)
    return terms


def terms_of(session: Session, activation: MarketActivation) -> dict[str, Any]:
    """The activation's fixed terms. A settlement made before terms were stored gets them now
    from its first version's inputs, which is what that version was computed with."""
    row = session.get(SettlementTerms, activation.id)
    if row is not None:
        return dict(row.terms)
    first = session.exec(
        select(Settlement)
        .where(Settlement.activation_id == activation.id, Settlement.status != "failed")
        .order_by(col(Settlement.version))
    ).first()
    if first is None:
        raise NotFound(f"activation {activation.id} has no settlement terms", field="activationId")
    terms = terms_from_inputs(first.inputs)
    session.add(
        SettlementTerms(
            activation_id=activation.id,
            terms=terms,
            terms_hash=hex32(keccak(canonical_json(terms))),
        )
    )
    return terms


def refuse_term_changes(terms: dict[str, Any], request: dict[str, Any]) -> None:
    """A re-settlement may not change the fixed terms: a different value is refused (422)."""
    for field in FIXED_BY_TERMS:
        if request.get(field) in (None, ""):
            continue
        if sanction_of(request) != Decimal(terms[field]):
            raise InvalidInput(
                f"{field} is fixed at {terms[field]} by the first settlement of the activation:"
                " a re-settlement corrects the baseline method only",
                field=field,
            )


def method_spec(method: BaselineMethod) -> dict[str, Any]:
    """A method as the complete JSON spec ``method_from_spec`` reads: every parameter given."""
    described = describe(method)
    return _plain({"name": described["name"], **described["params"]})


def resettlement_method(
    previous: dict[str, Any], correction: dict[str, Any] | None
) -> dict[str, Any]:
    """The method spec of a re-settlement: the previous version's (``previous``, as stored in
    its inputs) with the resolution's corrections; refused naming ``method`` if invalid."""
    base = method_spec(method_from_spec(previous))
    if not correction:
        return base
    named = method_from_spec(correction)
    if correction.get("name") in PRESETS or named.name != base["name"]:
        return method_spec(named)
    merged = {**base, **correction, "name": base["name"]}
    adjustment = correction.get("adjustment")
    if isinstance(adjustment, dict) and isinstance(base.get("adjustment"), dict):
        merged["adjustment"] = {**base["adjustment"], **adjustment}
    return method_spec(method_from_spec(merged))
