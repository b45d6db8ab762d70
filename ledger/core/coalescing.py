"""Coalescing per signer: an organisation's operations that arrive while its previous
transaction is pending go together into its next transaction, as one ``multicall`` of the
contract they call (:file:`contracts/CbpMulticall.sol`), each item keeping its own outcome.

Pure helpers of the operations engine: which calls can be coalesced, whether a signer has a
transaction pending, and how one multicall receipt splits into one receipt per operation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

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
OUT_OF_GAS = "MulticallOutOfGas"
#: Gas of a multicall's dry run: room for :data:`MAX_GAS` of items and the refused ones beside.
DRY_RUN_GAS = 2 * MAX_GAS
#: Gas of a multicall beyond its items' (:func:`gas_limit`): the transaction's base fee, the
#: call's dispatch and the arrays it returns.
MULTICALL_BASE_GAS = 40_000


@dataclass(frozen=True)
class ItemOutcome:
    """One item of a multicall's dry run: the gas it took (with its ``MulticallItemDone``),
    and its decoded error if it was refused."""

    gas: int
    refusal: ContractRevert | None


class TooMuchGas(Exception):
    """The first ``fits`` items of a dry run are all that fit in :data:`DRY_RUN_GAS`."""

    def __init__(self, fits: int) -> None:
        super().__init__(f"only the first {fits} items fit in a multicall's dry run")
        self.fits = fits


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


def encode_items(chain: ChainClient, contract: str, calls: Sequence[Call]) -> list[bytes]:
    """Each call ABI-encoded, as a multicall of ``contract`` carries it (encoded once per
    batch: the dry run and the transaction share them)."""
    abi = chain.abis[contract]
    return [abi.encode_call(call.function, *call.args) for call in calls]


def multicall_data(chain: ChainClient, contract: str, items: Sequence[bytes]) -> bytes:
    """The calldata of ``contract.multicall(items)``."""
    return chain.abis[contract].encode_call("multicall", list(items))


def multicall_of(chain: ChainClient, contract: str, calls: Sequence[Call]) -> Call:
    """One ``multicall`` carrying ``calls`` (all to ``contract``) in order."""
    return Call(contract, "multicall", (encode_items(chain, contract, calls),))


def dry_run(
    chain: ChainClient, sender: str, contract: str, data: bytes, *, block: str = "latest"
) -> list[ItemOutcome]:
    """Run a multicall (its calldata ``data``, :func:`multicall_data`) from ``sender`` on
    ``block`` (``eth_call``; the latest by default): per item, its gas and its refusal, each
    item seeing the effects of those before it, as in the transaction. One execution of each
    item, where a gas estimate per item and one of the multicall would take several.
    :class:`TooMuchGas` when the items overrun :data:`DRY_RUN_GAS` (the contract's
    ``MulticallOutOfGas`` names the first that did)."""
    request = {
        "from": sender,
        "to": chain.address_of(contract),
        "data": "0x" + data.hex(),
        "gas": hex(DRY_RUN_GAS),
    }
    try:
        result = chain.rpc.call("eth_call", [request, block])
    except RpcError as exc:
        revert = chain.revert_of(exc.rpc_error)
        if revert.error_name == OUT_OF_GAS:
            raise TooMuchGas(int(revert.arguments["index"])) from exc
        raise revert from exc
    output = bytes.fromhex(result[2:])
    succeeded, revert_data, gas_used = chain.abis[contract].decode_output("multicall", output)
    return [
        ItemOutcome(gas, None if ok else _item_error(chain, data, context={}))
        for ok, data, gas in zip(succeeded, revert_data, gas_used, strict=True)
    ]


def gas_limit(data: bytes, outcomes: Sequence[ItemOutcome]) -> int:
    """Gas for a multicall (its calldata ``data``) whose items took ``outcomes``' gas in the
    dry run: their sum and 1/63 more (a delegatecall keeps 1/64 of the gas back), the
    calldata's intrinsic gas and :data:`MULTICALL_BASE_GAS`. ``ChainClient.sign_with_gas``
    adds its headroom."""
    items = sum(outcome.gas for outcome in outcomes)
    return MULTICALL_BASE_GAS + calldata_gas(data) + items + items // 63


def calldata_gas(data: bytes) -> int:
    """A transaction's calldata gas (EIP-2028): 16 per non-zero byte, 4 per zero byte."""
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def _item_error(chain: ChainClient, raw: bytes, context: dict[str, Any]) -> ContractRevert:
    """An item's decoded refusal from its revert data (``UnknownRevert`` when it has none)."""
    if len(raw) >= 4:
        return decode_revert(raw, list(chain.abis.values()))
    return ContractRevert("UnknownRevert", context)


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
                error = _item_error(chain, raw, {"transaction": receipt.transaction_hash})
        bucket = []
    succeeded = receipt.succeeded and error is None
    return replace(receipt, events=tuple(events), succeeded=succeeded), error
