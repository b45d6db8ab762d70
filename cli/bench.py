"""``cbp bench registration``: PODs/s end to end beside the raw Anvil ceiling of the same run.

One run, on a fresh temporary data folder (SQLite, its own Anvil, the API and a Celery worker
with two processes), measures three things:

1. **The raw ceiling**: simple ETH transfers, signed beforehand with local nonces, sent to
   Anvil as JSON-RPC batches of 200 over one HTTP connection; receipts collected with batched
   ``eth_getTransactionReceipt``. Nothing the platform does can go faster per transaction.
2. **End to end, mass loading**: PODs registered through the public API by CSV files of 500
   rows, spread over the three BSPs; each upload is one operation whose worker registers 100
   PODs per transaction. Timed from the first upload until every operation has succeeded, i.e.
   every POD is confirmed on chain and mirrored in the database.
3. **End to end, one by one**: up to 200 PODs, one ``POST /pods`` each (one transaction each).

The figures are printed side by side and written to ``reports/bench-registration.json``.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx
from eth_account import Account
from rich.console import Console
from rich.table import Table

from cli.api_client import ApiClient, DemoFailure, Pending, now_iso, wait_operations
from cli.demo_orgs import ensure_initialised
from cli.stack import Platform
from ledger.domain.mass_load import pods_to_csv
from ledger.domain.schemas import PodCreate
from ledger.local_stack import DEFAULT_REDIS_URL, redis_answers
from ledger.settings import PROJECT_ROOT, Settings

__all__ = ["DEFAULT_REPORT", "measure_raw_ceiling", "run_registration_benchmark"]

DEFAULT_REPORT: Final = PROJECT_ROOT / "reports" / "bench-registration.json"
#: A Redis database of its own, so that a platform already serving (``cbp up``, on database 0)
#: does not pick up the benchmark's tasks.
BENCH_REDIS_URL: Final = "redis://127.0.0.1:6379/13"
RPC_BATCH: Final = 200
RECEIPT_BATCH: Final = 500
ROWS_PER_FILE: Final = 500
SINGLE_PODS_MAX: Final = 200
MAX_PODS: Final = 90_000  # POD codes carry a 5-digit sequence number
BURN_ADDRESS: Final = "0x000000000000000000000000000000000000dEaD"
PRIORITY_FEE_WEI: Final = 10**9
WORKER_PROCESSES: Final = 2
BLOCK_GAS_LIMIT: Final = 1_000_000_000


# ------------------------------------------------------------------- raw ceiling


def _rpc_batch(
    http: httpx.Client, url: str, requests: Sequence[tuple[str, list[Any]]]
) -> list[Any]:
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
            raise DemoFailure(f"{method}: {answer['error']}")
        results.append(answer.get("result"))
    return results


def _raise_block_gas_limit(rpc_url: str) -> None:
    """Lift the local Anvil's block gas limit to :data:`BLOCK_GAS_LIMIT`.

    With automine, Anvil mines when a transaction arrives and packs the pending ones up to the
    block gas limit; whatever does not fit (a 100-POD registration has a gas limit of about
    10 M, Anvil's default block limit is 30 M) stays pending until the next transaction
    arrives, which under a burst of large transactions may be never. The benchmark's own chain
    gets room for every transaction its workers can have in flight.
    """
    with httpx.Client(timeout=10.0) as http:
        _rpc_batch(http, rpc_url, [("evm_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)])])
        _rpc_batch(http, rpc_url, [("evm_mine", [])])


def measure_raw_ceiling(rpc_url: str, funder_key: str, count: int) -> dict[str, float]:
    """Pre-sign ``count`` transfers, send them in batches, wait for every receipt."""
    account = Account.from_key(funder_key)
    with httpx.Client(timeout=120.0) as http:
        chain_id, nonce, gas_price = (
            int(value, 16)
            for value in _rpc_batch(
                http,
                rpc_url,
                [
                    ("eth_chainId", []),
                    ("eth_getTransactionCount", [account.address, "pending"]),
                    ("eth_gasPrice", []),
                ],
            )
        )
        max_fee = 2 * gas_price + PRIORITY_FEE_WEI
        raws: list[str] = []
        hashes: list[str] = []
        for offset in range(count):
            signed = account.sign_transaction(
                {
                    "type": 2,
                    "chainId": chain_id,
                    "nonce": nonce + offset,
                    "to": BURN_ADDRESS,
                    "value": 1,
                    "gas": 21_000,
                    "maxFeePerGas": max_fee,
                    "maxPriorityFeePerGas": PRIORITY_FEE_WEI,
                }
            )
            raws.append("0x" + bytes(signed.raw_transaction).hex())
            hashes.append("0x" + bytes(signed.hash).hex())

        started = time.perf_counter()
        for start in range(0, count, RPC_BATCH):
            _rpc_batch(
                http,
                rpc_url,
                [("eth_sendRawTransaction", [raw]) for raw in raws[start : start + RPC_BATCH]],
            )
        pending = hashes
        failed = 0
        deadline = time.monotonic() + 300
        while pending:
            still: list[str] = []
            for start in range(0, len(pending), RECEIPT_BATCH):
                chunk = pending[start : start + RECEIPT_BATCH]
                receipts = _rpc_batch(
                    http, rpc_url, [("eth_getTransactionReceipt", [h]) for h in chunk]
                )
                for tx_hash, receipt in zip(chunk, receipts, strict=True):
                    if receipt is None:
                        still.append(tx_hash)
                    elif receipt["status"] != "0x1":
                        failed += 1
            pending = still
            if pending:
                if time.monotonic() > deadline:
                    raise DemoFailure(f"{len(pending)} raw transactions not mined in 300 s")
                time.sleep(0.005)
        seconds = time.perf_counter() - started
    if failed:
        raise DemoFailure(f"{failed} raw transfers reverted")
    return {
        "raw_transactions": float(count),
        "raw_seconds": seconds,
        "raw_tx_per_s": count / seconds,
    }


# ------------------------------------------------------------------- end to end


def _pod(
    number: int, tag: str, bsp: ApiClient, dsos: Sequence[ApiClient], tso_eic: str, start: str
) -> PodCreate:
    dso = dsos[number % len(dsos)]
    contracted = 10 + (number * 7) % 91  # 10-100 kW, low voltage
    return PodCreate.model_validate(
        {
            "registrationPeriod": int(time.time()),
            "receiverId": tso_eic,
            "flexibilityServiceProviderId": bsp.eic,
            "meteringPointId": f"IT{1 + number % len(dsos):03d}E{tag}{number:05d}",
            "locationId": "NORD",
            "resourceName": f"{bsp.name} bench site {number}",
            "direction": "consumption",
            "contractedPower": contracted,
            "maximumFlexUp": contracted // 2,
            "maximumFlexDown": contracted // 4,
            "gridVoltageLevel": "LV",
            "distributionGridOperatorName": dso.eic,
            "startDateTime": start,
        }
    )


def _operation_figures(finished: dict[str, dict[str, Any]], what: str) -> tuple[int, int]:
    failed = [body for body in finished.values() if body["status"] != "succeeded"]
    if failed:
        raise DemoFailure(f"{what}: {len(failed)} operations failed: {failed[0]['error']}")
    transactions = sum(len(body["transactionHashes"]) for body in finished.values())
    gas = sum(body["gasUsed"] or 0 for body in finished.values())
    return transactions, gas


def measure_mass_loading(
    bsps: Sequence[ApiClient], dsos: Sequence[ApiClient], tso_eic: str, count: int, tag: str
) -> dict[str, float]:
    """``count`` PODs by CSV files of 500 rows, the files spread over the BSPs."""
    start = now_iso()
    uploads: list[tuple[ApiClient, str, bytes, int]] = []
    for index, first in enumerate(range(0, count, ROWS_PER_FILE)):
        bsp = bsps[index % len(bsps)]
        numbers = range(first, min(count, first + ROWS_PER_FILE))
        data = pods_to_csv(_pod(n, tag, bsp, dsos, tso_eic, start) for n in numbers)
        uploads.append((bsp, f"bench-{index:03d}.csv", data, len(numbers)))
    started = time.perf_counter()
    pending = []
    for bsp, name, data, rows in uploads:
        answer = bsp.write("POST", "/pods/mass-load", files={"file": (name, data, "text/csv")})
        if answer["report"]["acceptedCount"] != rows:
            raise DemoFailure(f"{name}: {answer['report']['rejectedCount']} rows rejected")
        pending.append(Pending(bsp, answer["operationId"], name))
    finished = wait_operations(pending, timeout_s=900)
    seconds = time.perf_counter() - started
    transactions, gas = _operation_figures(finished, "mass loading")
    return {
        "e2e_pods": float(count),
        "e2e_seconds": seconds,
        "e2e_pods_per_s": count / seconds,
        "e2e_operations": float(len(finished)),
        "e2e_transactions": float(transactions),
        "e2e_tx_per_s": transactions / seconds,
        "e2e_pods_per_transaction": count / transactions,
        "e2e_gas_per_pod": gas / count,
    }


def measure_single_posts(
    bsps: Sequence[ApiClient],
    dsos: Sequence[ApiClient],
    tso_eic: str,
    count: int,
    tag: str,
    first_number: int,
) -> dict[str, float]:
    """``count`` PODs, one ``POST /pods`` each, round robin over the BSPs."""
    start = now_iso()
    bodies = [
        (
            bsps[i % len(bsps)],
            _pod(first_number + i, tag, bsps[i % len(bsps)], dsos, tso_eic, start).model_dump(
                mode="json", by_alias=True, exclude_none=True
            ),
        )
        for i in range(count)
    ]
    started = time.perf_counter()
    pending = []
    for bsp, body in bodies:
        answer = bsp.write("POST", "/pods", body)
        pending.append(Pending(bsp, answer["operationId"], "pod"))
    finished = wait_operations(pending, timeout_s=900)
    seconds = time.perf_counter() - started
    _, gas = _operation_figures(finished, "single POSTs")
    return {
        "single_pods": float(count),
        "single_seconds": seconds,
        "single_pods_per_s": count / seconds,
        "single_gas_per_pod": gas / count,
    }


# ------------------------------------------------------------------- the command


def _bench_settings(base: Settings, data_dir: Path) -> Settings:
    redis_url = base.redis_url
    if redis_url is None and redis_answers(DEFAULT_REDIS_URL):
        redis_url = BENCH_REDIS_URL
    return base.model_copy(
        update={
            "data_dir": data_dir,
            "database_url": None,
            "rpc_url": None,
            "funder_key": None,
            "redis_url": redis_url,
        }
    )


def run_registration_benchmark(
    *,
    pods: int,
    raw_transactions: int,
    console: Console,
    settings: Settings | None = None,
    report_path: Path | None = DEFAULT_REPORT,
) -> dict[str, float]:
    """Measure, print and return the figures (and write them as JSON to ``report_path``)."""
    if not 1 <= pods <= MAX_PODS:
        raise ValueError(f"pods must be between 1 and {MAX_PODS}")
    if raw_transactions < 1:
        raise ValueError("raw_transactions must be at least 1")
    single_count = min(pods, SINGLE_PODS_MAX)
    tag = f"{secrets.randbelow(10_000):04d}"
    with tempfile.TemporaryDirectory(prefix="cbp-bench-") as tmp:
        bench_settings = _bench_settings(settings or Settings(), Path(tmp))
        with Platform(bench_settings, worker_concurrency=WORKER_PROCESSES) as platform:
            console.print(
                f"Benchmark platform on {tmp} (SQLite), broker {platform.stack.redis_url}"
            )
            _raise_block_gas_limit(platform.stack.rpc_url)
            console.print(
                f"block gas limit raised to {BLOCK_GAS_LIMIT:,} (see _raise_block_gas_limit)"
            )
            tokens = ensure_initialised(platform)
            console.print(f"raw ceiling: {raw_transactions} pre-signed transfers ...")
            funder = platform.stack.funder_key
            assert funder is not None
            figures = measure_raw_ceiling(platform.stack.rpc_url, funder, raw_transactions)
            platform.start_processes()
            clients = [ApiClient(platform.api_url, token) for token in tokens.values()]
            try:
                bsps = sorted((c for c in clients if c.role == "BSP"), key=lambda c: c.slug)
                dsos = sorted((c for c in clients if c.role == "DSO"), key=lambda c: c.slug)
                tso_eic = next(c.eic for c in clients if c.role == "TSO")
                console.print(
                    f"end to end: {pods} PODs by CSV mass loading "
                    f"({-(-pods // ROWS_PER_FILE)} files over {len(bsps)} BSPs) ..."
                )
                figures |= measure_mass_loading(bsps, dsos, tso_eic, pods, tag)
                console.print(f"end to end: {single_count} PODs one POST each ...")
                figures |= measure_single_posts(bsps, dsos, tso_eic, single_count, tag, pods)
            finally:
                for client in clients:
                    client.close()
    figures["ratio_e2e_pods_to_raw_tx"] = figures["e2e_pods_per_s"] / figures["raw_tx_per_s"]
    figures["ratio_single_pods_to_raw_tx"] = figures["single_pods_per_s"] / figures["raw_tx_per_s"]
    _print(console, figures)
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "benchmark": "registration",
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpuCount": os.cpu_count(),
            "workerProcesses": WORKER_PROCESSES,
            "database": "sqlite",
            "blockGasLimit": BLOCK_GAS_LIMIT,
            "figures": figures,
        }
        report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        console.print(f"figures written to {report_path}")
    return figures


def _print(console: Console, f: dict[str, float]) -> None:
    table = Table(title="POD registration: end to end beside the raw Anvil ceiling")
    table.add_column("")
    table.add_column("raw Anvil ceiling", justify="right")
    table.add_column("end to end, CSV mass load", justify="right")
    table.add_column("end to end, one POST per POD", justify="right")
    table.add_row(
        "items",
        f"{f['raw_transactions']:.0f} transfers",
        f"{f['e2e_pods']:.0f} PODs",
        f"{f['single_pods']:.0f} PODs",
    )
    table.add_row(
        "seconds",
        f"{f['raw_seconds']:.2f}",
        f"{f['e2e_seconds']:.2f}",
        f"{f['single_seconds']:.2f}",
    )
    table.add_row(
        "throughput",
        f"[bold]{f['raw_tx_per_s']:,.0f} tx/s[/bold]",
        f"[bold]{f['e2e_pods_per_s']:,.0f} PODs/s[/bold]",
        f"[bold]{f['single_pods_per_s']:,.1f} PODs/s[/bold]",
    )
    table.add_row(
        "ratio to the ceiling (PODs/s ÷ tx/s)",
        "1",
        f"{f['ratio_e2e_pods_to_raw_tx']:.3f}",
        f"{f['ratio_single_pods_to_raw_tx']:.3f}",
    )
    table.add_row(
        "operations / transactions",
        "- / " + f"{f['raw_transactions']:.0f}",
        f"{f['e2e_operations']:.0f} / {f['e2e_transactions']:.0f}"
        f" ({f['e2e_pods_per_transaction']:.0f} PODs per tx)",
        f"{f['single_pods']:.0f} / {f['single_pods']:.0f}",
    )
    table.add_row(
        "transactions/s",
        f"{f['raw_tx_per_s']:,.0f}",
        f"{f['e2e_tx_per_s']:,.1f}",
        f"{f['single_pods_per_s']:,.1f}",
    )
    table.add_row(
        "gas per POD",
        "21,000 per transfer",
        f"{f['e2e_gas_per_pod']:,.0f}",
        f"{f['single_gas_per_pod']:,.0f}",
    )
    console.print(table)
