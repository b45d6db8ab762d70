"""Operations: every write is accepted as an operation, then executed on chain by a worker.

``accept`` stores the intent and returns at once (the API answers 202 with its id). ``execute``
runs in a worker: it simulates the contract calls (a refusal becomes a failed operation with the
contract's decoded error), stores the signed transactions before sending them, sends, waits for
the receipts, and lets the operation's handler write the confirmed facts to the database.
Executing the same operation twice is harmless: a finished one is left alone, and a submitted
one resumes by resending its stored transactions, never by signing new ones.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from ledger.chain.client import Call, Receipt
from ledger.chain.errors import ContractRevert, RpcError
from ledger.chain.signer import SignedTransaction
from ledger.db.models import Operation, Organisation, utcnow
from ledger.errors import NotFound
from ledger.ids import new_id
from ledger.runtime import Runtime
from ledger.services.common import refusal_context

log = logging.getLogger(__name__)

TASK_EXECUTE = "cbp.operations.execute"
# How many of an account's latest operations are checked for transactions a node forgot.
REPLAY_WINDOW = 200


class OperationStatus(StrEnum):
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


TERMINAL = {OperationStatus.SUCCEEDED, OperationStatus.FAILED}


@dataclass(frozen=True)
class FollowUp:
    """A task to enqueue once the operation's effects are committed."""

    task: str
    kwargs: dict[str, Any] = field(default_factory=dict)


class Handler(ABC):
    """Turns one kind of operation into contract calls, and its receipts into database rows."""

    kind: str

    @abstractmethod
    def calls(self, session: Session, operation: Operation) -> list[Call]: ...

    @abstractmethod
    def apply(
        self, session: Session, operation: Operation, receipts: Sequence[Receipt]
    ) -> list[FollowUp]:
        """Write the confirmed effects (read from the receipts' events) to the database."""

    def release(self, session: Session, operation: Operation) -> None:  # noqa: B027
        """Undo what accepting reserved, when the operation ends failed (default: nothing)."""


def accept(
    session: Session,
    *,
    organisation: Organisation,
    kind: str,
    payload: dict[str, Any],
    target_id: str | None = None,
    idempotency_key: str | None = None,
) -> Operation:
    """Store a new operation (or return the one already stored under ``idempotency_key``)."""
    if idempotency_key is not None:
        existing = session.exec(
            select(Operation).where(Operation.idempotency_key == idempotency_key)
        ).first()
        if existing is not None:
            return existing
    operation = Operation(
        id=new_id(),
        organisation_id=organisation.id,
        kind=kind,
        target_id=target_id,
        payload=payload,
        idempotency_key=idempotency_key,
    )
    session.add(operation)
    session.flush()
    return operation


def submit(runtime: Runtime, operation: Operation) -> None:
    """Enqueue execution; call only after the operation's row is committed."""
    runtime.dispatcher.enqueue(TASK_EXECUTE, operation_id=operation.id)


def get_operation(session: Session, operation_id: str, *, organisation: Organisation) -> Operation:
    """An operation its organisation, the TSO or the auditor reads; one the TSO signs on a BSP's
    behalf (``onBehalfOf`` in its payload: a UVAM's market admission) that BSP reads too."""
    operation = session.get(Operation, operation_id)
    if operation is None or (
        organisation.id not in {operation.organisation_id, operation.payload.get("onBehalfOf")}
        and organisation.role not in {"TSO", "AUDITOR"}
    ):
        raise NotFound(f"no operation {operation_id}", field="operationId")
    return operation


def execute(runtime: Runtime, operation_id: str) -> Operation:
    """Run an operation to its end on chain (worker side). Idempotent."""
    from ledger.services.handlers import HANDLERS

    # One execution per operation at a time: a copy of the task delivered while another runs
    # waits here, then finds the operation finished (or resumes it if the other one died)
    # instead of applying the same receipts twice.
    with runtime.locks.hold(f"operation:{operation_id}"), runtime.session() as session:
        operation = session.get(Operation, operation_id)
        if operation is None:
            raise NotFound(f"no operation {operation_id}")
        if operation.status in TERMINAL:
            return operation
        organisation = session.get(Organisation, operation.organisation_id)
        assert organisation is not None
        handler = HANDLERS[operation.kind]
        signer = runtime.signer_for(organisation)
        chain = runtime.chain

        with runtime.locks.hold(signer.address):
            _replay_forgotten(runtime, session, organisation, signer.address)
            signed = _stored_transactions(operation)
            if signed and not _resend_unknown(runtime, signed):
                signed = []  # never reached the node and its nonce was reused: sign anew
            if not signed:
                try:
                    signed = chain.prepare(signer, handler.calls(session, operation))
                except ContractRevert as revert:
                    _finish(runtime, session, operation, error=_error_of(session, revert))
                    return operation
                operation.signed_transactions = [
                    {"hash": tx.tx_hash, "raw": tx.raw, "nonce": tx.nonce} for tx in signed
                ]
                operation.transaction_hashes = [tx.tx_hash for tx in signed]
                operation.status = OperationStatus.SUBMITTED
                operation.updated_at = utcnow()
                session.commit()
                chain.send(signed)

        receipts = chain.wait(
            [tx.tx_hash for tx in signed], timeout_s=runtime.settings.receipt_timeout_s
        )
        follow_ups = handler.apply(session, operation, [r for r in receipts if r.succeeded])
        failed = [r for r in receipts if not r.succeeded]
        operation.block_number = max(r.block_number for r in receipts)
        operation.gas_used = sum(r.gas_used for r in receipts)
        error = _error_of(session, chain.revert_reason(failed[0])) if failed else None
        _finish(runtime, session, operation, error=error, follow_ups=follow_ups)
        return operation


