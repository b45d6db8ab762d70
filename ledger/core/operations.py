"""Operations: every write is accepted as an operation, then executed on chain by a worker.

``accept`` stores the intent and returns at once (the API answers 202 with its id). ``execute``
runs in a worker: it simulates the contract calls (a refusal becomes a failed operation with the
contract's decoded error), stores the signed transactions before sending them, sends, and is free
again. ``confirm`` runs in the block follower: once the receipts are mined it lets the
operation's handler write the confirmed facts to the database, then enqueues the follow-ups and
the callback. Executing the same operation twice is harmless: a finished one is left alone, and
a submitted one resumes by resending its stored transactions, never by signing new ones.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC
from typing import Any

from sqlmodel import Session, col, select, update

from ledger import payloads
from ledger.core import coalescing, in_flight, webhooks
from ledger.core.access import sees_everything
from ledger.core.chain.client import Call, Receipt
from ledger.core.chain.errors import ContractRevert, ReceiptTimeout, RpcError
from ledger.core.chain.signer import SignedTransaction, Signer
from ledger.core.common import refusal_context
from ledger.core.db.models import CARRIED_BY as CARRIED_BY  # named from here by its callers
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.db.models import OperationStatus as OperationStatus
from ledger.core.errors import CbpError, NotFound, Unavailable
from ledger.core.handler import TASK_EXECUTE as TASK_EXECUTE  # named from here by its callers
from ledger.core.handler import FollowUp, Handler
from ledger.core.ids import new_id
from ledger.core.runtime import DispatchFailed, Runtime

log = logging.getLogger(__name__)

# How many of an account's latest operations are checked for transactions a node forgot.
REPLAY_WINDOW = 200
#: Fee-bumped replacements of one transaction at most (a transaction stuck behind a nonce gap
#: is not helped by a higher fee).
MAX_FEE_BUMPS = 5


TERMINAL = {OperationStatus.SUCCEEDED, OperationStatus.FAILED}


def accept(
    session: Session,
    *,
    organisation: Organisation,
    kind: str,
    payload: dict[str, Any],
    target_id: str | None = None,
    idempotency_key: str | None = None,
) -> Operation:
    """Store a new operation (or return the one already stored under ``idempotency_key``).

    The payload is checked against the model of its kind (:mod:`ledger.payloads`) and stored
    as given; one that does not fit raises InvalidOperationPayload naming the field."""
    payloads.check(kind, payload)
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
    """Enqueue its task (:func:`task_of`); call only after the operation's row is committed."""
    runtime.dispatcher.enqueue(task_of(runtime, operation.kind), operation_id=operation.id)


def task_of(runtime: Runtime, kind: str) -> str:
    """The task that runs an accepted operation of ``kind``: its handler's (``Handler.task``),
    the same when the API enqueues it and when the block follower re-drives it."""
    return runtime.capabilities.handlers[kind].task


def note_retrying(runtime: Runtime, operation_id: str) -> None:
    """An accepted operation's task is alive, waiting to try again (the chain or a lock it
    needs was unavailable): move its ``updated_at`` on, so that the block follower, which
    re-drives accepted operations nothing touched for ``redrive_after_s``, does not add a copy
    of a task that is merely waiting for its next attempt."""
    with runtime.session() as session:
        session.execute(
            update(Operation)
            .where(col(Operation.id) == operation_id)
            .where(col(Operation.status) == OperationStatus.ACCEPTED)
            .values(updated_at=utcnow())
        )
        session.commit()


def get_operation(session: Session, operation_id: str, *, organisation: Organisation) -> Operation:
    """An operation its organisation, the TSO or the auditor reads; one the TSO signs on a BSP's
    behalf (``onBehalfOf`` in its payload: a UVAM's market admission) that BSP reads too."""
    operation = session.get(Operation, operation_id)
    if operation is None or (
        organisation.id not in {operation.organisation_id, operation.payload.get("onBehalfOf")}
        and not sees_everything(organisation)
    ):
        raise NotFound(f"no operation {operation_id}", field="operationId")
    return operation


