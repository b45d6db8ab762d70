"""The market: products, UVAM admission and bids (issue 3, FLOW D5.5 §3).

A BSP bids the flexibility of its qualified UVAMs; the bids go on chain in one transaction per
:attr:`MarketSettings.bids_per_transaction` bids, as ``Received``. The DSO validation worker
(:mod:`ledger.market.checks`) then records each DSO's verdict on chain; a bid every
DSO concerned cleared or capped becomes ``Active``. The TSO's needs and their clearing are in
:mod:`ledger.market.needs`, activations in :mod:`ledger.market.activations`,
measurements in :mod:`ledger.measurements.service`.

Before a product's first bid the TSO configures it on chain (gate closure, activation notice,
acknowledgement window); before a UVAM's first bid the TSO admits it with its qualified powers
and the DSOs of its PODs, so that the contract itself refuses a quantity above the qualified
power and knows which DSOs must check the bid. Both happen automatically: the bid operation
waits for them (see :func:`ledger.market.common.wait_for`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils import keccak
from sqlalchemy import insert
from sqlmodel import Session, col, func, select

from ledger import payloads
from ledger.core import operations
from ledger.core.access import require_role, sees_everything
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import bytes32, chunks, simulate
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.domain.canonical import canonical_json
from ledger.core.domain.enums import BidStatus, Role
from ledger.core.domain.identifiers import eic_to_bytes16
from ledger.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import chain_key, new_id
from ledger.core.operations import OperationStatus
from ledger.core.periods import MAX_PERIODS, delivery_end, gate_closes_at, iso, to_unix
from ledger.core.runtime import Runtime
from ledger.core.units import price_text, price_to_micro
from ledger.market.common import (
    ERROR_FIELDS,
    MARKET,
    actors,
    after_commit,
    events,
    hex32,
    history,
    now,
    pending_after_commit,
    reasons_hash,
    record_changes,
    settings,
    tso_of,
    wait_for,
)
from ledger.market.config import ProductConfig
from ledger.market.schemas import BidCreate, BidUpdate, ProductUpdate
from ledger.market.tables import MarketAdmission, MarketAward, MarketBid, MarketProduct
from ledger.market.terms import BidTerms, Direction, market_key
from ledger.payloads import market as payload_models
from ledger.registry.common import owned_uvam
from ledger.registry.tables import Uvam
from ledger.registry.uvams import active_members

TASK_DSO_CHECK = "cbp.market.dso_check"
TASK_EXPIRE_BIDS = "cbp.market.expire_bids"
QUALIFIED = "Qualified"
OPEN_STATUSES = (BidStatus.RECEIVED.label, BidStatus.ACTIVE.label, BidStatus.SUSPENDED.label)


class GateClosed(Conflict):
    """A bid submitted, updated or withdrawn at or after its gate closure."""

    code = "gate_closed"


class AboveQualifiedPower(InvalidInput):
    """A quantity above the UVAM's qualified power for the bid's direction."""

    code = "above_qualified_power"


# ------------------------------------------------------------------------- products


def product_spec(session: Session, product_id: str) -> ProductConfig | None:
    """The product as configured on chain, else as the settings define it (not yet used);
    remembered for the session's lifetime (one request or task)."""
    cache: dict[str, ProductConfig | None] = session.info.setdefault("cbp_market_products", {})
    if product_id not in cache:
        cache[product_id] = _product_spec(session, product_id)
    return cache[product_id]


def _product_spec(session: Session, product_id: str) -> ProductConfig | None:
    configured = settings(session).product(product_id)
    row = session.get(MarketProduct, product_id)
    if row is not None:
        return ProductConfig(
            id=row.id,
            name=row.name,
            directions=[Direction(d) for d in row.directions],
            gate_closure_s=row.gate_closure_s,
            activation_notice_s=row.activation_notice_s,
            acknowledgement_s=row.acknowledgement_s,
            open=row.open,
            **({"settlement": configured.settlement} if configured is not None else {}),
        )
    return configured


def list_products(session: Session) -> dict[str, Any]:
    ids = {p.id for p in settings(session).products} | set(
        session.exec(select(MarketProduct.id)).all()
    )
    data = []
    for product_id in sorted(ids):
        spec = product_spec(session, product_id)
        assert spec is not None
        data.append(
            {**product_view(spec), "onChain": session.get(MarketProduct, product_id) is not None}
        )
    return {"data": data, "count": len(data)}


