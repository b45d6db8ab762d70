"""Coalescing per signer: an organisation's operations that arrive while its previous
transaction is pending go together into its next transaction, as one ``multicall`` of the
contract they call (:file:`contracts/CbpMulticall.sol`), each item keeping its own outcome.

Pure helpers of the operations engine: which calls can be coalesced, whether a signer has a
transaction pending, and how one multicall receipt splits into one receipt per operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ledger.core.chain.abi import decode_revert
from ledger.core.chain.client import Call, ChainClient, Receipt
from ledger.core.chain.errors import ContractRevert, RpcError

#: Contracts with a ``multicall(bytes[])``.
MULTICALL_CONTRACTS = frozenset(
    {"ResourceRegistry", "P2PTrading", "MeasurementLedger", "FlexMarket"}
)
#: Items of one multicall at most, and their summed gas estimate at most (a block of a
#: production chain holds 30 M).
MAX_ITEMS = 200
MAX_GAS = 12_000_000
ITEM_DONE = "MulticallItemDone"


def multicall_contract(calls: Sequence[Call]) -> str | None:
    """The contract all ``calls`` go to, if it takes multicalls; else None."""
    contracts = {call.contract for call in calls}
    if len(contracts) != 1 or not calls:
        return None
    [contract] = contracts
    return contract if contract in MULTICALL_CONTRACTS else None


def signer_busy(chain: ChainClient, address: str) -> bool:
    """True while the node holds a transaction of ``address`` not yet mined."""
    latest, pending = transaction_counts(chain, address)
    return pending > latest


def transaction_counts(chain: ChainClient, address: str) -> tuple[int, int]:
    """The node's ``latest`` (mined) and ``pending`` transaction counts of ``address``."""
    answers = chain.rpc.batch(
        [
            ("eth_getTransactionCount", [address, "latest"]),
            ("eth_getTransactionCount", [address, "pending"]),
        ]
    )
    for _, error in answers:
        if error is not None:
            raise RpcError("eth_getTransactionCount", error)
    latest, pending = (int(result, 16) for result, _ in answers)
    return latest, pending


def multicall_of(chain: ChainClient, contract: str, calls: Sequence[Call]) -> Call:
    """One ``multicall`` carrying ``calls`` (all to ``contract``) in order."""
    abi = chain.abis[contract]
    encoded = [abi.encode_call(call.function, *call.args) for call in calls]
    return Call(contract, "multicall", (encoded,))


def split_receipt(
    chain: ChainClient, receipt: Receipt, items: Sequence[int]
) -> tuple[Receipt, ContractRevert | None]:
    """The part of a multicall's receipt that belongs to ``items``: their events, and the
    decoded error of the first of them that was refused (their receipt then failed)."""
    mine = set(items)
    events = []
    bucket = []
    error: ContractRevert | None = None
    for event in receipt.events:
        if event.name != ITEM_DONE:
            bucket.append(event)
            continue
        index = int(event.args["index"])
        if index in mine:
            events += bucket
            if not event.args["succeeded"] and error is None:
                data = event.args["revertData"]
                raw = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
                error = (
                    decode_revert(raw, list(chain.abis.values()))
                    if len(raw) >= 4
                    else ContractRevert("UnknownRevert", {"transaction": receipt.transaction_hash})
                )
        bucket = []
    succeeded = receipt.succeeded and error is None
    return replace(receipt, events=tuple(events), succeeded=succeeded), error