def execute(runtime: Runtime, operation_id: str, *, behind_pending: bool = False) -> Operation:
    """Sign and send an operation's transactions, then return (worker side). Idempotent.

    The operation is left ``submitted``: the block follower (:mod:`ledger.core.follower`)
    applies its receipts once they are mined, so no worker waits for a block. Run again (a
    redelivered task, or the follower re-driving an operation left without receipts), it
    resends what the node forgot, replaces transactions stuck in the pool with a higher fee,
    and signs anew only when the stored transactions lost their nonces.

    ``behind_pending`` (the follower flushing deferred operations before the next block): the
    organisation's deferred operations go now, as one transaction with the next nonce, even
    though its previous transaction is still pending; one refused in simulation stays deferred,
    since the pending transaction may be what it waits for.
    """
    # The task of an operation another worker's multicall carried (or the block follower is
    # confirming right now): nothing to sign, so no need to wait for the operation's lock.
    with runtime.session() as session:
        found = session.get(Operation, operation_id)
        if found is not None and (
            found.status in TERMINAL
            or (
                found.status == OperationStatus.SUBMITTED
                and not behind_pending
                and (_carried(found) or _in_flight(runtime, found))
            )
        ):
            return found
    # One execution per operation at a time: a copy of the task delivered while another runs
    # waits here, then finds the operation submitted or finished instead of signing again.
    with runtime.locks.hold(f"operation:{operation_id}"), runtime.session() as session:
        operation = session.get(Operation, operation_id)
        if operation is None:
            raise NotFound(f"no operation {operation_id}")
        if operation.status in TERMINAL:
            return operation
        organisation = session.get(Organisation, operation.organisation_id)
        assert organisation is not None
        handler = _handler(runtime, operation)
        signer = runtime.signer_for(organisation)
        chain = runtime.chain
        fresh_calls = None if operation.signed_transactions else handler.calls(session, operation)
        behind_pending = behind_pending or handler.time_critical
        if (
            fresh_calls is not None
            and not behind_pending
            and coalescing.multicall_contract(fresh_calls) is not None
            and coalescing.signer_busy(chain, signer.address)
        ):
            # Its signer's previous transaction is pending: this one goes into the next, which
            # the block follower flushes before the next block is due or starts once that one
            # is mined. No nonce is taken, so neither the signer's lock nor the replay is needed.
            operation.deferred = True
            operation.updated_at = utcnow()
            session.commit()
            return operation

        with runtime.locks.hold(signer.address):
            # Another worker holding the signer's lock may have put this operation into its
            # transaction (coalescing takes the signer's waiting operations): read it again.
            session.refresh(operation)
            if operation.status in TERMINAL or _carried(operation):
                return operation  # a carried multicall is its carrier's to keep moving
            busy = _replay_forgotten(runtime, session, organisation, signer.address)
            signed = current_transactions(operation)
            if signed and not _keep_in_flight(runtime, session, operation, signer, signed):
                signed = []  # never reached the node and its nonce was reused: sign anew
            if not signed:
                calls = fresh_calls or handler.calls(session, operation)
                contract = coalescing.multicall_contract(calls)
                if contract is not None:
                    if busy and not behind_pending:
                        # Its previous transaction is pending: this one goes into the next,
                        # which the block follower flushes before the next block is due or
                        # starts once that one is mined.
                        operation.deferred = True
                        operation.updated_at = utcnow()
                        session.commit()
                        return operation
                    batch = _coalesce(runtime, session, operation, calls, contract)
                    if batch is not None or busy:
                        _execute_batch(
                            runtime,
                            session,
                            signer,
                            contract,
                            batch or [(operation, calls)],
                            own=operation.id,
                            behind_pending=busy,
                        )
                        return operation
                _send_alone(runtime, session, operation, signer, calls)
        return operation


def _carried(operation: Operation) -> bool:
    """True when a submitted operation went in a multicall that another operation's execution
    sent (it is not the multicall's first member): the task of one such borrowed operation
    has nothing to do, and nothing to ask the node. Keeping that multicall moving (resending
    it, replacing it with a higher fee) falls to its first member, handed back to a worker by
    the block follower with the others once it is stuck, and to a redelivered copy of that
    member's task after a worker died between storing and sending it."""
    signed = operation.signed_transactions or []
    return bool(signed) and all(CARRIED_BY in entry for entry in signed)


def _in_flight(runtime: Runtime, operation: Operation) -> bool:
    """True when a submitted operation's transactions are known to the node and not stuck:
    nothing for a worker to do (the task of an operation that another worker's multicall
    carried, or a copy of a task already run). The block follower confirms it."""
    signed = current_transactions(operation)
    if not signed:
        return False
    chain = runtime.chain
    if len(chain.known([tx.tx_hash for tx in signed])) < len(signed):
        return False
    return not is_stuck(runtime, operation, head=chain.block_number())


def _send_alone(
    runtime: Runtime, session: Session, operation: Operation, signer: Signer, calls: list[Call]
) -> None:
    """Simulate, sign (one transaction per call, consecutive nonces), store, then send."""
    try:
        signed = runtime.chain.prepare(signer, calls, nonces=runtime.nonces)
    except ContractRevert as revert:
        _finish(runtime, session, operation, error=_error_of(runtime, session, revert))
        return
    try:
        _submitted(
            operation,
            [_stored(tx) for tx in signed],
            [tx.tx_hash for tx in signed],
            head=runtime.chain.block_number(),
        )
        session.commit()
    except Exception:
        # Reserved nonces that were never stored would leave a gap: reseed.
        runtime.nonces.forget(signer.address)
        raise
    _send(runtime, signer.address, signed)


def confirm(
    runtime: Runtime, operation_id: str, receipts: Mapping[str, Receipt], *, head: int
) -> bool | None:
    """Apply a submitted operation's receipts (block follower side); False if not yet due,
    None if a worker holds the operation right now (look again at the next pass).

    Due when every nonce of the operation has a mined transaction among ``receipts`` (the
    original or a fee-bumped replacement) and the last of them has ``chain_confirmations``
    blocks on top at ``head``. Idempotent: an operation already finished is left alone.
    """
    return confirm_together(runtime, [operation_id], receipts, head=head)[operation_id]


