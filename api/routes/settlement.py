"""Settlement of activations: the TSO settles, the BSP accepts or disputes, the TSO resolves;
a settlement left unanswered past its deadline is finalised.
Thin: each route calls one ledger service; writes answer 202 with their operation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, status

from api.deps import CurrentOrg, RuntimeDep, SessionDep, accepted
from api.idempotency import IdempotentRoute
from api.models.common import Accepted, Page, errors
from api.models.settlement import SettlementAudit, SettlementDetail, SettlementSummary
from ledger.settlement import service as settlement

router = APIRouter(tags=["Settlement"], route_class=IdempotentRoute)
ACCEPTED = status.HTTP_202_ACCEPTED


@router.post(
    "/market/activations/{activation_id}/settlement",
    status_code=ACCEPTED,
    summary="Settle an activation (TSO): a worker computes it and records its hash on chain",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def settle(
    activation_id: str,
    org: CurrentOrg,
    session: SessionDep,
    runtime: RuntimeDep,
    body: dict[str, Any] = Body(default_factory=dict),  # noqa: B008
) -> dict[str, Any]:
    """Settlement (USEF UFTP ``FlexOrderSettlementISP``): per period, delivered flexibility =
    baseline - measured energy; per order, price, penalty and net settlement. A worker computes
    the record with the product's baseline method and puts its hash on chain."""
    operation = settlement.request_settlement(
        runtime, session, tso=org, activation_id=activation_id, request=body
    )
    return accepted(runtime, session, operation)


@router.get(
    "/market/activations/{activation_id}/settlements",
    summary="Every version of the settlement of an activation",
    response_model=Page[SettlementSummary],
    responses=errors(404),
)
def list_settlements(activation_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return settlement.settlements_of(session, org, activation_id)


@router.get(
    "/settlements/{settlement_id}",
    summary="A settlement with its per-period table",
    response_model=SettlementDetail,
    responses=errors(404),
)
def get_settlement(settlement_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return settlement.get_settlement(session, org, settlement_id)


@router.post(
    "/settlements/{settlement_id}/accept",
    status_code=ACCEPTED,
    summary="The BSP accepts",
    response_model=Accepted,
    responses=errors(403, 404, 409),
)
def accept(
    settlement_id: str, org: CurrentOrg, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """The BSP answers ``Accepted`` (USEF UFTP)."""
    operation = settlement.answer(
        runtime, session, bsp=org, settlement_id=settlement_id, accept=True
    )
    return accepted(runtime, session, operation)


@router.post(
    "/settlements/{settlement_id}/dispute",
    status_code=ACCEPTED,
    summary="The BSP disputes, with a reason (its hash goes on chain)",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def dispute(
    settlement_id: str,
    org: CurrentOrg,
    session: SessionDep,
    runtime: RuntimeDep,
    body: dict[str, Any] = Body(...),  # noqa: B008
) -> dict[str, Any]:
    """The BSP answers ``Disputed`` with a reason (USEF UFTP); only the reason's hash goes on
    chain."""
    operation = settlement.answer(
        runtime,
        session,
        bsp=org,
        settlement_id=settlement_id,
        accept=False,
        reason=body.get("reason"),
    )
    return accepted(runtime, session, operation)


@router.post(
    "/settlements/{settlement_id}/resolve",
    status_code=ACCEPTED,
    summary="The TSO resolves a dispute: confirm, or resettle as a new version",
    response_model=Accepted,
    responses=errors(403, 404, 409, 413),
)
def resolve(
    settlement_id: str,
    org: CurrentOrg,
    session: SessionDep,
    runtime: RuntimeDep,
    body: dict[str, Any] = Body(...),  # noqa: B008
) -> dict[str, Any]:
    operation = settlement.resolve(
        runtime, session, tso=org, settlement_id=settlement_id, request=body
    )
    return accepted(runtime, session, operation)


@router.post(
    "/settlements/{settlement_id}/finalise",
    status_code=ACCEPTED,
    summary="Finalise a settlement whose answer window lapsed unanswered (anyone who sees it)",
    response_model=Accepted,
    responses=errors(403, 404, 409),
)
def finalise(
    settlement_id: str, org: CurrentOrg, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    operation = settlement.finalise(runtime, session, organisation=org, settlement_id=settlement_id)
    return accepted(runtime, session, operation)


@router.get(
    "/settlements/{settlement_id}/audit",
    summary="Recompute and compare with the chain",
    response_model=SettlementAudit,
    responses=errors(404),
)
def audit(
    settlement_id: str, org: CurrentOrg, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    settlement.get_settlement(session, org, settlement_id)
    return settlement.recompute(runtime, settlement_id)
