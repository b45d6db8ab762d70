"""Benchmark of the indexer and of ``history`` against a raw ``eth_getLogs`` scan.

On a scratch Anvil, a BSP registers PODs in batches of 100 per transaction (two events per POD),
pre-signed with a local nonce counter and sent in JSON-RPC batches. Then the whole chain is
indexed (events/s), and the history of one POD is read from the index and, for comparison,
by scanning the chain's logs with a topic filter over the whole range.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak

from ledger.audit.history import history, raw_history
from ledger.audit.scratch import SCRATCH_DSO_EIC, ScratchPlatform, scratch_platform
from ledger.core.chain.client import Call, ChainClient
from ledger.core.chain.signer import Signer
from ledger.core.domain.enums import PodStatus
from ledger.core.domain.identifiers import eic_to_bytes16
from ledger.indexer import IndexProgress, index_once

PODS_PER_TX = 100
EVENTS_PER_POD = 2
SEND_BATCH = 50
RECEIPT_BATCH = 500
#: Room for a burst of SEND_BATCH transactions at under half the limit (the base fee falls).
BLOCK_GAS_LIMIT = 2_000_000_000
TIMING_RUNS = 5

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BenchResult:
    events_indexed: int
    transactions: int
    blocks: int
    generate_s: float
    index: IndexProgress
    resource: str
    history_events: int
    history_s: list[float]
    raw_scan_s: list[float]

    @property
    def history_median_s(self) -> float:
        return statistics.median(self.history_s)

    @property
    def raw_scan_median_s(self) -> float:
        return statistics.median(self.raw_scan_s)


def bench_pod_key(number: int) -> bytes:
    return keccak(text=f"cbp:bench-pod:{number}")


def register_pods_raw(
    chain: ChainClient,
    bsp: Signer,
    keys: Sequence[bytes],
    *,
    per_tx: int = PODS_PER_TX,
    on_progress: Progress | None = None,
) -> int:
    """Register ``keys`` as PODs of ``bsp``, ``per_tx`` per transaction; the transactions sent."""
    abi = chain.abis["ResourceRegistry"]
    registry = chain.address_of("ResourceRegistry")
    dso = eic_to_bytes16(SCRATCH_DSO_EIC)
    batches = [keys[i : i + per_tx] for i in range(0, len(keys), per_tx)]
    payloads = [
        abi.encode_call("registerPods", list(b), [dso] * len(b), [keccak(k) for k in b])
        for b in batches
    ]
    if not payloads:
        return 0
    request = {"from": bsp.address, "to": registry, "data": "0x" + payloads[0].hex()}
    gas = int(chain.rpc.call("eth_estimateGas", [request]), 16) * 11 // 10
    bsp.reset_nonce(int(chain.rpc.call("eth_getTransactionCount", [bsp.address, "pending"]), 16))
    max_fee, priority = chain.fees()
    # Anvil's automine leaves part of a burst in its pool, and full blocks raise the base fee
    # until the pool drops transactions: mine one roomy block per burst by hand instead (the
    # scratch chain is Anvil, so its own methods are fair game here).
    chain.rpc.call("evm_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)])
    chain.rpc.call("evm_setAutomine", [False])
    sent: list[str] = []
    try:
        for start in range(0, len(payloads), SEND_BATCH):
            signed = [
                bsp.sign(to=registry, data=data, gas=gas, max_fee=max_fee, priority_fee=priority)
                for data in payloads[start : start + SEND_BATCH]
            ]
            chain.send(signed)
            sent.extend(tx.tx_hash for tx in signed)
            _mine_pool(chain)
            if on_progress is not None:
                on_progress(len(sent), len(payloads))
    finally:
        chain.rpc.call("evm_setAutomine", [True])
    for start in range(0, len(sent), RECEIPT_BATCH):
        for receipt in chain.wait(sent[start : start + RECEIPT_BATCH], timeout_s=600):
            if not receipt.succeeded:
                raise chain.revert_reason(receipt)
    return len(sent)


def _mine_pool(chain: ChainClient) -> None:
    while int(chain.rpc.call("txpool_status")["pending"], 16) > 0:
        chain.rpc.call("evm_mine")


def generate(
    scratch: ScratchPlatform, events: int, *, on_progress: Progress | None = None
) -> tuple[bytes, int]:
    """About ``events`` events of registered PODs: the key of a POD in the middle (opened at the
    end of the chain, so that its history spans the whole range) and the transactions sent."""
    pods = max(1, events // EVENTS_PER_POD)
    keys = [bench_pod_key(n) for n in range(pods)]
    chain = scratch.chain
    sent = register_pods_raw(chain, scratch.bsp, keys, on_progress=on_progress)
    target = keys[len(keys) // 2]
    chain.transact(
        scratch.bsp, [Call("ResourceRegistry", "setPodStatus", (target, PodStatus.OPEN))]
    )
    return target, sent + 1


def _timed(action: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    found = action()
    return time.perf_counter() - started, found


def run_benchmark(
    events: int,
    *,
    database_url: str | None = None,
    on_generate: Progress | None = None,
    on_index: Callable[[IndexProgress], None] | None = None,
) -> BenchResult:
    """Generate, index, and time ``history`` beside the raw scan, all in one run."""
    with (
        tempfile.TemporaryDirectory(prefix="cbp-bench-") as directory,
        scratch_platform(Path(directory), database_url=database_url) as scratch,
    ):
        runtime = scratch.runtime
        started = time.perf_counter()
        target, transactions = generate(scratch, events, on_progress=on_generate)
        generate_s = time.perf_counter() - started
        progress = index_once(runtime, on_range=on_index)
        resource = "0x" + target.hex()

        def from_index() -> int:
            with runtime.session() as session:
                return len(history(session, resource, chain_id=progress.chain_id))

        def from_chain() -> int:
            return len(raw_history(runtime.chain, resource))

        history_runs = [_timed(from_index) for _ in range(TIMING_RUNS)]
        raw_runs = [_timed(from_chain) for _ in range(TIMING_RUNS)]
        if {found for _, found in history_runs} != {found for _, found in raw_runs}:
            raise AssertionError("history and the raw scan found different events")
        deployment = runtime.chain.deployment
        assert deployment is not None
        return BenchResult(
            events_indexed=progress.events,
            transactions=transactions,
            blocks=progress.head - deployment.deployed_block + 1,
            generate_s=generate_s,
            index=progress,
            resource=resource,
            history_events=history_runs[0][1],
            history_s=[seconds for seconds, _ in history_runs],
            raw_scan_s=[seconds for seconds, _ in raw_runs],
        )