def confirm_together(
    runtime: Runtime,
    operation_ids: Sequence[str],
    receipts: Mapping[str, Receipt],
    *,
    head: int,
    held_back: set[str] | None = None,
) -> dict[str, bool | None]:
    """:func:`confirm` for operations mined in one transaction (the one-record requests one
    multicall carried), in one database transaction: one commit for all of them, then their
    follow-ups and callbacks. Each still ends on its own, with its own error and callback.

    ``operation_ids`` in chain order (a multicall's in the order of its items). An organisation's
    operations are applied in that order: one that a worker holds right now (None) holds back
    the organisation's later ones, here and in ``held_back`` (the organisations held back so
    far in the caller's pass, updated), so a UVAM's review request is never applied, and the
    TSO's qualification of it started, before the member added just before it."""
    held_back = set() if held_back is None else held_back
    outcomes: dict[str, bool | None] = {}
    after: list[FollowUp] = []
    names = {operation_id: f"operation:{operation_id}" for operation_id in operation_ids}
    with runtime.locks.try_hold(list(names.values())) as locked:
        held = [operation_id for operation_id, name in names.items() if name in locked]
        outcomes = {
            operation_id: None for operation_id in operation_ids if operation_id not in held
        }
        if operation_ids:  # also with none held: they hold back their organisations
            with runtime.session() as session:
                found = session.exec(
                    select(Operation).where(col(Operation.id).in_(operation_ids))
                ).all()
                by_id = {operation.id: operation for operation in found}
                ended = []
                for operation_id in operation_ids:
                    operation = by_id.get(operation_id)
                    if operation_id not in held or (
                        operation is not None and operation.organisation_id in held_back
                    ):
                        outcomes[operation_id] = None
                        if operation is not None:
                            held_back.add(operation.organisation_id)
                        continue
                    follow_ups = (
                        None
                        if operation is None
                        else _apply_receipts(runtime, session, operation, receipts, head=head)
                    )
                    outcomes[operation_id] = follow_ups is not None
                    if operation is not None and follow_ups is not None:
                        ended.append(operation)
                        after += follow_ups
                after += _callbacks(runtime, session, ended)
                session.commit()
    _dispatch(runtime, after)
    return {operation_id: outcomes[operation_id] for operation_id in operation_ids}


def _apply_receipts(
    runtime: Runtime,
    session: Session,
    operation: Operation,
    receipts: Mapping[str, Receipt],
    *,
    head: int,
) -> list[FollowUp] | None:
    """End a due operation from its receipts, uncommitted, its callback not yet stored; its
    follow-ups, to enqueue after the commit (None: not due, or not submitted)."""
    if operation.status != OperationStatus.SUBMITTED:
        return None
    mined = mined_receipts(operation.signed_transactions or [], receipts)
    if mined is None:
        return None
    confirmations = runtime.settings.chain_confirmations
    if max(r.block_number for r in mined) + confirmations > head:
        return None
    handler = _handler(runtime, operation)
    items = {
        entry["hash"]: entry["items"]
        for entry in operation.signed_transactions or []
        if "items" in entry
    }
    refusals: list[ContractRevert] = []
    own: list[Receipt] = []
    for receipt in mined:
        if receipt.transaction_hash in items:  # one multicall shared with other operations
            part, refusal = coalescing.split_receipt(
                runtime.chain, receipt, items[receipt.transaction_hash]
            )
            own.append(part)
            refusals += [refusal] if refusal is not None else []
        else:
            own.append(receipt)
    follow_ups = handler.apply(session, operation, [r for r in own if r.succeeded])
    failed = [r for r in own if not r.succeeded]
    operation.transaction_hashes = [r.transaction_hash for r in mined]
    operation.block_number = max(r.block_number for r in mined)
    operation.gas_used = sum(r.gas_used for r in mined)
    if refusals:
        error: dict[str, Any] | None = _error_of(runtime, session, refusals[0])
    elif failed:
        error = _error_of(runtime, session, runtime.chain.revert_reason(failed[0]))
    else:
        error = None
    _close(runtime, session, operation, error=error)
    return follow_ups


def run(runtime: Runtime, operation_id: str, *, timeout_s: float | None = None) -> Operation:
    """Execute an operation and wait for its receipts in this process (CLI tools, benchmarks
    and tests that run no block follower); the platform's processes never wait like this."""
    deadline = time.monotonic() + (timeout_s or runtime.settings.receipt_timeout_s)
    operation = execute(runtime, operation_id)
    while operation.status not in TERMINAL:
        if operation.status == OperationStatus.ACCEPTED:  # deferred behind a pending one
            time.sleep(0.05)
            operation = execute(runtime, operation_id)
            continue
        hashes = [entry["hash"] for entry in operation.signed_transactions or []]
        receipts = runtime.chain.receipts(hashes)
        if not confirm(runtime, operation_id, receipts, head=runtime.chain.block_number()):
            if time.monotonic() > deadline:
                raise ReceiptTimeout(f"operation {operation_id} not confirmed in time")
            time.sleep(0.02)
        with runtime.session() as session:
            found = session.get(Operation, operation_id)
            assert found is not None
            operation = found
    return operation


def mined_receipts(
    stored: Sequence[Mapping[str, Any]], receipts: Mapping[str, Receipt]
) -> list[Receipt] | None:
    """One mined receipt per nonce of an operation's stored transactions (an original or its
    fee-bumped replacement), in nonce order; None while one is still unmined."""
    by_nonce: dict[int, Receipt | None] = {}
    for entry in stored:
        found = receipts.get(entry["hash"])
        if by_nonce.get(entry["nonce"]) is None:
            by_nonce[entry["nonce"]] = found
    if not by_nonce or any(r is None for r in by_nonce.values()):
        return None
    return [r for _, r in sorted(by_nonce.items()) if r is not None]


def current_transactions(operation: Operation) -> list[SignedTransaction]:
    """The stored transactions still in play (not replaced by a fee-bumped copy). A multicall
    that another operation carries (:data:`CARRIED_BY`) has no ``raw`` here: its carrier
    stores it."""
    return [
        SignedTransaction(tx_hash=tx["hash"], raw=tx.get("raw", ""), nonce=tx["nonce"])
        for tx in operation.signed_transactions or []
        if "replacedBy" not in tx
    ]


