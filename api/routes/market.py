"""The market: products, bids, DSO grid constraints, TSO needs and clearing, activations,
measurements and their proofs. Thin: each route calls one ledger service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from sqlmodel import Session

from api.deps import CurrentOrg, Offset, RuntimeDep, SessionDep, SettingsDep
from api.idempotency import IdempotentRoute
from api.models.common import Page, errors
from api.models.market import (
    ActivationAccepted,
    ActivationDetail,
    ActivationPublic,
    AdmissionAccepted,
    BatchAccepted,
    BatchDetail,
    BatchPublic,
    BidDetail,
    BidPublic,
    BidsAccepted,
    ClearingRerun,
    ExpiryStarted,
    GridConstraintPublic,
    MarketAccepted,
    NeedAccepted,
    NeedPublic,
    ProductAccepted,
    ProductPublic,
    ReadingProof,
    Readings,
)
from ledger.core import operations
from ledger.core.access import require_role
from ledger.core.db.models import Operation
from ledger.core.domain.enums import Role
from ledger.core.errors import InvalidInput
from ledger.core.periods import to_unix
from ledger.core.runtime import Runtime
from ledger.market import activations as market_activations
from ledger.market import bids as market
from ledger.market import checks as market_checks
from ledger.market import needs as market_clearing
from ledger.market.common import pending_after_commit
from ledger.market.schemas import (
    Acknowledgement,
    ActivationChange,
    ActivationCreate,
    ActivationStop,
    BidsSubmit,
    BidsSuspend,
    BidsUpdate,
    BidsWithdraw,
    GridConstraintsCreate,
    MeasurementCorrection,
    MeasurementUpload,
    MeterKindName,
    NeedCreate,
    ProductUpdate,
)
from ledger.measurements import readings
from ledger.measurements import service as measurements

router = APIRouter(prefix="/market", tags=["Market"], route_class=IdempotentRoute)
ACCEPTED = status.HTTP_202_ACCEPTED


def _accepted(
    runtime: Runtime, session: Session, operation: Operation, **extra: Any
) -> dict[str, Any]:
    """Commit, enqueue the prerequisites the request created (the TSO's product configuration
    and UVAM admission before a first bid), then the operation itself: the body of every 202."""
    prerequisites = pending_after_commit(session)
    operations.commit_and_enqueue(runtime, session, operation, prerequisites=prerequisites)
    return {
        "operationId": operation.id,
        "status": operation.status,
        "kind": operation.kind,
        "targetId": operation.target_id,
        "links": {"operation": f"/operations/{operation.id}"},
        "prerequisites": prerequisites,
        **extra,
    }


# ------------------------------------------------------------------------- products


@router.get(
    "/products",
    summary="Market products with gate closure, notice and acknowledgement window",
    response_model=Page[ProductPublic],
    responses=errors(),
)
def list_products(org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return market.list_products(session)


@router.put(
    "/products/{product_id}",
    status_code=ACCEPTED,
    summary="The TSO configures a product (on chain)",
    response_model=ProductAccepted,
    responses=errors(403, 404, 409, 413),
)
def configure_product(
    product_id: str, body: ProductUpdate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    operation = market.configure_product(
        runtime, session, tso=org, product_id=product_id, update=body
    )
    return _accepted(runtime, session, operation, productId=product_id)


@router.post(
    "/admissions/{uvam_id}",
    status_code=ACCEPTED,
    summary="Admit a qualified UVAM to the market (on chain, by the TSO): the TSO, or the BSP"
    " that owns the UVAM asking for it",
    response_model=AdmissionAccepted,
    responses=errors(403, 404, 409),
)
def admit_uvam(
    uvam_id: str, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return _accepted(
        runtime, session, market.admit_uvam(session, caller=org, uvam_id=uvam_id), uvamId=uvam_id
    )


# ------------------------------------------------------------------------- bids


@router.post(
    "/bids",
    status_code=ACCEPTED,
    summary="Submit bids (many per call, many per transaction)",
    response_model=BidsAccepted,
    responses=errors(403, 404, 409, 413),
)
def submit_bids(
    body: BidsSubmit, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """Bidding (FLOW D5.5 §3): the BSP offers the aggregate's availability to change its power
    absorption, per 15-minute period: price (EUR/MWh), power (kW), direction, start and end
    (EV4EU 1.1.1; FLEXGRID §4.1). The bids' ids are in ``bidIds``."""
    operation = market.submit_bids(runtime, session, bsp=org, bids=body.bids)
    return _accepted(
        runtime, session, operation, bidIds=[item["id"] for item in operation.payload["bids"]]
    )


