"""The chain boundary's hot paths, the project's code beside web3.py's high-level API, in one run.

Encoding ``submitBids`` calls (the items of a multicall), decoding ``BidSubmitted`` logs (every
receipt and every indexed block), and JSON-RPC batches of receipt queries against a local
Anvil: each measured both ways on the same machine at the same moment, so the comparison does
not depend on the machine's load (printed beside the figures).

Run: ``.venv/bin/python -m cli.chain_codec_bench [--items N] [--logs N] [--batches N]``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from collections.abc import Callable
from typing import Any

from eth_abi import encode
from eth_typing import HexStr
from web3 import Web3

from ledger.core.chain.abi import ContractAbi
from ledger.core.chain.anvil import ANVIL_FUNDER_KEY, AnvilNode
from ledger.core.chain.client import ChainClient
from ledger.core.chain.rpc import RpcClient
from ledger.core.chain.signer import Signer

BID_TERMS = "(bytes32,bytes32,uint8,uint40,uint40,int64,bool,uint32[])"
RECEIPTS_PER_BATCH = 500


def rate(count: int, work: Callable[[], Any]) -> float:
    """Items per second of ``work`` run ``count`` times."""
    start = time.perf_counter()
    for _ in range(count):
        work()
    return count / (time.perf_counter() - start)


def bid_terms() -> tuple[Any, ...]:
    return (secrets.token_bytes(32), secrets.token_bytes(32), 1, 1_000, 4_600, 40_000_000, True,
            [100, 50, 50, 25])  # fmt: skip


def bid_submitted_log(market: ContractAbi) -> dict[str, Any]:
    """A ``BidSubmitted`` log as a JSON-RPC node returns it."""
    topic = "0x" + market.event_topic("BidSubmitted").hex()
    bsp = "0x" + "00" * 12 + secrets.token_bytes(20).hex()
    data = encode([BID_TERMS, "bytes32"], [bid_terms(), secrets.token_bytes(32)])
    return {
        "address": "0x" + secrets.token_bytes(20).hex(),
        "topics": [topic, "0x" + secrets.token_bytes(32).hex(),
                   "0x" + secrets.token_bytes(32).hex(), bsp],
        "data": "0x" + data.hex(),
        "blockNumber": "0x10",
        "blockHash": "0x" + secrets.token_bytes(32).hex(),
        "transactionHash": "0x" + secrets.token_bytes(32).hex(),
        "transactionIndex": "0x0",
        "logIndex": "0x1",
    }  # fmt: skip


def codec_figures(items: int, logs: int) -> list[tuple[str, float, float]]:
    market = ContractAbi.load("FlexMarket")
    contract = Web3().eth.contract(abi=market.abi)
    terms = bid_terms()
    bid_id = secrets.token_bytes(32)
    ours = market.encode_call("submitBids", [bid_id], [terms])
    theirs = contract.encode_abi("submitBids", ([bid_id], [terms]))
    if ours != bytes.fromhex(theirs[2:]):
        raise RuntimeError("the project's and web3.py's encodings differ")
    log = bid_submitted_log(market)
    event = contract.events.BidSubmitted()
    decoded = market.decode_log(log)
    if decoded is None or decoded.args != dict(event.process_log(log)["args"]):
        raise RuntimeError("the project's and web3.py's decodings differ")
    return [
        (
            "encode submitBids item",
            rate(items, lambda: market.encode_call("submitBids", [bid_id], [terms])),
            rate(items, lambda: contract.encode_abi("submitBids", ([bid_id], [terms]))),
        ),
        (
            "decode BidSubmitted log",
            rate(logs, lambda: market.decode_log(log)),
            rate(logs, lambda: event.process_log(log)),
        ),
    ]


def rpc_figures(batches: int) -> list[tuple[str, float, float]]:
    with AnvilNode(state_file=None) as node:
        client = ChainClient(node.rpc_url)
        try:
            funder = Signer(Web3().eth.account.from_key(ANVIL_FUNDER_KEY), client.chain_id)
            receipt = client.transfer(funder, "0x" + "11" * 20, 1)
        finally:
            client.close()
        requests: list[tuple[str, list[Any]]] = [
            ("eth_getTransactionReceipt", [receipt.transaction_hash])
        ] * RECEIPTS_PER_BATCH
        ours = RpcClient(node.rpc_url)
        provider = Web3.HTTPProvider(node.rpc_url)
        w3 = Web3(provider)

        def web3_batch() -> None:
            with w3.batch_requests() as batch:
                for _ in range(RECEIPTS_PER_BATCH):
                    batch.add(w3.eth.get_transaction_receipt(HexStr(receipt.transaction_hash)))
                batch.execute()

        try:
            project = RECEIPTS_PER_BATCH * rate(batches, lambda: ours.batch(requests))
            return [
                (
                    "receipts, w3.batch_requests",
                    project,
                    RECEIPTS_PER_BATCH * rate(batches, web3_batch),
                ),
                (
                    "receipts, raw provider batch",
                    project,
                    RECEIPTS_PER_BATCH
                    * rate(batches, lambda: provider.make_batch_request(requests)),  # type: ignore[arg-type]
                ),
            ]
        finally:
            ours.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000, help="calls encoded")
    parser.add_argument("--logs", type=int, default=10_000, help="logs decoded")
    parser.add_argument("--batches", type=int, default=20, help="receipt batches sent")
    options = parser.parse_args()
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average {load}")
    print(f"{'per second':28} {'project':>10} {'web3.py API':>12} {'ratio':>6}")
    figures = codec_figures(options.items, options.logs) + rpc_figures(options.batches)
    for label, ours, theirs in figures:
        print(f"{label:28} {ours:10.0f} {theirs:12.0f} {ours / theirs:6.1f}")


if __name__ == "__main__":
    main()