def product_view(spec: ProductConfig) -> dict[str, Any]:
    return {
        "id": spec.id,
        "name": spec.name,
        "directions": [d.value for d in spec.directions],
        "gateClosureSeconds": spec.gate_closure_s,
        "activationNoticeSeconds": spec.activation_notice_s,
        "acknowledgementSeconds": spec.acknowledgement_s,
        "open": spec.open,
        "settlement": {
            "method": spec.settlement.method,
            "sanctionEurMwh": str(spec.settlement.sanction_eur_mwh),
            "toleranceRelative": None
            if spec.settlement.tolerance_relative is None
            else str(spec.settlement.tolerance_relative),
            "toleranceWh": spec.settlement.tolerance_wh,
            "availabilityEurKwIsp": format(spec.settlement.availability_eur_kw_isp, "f"),
        },
    }


def _config_payload(spec: ProductConfig) -> dict[str, Any]:
    payload = {"productId": spec.id, **spec.model_dump(mode="json", exclude={"settlement"})}
    payload["configHash"] = hex32(keccak(canonical_json(payload)))
    return payload


def existing_operation(session: Session, idempotency_key: str) -> Operation | None:
    return session.exec(
        select(Operation).where(Operation.idempotency_key == idempotency_key)
    ).first()


def _prerequisite(
    session: Session, *, organisation: Organisation, kind: str, key: str, payload: dict[str, Any]
) -> list[str]:
    """The id of the operation under ``key`` unless it succeeded; created (and enqueued after
    the caller's commit) when there is none."""
    operation = existing_operation(session, key)
    if operation is None:
        operation = operations.accept(
            session, organisation=organisation, kind=kind, payload=payload, idempotency_key=key
        )
        after_commit(session, operation)
    return [] if operation.status == OperationStatus.SUCCEEDED else [operation.id]


def ensure_product(session: Session, product_id: str) -> list[str]:
    """Have the TSO configure the product on chain before its first bid (once)."""
    if session.get(MarketProduct, product_id) is not None:
        return []
    spec = settings(session).product(product_id)
    if spec is None:
        raise NotFound(f"no market product {product_id}", field="productId")
    return _prerequisite(
        session,
        organisation=tso_of(session),
        kind="market.product",
        key=f"market-product:{product_id}:initial",
        payload=_config_payload(spec),
    )