def _stored(tx: SignedTransaction, *, carried_by: str | None = None) -> dict[str, Any]:
    """How an operation stores a transaction it was sent in: the whole signed transaction,
    or, for a multicall another operation carries, its hash and nonce and that carrier's id
    (one copy of a multicall of N operations, not N)."""
    if carried_by is not None:
        return {"hash": tx.tx_hash, "nonce": tx.nonce, CARRIED_BY: carried_by}
    return {"hash": tx.tx_hash, "raw": tx.raw, "nonce": tx.nonce}


def _record_replacements(operation: Operation, replaced: Mapping[str, SignedTransaction]) -> None:
    """Keep each replaced transaction (it may still be mined) and add its replacement, with
    the multicall items it carries for this operation."""
    entries = list(operation.signed_transactions or [])
    added: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        new = replaced.get(entry["hash"])
        if new is not None and "replacedBy" not in entry:
            entries[index] = {**entry, "replacedBy": new.tx_hash}
            shared: dict[str, Any] = {k: entry[k] for k in ("items", "operations") if k in entry}
            added.append({**_stored(new, carried_by=entry.get(CARRIED_BY)), **shared})
    operation.signed_transactions = entries + added
    operation.transaction_hashes = [tx.tx_hash for tx in current_transactions(operation)]


def _coalesce(
    runtime: Runtime, session: Session, operation: Operation, calls: list[Call], contract: str
) -> list[tuple[Operation, list[Call]]] | None:
    """The operation with the organisation's other operations waiting for its next
    transaction to the same contract, oldest first (the order the API dry-ran them in, each
    behind those before it: :mod:`ledger.core.in_flight`); None when it goes alone.

    Waiting are the deferred operations and also the accepted ones whose own task has not run
    yet (one-record requests queued behind this one): taking them now spares each its own
    simulation, signing and transaction (:func:`claim_borrowed` before signing)."""
    waiting = session.exec(
        select(Operation)
        .where(Operation.organisation_id == operation.organisation_id)
        .where(Operation.status == OperationStatus.ACCEPTED)
        .where(Operation.id != operation.id)
        .order_by(col(Operation.created_at))
        .limit(coalescing.MAX_ITEMS)
    ).all()
    batch = [(operation, calls)]
    items = len(calls)
    for other in waiting:
        other_handler = _handler(runtime, other)
        if other_handler.task != TASK_EXECUTE:
            continue  # its own task prepares it first (a settlement computes its record)
        try:
            other_calls = other_handler.calls(session, other)
        except Unavailable:
            continue  # waits for an operation still running: a later transaction takes it
        except CbpError as exc:
            if not other.deferred:
                continue  # its own task ends it
            _finish(runtime, session, other, error={**exc.to_dict(), "httpStatus": exc.http_status})
            continue
        if coalescing.multicall_contract(other_calls) != contract:
            continue
        if items + len(other_calls) > coalescing.MAX_ITEMS:
            break
        batch.append((other, other_calls))
        items += len(other_calls)
    if len(batch) == 1:
        return None
    return sorted(batch, key=lambda entry: (entry[0].created_at, entry[0].id))


def claim_borrowed(session: Session, borrowed: Sequence[Operation]) -> set[str]:
    """Take accepted operations whose own task has not run yet into this transaction; the ids
    claimed. One conditional update marks them deferred while still accepted, so an operation
    the API abandons at the same moment (its task could not be enqueued, :func:`abandon`) is
    either abandoned or sent, never both; committed at once (a worker dying before it sends
    them leaves them deferred: the block follower starts them again)."""
    if not borrowed:
        return set()
    claimed = session.execute(
        update(Operation)
        .where(col(Operation.id).in_([o.id for o in borrowed]))
        .where(col(Operation.status) == OperationStatus.ACCEPTED)
        .values(deferred=True)
        .returning(col(Operation.id)),
        execution_options={"synchronize_session": False},
    )
    ids = {row[0] for row in claimed}
    session.commit()
    return ids


