"""Pieces every capability's services share: sealing records, simulating calls, batching,
refusals and on-chain step histories."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ledger.core import coalescing, in_flight
from ledger.core.chain.client import Call, Receipt
from ledger.core.chain.errors import ContractRevert
from ledger.core.db.models import Organisation, utcnow
from ledger.core.domain.canonical import new_salt, record_hash
from ledger.core.errors import Conflict
from ledger.core.ids import to_bytes32
from ledger.core.runtime import Runtime

log = logging.getLogger(__name__)

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
    is stored.

    A refusal that the organisation's own writes in flight lift is none: refused on the chain's
    latest state, calls to one multicall contract are dry-run again behind those writes
    (:mod:`ledger.core.in_flight`), so a POD can be sent for review right after it was opened,
    without waiting for the opening to be mined; a worker sends them in that order."""
    try:
        runtime.chain.simulate(organisation.address, calls)
    except ContractRevert as revert:
        with runtime.session() as session:
            refusal = _refusal_behind_in_flight(runtime, session, organisation, calls, revert)
            if refusal is None:
                return
            error = refusal.as_domain_error(refusal_context(runtime, session, refusal))
        error.field = (error_fields or {}).get(refusal.error_name)
        raise error from revert


def _refusal_behind_in_flight(
    runtime: Runtime,
    session: Session,
    organisation: Organisation,
    calls: Sequence[Call],
    revert: ContractRevert,
) -> ContractRevert | None:
    """The refusal of ``calls`` behind ``organisation``'s writes in flight (None: they pass
    there); ``revert`` when nothing of its is in flight that they could follow."""
    contract = coalescing.multicall_contract(calls)
    if contract is None:
        return revert
    items = coalescing.encode_items(runtime.chain, contract, calls)
    try:
        outcomes = in_flight.dry_run_behind(
            runtime, session, organisation, contract, items, with_accepted=True
        )
    except Exception:  # the second look must not turn a refusal into an error: it stands
        log.exception("dry run behind the writes in flight of %s failed", organisation.id)
        return revert
    if outcomes is None:
        return revert
    return next((o.refusal for o in outcomes if o.refusal is not None), None)


def refusal_context(runtime: Runtime, session: Session, revert: ContractRevert) -> dict[str, str]:
    """What the sentence of a contract refusal needs beyond the error's own arguments, from
    the capability whose record the error names (the runtime's ``refusal_contexts``)."""
    context = runtime.capabilities.refusal_contexts.get(revert.error_name)
    return {} if context is None else dict(context(session, revert))


def add_or_conflict(session: Session, rows: Sequence[Any], *, conflict: str, field: str) -> None:
    """Add ``rows`` in a savepoint: when a unique constraint shows that a concurrent request
    got there first, nothing of them stays and the caller gets 409 ``conflict`` on ``field``."""
    try:
        with session.begin_nested():
            session.add_all(rows)
    except IntegrityError as exc:
        raise Conflict(conflict, field=field) from exc


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
