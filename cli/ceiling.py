"""The chain's ceiling for one contract call, measured with that very call.

The benchmarks compare the platform's records/s with what the chain alone can take for the same
call: one record per transaction, signed beforehand with local nonces by the organisation that
would send it, sent straight to the node as JSON-RPC batches over one HTTP connection, receipts
collected in batches. Nothing the platform does (API, database, workers) is in the way.

Two figures come out of it:

* **measured**: records/s from the first send until the last receipt;
* **gas ceiling** (chains with a block time): block gas limit ÷ gas per record ÷ block time,
  the most such records the chain can mine per second, with the gas per record taken from the
  receipts of the same run.

On a chain with a block time the measured figure approaches the gas ceiling only when enough
records are sent to fill several blocks.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx
from eth_account.signers.local import LocalAccount

RPC_BATCH: Final = 200
RECEIPT_BATCH: Final = 500
PRIORITY_FEE_WEI: Final = 10**9
#: Gas limit of each pre-signed call: the estimate of the first, with this headroom.
GAS_HEADROOM_PERCENT: Final = 30
RECEIPT_TIMEOUT_S: Final = 600.0


class CeilingFailure(RuntimeError):
    """The node refused a pre-signed call, or a call reverted."""


@dataclass(frozen=True)
class Ceiling:
    """What the chain did with ``records`` pre-signed one-record calls."""

    records: int
    seconds: float
    gas_per_record: float
    block_gas_limit: int
    block_time_s: int
    blocks: int

    @property
    def measured_per_s(self) -> float:
        return self.records / self.seconds

    @property
    def gas_ceiling_per_s(self) -> float | None:
        """Block gas limit ÷ gas per record ÷ block time; None on a chain mining on arrival."""
        if self.block_time_s <= 0:
            return None
        return self.block_gas_limit / self.gas_per_record / self.block_time_s

    @property
    def ceiling_per_s(self) -> float:
        """The gas ceiling on a chain with a block time, else the measured rate."""
        return self.gas_ceiling_per_s or self.measured_per_s

    def figures(self, prefix: str) -> dict[str, float]:
        return {
            f"{prefix}_records": float(self.records),
            f"{prefix}_seconds": self.seconds,
            f"{prefix}_measured_per_s": self.measured_per_s,
            f"{prefix}_gas_per_record": self.gas_per_record,
            f"{prefix}_block_gas_limit": float(self.block_gas_limit),
            f"{prefix}_block_time_s": float(self.block_time_s),
            f"{prefix}_blocks": float(self.blocks),
            f"{prefix}_ceiling_per_s": self.ceiling_per_s,
        }


def rpc_batch(http: httpx.Client, url: str, requests: Sequence[tuple[str, list[Any]]]) -> list[Any]:
    """One JSON-RPC batch; any error answer is a :class:`CeilingFailure` naming the method."""
    payload = [
        {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
        for i, (method, params) in enumerate(requests)
    ]
    response = http.post(url, json=payload)
    response.raise_for_status()
    answers = {answer["id"]: answer for answer in response.json()}
    results = []
    for i, (method, _) in enumerate(requests):
        answer = answers[i]
        if answer.get("error") is not None:
            raise CeilingFailure(f"{method}: {answer['error']}")
        results.append(answer.get("result"))
    return results


def gas_of_transactions(operations: Sequence[dict[str, Any]]) -> int:
    """The gas of the transactions of finished operations, each transaction once: operations
    coalesced into one multicall each report that transaction's whole gas."""
    by_transaction: dict[tuple[str, ...], int] = {}
    for operation in operations:
        by_transaction[tuple(operation["transactionHashes"])] = operation["gasUsed"] or 0
    return sum(by_transaction.values())


def measure_call_ceiling(
    rpc_url: str,
    account: LocalAccount,
    to: str,
    payloads: Sequence[bytes],
    *,
    block_time_s: int,
) -> Ceiling:
    """Pre-sign one transaction per payload (calldata of one record's call to ``to``) from
    ``account``, send them all, wait for every receipt; fail if any reverted."""
    with httpx.Client(timeout=120.0) as http:
        chain_id, nonce, gas_price, estimate, latest = rpc_batch(
            http,
            rpc_url,
            [
                ("eth_chainId", []),
                ("eth_getTransactionCount", [account.address, "pending"]),
                ("eth_gasPrice", []),
                (
                    "eth_estimateGas",
                    [{"from": account.address, "to": to, "data": "0x" + payloads[0].hex()}],
                ),
                ("eth_getBlockByNumber", ["latest", False]),
            ],
        )
        gas = int(estimate, 16) * (100 + GAS_HEADROOM_PERCENT) // 100
        max_fee = 2 * int(gas_price, 16) + PRIORITY_FEE_WEI
        raws: list[str] = []
        hashes: list[str] = []
        for offset, data in enumerate(payloads):
            transaction: dict[str, Any] = {
                "type": 2,
                "chainId": int(chain_id, 16),
                "nonce": int(nonce, 16) + offset,
                "to": to,
                "value": 0,
                "data": data,
                "gas": gas,
                "maxFeePerGas": max_fee,
                "maxPriorityFeePerGas": PRIORITY_FEE_WEI,
            }
            signed = account.sign_transaction(transaction)
            raws.append("0x" + bytes(signed.raw_transaction).hex())
            hashes.append("0x" + bytes(signed.hash).hex())

        started = time.perf_counter()
        for start in range(0, len(raws), RPC_BATCH):
            rpc_batch(
                http,
                rpc_url,
                [("eth_sendRawTransaction", [raw]) for raw in raws[start : start + RPC_BATCH]],
            )
        receipts = _receipts(http, rpc_url, hashes)
        seconds = time.perf_counter() - started
    reverted = [r["transactionHash"] for r in receipts if r["status"] != "0x1"]
    if reverted:
        raise CeilingFailure(f"{len(reverted)} pre-signed calls reverted, first {reverted[0]}")
    gas_used = sum(int(r["gasUsed"], 16) for r in receipts)
    return Ceiling(
        records=len(payloads),
        seconds=seconds,
        gas_per_record=gas_used / len(payloads),
        block_gas_limit=int(latest["gasLimit"], 16),
        block_time_s=block_time_s,
        blocks=len({r["blockNumber"] for r in receipts}),
    )


def _receipts(http: httpx.Client, rpc_url: str, hashes: Sequence[str]) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    pending = list(hashes)
    deadline = time.monotonic() + RECEIPT_TIMEOUT_S
    while pending:
        still: list[str] = []
        for start in range(0, len(pending), RECEIPT_BATCH):
            chunk = pending[start : start + RECEIPT_BATCH]
            answers = rpc_batch(http, rpc_url, [("eth_getTransactionReceipt", [h]) for h in chunk])
            for tx_hash, receipt in zip(chunk, answers, strict=True):
                if receipt is None:
                    still.append(tx_hash)
                else:
                    found[tx_hash] = receipt
        pending = still
        if pending:
            if time.monotonic() > deadline:
                raise CeilingFailure(f"{len(pending)} pre-signed calls not mined in time")
            time.sleep(0.01)
    return [found[h] for h in hashes]
