"""Pieces the market services share: prerequisites, status history, visibility, time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_utils import keccak
from sqlalchemy import insert
from sqlmodel import Session, select

from ledger.core.chain.client import Receipt
from ledger.core.chain.errors import ContractRevert
from ledger.core.common import bytes32
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.domain.canonical import canonical_json
from ledger.core.domain.enums import Role
from ledger.core.errors import Unavailable
from ledger.core.operations import TERMINAL, OperationStatus
from ledger.core.runtime import runtime_of
from ledger.market.config import MarketSettings
from ledger.market.tables import MarketBid, MarketStatusChange
from ledger.market.terms import BidTerms, Direction
from ledger.registry.tables import Uvam

MARKET = "FlexMarket"
METERS = "MeasurementLedger"
ZERO32 = b"\x00" * 32

#: Operations created while handling a request that the caller must enqueue after its commit
#: (the TSO's prerequisites of a first bid: product configuration, UVAM admission).
AFTER_COMMIT = "cbp_market_after_commit"

ERROR_FIELDS = {
    "MarketUnauthorized": "role",
    "MarketNotOwner": "uvamId",
    "MarketNotCompetentDso": "bidIds",
    "MarketAlreadyExists": "id",
    "MarketUnknownId": "id",
    "MarketClosedMarket": "productId",
    "MarketUvamNotQualified": "uvamId",
    "MarketUvamNotAdmitted": "uvamId",
    "MarketAboveQualifiedPower": "quantitiesKw",
    "MarketGateClosed": "deliveryStart",
    "MarketBadTerms": "quantitiesKw",
    "MarketInvalidBidTransition": "bidIds",
    "MarketStillValid": "bidIds",
    "MarketNeedNotOpen": "needId",
    "MarketNoticeTooShort": "firstPeriod",
    "MarketBeyondAward": "setPointsKw",
    "MarketInvalidActivationTransition": "status",
    "MarketAckDeadlinePassed": "accept",
    "MarketGateNotClosed": "needId",
    "MarketDeliveryOver": "activationId",
    "MeasurementsUnauthorized": "kind",
    "MeasurementsBadCorrection": "batchId",
}


def settings(session: Session) -> MarketSettings:
    """The market settings of the runtime that opened ``session``."""
    return runtime_of(session).settings.market


def now(session: Session) -> int:
    """The platform's clock in unix seconds, of the runtime that opened ``session`` (the
    chain's block time follows the same clock; :mod:`ledger.core.clock`)."""
    return runtime_of(session).clock.now()


def reasons_hash(reasons: Sequence[str]) -> bytes:
    """Hash of reasons recorded on chain (the text stays off chain); zero when there are none."""
    return keccak(canonical_json(list(reasons))) if reasons else ZERO32


def hex32(raw: bytes) -> str:
    return "0x" + raw.hex()


def tso_of(session: Session) -> Organisation:
    return session.exec(select(Organisation).where(Organisation.role == Role.TSO)).one()


def after_commit(session: Session, operation: Operation) -> None:
    """Enqueue ``operation`` once the caller's transaction is committed."""
    session.info.setdefault(AFTER_COMMIT, []).append(operation.id)


def pending_after_commit(session: Session) -> list[str]:
    ids: list[str] = session.info.pop(AFTER_COMMIT, [])
    return ids


def wait_for(session: Session, operation_ids: Iterable[str]) -> None:
    """Guard of an operation that needs others confirmed first (called in ``Handler.calls``).

    A prerequisite still running raises :class:`Unavailable`, so the worker retries the task
    with backoff; a failed one fails this operation too, with the same decoded error.
    """
    for operation_id in operation_ids:
        required = session.get(Operation, operation_id)
        if required is None or required.status == OperationStatus.SUCCEEDED:
            continue
        if required.status in TERMINAL:
            error = required.error or {}
            raise ContractRevert(
                "MarketPrerequisiteFailed",
                {
                    "operationId": operation_id,
                    "kind": required.kind,
                    "error": str(error.get("message", "")),
                },
            )
        raise Unavailable(f"waiting for operation {operation_id} ({required.kind})")


def actors(session: Session) -> dict[str, str]:
    return {o.address.lower(): o.id for o in session.exec(select(Organisation)).all()}


def record_change(session: Session, **change: Any) -> None:
    """One confirmed status transition (see :func:`record_changes`)."""
    record_changes(session, [change])


def record_changes(session: Session, changes: Sequence[dict[str, Any]]) -> None:
    """Confirmed status transitions, written in one statement: ``kind``, ``resource_id``,
    ``from_status``, ``to_status``, ``actor``, ``transaction_hash``, ``block_number``, and an
    optional ``detail``."""
    if not changes:
        return
    at = utcnow()
    rows = [
        {
            "kind": c["kind"],
            "resource_id": c["resource_id"],
            "from_status": c["from_status"],
            "to_status": c["to_status"],
            "actor_id": c["actor"],
            "detail": c.get("detail"),
            "transaction_hash": c["transaction_hash"],
            "block_number": c["block_number"],
            "at": at,
        }
        for c in changes
    ]
    session.execute(insert(MarketStatusChange.__table__), rows)  # type: ignore[attr-defined]


def history(session: Session, resource_id: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(MarketStatusChange)
        .where(MarketStatusChange.resource_id == resource_id)
        .order_by(MarketStatusChange.id)  # type: ignore[arg-type]
    ).all()
    return [
        {
            "from": r.from_status,
            "to": r.to_status,
            "actor": r.actor_id,
            "detail": r.detail,
            "transactionHash": r.transaction_hash,
            "blockNumber": r.block_number,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]


def events(receipts: Sequence[Receipt], name: str) -> list[tuple[dict[str, Any], Any]]:
    """(args, event) of every event called ``name`` in the receipts, in chain order."""
    return [(e.args, e) for r in receipts for e in r.events if e.name == name]


def bid_terms(session: Session, bid: MarketBid) -> BidTerms:
    """The on-chain terms of a stored bid (current quantities, after DSO caps)."""
    uvam = session.get(Uvam, bid.uvam_id)
    assert uvam is not None
    terms = BidTerms(
        uvam_key=bytes32(uvam.chain_key),
        market_id=bid.product_id,
        direction=Direction(bid.direction),
        delivery_start=bid.delivery_start,
        valid_until=bid.valid_until,
        price_micro=bid.price_micro,
        divisible=bid.divisible,
        quantities_kw=tuple(bid.quantities_kw),
    )
    if hex32(terms.hash()) != bid.terms_hash:
        raise RuntimeError(
            f"bid {bid.id}: stored terms do not hash to the recorded {bid.terms_hash}"
        )
    return terms