def _execute_batch(
    runtime: Runtime,
    session: Session,
    signer: Signer,
    contract: str,
    batch: list[tuple[Operation, list[Call]]],
    *,
    own: str,
    behind_pending: bool = False,
) -> None:
    """Dry-run the batch as one multicall (:func:`coalescing.dry_run`), fail the refused
    operations with their own decoded error, and send the others as one multicall, each
    operation knowing its items, with the gas the dry run measured. ``own`` is the operation
    whose task runs this; the batch's accepted operations other than it and not deferred are
    borrowed (:func:`claim_borrowed`).

    ``behind_pending``: the signer's previous transaction is not mined yet. A batch with a
    refused item is dry-run again behind it (:func:`_behind_pending`), so an operation that
    waits for it (a status step right after the one before) goes in the next transaction,
    mined in the same block; one still refused stays deferred for a later transaction, since
    what it waits for may be pending elsewhere (its refusal is final only when simulated with
    nothing pending)."""
    chain = runtime.chain
    encoded = coalescing.encode_items(chain, contract, [c for _, calls in batch for c in calls])
    whole = coalescing.multicall_data(chain, contract, encoded)
    try:
        outcomes = coalescing.dry_run(chain, signer.address, contract, whole)
    except coalescing.TooMuchGas as too_much:
        fit: list[tuple[Operation, list[Call]]] = []
        for operation, calls in batch:
            if sum(len(c) for _, c in fit) + len(calls) > too_much.fits:
                break
            fit.append((operation, calls))
        if fit:
            _execute_batch(
                runtime, session, signer, contract, fit, own=own, behind_pending=behind_pending
            )
        elif batch[0][0].id == own or batch[0][0].deferred:
            # the first operation alone overruns a dry run: it goes on its own
            _send_alone(runtime, session, batch[0][0], signer, batch[0][1])
        elif len(batch) > 1:  # borrowed: its own task sends it; the others go without it
            rest = batch[1:]
            _execute_batch(
                runtime, session, signer, contract, rest, own=own, behind_pending=behind_pending
            )
        return
    if behind_pending and any(outcome.refusal is not None for outcome in outcomes):
        # refused, perhaps only until the pending transaction is applied
        organisation = session.get(Organisation, batch[0][0].organisation_id)
        assert organisation is not None
        outcomes = _behind_pending(
            runtime, session, organisation, contract, encoded, whole, outcomes
        )
    # each item's dry-run outcome and encoding, the operations' items in order
    items = list(zip(outcomes, encoded, strict=True))
    kept: list[tuple[Operation, list[Call], list[tuple[coalescing.ItemOutcome, bytes]]]] = []
    oversized: tuple[Operation, list[Call]] | None = None
    # accepted operations whose own task has not run: left alone unless sent now
    borrowed = {o.id for o, _ in batch if not o.deferred and o.id != own}
    position = 0
    gas = 0
    for operation, calls in batch:
        mine = items[position : position + len(calls)]
        position += len(calls)
        refusal = next((o.refusal for o, _ in mine if o.refusal is not None), None)
        if refusal is not None and operation.id in borrowed:
            continue  # its own task simulates it again (it may wait for one sent before it)
        if refusal is not None and behind_pending:
            operation.deferred = True
            continue
        if refusal is not None:
            _finish(runtime, session, operation, error=_error_of(runtime, session, refusal))
            continue
        used = sum(o.gas for o, _ in mine)
        if gas + used > coalescing.MAX_GAS:
            if not kept and operation.id not in borrowed:
                # too large for one multicall (a block might not hold it): its calls go as
                # transactions of their own
                oversized = (operation, calls)
            # The rest waits, in order (the dry run ran them after this one): the next
            # transaction takes the deferred ones, their own tasks the borrowed ones.
            break
        kept.append((operation, calls, mine))
        gas += used
    claimed = claim_borrowed(session, [o for o, _, _ in kept if o.id in borrowed])
    kept = [entry for entry in kept if entry[0].id not in borrowed or entry[0].id in claimed]
    if oversized is not None:
        _send_alone(runtime, session, oversized[0], signer, oversized[1])
    if not kept:
        session.commit()
        return
    sent = [item for _, _, mine in kept for item in mine]
    data = (  # the batch as dry-run, unless some of it stays behind
        whole
        if len(sent) == len(items)
        else coalescing.multicall_data(chain, contract, [encoding for _, encoding in sent])
    )
    signed = chain.sign_with_gas(
        signer,
        contract,
        data,
        gas=coalescing.gas_limit(data, [outcome for outcome, _ in sent]),
        nonces=runtime.nonces,
    )
    members = [operation.id for operation, _, _ in kept]
    start = 0
    try:
        head = chain.block_number()
        for operation, calls, _ in kept:
            indices = list(range(start, start + len(calls)))
            start += len(calls)
            if operation.id == members[0]:  # its carrier: keeps it moving
                stored = {**_stored(signed), "items": indices, "operations": members}
            else:
                stored = {**_stored(signed, carried_by=members[0]), "items": indices}
            _submitted(operation, [stored], [signed.tx_hash], head=head)
        session.commit()
    except Exception:
        runtime.nonces.forget(signer.address)
        raise
    log.info("%d operations of %s coalesced into %s", len(kept), signer.address, signed.tx_hash)
    _send(runtime, signer.address, [signed])


def _behind_pending(
    runtime: Runtime,
    session: Session,
    organisation: Organisation,
    contract: str,
    encoded: list[bytes],
    data: bytes,
    outcomes: list[coalescing.ItemOutcome],
) -> list[coalescing.ItemOutcome]:
    """The dry-run outcomes of a batch (its items ``encoded``, as the multicall ``data``) to
    be sent behind its organisation's pending transaction, some of whose items were refused on
    the latest block (``outcomes``).

    Two more dry runs decide. Behind the calls of the organisation's own transactions not
    mined yet (:mod:`ledger.core.in_flight`): an item refused there stays refused, and only
    these are certain to run before it (the nonce order). And on the node's ``pending`` block
    (its pool's transactions applied), where the batch runs as a transaction of its own after
    them: the gas of each item. Behind the calls inside one ``eth_call`` the storage they
    touched is warm and already written, so an item's gas there is far below what it takes
    in a later transaction, and a multicall signed with it would run out of gas. A node whose
    ``pending`` block is its latest (it holds no pool there) refuses the item again: it stays
    deferred, and goes in a transaction once the pending one is mined."""
    chain = runtime.chain
    behind = in_flight.dry_run_behind(
        runtime, session, organisation, contract, encoded, with_accepted=False
    )
    if behind is None:
        return outcomes
    try:
        pending = coalescing.dry_run(chain, organisation.address, contract, data, block="pending")
    except (coalescing.TooMuchGas, ContractRevert, RpcError):
        return outcomes
    return [
        mine if mine.refusal is not None else there
        for mine, there in zip(behind, pending, strict=True)
    ]