@router.patch(
    "/bids",
    status_code=ACCEPTED,
    summary="Update bids before their gate closes",
    response_model=MarketAccepted,
    responses=errors(403, 404, 409, 413),
)
def update_bids(
    body: BidsUpdate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return _accepted(
        runtime, session, market.update_bids(runtime, session, bsp=org, updates=body.bids)
    )


@router.post(
    "/bids/withdraw",
    status_code=ACCEPTED,
    summary="Withdraw bids before their gate closes",
    response_model=MarketAccepted,
    responses=errors(403, 404, 409, 413),
)
def withdraw_bids(
    body: BidsWithdraw, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return _accepted(
        runtime, session, market.withdraw_bids(runtime, session, bsp=org, bid_ids=body.bid_ids)
    )


@router.post(
    "/bids/suspend",
    status_code=ACCEPTED,
    summary="Declare bids undeliverable (Suspended)",
    response_model=MarketAccepted,
    responses=errors(403, 404, 409, 413),
)
def suspend_bids(
    body: BidsSuspend, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """An offer the BSP can no longer deliver becomes ``Suspended`` (InterConnect §3.2.5)."""
    operation = market.suspend_bids(
        runtime, session, bsp=org, bid_ids=body.bid_ids, reasons=body.reasons
    )
    return _accepted(runtime, session, operation)


@router.post(
    "/bids/expire",
    summary="Housekeeping: mark bids past their validity Expired (TSO)",
    response_model=ExpiryStarted,
    responses=errors(),
)
def expire_bids(org: CurrentOrg, runtime: RuntimeDep) -> dict[str, Any]:
    require_role(org, Role.TSO)
    return {"operationId": market.expire_bids(runtime)}


@router.get(
    "/bids",
    summary="Bids: a BSP its own, a DSO those of UVAMs in its grid, the TSO all",
    response_model=Page[BidPublic],
    responses=errors(),
)
def list_bids(
    org: CurrentOrg,
    session: SessionDep,
    status_: Annotated[str | None, Query(alias="status")] = None,
    uvam: Annotated[str | None, Query()] = None,
    product: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return market.list_bids(
        session, org, status=status_, uvam_id=uvam, product_id=product, limit=limit, offset=offset
    )


@router.get(
    "/bids/{bid_id}",
    summary="A bid with its DSO checks, award and history",
    response_model=BidDetail,
    responses=errors(404),
)
def get_bid(bid_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return market.get_bid(session, org, bid_id)


# ------------------------------------------------------------------------- DSO constraints


@router.post(
    "/grid-constraints",
    status_code=status.HTTP_201_CREATED,
    summary="A DSO declares traffic lights",
    response_model=Page[GridConstraintPublic],
    responses=errors(409, 413),
)
def declare_constraints(
    body: GridConstraintsCreate, org: CurrentOrg, session: SessionDep
) -> dict[str, Any]:
    """The DSO may block activations in congested zones (FLOW D5.5 §1): a traffic light per
    POD, zone or grid for a time span; bids that would break a red or amber light are refused
    by the DSO's check."""
    rows = market_checks.declare_constraints(session, dso=org, constraints=body.constraints)
    return {"data": [market_checks.constraint_view(r) for r in rows], "count": len(rows)}


@router.get(
    "/grid-constraints",
    summary="Declared grid constraints (a DSO its own; TSO all)",
    response_model=Page[GridConstraintPublic],
    responses=errors(),
)
def list_constraints(org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return market_checks.list_constraints(session, org)


# ------------------------------------------------------------------------- needs


@router.post(
    "/needs",
    status_code=ACCEPTED,
    summary="The TSO states a need (cleared at its gate closure by default)",
    response_model=NeedAccepted,
    responses=errors(403, 409, 413),
)
def publish_need(
    body: NeedCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    operation = market_clearing.publish_need(runtime, session, tso=org, need=body)
    return _accepted(runtime, session, operation, needId=operation.target_id)


@router.post(
    "/needs/{need_id}/clear",
    status_code=ACCEPTED,
    summary="Clear an open need now (409 gate_not_closed before its gate closes)",
    response_model=MarketAccepted,
    responses=errors(403, 404, 409),
)
def clear_need(
    need_id: str, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """Clearing (FLEXGRID §5.1): merit order by price, pay-as-bid or pay-as-clear, partial
    acceptance of divisible bids."""
    return _accepted(
        runtime, session, market_clearing.clear_need(runtime, session, tso=org, need_id=need_id)
    )


@router.get(
    "/needs",
    summary="Needs, newest first",
    response_model=Page[NeedPublic],
    responses=errors(),
)
def list_needs(
    org: CurrentOrg,
    session: SessionDep,
    status_: Annotated[str | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    return market_clearing.list_needs(session, org, status=status_, limit=limit, offset=offset)


@router.get(
    "/needs/{need_id}",
    summary="A need and its clearing (awards; inputs for the TSO)",
    response_model=NeedPublic,
    responses=errors(404),
)
def get_need(need_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return market_clearing.get_need(session, org, need_id)


@router.get(
    "/needs/{need_id}/rerun",
    summary="Rerun a clearing from its stored inputs; compare with the chain",
    response_model=ClearingRerun,
    responses=errors(404, 409),
)
def rerun_need(
    need_id: str, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    return market_clearing.rerun(runtime, session, organisation=org, need_id=need_id)


# ------------------------------------------------------------------------- activations


@router.post(
    "/activations",
    status_code=ACCEPTED,
    summary="The TSO sends set points to an awarded UVAM",
    response_model=ActivationAccepted,
    responses=errors(403, 404, 409, 413),
)
def send_activation(
    body: ActivationCreate, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """Activation (FLOW D5.5 §3): the TSO sends set points to an awarded UVAM with a specific
    time advance; the activation is ``Sent`` until the BSP accepts it."""
    operation = market_activations.send_activation(runtime, session, tso=org, request=body)
    return _accepted(runtime, session, operation, activationId=operation.target_id)


@router.get(
    "/activations",
    summary="Activations: a BSP its own, a DSO those in its grid, the TSO all",
    response_model=Page[ActivationPublic],
    responses=errors(),
)
def list_activations(
    org: CurrentOrg,
    session: SessionDep,
    status_: Annotated[str | None, Query(alias="status")] = None,
    bid: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    return market_activations.list_activations(
        session, org, status=status_, bid_id=bid, limit=limit, offset=offset
    )


@router.get(
    "/activations/{activation_id}",
    summary="An activation with its notifications and history",
    response_model=ActivationDetail,
    responses=errors(404),
)
def get_activation(activation_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return market_activations.get_activation(session, org, activation_id)


@router.post(
    "/activations/{activation_id}/acknowledgement",
    status_code=ACCEPTED,
    summary="The BSP accepts or refuses an activation before the deadline",
    response_model=MarketAccepted,
    responses=errors(403, 404, 409, 413),
)
def acknowledge(
    activation_id: str,
    body: Acknowledgement,
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> dict[str, Any]:
    operation = market_activations.acknowledge(
        runtime, session, bsp=org, activation_id=activation_id, answer=body
    )
    return _accepted(runtime, session, operation)


@router.patch(
    "/activations/{activation_id}",
    status_code=ACCEPTED,
    summary="The TSO changes the set points",
    response_model=MarketAccepted,
    responses=errors(403, 404, 409, 413),
)
def change_activation(
    activation_id: str,
    body: ActivationChange,
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> dict[str, Any]:
    operation = market_activations.change_activation(
        runtime, session, tso=org, activation_id=activation_id, change=body
    )
    return _accepted(runtime, session, operation)


@router.post(
    "/activations/{activation_id}/stop",
    status_code=ACCEPTED,
    summary="The TSO stops an activation",
    response_model=MarketAccepted,
    responses=errors(403, 404, 409, 413),
)
def stop_activation(
    activation_id: str,
    body: ActivationStop,
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> dict[str, Any]:
    operation = market_activations.stop_activation(
        runtime, session, tso=org, activation_id=activation_id, stop=body
    )
    return _accepted(runtime, session, operation)


# ------------------------------------------------------------------------- measurements


def _upload_answer(
    runtime: Runtime, session: Session, operation: Operation, batch: Any
) -> dict[str, Any]:
    return _accepted(runtime, session, operation, batch=measurements.batch_view(batch))


@router.post(
    "/measurements",
    status_code=ACCEPTED,
    summary="Upload readings (JSON); the batch root goes on chain",
    response_model=BatchAccepted,
    responses=errors(403, 409, 413),
)
def upload_json(
    body: MeasurementUpload, org: CurrentOrg, runtime: RuntimeDep, session: SessionDep
) -> dict[str, Any]:
    """Verification (FLOW D5.5 §3): the BSP shares behind-the-meter measurements of the activated
    assets, the DSO POD measurements. The batch's Merkle root goes on chain."""
    raw = readings.parse_json(body.readings, body.series, body.resolution_seconds)
    operation, batch = measurements.upload(
        runtime,
        session,
        uploader=org,
        kind=body.kind,
        resolution_s=body.resolution_seconds,
        raw=raw,
        source="json",
    )
    return _upload_answer(runtime, session, operation, batch)


@router.post(
    "/measurements/csv",
    status_code=ACCEPTED,
    summary="Upload readings (CSV: resourceId,timestamp,powerW)",
    response_model=BatchAccepted,
    responses=errors(403, 409, 413),
)
async def upload_csv(
    file: Annotated[
        UploadFile, File(description="CSV with the header resourceId,timestamp,powerW")
    ],
    kind: Annotated[MeterKindName, Form()],
    resolution_seconds: Annotated[int, Form(alias="resolutionSeconds", gt=0, le=3600)],
    org: CurrentOrg,
    runtime: RuntimeDep,
    settings: SettingsDep,
    session: SessionDep,
) -> dict[str, Any]:
    limit = settings.market.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"the file exceeds {limit} bytes", field="file")
    raw = readings.parse_csv(data)
    operation, batch = measurements.upload(
        runtime,
        session,
        uploader=org,
        kind=kind,
        resolution_s=resolution_seconds,
        raw=raw,
        source="csv",
    )
    return _upload_answer(runtime, session, operation, batch)


@router.post(
    "/measurements/batches/{batch_id}/corrections",
    status_code=ACCEPTED,
    summary="Correct a batch: a new version with a new root; the old one stays visible",
    response_model=BatchAccepted,
    responses=errors(403, 404, 409, 413),
)
def correct_batch(
    batch_id: str,
    body: MeasurementCorrection,
    org: CurrentOrg,
    runtime: RuntimeDep,
    session: SessionDep,
) -> dict[str, Any]:
    previous = measurements._batch(session, org, batch_id)
    raw = readings.parse_json(body.readings, body.series, previous.resolution_s)
    operation, batch = measurements.correct(
        runtime, session, uploader=org, batch_id=batch_id, raw=raw
    )
    return _upload_answer(runtime, session, operation, batch)


@router.get(
    "/measurements/batches",
    summary="Measurement batches (the uploader's; TSO and auditors all)",
    response_model=Page[BatchPublic],
    responses=errors(),
)
def list_batches(
    org: CurrentOrg,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    return measurements.list_batches(session, org, limit=limit, offset=offset)


@router.get(
    "/measurements/batches/{batch_id}",
    summary="A batch: root, counts, gaps, versions",
    response_model=BatchDetail,
    responses=errors(404),
)
def get_batch(batch_id: str, org: CurrentOrg, session: SessionDep) -> dict[str, Any]:
    return measurements.get_batch(session, org, batch_id)


@router.get(
    "/measurements/batches/{batch_id}/proof",
    summary="Merkle proof of one reading of a batch",
    response_model=ReadingProof,
    responses=errors(404),
)
def reading_proof(
    batch_id: str,
    org: CurrentOrg,
    session: SessionDep,
    resource_id: Annotated[str, Query(alias="resourceId")],
    timestamp: Annotated[str, Query(description="unix seconds or ISO 8601 with offset")],
) -> dict[str, Any]:
    try:
        at = readings.parse_timestamp(timestamp)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="timestamp") from exc
    return measurements.proof(session, org, batch_id, resource_id, at)


@router.get(
    "/measurements/readings",
    summary="Readings of a resource (latest versions)",
    response_model=Readings,
    responses=errors(),
)
def get_readings(
    org: CurrentOrg,
    session: SessionDep,
    resource_id: Annotated[str, Query(alias="resourceId")],
    start: Annotated[datetime, Query(alias="from")],
    end: Annotated[datetime, Query(alias="to")],
) -> dict[str, Any]:
    return measurements.series_readings(
        session, org, resource_id=resource_id, start=to_unix(start), end=to_unix(end)
    )