def _stored_transactions(operation: Operation) -> list[SignedTransaction]:
    return [
        SignedTransaction(tx_hash=tx["hash"], raw=tx["raw"], nonce=tx["nonce"])
        for tx in operation.signed_transactions or []
    ]


def _replay_forgotten(
    runtime: Runtime, session: Session, organisation: Organisation, address: str
) -> None:
    """Resend, in nonce order, this account's stored transactions the node no longer knows.

    A node restarted from an older state (Anvil killed between two state writes) forgets
    transactions of operations already finished. Without this, their nonces would be handed
    to new transactions and the finished operations would be lost from the chain. Called with
    the account's lock held, before any new nonce is taken.
    """
    chain = runtime.chain
    confirmed = int(chain.rpc.call("eth_getTransactionCount", [address, "latest"]), 16)
    recent = session.exec(
        select(Operation)
        .where(Operation.organisation_id == organisation.id)
        .where(Operation.status != OperationStatus.ACCEPTED)
        .order_by(col(Operation.created_at).desc())
        .limit(REPLAY_WINDOW)
    ).all()
    by_nonce: dict[int, SignedTransaction] = {}
    for stored in reversed(recent):
        for tx in _stored_transactions(stored):
            if tx.nonce >= confirmed:
                by_nonce.setdefault(tx.nonce, tx)
    forgotten = [
        by_nonce[nonce] for nonce in sorted(by_nonce) if not chain.is_known(by_nonce[nonce].tx_hash)
    ]
    if not forgotten:
        return
    log.warning("replaying %d transactions of %s the node forgot", len(forgotten), address)
    try:
        chain.send(forgotten)
    except RpcError as exc:
        log.warning("replay of forgotten transactions refused: %s", exc)


def _resend_unknown(runtime: Runtime, signed: list[SignedTransaction]) -> bool:
    """Resend stored transactions the node does not know; False if their nonces are gone."""
    chain = runtime.chain
    unknown = [tx for tx in signed if not chain.is_known(tx.tx_hash)]
    if not unknown:
        return True
    try:
        chain.send(unknown)
    except RpcError as exc:
        if "nonce" in str(exc).lower() and len(unknown) == len(signed):
            log.warning("stored transactions lost their nonces; signing anew: %s", exc)
            return False
        raise
    return True


def _error_of(session: Session, revert: ContractRevert) -> dict[str, Any]:
    domain = revert.as_domain_error(refusal_context(session, revert))
    return {**domain.to_dict(), "httpStatus": domain.http_status}


def abandon(session: Session, operation: Operation, *, reason: str) -> None:
    """Mark an accepted operation failed before it ran (its task could not be enqueued), and
    release what accepting reserved, so that nothing stays half-written."""
    from ledger.services.handlers import HANDLERS

    operation.status = OperationStatus.FAILED
    operation.error = {"code": "unavailable", "message": reason, "httpStatus": 503}
    operation.updated_at = utcnow()
    HANDLERS[operation.kind].release(session, operation)
    session.commit()


def _finish(
    runtime: Runtime,
    session: Session,
    operation: Operation,
    *,
    error: dict[str, Any] | None,
    follow_ups: list[FollowUp] | None = None,
) -> None:
    operation.status = OperationStatus.FAILED if error else OperationStatus.SUCCEEDED
    operation.error = error
    if error:
        from ledger.services.handlers import HANDLERS

        HANDLERS[operation.kind].release(session, operation)
    operation.updated_at = utcnow()
    organisation = session.get(Organisation, operation.organisation_id)
    callback = None
    if organisation is not None:
        from ledger.services import webhooks

        callback = webhooks.message(
            session,
            organisation,
            event_type="operation.finished",
            subject_kind="operation",
            subject_id=operation.id,
            body=public_view(operation),
        )
    session.commit()
    for follow_up in follow_ups or []:
        runtime.dispatcher.enqueue(follow_up.task, **follow_up.kwargs)
    if callback is not None:
        from ledger.services import webhooks

        runtime.dispatcher.enqueue(webhooks.TASK_DELIVER, message_id=callback)


def public_view(operation: Operation) -> dict[str, Any]:
    """The operation as the API shows it."""
    return {
        "operationId": operation.id,
        "kind": operation.kind,
        "status": operation.status,
        "targetId": operation.target_id,
        "transactionHashes": operation.transaction_hashes or [],
        "blockNumber": operation.block_number,
        "gasUsed": operation.gas_used,
        "error": operation.error,
        "result": operation.result,
        "callbackStatus": operation.callback_status,
        "createdAt": operation.created_at.isoformat(),
        "updatedAt": operation.updated_at.isoformat(),
    }