def configure_product(
    runtime: Runtime, session: Session, *, tso: Organisation, product_id: str, update: ProductUpdate
) -> Operation:
    """The TSO creates or changes a product: gate closure, notice, acknowledgement window."""
    require_role(tso, Role.TSO)
    current = product_spec(session, product_id)
    if current is None:
        if (
            update.name is None
            or update.directions is None
            or update.gate_closure_seconds is None
            or update.activation_notice_seconds is None
            or update.acknowledgement_seconds is None
        ):
            raise InvalidInput("a new product needs every field", field="name")
        current = ProductConfig(
            id=product_id,
            name=update.name,
            directions=update.directions,
            gate_closure_s=update.gate_closure_seconds,
            activation_notice_s=update.activation_notice_seconds,
            acknowledgement_s=update.acknowledgement_seconds,
        )
    spec = current.model_copy(
        update={
            key: value
            for key, value in {
                "name": update.name,
                "directions": update.directions,
                "gate_closure_s": update.gate_closure_seconds,
                "activation_notice_s": update.activation_notice_seconds,
                "acknowledgement_s": update.acknowledgement_seconds,
                "open": update.open,
            }.items()
            if value is not None
        }
    )
    spec = ProductConfig.model_validate(spec.model_dump())
    operation = operations.accept(
        session,
        organisation=tso,
        kind="market.product",
        target_id=None,
        payload=_config_payload(spec),
    )
    simulate(runtime, tso, ProductHandler().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


class ProductHandler(Handler):
    kind = "market.product"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = payloads.read(operation, payload_models.ProductConfiguration)
        config = (p.gate_closure_s, p.activation_notice_s, p.acknowledgement_s, p.open)
        return [Call(MARKET, "configureMarket", (market_key(p.product_id), config))]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        if not events(receipts, "MarketConfigured"):
            return []
        p = payloads.read(operation, payload_models.ProductConfiguration)
        row = session.get(MarketProduct, p.product_id) or MarketProduct(
            id=p.product_id,
            name=p.name,
            directions=list(p.directions),
            gate_closure_s=0,
            activation_notice_s=0,
            acknowledgement_s=1,
            config_hash=p.config_hash,
        )
        row.name, row.directions, row.open = p.name, list(p.directions), p.open
        row.gate_closure_s, row.activation_notice_s = p.gate_closure_s, p.activation_notice_s
        row.acknowledgement_s, row.config_hash = p.acknowledgement_s, p.config_hash
        row.updated_at = utcnow()
        session.add(row)
        operation.result = {"productId": row.id}
        return []


# ------------------------------------------------------------------------- admission


def qualified_powers(uvam: Uvam) -> tuple[int, int]:
    """(up, down) qualified power in kW: ``maximumQualifiedPower`` and ``minimumQualifiedPower``
    ("max flex up" and "max flex down", DOMAIN.md §2)."""
    return int(uvam.record["maximumQualifiedPower"]), int(uvam.record["minimumQualifiedPower"])


def ensure_admission(session: Session, uvam: Uvam) -> list[str]:
    """Have the TSO admit a qualified UVAM to the market before its first bid (once)."""
    if session.get(MarketAdmission, uvam.id) is not None:
        return []
    up, down = qualified_powers(uvam)
    dso_eics = sorted({pod.dso_eic for pod in active_members(session, uvam.id)})
    if not dso_eics:
        raise Conflict(f"UVAM {uvam.id} has no member PODs", field="uvamId")
    return _prerequisite(
        session,
        organisation=tso_of(session),
        kind="market.admit",
        key=f"market-admit:{uvam.id}",
        payload={
            "uvamId": uvam.id,
            "uvamKey": uvam.chain_key,
            "upKw": up,
            "downKw": down,
            "dsoEics": dso_eics,
            "onBehalfOf": uvam.bsp_id,
        },
    )


def admit_uvam(session: Session, *, caller: Organisation, uvam_id: str) -> Operation:
    """A qualified UVAM admitted to the market now, on chain by the TSO: asked by the TSO, or
    by the BSP that owns it (the platform then admits it with the TSO's key, as it does before
    the UVAM's first bid, so asking only brings that forward)."""
    require_role(caller, Role.TSO, Role.BSP, field="uvamId")
    if caller.role == Role.BSP:
        uvam = owned_uvam(session, uvam_id, caller)
    else:
        found = session.get(Uvam, uvam_id)
        if found is None:
            raise NotFound(f"no UVAM {uvam_id}", field="uvamId")
        uvam = found
    if uvam.status != QUALIFIED:
        raise Conflict(f"UVAM {uvam.id} is {uvam.status}, not Qualified", field="uvamId")
    if session.get(MarketAdmission, uvam.id) is not None:
        raise Conflict(f"UVAM {uvam.id} is already admitted", field="uvamId")
    ensure_admission(session, uvam)
    operation = existing_operation(session, f"market-admit:{uvam.id}")
    assert operation is not None
    pending_after_commit(session)  # the caller submits it as the answer's operation
    return operation


class AdmissionHandler(Handler):
    kind = "market.admit"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        p = payloads.read(operation, payload_models.Admission)
        return [
            Call(
                MARKET,
                "admitUvams",
                (
                    [bytes32(p.uvam_key)],
                    [p.up_kw],
                    [p.down_kw],
                    [[eic_to_bytes16(e) for e in p.dso_eics]],
                ),
            )
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        found = events(receipts, "UvamAdmitted")
        if not found:
            return []
        p = payloads.read(operation, payload_models.Admission)
        row = session.get(MarketAdmission, p.uvam_id) or MarketAdmission(
            uvam_id=p.uvam_id,
            up_kw=0,
            down_kw=0,
            dso_eics=[],
            transaction_hash="",
        )
        row.up_kw, row.down_kw, row.dso_eics = p.up_kw, p.down_kw, p.dso_eics
        row.transaction_hash = found[0][1].transaction_hash
        session.add(row)
        return []


# ------------------------------------------------------------------------- bids


def _bid_item(
    session: Session,
    *,
    bsp: Organisation,
    uvam: Uvam,
    product_id: str,
    direction: Direction,
    delivery_start: int,
    quantities: Sequence[int],
    price_micro: int,
    valid_until: int | None,
    divisible: bool,
    field: str,
    at: int,
) -> dict[str, Any]:
    """Check one bid's terms as the contract will, with messages naming the field."""
    if uvam.status != QUALIFIED:
        raise Conflict(f"UVAM {uvam.id} is {uvam.status}, not Qualified", field=f"{field}uvamId")
    spec = product_spec(session, product_id)
    if spec is None:
        raise NotFound(f"no market product {product_id}", field=f"{field}productId")
    if not spec.open:
        raise Conflict(f"product {product_id} is closed", field=f"{field}productId")
    if direction not in spec.directions:
        raise InvalidInput(
            f"product {product_id} takes no {direction.value} bids", field=f"{field}direction"
        )
    if len(quantities) > MAX_PERIODS:
        raise InvalidInput(f"at most {MAX_PERIODS} periods", field=f"{field}quantitiesKw")
    up, down = qualified_powers(uvam)
    qualified = up if direction is Direction.UP else down
    for index, quantity in enumerate(quantities):
        if quantity > qualified:
            raise AboveQualifiedPower(
                f"{quantity} kW in period {iso(delivery_start + 900 * index)} exceeds the UVAM's"
                f" qualified power of {qualified} kW {direction.value}",
                field=f"{field}quantitiesKw.{index}",
                qualifiedKw=qualified,
                quantityKw=quantity,
            )
    gate = gate_closes_at(delivery_start, spec.gate_closure_s)
    if at >= gate:
        raise GateClosed(
            f"the gate of the period starting {iso(delivery_start)} closed at {iso(gate)}"
            f" ({spec.gate_closure_s} s before delivery on {product_id})",
            field=f"{field}deliveryStart",
            gateClosesAt=iso(gate),
        )
    end = delivery_end(delivery_start, len(quantities))
    until = end if valid_until is None else valid_until
    if not at < until <= end:
        raise InvalidInput(
            "validUntil must be in the future and not after the end of delivery",
            field=f"{field}validUntil",
        )
    return {
        "uvamId": uvam.id,
        "uvamKey": uvam.chain_key,
        "productId": product_id,
        "direction": direction.value,
        "deliveryStart": delivery_start,
        "validUntil": until,
        "priceMicro": price_micro,
        "divisible": divisible,
        "quantitiesKw": list(quantities),
        "gateClosesAt": gate,
    }


def _terms_of(item: dict[str, Any]) -> BidTerms:
    return BidTerms(
        uvam_key=bytes32(item["uvamKey"]),
        market_id=item["productId"],
        direction=Direction(item["direction"]),
        delivery_start=item["deliveryStart"],
        valid_until=item["validUntil"],
        price_micro=item["priceMicro"],
        divisible=item["divisible"],
        quantities_kw=tuple(item["quantitiesKw"]),
    )


def submit_bids(
    runtime: Runtime, session: Session, *, bsp: Organisation, bids: Sequence[BidCreate]
) -> Operation:
    """Bids of a BSP on its qualified UVAMs, many per call and per transaction."""
    require_role(bsp, Role.BSP, field="bids")
    if len(bids) > settings(session).max_bids_per_request:
        raise InvalidInput(
            f"at most {settings(session).max_bids_per_request} bids per request", field="bids"
        )
    at = now(session)
    items = []
    requires: list[str] = []
    checked: set[str] = set()
    owned: dict[str, Uvam] = {}
    for index, bid in enumerate(bids):
        field = f"bids.{index}."
        if bid.uvam_id not in owned:
            try:
                owned[bid.uvam_id] = owned_uvam(session, bid.uvam_id, bsp)
            except (NotFound, Forbidden) as exc:
                exc.field = f"{field}uvamId"
                raise
        uvam = owned[bid.uvam_id]
        item = _bid_item(
            session,
            bsp=bsp,
            uvam=uvam,
            product_id=bid.product_id,
            direction=bid.direction,
            delivery_start=to_unix(bid.delivery_start),
            quantities=bid.quantities_kw,
            price_micro=price_to_micro(bid.price),
            valid_until=to_unix(bid.valid_until) if bid.valid_until else None,
            divisible=bid.divisible,
            field=field,
            at=at,
        )
        if bid.product_id not in checked:
            requires += ensure_product(session, bid.product_id)
            checked.add(bid.product_id)
        if uvam.id not in checked:
            requires += ensure_admission(session, uvam)
            checked.add(uvam.id)
        bid_id = new_id()
        items.append({"id": bid_id, "chainKey": chain_key("bid", bid_id), **item})
    payload = {"bids": items, "requires": sorted(set(requires))}
    if not requires:
        # dry-run before the operation is written (no lock held while the node answers)
        draft = Operation(id="draft", organisation_id=bsp.id, kind=BidSubmit.kind, payload=payload)
        simulate(runtime, bsp, BidSubmit().calls(session, draft), error_fields=ERROR_FIELDS)
    return operations.accept(
        session,
        organisation=bsp,
        kind=BidSubmit.kind,
        target_id=items[0]["id"] if len(items) == 1 else None,
        payload=payload,
    )


def owned_bid(session: Session, bid_id: str, bsp: Organisation, field: str = "bidId") -> MarketBid:
    bid = session.get(MarketBid, bid_id)
    if bid is None or not may_see_bid(session, bsp, bid):
        raise NotFound(f"no bid {bid_id}", field=field)
    if bid.bsp_id != bsp.id:
        raise Forbidden(f"bid {bid_id} belongs to another BSP", field=field)
    return bid


def _require_open(bid: MarketBid, field: str, at: int, *, gate: bool = True) -> None:
    if bid.status not in OPEN_STATUSES:
        raise Conflict(f"bid {bid.id} is {bid.status}", field=field)
    if gate and at >= bid.gate_closes_at:
        raise GateClosed(
            f"the gate of bid {bid.id} closed at {iso(bid.gate_closes_at)}",
            field=field,
            gateClosesAt=iso(bid.gate_closes_at),
        )


def update_bids(
    runtime: Runtime, session: Session, *, bsp: Organisation, updates: Sequence[BidUpdate]
) -> Operation:
    """New terms for bids before their gate closes; each goes back to Received (DSO re-check)."""
    require_role(bsp, Role.BSP, field="bids")
    at = now(session)
    items = []
    for index, update in enumerate(updates):
        field = f"bids.{index}."
        bid = owned_bid(session, update.bid_id, bsp, field=f"{field}bidId")
        _require_open(bid, f"{field}bidId", at)
        uvam = session.get(Uvam, bid.uvam_id)
        assert uvam is not None
        quantities = update.quantities_kw if update.quantities_kw is not None else bid.offered_kw
        start = to_unix(update.delivery_start) if update.delivery_start else bid.delivery_start
        if update.valid_until is not None:
            valid_until: int | None = to_unix(update.valid_until)
        elif update.delivery_start is None and update.quantities_kw is None:
            valid_until = bid.valid_until
        else:
            valid_until = None
        item = _bid_item(
            session,
            bsp=bsp,
            uvam=uvam,
            product_id=bid.product_id,
            direction=Direction(bid.direction),
            delivery_start=start,
            quantities=quantities,
            price_micro=price_to_micro(update.price)
            if update.price is not None
            else bid.price_micro,
            valid_until=valid_until,
            divisible=bid.divisible if update.divisible is None else update.divisible,
            field=field,
            at=at,
        )
        items.append({"id": bid.id, "chainKey": bid.chain_key, **item})
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="market.bids.update",
        target_id=items[0]["id"] if len(items) == 1 else None,
        payload={"bids": items},
    )
    simulate(runtime, bsp, BidUpdateHandler().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def withdraw_bids(
    runtime: Runtime, session: Session, *, bsp: Organisation, bid_ids: Sequence[str]
) -> Operation:
    """Withdraw bids before their gate closes."""
    require_role(bsp, Role.BSP, field="bidIds")
    at = now(session)
    for index, bid_id in enumerate(bid_ids):
        _require_open(
            owned_bid(session, bid_id, bsp, field=f"bidIds.{index}"), f"bidIds.{index}", at
        )
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="market.bids.withdraw",
        target_id=bid_ids[0] if len(bid_ids) == 1 else None,
        payload={"bidIds": list(bid_ids)},
    )
    simulate(runtime, bsp, BidWithdraw().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def suspend_bids(
    runtime: Runtime,
    session: Session,
    *,
    bsp: Organisation,
    bid_ids: Sequence[str],
    reasons: Sequence[str],
) -> Operation:
    """The BSP declares it cannot deliver: Received or Active bids become Suspended."""
    require_role(bsp, Role.BSP, field="bidIds")
    for index, bid_id in enumerate(bid_ids):
        bid = owned_bid(session, bid_id, bsp, field=f"bidIds.{index}")
        if bid.status not in (BidStatus.RECEIVED.label, BidStatus.ACTIVE.label):
            raise Conflict(f"bid {bid.id} is {bid.status}", field=f"bidIds.{index}")
    operation = operations.accept(
        session,
        organisation=bsp,
        kind="market.bids.suspend",
        target_id=bid_ids[0] if len(bid_ids) == 1 else None,
        payload={
            "bidIds": list(bid_ids),
            "reasons": list(reasons),
            "reasonsHash": hex32(reasons_hash(reasons)),
        },
    )
    simulate(runtime, bsp, BidSuspend().calls(session, operation), error_fields=ERROR_FIELDS)
    return operation


def expire_bids(runtime: Runtime) -> str | None:
    """Housekeeping (the TSO's account), run periodically by the worker's beat and on demand:
    bids past their validity become Expired. Nothing starts while an expiry is under way (its
    bids are still open in the database until its receipt; expiring them twice would fail)."""
    with runtime.session() as session:
        under_way = session.exec(
            select(Operation.id).where(
                Operation.kind == "market.bids.expire",
                col(Operation.status).not_in(list(operations.TERMINAL)),
            )
        ).first()
        if under_way is not None:
            return None
        at = now(session)
        rows = session.exec(
            select(MarketBid).where(
                col(MarketBid.status).in_(OPEN_STATUSES), MarketBid.valid_until <= at - 1
            )
        ).all()
        if not rows:
            return None
        operation = operations.accept(
            session,
            organisation=tso_of(session),
            kind="market.bids.expire",
            payload={"bidIds": sorted(row.id for row in rows)},
        )
    operations.submit(runtime, operation)
    return operation.id


def sync_bid_status(
    session: Session, receipts: Sequence[Receipt], *, detail: dict[str, Any] | None = None
) -> None:
    """Mirror the ``BidStatusChanged`` events of the receipts in the bid rows and history."""
    found = events(receipts, "BidStatusChanged")
    if not found:
        return
    who = actors(session)
    keys = sorted({hex32(args["bidId"]) for args, _ in found})
    bids: dict[str, MarketBid] = {}
    for batch in chunks(keys, 500):
        rows = session.exec(
            select(MarketBid).where(col(MarketBid.chain_key).in_(list(batch)))
        ).all()
        bids.update({row.chain_key: row for row in rows})
    changes = []
    at = utcnow()
    for args, event in found:
        bid = bids.get(hex32(args["bidId"]))
        if bid is None:
            continue
        to_label = BidStatus(args["toStatus"]).label
        bid.status = to_label
        bid.updated_at = at
        extra = dict(detail or {})
        if args["detailHash"] != b"\x00" * 32:
            extra["detailHash"] = hex32(args["detailHash"])
        changes.append(
            {
                "kind": "bid",
                "resource_id": bid.id,
                "from_status": BidStatus(args["fromStatus"]).label,
                "to_status": to_label,
                "actor": who.get(args["actor"].lower(), args["actor"]),
                "transaction_hash": event.transaction_hash,
                "block_number": event.block_number,
                "detail": extra or None,
            }
        )
    record_changes(session, changes)
    session.flush()


def _bid_keys(session: Session, bid_ids: Sequence[str]) -> list[bytes]:
    keys = []
    for bid_id in bid_ids:
        bid = session.get(MarketBid, bid_id)
        keys.append(bytes32(bid.chain_key if bid else chain_key("bid", bid_id)))
    return keys


def bids_per_transaction(session: Session) -> int:
    return settings(session).bids_per_transaction


def _dso_check(bid_ids: list[str]) -> list[FollowUp]:
    """The DSO check of these bids, one task for the bids of every operation confirmed
    together (:attr:`FollowUp.merge_on`)."""
    return [FollowUp(TASK_DSO_CHECK, {"bid_ids": bid_ids}, merge_on="bid_ids")] if bid_ids else []


class BidSubmit(Handler):
    kind = "market.bids.submit"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        wait_for(session, operation.payload.get("requires", []))
        return [
            Call(
                MARKET,
                "submitBids",
                (
                    [bytes32(item["chainKey"]) for item in batch],
                    [_terms_of(item).as_tuple() for item in batch],
                ),
            )
            for batch in chunks(operation.payload["bids"], bids_per_transaction(session))
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        by_key = {item["chainKey"]: item for item in operation.payload["bids"]}
        admissions: dict[str, list[str]] = {}
        rows = []
        at = utcnow()
        for args, event in events(receipts, "BidSubmitted"):
            item = by_key[hex32(args["bidId"])]
            if item["uvamId"] not in admissions:
                admission = session.get(MarketAdmission, item["uvamId"])
                admissions[item["uvamId"]] = list(admission.dso_eics) if admission else []
            rows.append(
                {
                    "id": item["id"],
                    "chain_key": item["chainKey"],
                    "bsp_id": operation.organisation_id,
                    "uvam_id": item["uvamId"],
                    "product_id": item["productId"],
                    "direction": item["direction"],
                    "delivery_start": item["deliveryStart"],
                    "period_count": len(item["quantitiesKw"]),
                    "valid_until": item["validUntil"],
                    "gate_closes_at": item["gateClosesAt"],
                    "price_micro": item["priceMicro"],
                    "divisible": item["divisible"],
                    "offered_kw": item["quantitiesKw"],
                    "quantities_kw": item["quantitiesKw"],
                    "status": BidStatus.RECEIVED.label,
                    "terms_hash": hex32(args["termsHash"]),
                    "priority_block": event.block_number,
                    "priority_log": event.log_index,
                    "dso_pending": admissions[item["uvamId"]],
                    "dso_checks": [],
                    "need_id": None,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        created = [row["id"] for row in rows]
        if rows:
            session.execute(insert(MarketBid.__table__), rows)  # type: ignore[attr-defined]
            # BidSubmitted is the bid's move to Received (no separate status event on chain)
            submitted = {hex32(a["bidId"]): e for a, e in events(receipts, "BidSubmitted")}
            record_changes(
                session,
                [
                    {
                        "kind": "bid",
                        "resource_id": row["id"],
                        "from_status": BidStatus.NONE.label,
                        "to_status": BidStatus.RECEIVED.label,
                        "actor": operation.organisation_id,
                        "transaction_hash": submitted[row["chain_key"]].transaction_hash,
                        "block_number": submitted[row["chain_key"]].block_number,
                    }
                    for row in rows
                ],
            )
        sync_bid_status(session, receipts)
        operation.result = {"bidIds": [item["id"] for item in operation.payload["bids"]]}
        return _dso_check(created)


class BidUpdateHandler(Handler):
    kind = "market.bids.update"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        return [
            Call(
                MARKET,
                "updateBids",
                (
                    [bytes32(item["chainKey"]) for item in batch],
                    [_terms_of(item).as_tuple() for item in batch],
                ),
            )
            for batch in chunks(operation.payload["bids"], bids_per_transaction(session))
        ]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        by_key = {item["chainKey"]: item for item in operation.payload["bids"]}
        updated = []
        for args, event in events(receipts, "BidUpdated"):
            item = by_key[hex32(args["bidId"])]
            bid = session.get(MarketBid, item["id"])
            assert bid is not None
            admission = session.get(MarketAdmission, bid.uvam_id)
            bid.delivery_start, bid.period_count = item["deliveryStart"], len(item["quantitiesKw"])
            bid.valid_until, bid.gate_closes_at = item["validUntil"], item["gateClosesAt"]
            bid.price_micro, bid.divisible = item["priceMicro"], item["divisible"]
            bid.offered_kw = bid.quantities_kw = list(item["quantitiesKw"])
            bid.terms_hash = hex32(args["termsHash"])
            bid.priority_block, bid.priority_log = event.block_number, event.log_index
            bid.dso_pending = list(admission.dso_eics) if admission else []
            bid.dso_checks = []
            updated.append(bid.id)
        session.flush()
        sync_bid_status(session, receipts)
        return _dso_check(updated)


class BidWithdraw(Handler):
    kind = "market.bids.withdraw"
    function = "withdrawBids"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        keys = _bid_keys(session, operation.payload["bidIds"])
        return [Call(MARKET, self.function, (list(batch),)) for batch in chunks(keys, 500)]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        sync_bid_status(session, receipts)
        return []


class BidExpire(BidWithdraw):
    kind = "market.bids.expire"
    function = "expireBids"


class BidSuspend(Handler):
    kind = "market.bids.suspend"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        keys = _bid_keys(session, operation.payload["bidIds"])
        reasons = bytes32(operation.payload["reasonsHash"])
        return [Call(MARKET, "suspendBids", (list(batch), reasons)) for batch in chunks(keys, 500)]

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        sync_bid_status(session, receipts, detail={"reasons": operation.payload["reasons"]})
        return []


# ------------------------------------------------------------------------- reads


def _dso_uvams(session: Session, eic: str) -> list[str]:
    return [a.uvam_id for a in session.exec(select(MarketAdmission)).all() if eic in a.dso_eics]


def may_see_bid(session: Session, organisation: Organisation, bid: MarketBid) -> bool:
    if sees_everything(organisation) or bid.bsp_id == organisation.id:
        return True
    if organisation.role == Role.DSO:
        admission = session.get(MarketAdmission, bid.uvam_id)
        return admission is not None and organisation.eic in admission.dso_eics
    return False


def bid_view(bid: MarketBid) -> dict[str, Any]:
    return {
        "id": bid.id,
        "chainKey": bid.chain_key,
        "bsp": bid.bsp_id,
        "uvamId": bid.uvam_id,
        "productId": bid.product_id,
        "direction": bid.direction,
        "deliveryStart": iso(bid.delivery_start),
        "periods": bid.period_count,
        "quantitiesKw": bid.quantities_kw,
        "offeredKw": bid.offered_kw,
        "price": price_text(bid.price_micro),
        "validUntil": iso(bid.valid_until),
        "gateClosesAt": iso(bid.gate_closes_at),
        "divisible": bid.divisible,
        "status": bid.status,
        "termsHash": bid.terms_hash,
        "priority": [bid.priority_block, bid.priority_log],
        "dsoPending": bid.dso_pending,
        "dsoChecks": bid.dso_checks,
        "needId": bid.need_id,
        "createdAt": bid.created_at.isoformat(),
        "updatedAt": bid.updated_at.isoformat(),
    }


def get_bid(session: Session, organisation: Organisation, bid_id: str) -> dict[str, Any]:
    bid = session.get(MarketBid, bid_id)
    if bid is None or not may_see_bid(session, organisation, bid):
        raise NotFound(f"no bid {bid_id}", field="bidId")
    award = session.get(MarketAward, bid.id)
    body = {**bid_view(bid), "history": history(session, bid.id)}
    if award is not None:
        body["award"] = {
            "needId": award.need_id,
            "awardedKw": award.awarded_kw,
            "prices": [price_text(p) for p in award.prices_micro],
        }
    return body


def list_bids(
    session: Session,
    organisation: Organisation,
    *,
    status: str | None = None,
    uvam_id: str | None = None,
    product_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    query = select(MarketBid)
    if organisation.role == Role.BSP:
        query = query.where(MarketBid.bsp_id == organisation.id)
    elif organisation.role == Role.DSO:
        query = query.where(col(MarketBid.uvam_id).in_(_dso_uvams(session, organisation.eic)))
    elif not sees_everything(organisation):
        query = query.where(col(MarketBid.id).is_(None))
    if status:
        query = query.where(MarketBid.status == status)
    if uvam_id:
        query = query.where(MarketBid.uvam_id == uvam_id)
    if product_id:
        query = query.where(MarketBid.product_id == product_id)
    count = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(MarketBid.delivery_start), col(MarketBid.id))
        .offset(max(0, offset))
        .limit(min(limit, 1000))
    ).all()
    return {"data": [bid_view(b) for b in rows], "count": int(count)}
