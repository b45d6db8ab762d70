"""The settlement terms of an activation: frozen at award, carried into every version.

Issue 14: the terms come from the market product and the TSO's need. When a need is stated
(:func:`award_terms`), the need's own terms, else its product's, are fixed - pricing rule,
sanction price, baseline method with every parameter, meter tolerance, missing-data policy -
and the clearing carries them into its result document, whose hash goes on chain with the
awards (``docs/settlement_ledger.md``, "Settlement terms"). When the TSO first asks for the
settlement of an activation (:func:`activation_terms`), those frozen terms plus the awarded
price of each activated period are stored (``settlement_terms``); every version (the first,
and each re-settlement after a dispute) is computed with them and carries them in its hashed
record (``terms``). An award without frozen terms is refused rather than settled on defaults.

A re-settlement corrects the baseline method only (:func:`resettlement_method`): without a
``method`` it keeps the previous version's; with one of the same name it changes only the
parameters given; with another name it is that method.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from eth_utils import keccak
from sqlmodel import Session, col, select

from ledger.core.domain.canonical import canonical_json
from ledger.core.errors import InvalidInput, NotFound
from ledger.core.periods import PERIOD_SECONDS
from ledger.core.settings import Settings
from ledger.core.units import micro_to_price, price_to_micro
from ledger.market.common import hex32
from ledger.market.config import ProductSettlement
from ledger.market.schemas import NeedSettlement
from ledger.market.tables import MarketActivation, MarketAward, MarketNeed
from ledger.market.terms import Pricing
from ledger.settlement import (
    BaselineMethod,
    MissingDataPolicy,
    SettlementInputError,
    describe,
)
from ledger.settlement.stored_inputs import (
    SettlementRefused,
    method_from_spec,
    terms_from_inputs,
)
from ledger.settlement.tables import Settlement, SettlementTerms

PRESETS: Final = frozenset({"caiso10of10", "high4of5"})
"""Method names that stand for fixed parameters: a correction names them whole."""
FIXED_BY_TERMS: Final = ("sanctionEurMwh",)
"""Request fields a settlement may not change: the terms frozen at award."""


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """JSON-able, with Decimals as canonical strings (``Decimal("150.00")`` -> ``"150"``)."""
    plain: dict[str, Any] = json.loads(canonical_json(value))
    return plain


def terms_hash(terms: dict[str, Any]) -> str:
    """``keccak256(canonical_json(terms))``, as stored beside the terms."""
    return hex32(keccak(canonical_json(terms)))


def award_terms(
    settings: Settings,
    product: ProductSettlement,
    pricing: Pricing,
    need: NeedSettlement | None,
) -> dict[str, Any]:
    """The settlement terms a need's awards are frozen with: each value the need's own, else
    its product's (tolerance: else the platform's ``CBP_SETTLEMENT_TOLERANCE_*``; the
    availability price per kW per ISP too), and the platform's holiday calendar. A bad method
    is refused naming ``settlement.method``."""
    own = need or NeedSettlement()
    try:
        method = method_from_spec(own.method if own.method is not None else product.method)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="settlement.method") from exc
    relative = _first(
        own.tolerance_relative, product.tolerance_relative, settings.settlement_tolerance_relative
    )
    return _plain(
        {
            "pricing": pricing.value,
            "sanctionEurMwh": _first(own.sanction_eur_mwh, product.sanction_eur_mwh),
            "availabilityEurKwIsp": _first(
                own.availability_eur_kw_isp, product.availability_eur_kw_isp
            ),
            "baseline": method_spec(method),
            "tolerance": {
                "relative": relative,
                "absoluteWh": _first(
                    own.tolerance_wh, product.tolerance_wh, settings.settlement_tolerance_wh
                ),
            },
            "missingData": MissingDataPolicy.ZERO_DELIVERY,
            "holidayCalendar": settings.holiday_calendar,
        }
    )


def _first(*values: Any) -> Any:
    return next(value for value in values if value is not None)


def sanction_of(request: dict[str, Any]) -> Decimal | None:
    """The request's sanction price (EUR/MWh, at most 6 decimals, not negative), if any; a bad
    one is refused naming ``sanctionEurMwh``."""
    raw = request.get("sanctionEurMwh")
    if raw is None or raw == "":
        return None
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


def _prices(activation: MarketActivation, award: MarketAward) -> list[Decimal]:
    prices = []
    for index in range(len(activation.set_points_kw)):
        offset = (activation.first_period - award.delivery_start) // PERIOD_SECONDS + index
        if not 0 <= offset < len(award.prices_micro):
            raise SettlementInputError(
                "the activation lies outside its award", field="activationId"
            )
        prices.append(micro_to_price(award.prices_micro[offset]))
    return prices


def activation_terms(
    session: Session, activation: MarketActivation, request: dict[str, Any]
) -> dict[str, Any]:
    """The terms of the activation's first settlement version: its award's frozen terms, the
    awarded price of each activated period, and which clearing result froze them. Nothing is
    stored. Refused (409 ``termsMissing``) when the award has no frozen terms; a request naming
    another sanction price or baseline method is refused (422) - they are the award's."""
    award = session.get(MarketAward, activation.bid_id)
    if award is None:
        raise NotFound(f"no award for activation {activation.id}", field="activationId")
    need = session.get(MarketNeed, award.need_id)
    frozen = (need.result or {}).get("settlementTerms") if need is not None else None
    if need is None or frozen is None:
        raise SettlementRefused(
            f"the award of activation {activation.id} was cleared before settlement terms were"
            " frozen at award: there are no terms to settle it with",
            field="activationId",
            reason="termsMissing",
        )
    refuse_term_changes(frozen, request)
    if request.get("method") is not None:
        asked = method_spec(method_from_spec(request["method"]))
        if asked != frozen["baseline"]:
            raise InvalidInput(
                f"the baseline method is fixed by the award ({frozen['baseline']['name']}):"
                " a re-settlement after a dispute may correct it",
                field="method",
            )
    return _plain(
        {
            **frozen,
            "pricesEurMwh": _prices(activation, award),
            "award": {"needId": need.id, "resultHash": need.result_hash},
        }
    )


def store_terms(session: Session, activation: MarketActivation, terms: dict[str, Any]) -> None:
    """Store the terms of the activation's first version. Terms left by an earlier first
    request whose version never reached the chain are replaced: nothing was settled with them."""
    row = session.get(SettlementTerms, activation.id)
    if row is None:
        row = SettlementTerms(activation_id=activation.id, terms=terms, terms_hash="")
    row.terms = terms
    row.terms_hash = terms_hash(terms)
    session.add(row)


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
        SettlementTerms(activation_id=activation.id, terms=terms, terms_hash=terms_hash(terms))
    )
    return terms


def refuse_term_changes(terms: dict[str, Any], request: dict[str, Any]) -> None:
    """The fixed terms cannot be changed by a request: a different value is refused (422)."""
    for field in FIXED_BY_TERMS:
        asked = sanction_of(request)
        if asked is not None and asked != Decimal(terms[field]):
            raise InvalidInput(
                f"{field} is fixed at {terms[field]} by the award of the activation:"
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