def _submitted(
    operation: Operation, stored: list[dict[str, Any]], hashes: list[str], *, head: int
) -> None:
    """Record ``operation`` as sent in the transactions ``stored`` at chain head ``head``
    (not yet committed)."""
    operation.signed_transactions = stored
    operation.transaction_hashes = hashes
    operation.status = OperationStatus.SUBMITTED
    operation.deferred = False
    _mark_sent(operation, head=head)


def _mark_sent(operation: Operation, *, head: int) -> None:
    """Note when the operation was (re)sent: the chain's head then, and the time."""
    operation.sent_block = head
    operation.sent_at = utcnow()
    operation.updated_at = utcnow()


def is_stuck(runtime: Runtime, operation: Operation, *, head: int) -> bool:
    """Sent ``stuck_after_blocks`` blocks or ``receipt_timeout_s`` ago and not confirmed."""
    settings = runtime.settings
    sent_block = operation.sent_block
    # A head below the block it was sent at: the node restarted from an older state.
    if sent_block is not None and (
        head < sent_block or head - sent_block >= getattr(settings, "stuck_after_blocks", 3)
    ):
        return True
    sent_at = operation.sent_at
    if sent_at is None:
        return True
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    return (utcnow() - sent_at).total_seconds() >= settings.receipt_timeout_s


def _send(runtime: Runtime, address: str, signed: Sequence[SignedTransaction]) -> None:
    try:
        runtime.chain.send(signed)
    except RpcError as exc:
        if "nonce" in str(exc).lower():
            runtime.nonces.forget(address)  # the node disagrees: reseed from its count
        raise


def _keep_in_flight(
    runtime: Runtime,
    session: Session,
    operation: Operation,
    signer: Signer,
    signed: list[SignedTransaction],
) -> bool:
    """Keep a submitted operation's transactions moving; False if they must be signed anew.

    Transactions the node does not know are resent; known ones left unmined for
    ``stuck_after_blocks`` blocks are replaced with the same nonce and a higher fee (stored
    before they are sent, the originals kept: whichever is mined confirms the operation).
    """
    chain = runtime.chain
    known = chain.known([tx.tx_hash for tx in signed])
    unknown = [tx for tx in signed if tx.tx_hash not in known]
    if unknown:
        if not _resend_unknown(runtime, signer.address, signed, unknown):
            # The node refuses their nonces as used: by these very transactions, if one of
            # them was mined (a node answers "unknown" for a moment while it stores a block,
            # and a replaced original may be mined instead of its replacement), so signing
            # anew would send the operation's calls twice.
            if not _lost(runtime, operation):
                return True
            log.warning(
                "transactions of operation %s lost their nonces; signing anew", operation.id
            )
            return False
        _mark_sent(operation, head=chain.block_number())
        session.commit()
        return True
    head = chain.block_number()
    if not is_stuck(runtime, operation, head=head):
        return True
    mined = chain.receipts([tx.tx_hash for tx in signed])
    stuck = [tx for tx in signed if tx.tx_hash not in mined]
    bumps = sum(1 for tx in operation.signed_transactions or [] if "replacedBy" in tx)
    if stuck and bumps < MAX_FEE_BUMPS * len(signed):
        replacements = []
        for tx in stuck:
            max_fee, priority = chain.replacement_fees(tx)
            replacements.append(signer.replace(tx, max_fee=max_fee, priority_fee=priority))
        replaced = {old.tx_hash: new for old, new in zip(stuck, replacements, strict=True)}
        log.info("replacing %d stuck transactions of operation %s", len(stuck), operation.id)
        sharing = {
            other
            for entry in operation.signed_transactions or []
            if entry["hash"] in replaced
            for other in entry.get("operations", [])
        }
        for other_id in sharing - {operation.id}:
            other = session.get(Operation, other_id)
            if other is not None and other.status == OperationStatus.SUBMITTED:
                _record_replacements(other, replaced)
        _record_replacements(operation, replaced)
        _mark_sent(operation, head=head)
        session.commit()
        try:
            chain.send(replacements)
        except RpcError as exc:  # mined meanwhile ("nonce too low"): the original confirms
            log.info("replacement of operation %s refused: %s", operation.id, exc)
        return True
    _mark_sent(operation, head=head)
    session.commit()
    return True


