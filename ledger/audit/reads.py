"""Contract view calls in bulk: one JSON-RPC batch for many records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.core.chain.client import ChainClient
from ledger.indexer.fetch import batched


def read_many(
    chain: ChainClient,
    contract: str,
    function: str,
    arguments: Sequence[tuple[Any, ...]],
    *,
    block: str = "latest",
) -> list[Any]:
    """``contract.function(*args)`` for every tuple in ``arguments``, decoded, in order."""
    abi = chain.abis[contract]
    to = chain.address_of(contract)
    requests = [
        ("eth_call", [{"to": to, "data": "0x" + abi.encode_call(function, *args).hex()}, block])
        for args in arguments
    ]
    return [abi.decode_output(function, bytes.fromhex(raw[2:])) for raw in batched(chain, requests)]


def receipts(chain: ChainClient, tx_hashes: Sequence[str]) -> dict[str, dict[str, Any] | None]:
    """Raw receipts by transaction hash; ``None`` for a transaction the chain does not hold."""
    wanted = list(dict.fromkeys(tx_hashes))
    answers = batched(chain, [("eth_getTransactionReceipt", [h]) for h in wanted])
    return dict(zip(wanted, answers, strict=True))
