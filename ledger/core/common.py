"""Pieces every registration service shares: sealing records, simulating, syncing statuses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ledger.core.access import may_see_registry_record
from ledger.core.chain.client import Call, Receipt
from ledger.core.chain.errors import ContractRevert
from ledger.core.db.models import Organisation, Pod, StatusChange, Uvam, utcnow
from ledger.core.domain.canonical import new_salt, record_hash
from ledger.core.domain.enums import PodStatus, UvamStatus
from ledger.core.errors import Conflict, Forbidden, NotFound
from ledger.core.ids import to_bytes32
from ledger.core.runtime import Runtime

CHUNK = 100  # records per transaction in batch calls: ~7.7 M gas for 100 PODs


def seal(record: dict[str, Any]) -> dict[str, Any]:
    """A record with a fresh salt and the salted hash that goes on chain."""
    salt = new_salt()
    return {
        "record": record,
        "salt": salt.hex(),
        "recordHash": "0x" + record_hash(record, salt=salt).hex(),
    }


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def simulate(
    runtime: Runtime,
    organisation: Organisation,
    calls: Sequence[Call],
    *,
    error_fields: dict[str, str] | None = None,
) -> None:
    """Dry-run calls as ``organisation``: the contracts are the one home of the status and
    permission rules, so a refusal is reported now (403/404/409 naming the field) and nothing
    is stored."""
    try:
        runtime.chain.simulate(organisation.address, calls)
    except ContractRevert as revert:
        with runtime.session() as session:
            error = revert.as_domain_error(refusal_context(session, revert))
        error.field = (error_fields or {}).get(revert.error_name)
        raise error from revert


def refusal_context(session: Session, revert: ContractRevert) -> dict[str, str]:
    """What the message of a contract refusal needs beyond the error's own arguments: the
    record and its current status, for an error that names a record but not its status."""
    if revert.error_name != "RegistryNotEditable":
        return {}
    key = str(revert.arguments.get("id", ""))
    pod = session.exec(select(Pod).where(Pod.chain_key == key)).first()
    if pod is not None:
        return {"record": f"POD {pod.id}", "status": pod.status}
    uvam = session.exec(select(Uvam).where(Uvam.chain_key == key)).first()
    if uvam is not None:
        return {"record": f"UVAM {uvam.id}", "status": uvam.status}
    return {}


def add_or_conflict(session: Session, rows: Sequence[Any], *, conflict: str, field: str) -> None:
    """Add ``rows`` in a savepoint: when a unique constraint shows that a concurrent request
    got there first, nothing of them stays and the caller gets 409 ``conflict`` on ``field``."""
    try:
        with session.begin_nested():
            session.add_all(rows)
    except IntegrityError as exc:
        raise Conflict(conflict, field=field) from exc


def owned_pod(session: Session, pod_id: str, organisation: Organisation) -> Pod:
    pod = session.get(Pod, pod_id)
    if pod is None or not may_see_registry_record(
        organisation, bsp_id=pod.bsp_id, dso_eic=pod.dso_eic
    ):
        raise NotFound(f"no POD {pod_id}", field="podId")
    if pod.bsp_id != organisation.id:
        raise Forbidden(f"POD {pod_id} belongs to another BSP", field="podId")
    return pod


def owned_uvam(session: Session, uvam_id: str, organisation: Organisation) -> Uvam:
    uvam = session.get(Uvam, uvam_id)
    if uvam is None or not may_see_registry_record(organisation, bsp_id=uvam.bsp_id, dso_eic=None):
        raise NotFound(f"no UVAM {uvam_id}", field="uvamId")
    if uvam.bsp_id != organisation.id:
        raise Forbidden(f"UVAM {uvam_id} belongs to another BSP", field="uvamId")
    return uvam


def sync_status_events(
    session: Session,
    receipts: Sequence[Receipt],
    *,
    reasons: list[str] | None = None,
) -> None:
    """Apply the status transitions the receipts report to the mirrored rows and history."""
    actors = {o.address.lower(): o.id for o in session.exec(select(Organisation)).all()}
    changes: list[tuple[type[Pod] | type[Uvam], str, str, str, Any]] = []
    for receipt in receipts:
        for event in receipt.events:
            if event.name == "PodStatusChanged":
                labels = PodStatus(event.args["from"]).label, PodStatus(event.args["to"]).label
                changes.append((Pod, "0x" + event.args["podId"].hex(), *labels, event))
            elif event.name == "UvamStatusChanged":
                labels = UvamStatus(event.args["from"]).label, UvamStatus(event.args["to"]).label
                changes.append((Uvam, "0x" + event.args["uvamId"].hex(), *labels, event))
    # One query per kind of row, not one per event (a multicall carries up to 200 of them).
    rows: dict[str, Pod | Uvam] = {}
    pod_keys = {key for kind, key, *_ in changes if kind is Pod}
    uvam_keys = {key for kind, key, *_ in changes if kind is Uvam}
    if pod_keys:
        rows.update(
            (pod.chain_key, pod)
            for pod in session.exec(select(Pod).where(col(Pod.chain_key).in_(pod_keys))).all()
        )
    if uvam_keys:
        rows.update(
            (uvam.chain_key, uvam)
            for uvam in session.exec(select(Uvam).where(col(Uvam.chain_key).in_(uvam_keys))).all()
        )
    for model, key, from_label, to_label, event in changes:
        row = rows[key]
        row.status = to_label
        row.updated_at = utcnow()
        session.add(
            StatusChange(
                resource_kind="pod" if model is Pod else "uvam",
                resource_id=row.id,
                from_status=from_label,
                to_status=to_label,
                actor_id=actors.get(event.args["actor"].lower(), event.args["actor"]),
                reasons=reasons if to_label == "Rejected" else None,
                transaction_hash=event.transaction_hash,
                block_number=event.block_number,
            )
        )
    session.flush()


class HasHistory(Protocol):
    """A row that keeps its on-chain steps (a settlement version, a statement)."""

    history: list[dict[str, Any]]
    updated_at: datetime


def log_step(row: HasHistory, event: Any, what: str, **extra: Any) -> None:
    """Append the step ``what`` that ``event`` (a decoded log) recorded to ``row``'s history."""
    row.history = [
        *row.history,
        {
            "event": what,
            "transactionHash": event.transaction_hash,
            "blockNumber": event.block_number,
            **extra,
        },
    ]
    row.updated_at = utcnow()


def events_named(receipts: Sequence[Receipt], name: str) -> list[dict[str, Any]]:
    return [e.args for r in receipts for e in r.events if e.name == name]


def bytes32(hex_value: str) -> bytes:
    return to_bytes32(hex_value)
