"""The DSO validation worker: grid constraints (traffic lights) and the DSOs' verdicts on bids.

A DSO declares constraints per POD or per zone of its grid (:func:`declare_constraints`). When
bids reach the chain as ``Received``, :func:`dso_check` (the ``cbp.market.dso_check`` task)
has every DSO concerned judge them with :func:`ledger.market.grid.check_bid` and records the
verdicts on chain from the DSO's own account: cleared, capped (new quantities) or blocked, with
a reason code and the hash of the reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils import keccak
from sqlmodel import Session, col, select

from ledger import payloads
from ledger.core import operations
from ledger.core.access import require_role, sees_everything
from ledger.core.chain.client import Call, Receipt
from ledger.core.common import bytes32, chunks
from ledger.core.db.models import Operation, Organisation
from ledger.core.domain.canonical import canonical_json
from ledger.core.domain.enums import DsoOutcome, Role
from ledger.core.errors import Forbidden, InvalidInput, NotFound
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import new_id
from ledger.core.periods import delivery_end, iso, to_unix
from ledger.core.runtime import Runtime
from ledger.market import grid
from ledger.market.bids import bids_per_transaction, existing_operation, sync_bid_status
from ledger.market.common import (
    MARKET,
    bid_terms,
    events,
    hex32,
    reasons_hash,
)
from ledger.market.schemas import GridConstraintCreate
from ledger.market.tables import GridConstraint, MarketBid
from ledger.market.terms import Direction
from ledger.payloads import market as payload_models
from ledger.registry.tables import Pod
from ledger.registry.uvams import active_members


def declare_constraints(
    session: Session, *, dso: Organisation, constraints: Sequence[GridConstraintCreate]
) -> list[GridConstraint]:
    """A DSO declares traffic lights for PODs or zones of its grid (used by later checks).

    Every constraint is checked before any is stored: a POD on the DSO's own grid, and a
    ``limitKw`` no higher than what it limits can draw, the POD's contracted power (for a zone,
    the largest contracted power of the DSO's PODs in it). Otherwise 422 (or 403/404) naming the
    constraint's field, and nothing is stored."""
    require_role(dso, Role.DSO, field="constraints")
    zone_bounds: dict[str, tuple[int, str]] | None = None
    for index, item in enumerate(constraints):
        bound: tuple[int, str] | None = None
        if item.scope == "pod":
            pod = session.get(Pod, item.target)
            if pod is None:
                raise NotFound(f"no POD {item.target}", field=f"constraints.{index}.target")
            if pod.dso_eic != dso.eic:
                raise Forbidden(
                    f"POD {item.target} is not on your grid", field=f"constraints.{index}.target"
                )
            bound = (int(pod.record["contractedPower"]), f"POD {pod.id}")
        elif item.limit_kw is not None:
            if zone_bounds is None:
                zone_bounds = _zone_bounds(session, dso)
            bound = zone_bounds.get(item.target)
        if item.limit_kw is not None and bound is not None and item.limit_kw > bound[0]:
            contracted, what = bound
            raise InvalidInput(
                f"limitKw {item.limit_kw} kW exceeds the contracted power of {what}"
                f" ({contracted} kW): a limit can be at most {contracted} kW",
                field=f"constraints.{index}.limitKw",
                maximumKw=contracted,
            )
    rows = [
        GridConstraint(
            id=new_id(),
            dso_id=dso.id,
            scope=item.scope.value,
            target=item.target,
            start=to_unix(item.start),
            end=to_unix(item.end),
            light=item.light.value,
            limit_kw=item.limit_kw,
            direction=item.direction.value if item.direction else None,
            reason_code=int(item.reason_code),
            reason=item.reason,
        )
        for item in constraints
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _zone_bounds(session: Session, dso: Organisation) -> dict[str, tuple[int, str]]:
    """Per zone (``locationId``) of the DSO's grid: the largest contracted power of its PODs."""
    bounds: dict[str, tuple[int, str]] = {}
    for pod in session.exec(select(Pod).where(Pod.dso_eic == dso.eic)).all():
        zone = pod.record.get("locationId")
        if not zone:
            continue
        contracted = int(pod.record["contractedPower"])
        if zone not in bounds or contracted > bounds[zone][0]:
            bounds[zone] = (contracted, f"the largest POD of zone {zone}")
    return bounds


def constraint_view(row: GridConstraint) -> dict[str, Any]:
    return {
        "id": row.id,
        "dso": row.dso_id,
        "scope": row.scope,
        "target": row.target,
        "start": iso(row.start),
        "end": iso(row.end),
        "light": row.light,
        "limitKw": row.limit_kw,
        "direction": row.direction,
        "reasonCode": grid.ReasonCode(row.reason_code).name.lower(),
        "reason": row.reason,
    }


def list_constraints(session: Session, organisation: Organisation) -> dict[str, Any]:
    query = select(GridConstraint)
    if organisation.role == Role.DSO:
        query = query.where(GridConstraint.dso_id == organisation.id)
    elif not sees_everything(organisation):
        raise Forbidden("grid constraints are the DSOs' and the TSO's to see")
    rows = session.exec(query.order_by(col(GridConstraint.start))).all()
    return {"data": [constraint_view(r) for r in rows], "count": len(rows)}


def _constraints_of(
    session: Session, dso: Organisation, start: int, end: int
) -> list[grid.Constraint]:
    rows = session.exec(
        select(GridConstraint).where(
            GridConstraint.dso_id == dso.id, GridConstraint.start < end, GridConstraint.end > start
        )
    ).all()
    return [
        grid.Constraint(
            constraint_id=r.id,
            scope=r.scope,
            target=r.target,
            start=r.start,
            end=r.end,
            light=grid.Light(r.light),
            limit_kw=r.limit_kw,
            direction=Direction(r.direction) if r.direction else None,
            reason_code=grid.ReasonCode(r.reason_code),
            reason=r.reason,
        )
        for r in rows
    ]


def _members(session: Session, uvam_id: str) -> list[grid.MemberPod]:
    return [
        grid.MemberPod(
            pod_id=pod.id,
            dso_eic=pod.dso_eic,
            zone=pod.record.get("locationId"),
            flex_up_kw=int(pod.record["maximumFlexUp"]),
            flex_down_kw=int(pod.record["maximumFlexDown"]),
        )
        for pod in active_members(session, uvam_id)
    ]


def dso_check(runtime: Runtime, bid_ids: Sequence[str]) -> list[str]:
    """The DSO validation worker: each DSO concerned checks the received bids against its
    declared constraints and records its verdicts on chain (one operation per DSO)."""
    if not runtime.settings.auto_review:
        return []
    created = []
    with runtime.session() as session:
        bids = session.exec(
            select(MarketBid).where(
                col(MarketBid.id).in_(list(bid_ids)), MarketBid.status == "Received"
            )
        ).all()
        by_dso: dict[str, list[MarketBid]] = {}
        for bid in bids:
            for eic in bid.dso_pending:
                by_dso.setdefault(eic, []).append(bid)
        members: dict[str, list[grid.MemberPod]] = {}
        for eic, group in sorted(by_dso.items()):
            dso = session.exec(select(Organisation).where(Organisation.eic == eic)).one()
            start = min(b.delivery_start for b in group)
            end = max(delivery_end(b.delivery_start, b.period_count) for b in group)
            constraints = _constraints_of(session, dso, start, end)
            items = []
            for bid in sorted(group, key=lambda b: b.id):
                if bid.uvam_id not in members:
                    members[bid.uvam_id] = _members(session, bid.uvam_id)
                verdict = grid.check_bid(
                    dso_eic=eic,
                    direction=Direction(bid.direction),
                    delivery_start=bid.delivery_start,
                    quantities_kw=bid.quantities_kw,
                    members=members[bid.uvam_id],
                    constraints=constraints,
                )
                items.append(
                    {
                        "bidId": bid.id,
                        "termsHash": bid.terms_hash,
                        "outcome": verdict.outcome.label,
                        "allowedKw": list(verdict.allowed_kw),
                        "reasons": list(verdict.reasons),
                        "reasonCode": int(verdict.reason_code),
                        "reasonsHash": hex32(reasons_hash(verdict.reasons)),
                    }
                )
            key = (
                "dso-check:"
                + eic
                + ":"
                + hex32(canonical_hash([(i["bidId"], i["termsHash"]) for i in items]))
            )
            if existing_operation(session, key) is not None:
                continue
            operation = operations.accept(
                session,
                organisation=dso,
                kind="market.dso_check",
                payload={"dsoEic": eic, "bids": items},
                idempotency_key=key[:100],
            )
            created.append(operation.id)
    for operation_id in created:
        runtime.dispatcher.enqueue(operations.TASK_EXECUTE, operation_id=operation_id)
    return created


def canonical_hash(value: Any) -> bytes:
    return bytes(keccak(canonical_json(value)))[:16]


class DsoCheckHandler(Handler):
    kind = "market.dso_check"

    def calls(self, session: Session, operation: Operation) -> list[Call]:
        calls = []
        checks = payloads.read(operation, payload_models.DsoChecks)
        for batch in chunks(checks.bids, bids_per_transaction(session)):
            keys, verdicts = [], []
            for item in batch:
                bid = session.get(MarketBid, item.bid_id)
                assert bid is not None
                outcome = _outcome(item.outcome)
                capped = item.allowed_kw if outcome is DsoOutcome.CAPPED else []
                keys.append(bytes32(bid.chain_key))
                verdicts.append(
                    (
                        bid_terms(session, bid).as_tuple(),
                        int(outcome),
                        capped,
                        item.reason_code,
                        bytes32(item.reasons_hash),
                    )
                )
            calls.append(Call(MARKET, "checkBids", (keys, verdicts)))
        return calls

    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        checks = payloads.read(operation, payload_models.DsoChecks)
        by_id = {item.bid_id: item for item in checks.bids}
        eic = checks.dso_eic
        rows = session.exec(select(MarketBid).where(col(MarketBid.id).in_(list(by_id)))).all()
        bids = {row.chain_key: row for row in rows}
        for args, event in events(receipts, "BidChecked"):
            bid = bids[hex32(args["bidId"])]
            item = by_id[bid.id]
            outcome = DsoOutcome(args["outcome"])
            if outcome is DsoOutcome.CAPPED:
                bid.quantities_kw = list(args["cappedKw"])
            bid.terms_hash = hex32(args["termsHash"])
            bid.dso_pending = (
                [] if outcome is DsoOutcome.BLOCKED else [e for e in bid.dso_pending if e != eic]
            )
            bid.dso_checks = [
                *bid.dso_checks,
                {
                    "dso": operation.organisation_id,
                    "dsoEic": eic,
                    "outcome": outcome.label,
                    "allowedKw": item.allowed_kw,
                    "reasons": item.reasons,
                    "reasonCode": grid.ReasonCode(item.reason_code).name.lower(),
                    "reasonsHash": item.reasons_hash,
                    "transactionHash": event.transaction_hash,
                },
            ]
        session.flush()
        sync_bid_status(session, receipts)
        return []


def _outcome(label: str) -> DsoOutcome:
    return next(member for member in DsoOutcome if member.label == label)