def _replay_forgotten(
    runtime: Runtime, session: Session, organisation: Organisation, address: str
) -> bool:
    """Resend, in nonce order, this account's stored transactions the node no longer knows.

    A node restarted from an older state (Anvil killed between two state writes) forgets
    transactions of operations already finished. Without this, their nonces would be handed
    to new transactions and the finished operations would be lost from the chain. Called with
    the account's lock held, before any new nonce is taken. A nonce counter ahead of every
    stored transaction (a nonce reserved and never stored) is reseeded from the node.
    True when the account has a transaction pending afterwards (replayed or not): the node's
    counts, asked once here, also tell the caller whether its signer is busy.
    """
    chain = runtime.chain
    confirmed, pending = coalescing.transaction_counts(chain, address)
    counter = runtime.nonces.get(address)
    if counter is not None and pending == counter:
        # The node holds every nonce the counter handed out (a node that forgot transactions
        # counts fewer): nothing to replay, no gap.
        return pending > confirmed
    recent = session.exec(
        select(Operation)
        .where(Operation.organisation_id == organisation.id)
        .where(Operation.status != OperationStatus.ACCEPTED)
        .order_by(col(Operation.created_at).desc())
        .limit(REPLAY_WINDOW)
    ).all()
    by_nonce: dict[int, list[SignedTransaction]] = {}
    for stored in reversed(recent):
        for tx in current_transactions(stored):
            if tx.nonce >= confirmed:
                by_nonce.setdefault(tx.nonce, []).append(tx)
    if counter is not None and any(n not in by_nonce for n in range(confirmed, counter)):
        # A nonce was reserved and never stored (a worker died in between): reseed from the
        # node, or every later transaction would wait behind the gap.
        log.warning("nonce gap below %s for %s; reseeding from the node", counter, address)
        runtime.nonces.forget(address)
    if not by_nonce:
        return pending > confirmed
    candidates = [tx for nonce in sorted(by_nonce) for tx in by_nonce[nonce]]
    # a multicall shared by several operations is stored on each of them: ask once
    known = chain.known(list(dict.fromkeys(tx.tx_hash for tx in candidates)))
    # A nonce is forgotten when none of the transactions stored for it is known.
    forgotten = [
        copy
        for nonce in sorted(by_nonce)
        if not any(tx.tx_hash in known for tx in by_nonce[nonce])
        and (copy := _signed_copy(session, recent, by_nonce[nonce])) is not None
    ]
    if not forgotten:
        return pending > confirmed
    log.warning("replaying %d transactions of %s the node forgot", len(forgotten), address)
    try:
        chain.send(forgotten)
    except RpcError as exc:
        log.warning("replay of forgotten transactions refused: %s", exc)
        return pending > confirmed
    return True


def _signed_copy(
    session: Session, recent: Sequence[Operation], stored: Sequence[SignedTransaction]
) -> SignedTransaction | None:
    """One of the transactions stored for a nonce, with its signed bytes: from an operation
    that stores them, or else from the carrier of the multicall (which may be older than the
    operations looked at); None, logged, if no operation holds them any more."""
    for tx in stored:
        if tx.raw:
            return tx
    by_hash = {tx.tx_hash: tx for tx in stored}
    for operation in recent:
        for entry in operation.signed_transactions or []:
            if entry["hash"] in by_hash and (raw := in_flight.carrier_copy(session, entry)):
                return replace(by_hash[entry["hash"]], raw=raw)
    log.error("no stored copy of transactions %s to replay", sorted(by_hash))
    return None


def _resend_unknown(
    runtime: Runtime,
    address: str,
    signed: list[SignedTransaction],
    unknown: list[SignedTransaction],
) -> bool:
    """Resend stored transactions the node does not know; False if their nonces are gone."""
    try:
        runtime.chain.send(unknown)
    except RpcError as exc:
        if "nonce" in str(exc).lower() and len(unknown) == len(signed):
            log.info("stored transactions refused as used nonces: %s", exc)
            runtime.nonces.forget(address)
            return False
        raise
    return True


def _lost(runtime: Runtime, operation: Operation) -> bool:
    """True when an operation's transactions, refused as used nonces, will never be mined: none
    of them (originals and fee-bumped replacements) has a receipt although they were sent long
    enough ago (:func:`is_stuck`) for a mined one to show. Until then the follower confirms
    them if one was mined, or hands the operation back once it is stuck."""
    chain = runtime.chain
    if not is_stuck(runtime, operation, head=chain.block_number()):
        return False
    hashes = [entry["hash"] for entry in operation.signed_transactions or []]
    return not chain.receipts(hashes) and not chain.known(hashes)


def _handler(runtime: Runtime, operation: Operation) -> Handler:
    return runtime.capabilities.handlers[operation.kind]


def _error_of(runtime: Runtime, session: Session, revert: ContractRevert) -> dict[str, Any]:
    domain = revert.as_domain_error(refusal_context(runtime, session, revert))
    return {**domain.to_dict(), "httpStatus": domain.http_status}


def abandon(runtime: Runtime, session: Session, operation: Operation, *, reason: str) -> bool:
    """Mark an accepted operation failed before it ran (its task could not be enqueued), and
    release what accepting reserved, so that nothing stays half-written; False (nothing
    changed) when a worker's transaction took it meanwhile (:func:`claim_borrowed`): it then
    ends as every sent operation does. One conditional update decides which of the two won."""
    abandoned = session.execute(
        update(Operation)
        .where(col(Operation.id) == operation.id)
        .where(col(Operation.status) == OperationStatus.ACCEPTED)
        .where(col(Operation.deferred) == False)  # noqa: E712
        .values(
            status=OperationStatus.FAILED,
            error={"code": "unavailable", "message": reason, "httpStatus": 503},
            updated_at=utcnow(),
        )
        .returning(col(Operation.id)),
        execution_options={"synchronize_session": False},
    ).first()
    if abandoned is None:
        session.rollback()
        return False
    session.expire(operation)
    _handler(runtime, operation).release(session, operation)
    session.commit()
    return True


