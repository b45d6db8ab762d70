"""An organisation's writes in flight: what the chain will run of its before anything it sends
next. A write that only makes sense after an earlier one (a POD sent for review right after it
was opened) is dry-run behind them, so it need not wait for them to be mined.

In flight, for one contract, in the order the chain will run them:

1. the calls of the organisation's transactions not mined at the dry run's block (their
   nonce is at least the account's transaction count there), read from the signed
   transactions stored with its submitted operations, in nonce order, a multicall's items in
   their order;
2. then, for the API, the calls of its accepted operations (not sent yet), oldest first: a
   worker sends them in that order (:func:`ledger.core.operations.execute`).

The dry run (:func:`dry_run_behind`) is one ``eth_call`` of the contract's ``multicall`` of those
calls followed by the new ones, pinned to the block whose transaction count was read: a
transaction mined between the two reads is then neither counted twice nor left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from ledger.core import coalescing
from ledger.core.chain.client import ChainClient
from ledger.core.chain.errors import RpcError
from ledger.core.chain.signer import SignedTransaction
from ledger.core.db.models import CARRIED_BY, Operation, OperationStatus, Organisation
from ledger.core.errors import CbpError
from ledger.core.handler import TASK_EXECUTE
from ledger.core.runtime import Runtime

#: Operations, and calls, in flight that a dry run runs behind at most, as many as one
#: multicall carries (more: the refusal on the chain's own state stands). It bounds what a
#: refused request costs the node: one ``eth_call`` of at most this many calls.
AHEAD_LIMIT = coalescing.MAX_ITEMS


@dataclass(frozen=True)
class Ahead:
    """The calls (ABI-encoded, as multicall items) in flight at block ``block``."""

    block: int
    items: list[bytes]


def ahead_of(
    runtime: Runtime,
    session: Session,
    organisation: Organisation,
    contract: str,
    *,
    with_accepted: bool,
) -> Ahead | None:
    """The calls to ``contract`` of ``organisation``'s operations in flight (see the module);
    None when it has none, or more than :data:`AHEAD_LIMIT`."""
    statuses = [OperationStatus.SUBMITTED] + ([OperationStatus.ACCEPTED] if with_accepted else [])
    newest = session.exec(
        select(Operation)
        .where(Operation.organisation_id == organisation.id)
        .where(col(Operation.status).in_(statuses))
        .order_by(col(Operation.created_at).desc(), col(Operation.id).desc())
        .limit(AHEAD_LIMIT + 1)
    ).all()
    if not newest or len(newest) > AHEAD_LIMIT:
        return None  # nothing in flight, or too much to dry-run behind
    operations = newest[::-1]
    chain = runtime.chain
    block = chain.block_number()
    answer = chain.rpc.call("eth_getTransactionCount", [organisation.address, hex(block)])
    mined = int(answer, 16)
    sent = _sent_items(
        chain, session, [o for o in operations if o.status == OperationStatus.SUBMITTED], contract
    )
    items = [item for nonce, _, item in sorted(sent) if nonce >= mined]
    for operation in operations:
        if operation.status != OperationStatus.ACCEPTED:
            continue
        handler = runtime.capabilities.handlers[operation.kind]
        if handler.task != TASK_EXECUTE:
            continue  # its task prepares its calls first: a later transaction carries them
        try:
            calls = handler.calls(session, operation)
        except CbpError:
            continue  # its own task ends it or waits: nothing of it runs before
        if coalescing.multicall_contract(calls) == contract:
            items += coalescing.encode_items(chain, contract, calls)
    if not items or len(items) > AHEAD_LIMIT:
        return None
    return Ahead(block, items)


def dry_run_behind(
    runtime: Runtime,
    session: Session,
    organisation: Organisation,
    contract: str,
    items: Sequence[bytes],
    *,
    with_accepted: bool,
) -> list[coalescing.ItemOutcome] | None:
    """Dry-run ``items`` (calls of ``contract``) as ``organisation`` behind its calls in flight
    (:func:`ahead_of`): each item's outcome; None when nothing of its is in flight."""
    ahead = ahead_of(runtime, session, organisation, contract, with_accepted=with_accepted)
    if ahead is None:
        return None
    chain = runtime.chain
    data = coalescing.multicall_data(chain, contract, [*ahead.items, *items])
    try:
        outcomes = coalescing.dry_run(
            chain, organisation.address, contract, data, block=hex(ahead.block)
        )
    except (coalescing.TooMuchGas, RpcError):
        return None
    return outcomes[len(ahead.items) :]


def _sent_items(
    chain: ChainClient, session: Session, submitted: Sequence[Operation], contract: str
) -> list[tuple[int, int, bytes]]:
    """(nonce, position, call) of each call to ``contract`` the operations' current
    transactions carry, from the signed transactions (a carried multicall's from its
    carrier's copy)."""
    address = chain.address_of(contract).lower()
    by_id = {operation.id: operation for operation in submitted}
    decoded: dict[str, list[bytes]] = {}  # by transaction hash: the calls to the contract

    def calls_of(entry: Mapping[str, Any]) -> list[bytes]:
        tx_hash = str(entry["hash"])
        if tx_hash not in decoded:
            raw = entry.get("raw") or carrier_copy(session, entry, by_id)
            decoded[tx_hash] = [] if not raw else _calls_to(chain, contract, address, str(raw))
        return decoded[tx_hash]

    found = []
    for operation in submitted:
        for entry in operation.signed_transactions or []:
            if "replacedBy" in entry:
                continue
            calls = calls_of(entry)
            positions = entry.get("items")
            indices = range(len(calls)) if positions is None else positions
            found += [(int(entry["nonce"]), i, calls[i]) for i in indices if i < len(calls)]
    return found


def carrier_copy(
    session: Session, entry: Mapping[str, Any], known: Mapping[str, Operation] | None = None
) -> str | None:
    """The signed bytes of a stored transaction ``entry`` of a carried multicall
    (:data:`CARRIED_BY`): its carrier's copy (the carrier looked for in ``known`` first, then
    in the database); None when the entry is not carried or the carrier keeps no copy."""
    carrier_id = entry.get(CARRIED_BY)
    if carrier_id is None:
        return None
    carrier = (known or {}).get(str(carrier_id)) or session.get(Operation, carrier_id)
    for stored in carrier.signed_transactions or [] if carrier is not None else []:
        if stored["hash"] == entry["hash"] and stored.get("raw"):
            return str(stored["raw"])
    return None


def _calls_to(chain: ChainClient, contract: str, address: str, raw: str) -> list[bytes]:
    """The calls a signed transaction makes to ``contract`` (at ``address``): a multicall's
    items, or the transaction's own calldata."""
    to, data = SignedTransaction(tx_hash="", raw=raw, nonce=0).call
    if to.lower() != address:
        return []
    arguments = chain.abis[contract].decode_input("multicall", data)
    return [bytes(item) for item in arguments[0]] if arguments is not None else [data]
