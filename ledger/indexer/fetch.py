"""What the indexer reads from the chain: block headers, transaction senders, logs.

Only standard JSON-RPC methods, sent in batches of at most :data:`RPC_BATCH` requests (nodes
cap batch sizes; Geth at 1,000).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.core.chain.abi import DecodedEvent, checksum_address
from ledger.core.chain.client import ChainClient
from ledger.core.chain.errors import ChainError, RpcError
from ledger.core.chain.rpc import RpcRequest

RPC_BATCH = 500


class ForkedDuringFetch(ChainError):
    """A log's block hash differs from the block fetched right after: the chain reorganised."""


class RangeRefused(ChainError):
    """The node refused ``eth_getLogs`` over a range (too many results): try a smaller one."""


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    timestamp: int


@dataclass(frozen=True)
class FetchedRange:
    """Everything needed to index blocks ``first..last``: events, their blocks and senders."""

    first: int
    last: int
    events: list[DecodedEvent]
    blocks: dict[int, BlockHeader]
    senders: dict[str, str]


def batched(chain: ChainClient, requests: Sequence[RpcRequest]) -> list[Any]:
    """Results of ``requests`` in order, sent in bounded batches; an error answer raises."""
    results: list[Any] = []
    for start in range(0, len(requests), RPC_BATCH):
        chunk = list(requests[start : start + RPC_BATCH])
        for (method, _), (result, error) in zip(chunk, chain.rpc.batch(chunk), strict=True):
            if error is not None:
                raise RpcError(method, error)
            results.append(result)
    return results


def headers(chain: ChainClient, numbers: Iterable[int]) -> dict[int, BlockHeader | None]:
    """Headers by number; ``None`` for a number beyond the chain's head."""
    wanted = sorted(set(numbers))
    answers = batched(chain, [("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
    return {
        number: None
        if raw is None
        else BlockHeader(number=number, hash=raw["hash"], timestamp=int(raw["timestamp"], 16))
        for number, raw in zip(wanted, answers, strict=True)
    }


def senders(chain: ChainClient, tx_hashes: Iterable[str]) -> dict[str, str]:
    """The checksummed ``from`` of each transaction."""
    wanted = list(dict.fromkeys(tx_hashes))
    answers = batched(chain, [("eth_getTransactionByHash", [h]) for h in wanted])
    found: dict[str, str] = {}
    for tx_hash, raw in zip(wanted, answers, strict=True):
        if raw is None:
            raise ForkedDuringFetch(f"transaction {tx_hash} vanished while indexing")
        found[tx_hash] = checksum_address(raw["from"])
    return found


def fetch_range(
    chain: ChainClient, first: int, last: int, last_header: BlockHeader
) -> FetchedRange:
    """Events of blocks ``first..last`` with their blocks' headers and senders.

    ``last_header`` was read before the logs: if the chain reorganises after that, the stored
    hash of ``last`` no longer matches and the next pass rolls the range back. A log whose block
    hash disagrees with its header means a reorganisation during the fetch: the caller retries.
    """
    try:
        events = chain.get_logs(first, last)
    except RpcError as exc:
        if last > first:
            raise RangeRefused(f"eth_getLogs {first}..{last}: {exc.message}") from exc
        raise
    numbers = {e.block_number for e in events} - {last}
    blocks: dict[int, BlockHeader] = {last: last_header}
    for number, header in headers(chain, numbers).items():
        if header is None:
            raise ForkedDuringFetch(f"block {number} vanished while indexing")
        blocks[number] = header
    for event in events:
        if blocks[event.block_number].hash != event.block_hash:
            raise ForkedDuringFetch(f"block {event.block_number} changed while indexing")
    return FetchedRange(
        first=first,
        last=last,
        events=events,
        blocks=blocks,
        senders=senders(chain, (e.transaction_hash for e in events)),
    )
