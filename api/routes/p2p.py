"""P2P EV trading: EVs, deposits, charging sessions, trading windows, trades (Add Batch),
the operator's confirmations and rejections, and the case study."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from api.deps import CurrentOrg, Offset, RuntimeDep, SessionDep, accepted
from api.idempotency import IdempotentRoute
from api.models.common import Accepted, Page, errors
from api.models.p2p import (
    CaseStudyPublic,
    EvDetail,
    EvPublic,
    EvsAccepted,
    MatchedAccepted,
    SessionsReported,
    TradeDetail,
    TradePublic,
    TradesAccepted,
    WindowAccepted,
    WindowPublic,
)
from ledger.core.errors import InvalidInput, NotFound
from ledger.p2p import service as p2p
from ledger.p2p.case_study import CaseStudy, CaseStudyParameters, run_case_study
from ledger.p2p.energy import Thresholds
from ledger.p2p.plots import FIGURES, render
from ledger.p2p.schemas import (
    DepositBatch,
    EvBatch,
    MatchedTradesSubmit,
    SessionBatch,
    TradeBatch,
    TradeConfirm,
    TradeDecisionBatch,
    TradeReject,
    WindowCreate,
)
from ledger.payloads import read
from ledger.payloads.p2p import EvRegistration, TradeAddition, WindowOpening

router = APIRouter(prefix="/p2p", tags=["P2P trading"], route_class=IdempotentRoute)
ACCEPTED = status.HTTP_202_ACCEPTED


@router.post(
    "/evs",
    status_code=ACCEPTED,
    summary="Register EVs under pseudonymous ids (BSP as their agent)",
    response_model=EvsAccepted,
    responses=errors(403, 409, 413),
)
def register_evs(
    body: EvBatch, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """P2P EV trading (FLOW D5.5 §2): EVs join under pseudonymous ids; only a salted hash of each
    EV's record goes on chain (no personal data). The EVs' ids are in ``evIds``."""
    operation = p2p.register_evs(
        runtime, session, agent=org, evs=body.evs, operator_id=body.operator_id
    )
    return accepted(
        runtime,
        session,
        operation,
        evIds=[item.id for item in read(operation, EvRegistration).evs],
    )


@router.get(
    "/evs",
    summary="EVs: a BSP its own, operators, the TSO and auditors all",
    response_model=Page[EvPublic],
    responses=errors(),
)
def list_evs(
    org: CurrentOrg,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    return p2p.list_evs(session, org, limit=limit, offset=offset)


@router.get(
    "/evs/{ev_id}",
    summary="An EV with its balance on chain",
    response_model=EvDetail,
    responses=errors(404),
)
def get_ev(ev_id: str, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    return p2p.get_ev(runtime, session, org, ev_id)


@router.post(
    "/deposits",
    status_code=ACCEPTED,
    summary="Credit money paid in to EV balances (each EV's own operator)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def deposit(
    body: DepositBatch, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return accepted(
        runtime, session, p2p.deposit(runtime, session, actor=org, deposits=body.deposits)
    )


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    summary="Report charging sessions with their state of charge (operator)",
    response_model=SessionsReported,
    responses=errors(404, 409, 413),
)
def report_sessions(body: SessionBatch, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    """Role by state of charge (FLOW D5.5 §2, Eq. 1): buyer below the buyer threshold, seller
    above the seller threshold, neutral otherwise."""
    rows = p2p.report_sessions(session, operator=org, sessions=body.sessions)
    session.commit()
    return {"sessionIds": [row.id for row in rows], "count": len(rows)}


@router.post(
    "/windows",
    status_code=ACCEPTED,
    summary="Open a trading window at a posted price and match it (operator)",
    response_model=WindowAccepted,
    responses=errors(403, 409, 413),
)
def open_window(
    body: WindowCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    operation = p2p.open_window(runtime, session, operator=org, request=body)
    return accepted(
        runtime,
        session,
        operation,
        windowId=operation.target_id,
        matchedTrades=len(read(operation, WindowOpening).trades),
    )


@router.get(
    "/windows/{window_id}",
    summary="A window's price, thresholds, totals and sessions",
    response_model=WindowPublic,
    responses=errors(404),
)
def get_window(
    window_id: str, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return p2p.get_window(runtime, session, org, window_id)


@router.post(
    "/windows/{window_id}/close",
    status_code=ACCEPTED,
    summary="Close a window now: no more trades (its operator)",
    response_model=Accepted,
    responses=errors(403, 404, 409),
)
def close_window(
    window_id: str, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return accepted(
        runtime, session, p2p.close_window(runtime, session, operator=org, window_id=window_id)
    )


@router.post(
    "/windows/{window_id}/trades",
    status_code=ACCEPTED,
    summary="Add Batch from the matching: the caller's matched trades, created Pending",
    response_model=MatchedAccepted,
    responses=errors(403, 404, 409, 413),
)
def submit_matched(
    window_id: str,
    body: MatchedTradesSubmit,
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> dict[str, Any]:
    operation = p2p.submit_matched(
        runtime, session, agent=org, window_id=window_id, trade_ids=body.trade_ids
    )
    addition = read(operation, TradeAddition)
    return accepted(
        runtime,
        session,
        operation,
        tradeIds=[t.id for t in addition.trades],
        remainingMatched=addition.remaining_matched,
    )


@router.post(
    "/trades",
    status_code=ACCEPTED,
    summary="Add Batch: trades of one window, created Pending (buyer's agent)",
    response_model=TradesAccepted,
    responses=errors(403, 404, 409, 413),
)
def add_trades(
    body: TradeBatch, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """Transactions (FLOW D5.5 §2): the buyer initiates the payment for its traded energy; it
    stays ``Pending`` until the infrastructure operator confirms the traded amounts and cost."""
    operation = p2p.add_trades(runtime, session, agent=org, request=body)
    return accepted(
        runtime,
        session,
        operation,
        tradeIds=[t.id for t in read(operation, TradeAddition).trades],
    )


@router.get(
    "/trades",
    summary="Trades the caller takes part in (all for the TSO and auditors)",
    response_model=Page[TradePublic],
    responses=errors(),
)
def list_trades(
    org: CurrentOrg,
    session: SessionDep,
    window_id: Annotated[str | None, Query(alias="windowId")] = None,
    status_: Annotated[str | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    return p2p.list_trades(
        session, org, window_id=window_id, status=status_, limit=limit, offset=offset
    )


@router.post(
    "/trades/confirm",
    status_code=ACCEPTED,
    summary="Confirm trades (the window's operator)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def confirm_trades(
    body: TradeDecisionBatch, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """The infrastructure operator confirms the traded amounts and cost; the trade is then final
    on the ledger (FLOW D5.5 §2)."""
    return accepted(
        runtime,
        session,
        p2p.confirm_trades(runtime, session, operator=org, trade_ids=body.trade_ids),
    )


@router.post(
    "/trades/reject",
    status_code=ACCEPTED,
    summary="Reject trades with reasons (the window's operator)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def reject_trades(
    body: TradeDecisionBatch, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    if not body.reasons:
        raise InvalidInput("a rejection needs at least one reason", field="reasons")
    operation = p2p.reject_trades(
        runtime, session, operator=org, trade_ids=body.trade_ids, reasons=body.reasons
    )
    return accepted(runtime, session, operation)


@router.get(
    "/trades/{trade_id}",
    summary="A trade, with its status on chain",
    response_model=TradeDetail,
    responses=errors(404),
)
def get_trade(
    trade_id: str, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return p2p.get_trade(runtime, session, org, trade_id)


@router.post(
    "/trades/{trade_id}/confirm",
    status_code=ACCEPTED,
    summary="Confirm a trade's energy and cost (the window's operator)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def confirm_trade(
    trade_id: str, body: TradeConfirm, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    operation = p2p.confirm_trades(
        runtime,
        session,
        operator=org,
        trade_ids=[trade_id],
        energy_kwh=body.energy_kwh,
        cost_eur=body.cost_eur,
    )
    return accepted(runtime, session, operation)


@router.post(
    "/trades/{trade_id}/reject",
    status_code=ACCEPTED,
    summary="Reject a trade with reasons (the window's operator)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def reject_trade(
    trade_id: str, body: TradeReject, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    operation = p2p.reject_trades(
        runtime, session, operator=org, trade_ids=[trade_id], reasons=body.reasons
    )
    return accepted(runtime, session, operation)


# ------------------------------------------------------------------------- case study

EvsQuery = Annotated[int, Query(ge=2, le=2000, description="EVs in the fleet")]
SeedQuery = Annotated[int, Query(ge=0, description="seed of the fleet's random draw")]
ShareQuery = Annotated[
    Decimal, Query(ge=0, le=1, alias="sellerShare", description="share of sellers")
]
PriceQuery = Annotated[Decimal, Query(gt=0, le=100, alias="priceEurPerKwh", decimal_places=6)]
TariffQuery = Annotated[Decimal, Query(gt=0, le=100, alias="gridTariffEurPerKwh", decimal_places=6)]
ThresholdQuery = Annotated[Decimal, Query(ge=0, le=100, decimal_places=2)]


def _study(
    evs: int,
    seed: int,
    seller_share: Decimal,
    price: Decimal,
    tariff: Decimal,
    buyer: Decimal,
    seller: Decimal,
) -> CaseStudy:
    try:
        thresholds = Thresholds(buyer, seller)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="buyerThresholdPercent") from exc
    return run_case_study(
        CaseStudyParameters(
            evs=evs,
            seed=seed,
            seller_share=seller_share,
            thresholds=thresholds,
            price_eur_per_kwh=price,
            grid_tariff_eur_per_kwh=tariff,
        )
    )


@router.get(
    "/case-study",
    summary="The source's case study: grid load and charging costs, with and without P2P",
    response_model=CaseStudyPublic,
    responses=errors(),
)
def case_study(
    org: CurrentOrg,
    evs: EvsQuery = 40,
    seed: SeedQuery = 2024,
    seller_share: ShareQuery = Decimal("0.5"),
    price: PriceQuery = Decimal("0.15"),
    tariff: TariffQuery = Decimal("0.30"),
    buyer_threshold: Annotated[ThresholdQuery, Query(alias="buyerThresholdPercent")] = Decimal(75),
    seller_threshold: Annotated[ThresholdQuery, Query(alias="sellerThresholdPercent")] = Decimal(
        80
    ),
) -> dict[str, Any]:
    study = _study(evs, seed, seller_share, price, tariff, buyer_threshold, seller_threshold)
    body = study.as_json()
    query = (
        f"evs={evs}&seed={seed}&sellerShare={seller_share}&priceEurPerKwh={price}"
        f"&gridTariffEurPerKwh={tariff}&buyerThresholdPercent={buyer_threshold}"
        f"&sellerThresholdPercent={seller_threshold}"
    )
    body["figures"] = {name: f"/p2p/case-study/figures/{name}.png?{query}" for name in FIGURES}
    return body


@router.get(
    "/case-study/figures/{name}.png",
    summary="A figure of the case study as PNG",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The figure"}, **errors(404)},
)
def case_study_figure(
    name: str,
    org: CurrentOrg,
    evs: EvsQuery = 40,
    seed: SeedQuery = 2024,
    seller_share: ShareQuery = Decimal("0.5"),
    price: PriceQuery = Decimal("0.15"),
    tariff: TariffQuery = Decimal("0.30"),
    buyer_threshold: Annotated[ThresholdQuery, Query(alias="buyerThresholdPercent")] = Decimal(75),
    seller_threshold: Annotated[ThresholdQuery, Query(alias="sellerThresholdPercent")] = Decimal(
        80
    ),
) -> Response:
    if name not in FIGURES:
        raise NotFound(f"no figure {name}; there are {', '.join(FIGURES)}", field="name")
    study = _study(evs, seed, seller_share, price, tariff, buyer_threshold, seller_threshold)
    return Response(content=render(study, name), media_type="image/png")