def commit_and_enqueue(
    runtime: Runtime,
    session: Session,
    operation: Operation,
    *,
    prerequisites: Sequence[str] = (),
) -> None:
    """The one way an accepted operation leaves the API: commit, then enqueue its task
    (:func:`task_of`; after the operations it needs, ``prerequisites``, accepted in the same
    request); if the broker cannot take them, the operation is abandoned and
    :class:`Unavailable` (503) raised, so an accepted operation is never left without its task
    (one whose task is lost later, with the broker's queue, the block follower re-drives)."""
    session.commit()
    queued: set[str] = set()
    try:
        for prerequisite in prerequisites:
            runtime.dispatcher.enqueue(TASK_EXECUTE, operation_id=prerequisite)
            queued.add(prerequisite)
        runtime.dispatcher.enqueue(task_of(runtime, operation.kind), operation_id=operation.id)
    except DispatchFailed as exc:
        reason = "the task broker is unreachable"
        for waiting_id in [p for p in prerequisites if p not in queued]:
            waiting = session.get(Operation, waiting_id)
            if waiting is not None:
                abandon(runtime, session, waiting, reason=reason)
        if abandon(runtime, session, operation, reason=reason):
            raise Unavailable(f"{reason}; retry later") from exc
        # else a worker's multicall carries it already: it ends as any other operation


def fail(
    runtime: Runtime, session: Session, operation: Operation, *, error: dict[str, Any]
) -> None:
    """End an operation failed before it reached the chain (its input turned out unusable):
    released, with its callback, as every other ending."""
    _finish(runtime, session, operation, error=error)


def _finish(
    runtime: Runtime,
    session: Session,
    operation: Operation,
    *,
    error: dict[str, Any] | None,
    follow_ups: list[FollowUp] | None = None,
) -> None:
    after = _end(runtime, session, operation, error=error, follow_ups=follow_ups)
    session.commit()
    _dispatch(runtime, after)


def _end(
    runtime: Runtime,
    session: Session,
    operation: Operation,
    *,
    error: dict[str, Any] | None,
    follow_ups: list[FollowUp] | None = None,
) -> list[FollowUp]:
    """End the operation (uncommitted), its callback stored; the follow-ups and the
    callback's delivery, to enqueue once committed (:func:`_dispatch`)."""
    _close(runtime, session, operation, error=error)
    return [*(follow_ups or []), *_callbacks(runtime, session, [operation])]


def _close(
    runtime: Runtime, session: Session, operation: Operation, *, error: dict[str, Any] | None
) -> None:
    """Mark the operation ended (uncommitted), released if it failed."""
    operation.status = OperationStatus.FAILED if error else OperationStatus.SUCCEEDED
    operation.error = error
    if error:
        _handler(runtime, operation).release(session, operation)
    operation.updated_at = utcnow()


def _callbacks(runtime: Runtime, session: Session, ended: Sequence[Operation]) -> list[FollowUp]:
    """Store the ``operation.finished`` callback of each ended operation whose organisation
    takes callbacks (their views built together, as for a page); their deliveries, to
    enqueue once committed."""
    organisations = {
        operation.organisation_id: session.get(Organisation, operation.organisation_id)
        for operation in ended
    }
    receiving = [
        (operation, organisation)
        for operation in ended
        if (organisation := organisations[operation.organisation_id]) is not None
        and webhooks.receives_callbacks(organisation)
    ]
    views = public_views(runtime, session, [operation for operation, _ in receiving])
    after = []
    for (operation, organisation), view in zip(receiving, views, strict=True):
        callback = webhooks.message(
            session,
            organisation,
            event_type="operation.finished",
            subject_kind="operation",
            subject_id=operation.id,
            body=view,
        )
        if callback is not None:
            after.append(FollowUp(webhooks.TASK_DELIVER, {"message_id": callback}))
    return after


def _dispatch(runtime: Runtime, after: Sequence[FollowUp]) -> None:
    for follow_up in merged(after):
        runtime.dispatcher.enqueue(follow_up.task, **follow_up.kwargs)


def merged(follow_ups: Sequence[FollowUp]) -> list[FollowUp]:
    """The follow-ups, those of one task with a ``merge_on`` argument (and the same other
    arguments) made one, their lists joined in order; the others as they are."""
    result: list[FollowUp] = []
    position: dict[tuple[str, str, str], int] = {}
    for follow_up in follow_ups:
        on = follow_up.merge_on
        if on is None:
            result.append(follow_up)
            continue
        others = repr(sorted((k, v) for k, v in follow_up.kwargs.items() if k != on))
        key = (follow_up.task, on, others)
        if key not in position:
            position[key] = len(result)
            result.append(follow_up)
            continue
        first = result[position[key]]
        joined = [*first.kwargs[on], *follow_up.kwargs[on]]
        result[position[key]] = replace(first, kwargs={**first.kwargs, on: joined})
    return result


def public_views(
    runtime: Runtime, session: Session, operations: Sequence[Operation]
) -> list[dict[str, Any]]:
    """Operations as the API shows them, their targets named for a page at once (by the
    runtime's capabilities)."""
    names = runtime.capabilities.target_names(session, operations)
    return [public_view(o, target_name=names.get(o.id)) for o in operations]


def public_view(operation: Operation, *, target_name: str | None = None) -> dict[str, Any]:
    """The operation as the API shows it; ``target_name`` names its target for people
    (the runtime's capabilities, through :func:`public_views`)."""
    return {
        "operationId": operation.id,
        "kind": operation.kind,
        "status": operation.status,
        "targetId": operation.target_id,
        "targetName": target_name,
        "transactionHashes": operation.transaction_hashes or [],
        "blockNumber": operation.block_number,
        "gasUsed": operation.gas_used,
        "error": operation.error,
        "result": operation.result,
        "callbackStatus": operation.callback_status,
        "createdAt": operation.created_at.isoformat(),
        "updatedAt": operation.updated_at.isoformat(),
    }
