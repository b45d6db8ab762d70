"""``cbp bench registration``: PODs/s end to end beside the chain's ceiling for the same call.

One run, on a fresh temporary data folder (SQLite, its own Anvil, instant or with
``--block-time``, the API and a Celery worker with two processes), measures three things:

1. **The chain's ceiling** (:mod:`cli.ceiling`): ``registerPods`` calls of one POD each, signed
   beforehand by a BSP with local nonces, sent straight to the node in JSON-RPC batches,
   receipts collected in batches. On a chain with a block time, also the gas ceiling: block gas
   limit ÷ gas per POD ÷ block time.
2. **The batched path**: PODs registered through the public API by CSV files of 500 rows,
   spread over the three BSPs; each upload is one operation whose worker registers 100 PODs per
   transaction. Timed from the first upload until every operation has succeeded, i.e. every POD
   is confirmed on chain and mirrored in the database.
3. **One request per record**: up to 1,000 PODs, one ``POST /pods`` each, sent by
   :data:`SINGLE_CLIENTS` client threads per BSP at once (as a BSP's systems would), timed
   until none of the BSPs' operations is still running (:mod:`cli.single_requests`). A BSP's
   requests that arrive while its transaction is pending are coalesced into its next
   transaction.

On instant Anvil the block gas limit is raised (:func:`_raise_block_gas_limit`); with a block
time it is set to 30 M, as on a production chain. The figures are printed side by side and
written to ``reports/bench-registration.json``.
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
from rich.console import Console
from rich.table import Table

from cli.api_client import ApiClient, DemoFailure, Pending, now_iso, wait_operations
from cli.ceiling import (
    Ceiling,
    gas_of_transactions,
    measure_call_ceiling,
    rpc_batch,
)
from cli.cpu import CPU_PROCESSES, cpu_per_record, cpu_seconds
from cli.demo_orgs import ensure_initialised
from cli.single_requests import post_each, sent_operations, wait_until_ended
from cli.stack import Platform
from ledger.core.chain.anvil import PRODUCTION_BLOCK_GAS_LIMIT
from ledger.core.chain.client import ChainClient, Deployment
from ledger.core.chain.signer import load_account
from ledger.core.domain.identifiers import eic_to_bytes16
from ledger.core.settings import PROJECT_ROOT, Settings, read_settings
from ledger.local_stack import DEFAULT_REDIS_URL, redis_answers
from ledger.registry.mass_load import pods_to_csv
from ledger.registry.schemas import PodCreate

__all__ = ["DEFAULT_REPORT", "chain_client", "run_registration_benchmark"]

DEFAULT_REPORT: Final = PROJECT_ROOT / "reports" / "bench-registration.json"
#: A Redis database of its own, so that a platform already serving (``cbp up``, on database 0)
#: does not pick up the benchmark's tasks.
BENCH_REDIS_URL: Final = "redis://127.0.0.1:6379/13"
ROWS_PER_FILE: Final = 500
SINGLE_PODS_MAX: Final = 1000
#: Client threads per BSP sending one-POD requests at once.
SINGLE_CLIENTS: Final = 4
MAX_PODS: Final = 90_000  # POD codes carry a 5-digit sequence number
WORKER_PROCESSES: Final = 2
BLOCK_GAS_LIMIT: Final = 1_000_000_000
CEILING_BSP: Final = "bsp-alpha"


# ------------------------------------------------------------------- the chain's ceiling


def _raise_block_gas_limit(rpc_url: str) -> None:
    """Lift the local instant Anvil's block gas limit to :data:`BLOCK_GAS_LIMIT`.

    With automine, Anvil mines when a transaction arrives and packs the pending ones up to the
    block gas limit; whatever does not fit (a 100-POD registration has a gas limit of about
    10 M, Anvil's default block limit is 30 M) stays pending until the next transaction
    arrives, which under a burst of large transactions may be never. The benchmark's own chain
    gets room for every transaction its workers can have in flight.
    """
    with httpx.Client(timeout=10.0) as http:
        rpc_batch(http, rpc_url, [("evm_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)])])
        rpc_batch(http, rpc_url, [("evm_mine", [])])


def chain_client(platform: Platform) -> ChainClient:
    """A chain client of the platform's node that knows the deployed contracts."""
    chain = ChainClient(platform.stack.rpc_url)
    deployment = Deployment.load(platform.settings.deployments_dir, chain.chain_id)
    if deployment is None:
        raise DemoFailure("the benchmark platform has no deployment")
    chain.deployment = deployment
    return chain


def measure_pod_ceiling(platform: Platform, dso_eic: str, count: int) -> Ceiling:
    """``count`` pre-signed ``registerPods`` calls of one POD each, from a BSP's account."""
    settings = platform.settings
    account = load_account(
        settings.keystores_dir / f"{CEILING_BSP}.json", settings.keystore_password
    )
    chain = chain_client(platform)
    try:
        abi = chain.abis["ResourceRegistry"]
        payloads = [
            abi.encode_call(
                "registerPods",
                [secrets.token_bytes(32)],
                [eic_to_bytes16(dso_eic)],
                [secrets.token_bytes(32)],
            )
            for _ in range(count)
        ]
        return measure_call_ceiling(
            platform.stack.rpc_url,
            account,
            chain.address_of("ResourceRegistry"),
            payloads,
            block_time_s=settings.chain_block_time_s,
        )
    finally:
        chain.close()


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
    # a multicall shared by several operations counts once
    transactions = len({h for body in finished.values() for h in body["transactionHashes"]})
    gas = gas_of_transactions(list(finished.values()))
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
    platform: Platform,
    bsps: Sequence[ApiClient],
    dsos: Sequence[ApiClient],
    tso_eic: str,
    count: int,
    tag: str,
    first_number: int,
) -> dict[str, float]:
    """``count`` PODs, one ``POST /pods`` each, round robin over the BSPs, each BSP's sent by
    :data:`SINGLE_CLIENTS` threads of its own (:func:`cli.single_requests.post_each`); with the
    CPU each process spent per POD until the last operation ended."""
    start = now_iso()
    bodies: dict[int, list[dict[str, Any]]] = {b: [] for b in range(len(bsps))}
    for i in range(count):
        body = _pod(first_number + i, tag, bsps[i % len(bsps)], dsos, tso_eic, start)
        bodies[i % len(bsps)].append(body.model_dump(mode="json", by_alias=True, exclude_none=True))
    tokens = [bsp.http.headers["Authorization"] for bsp in bsps]
    base_url = str(bsps[0].http.base_url)
    lanes = [
        (tokens[index], "/pods", bodies[index][thread::SINGLE_CLIENTS])
        for index in range(len(bsps))
        for thread in range(SINGLE_CLIENTS)
    ]
    cpu_before = cpu_seconds(platform)
    started = time.perf_counter()
    accepted = post_each(base_url, lanes)
    answered = time.perf_counter() - started
    wait_until_ended(base_url, tokens)
    seconds = time.perf_counter() - started
    cpu = cpu_per_record("single_cpu_ms_per_pod", cpu_before, cpu_seconds(platform), count)
    finished = {body["operationId"]: body for body in sent_operations(base_url, lanes, accepted)}
    transactions, gas = _operation_figures(finished, "single POSTs")
    return {
        "single_pods": float(count),
        "single_seconds": seconds,
        "single_api_seconds": answered,
        "single_pods_per_s": count / seconds,
        "single_transactions": float(transactions),
        "single_gas_per_pod": gas / count,
        **cpu,
    }


# ------------------------------------------------------------------- the command


def _bench_settings(
    base: Settings, data_dir: Path, block_time_s: int | None, database_url: str | None
) -> Settings:
    redis_url = base.redis_url
    if redis_url is None and redis_answers(DEFAULT_REDIS_URL):
        redis_url = BENCH_REDIS_URL
    update: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "rpc_url": None,
        "funder_key": None,
        "redis_url": redis_url,
        # a queue of its own: two benchmarks on one Redis must not take each other's tasks
        "queue": f"chain-bench-{secrets.token_hex(4)}",
    }
    if block_time_s is not None:
        update["chain_block_time_s"] = block_time_s
    return base.model_copy(update=update)


def run_registration_benchmark(
    *,
    pods: int,
    raw_transactions: int,
    console: Console,
    settings: Settings | None = None,
    report_path: Path | None = DEFAULT_REPORT,
    block_time_s: int | None = None,
    database_url: str | None = None,
) -> dict[str, float]:
    """Measure, print and return the figures (and write them as JSON to ``report_path``).

    ``raw_transactions``: pre-signed ``registerPods`` calls for the chain's ceiling;
    ``block_time_s``: the local Anvil's block time (default: the settings');
    ``database_url``: an empty PostgreSQL database (default: SQLite in a temporary folder)."""
    if not 1 <= pods <= MAX_PODS:
        raise ValueError(f"pods must be between 1 and {MAX_PODS}")
    if raw_transactions < 1:
        raise ValueError("raw_transactions must be at least 1")
    single_count = min(pods, SINGLE_PODS_MAX)
    tag = f"{secrets.randbelow(10_000):04d}"
    with tempfile.TemporaryDirectory(prefix="cbp-bench-") as tmp:
        bench_settings = _bench_settings(
            settings or read_settings(), Path(tmp), block_time_s, database_url
        )
        database = "postgresql" if database_url else "sqlite"
        block_time = bench_settings.chain_block_time_s
        with Platform(bench_settings, worker_concurrency=WORKER_PROCESSES) as platform:
            console.print(
                f"Benchmark platform on {tmp} ({database}), broker {platform.stack.redis_url},"
                f" Anvil {f'with {block_time} s blocks' if block_time else 'mining instantly'}"
            )
            if not block_time:
                _raise_block_gas_limit(platform.stack.rpc_url)
                console.print(
                    f"block gas limit raised to {BLOCK_GAS_LIMIT:,} (see _raise_block_gas_limit)"
                )
            else:  # an Anvil with a block time starts with a production chain's limit
                console.print(
                    f"block gas limit {PRODUCTION_BLOCK_GAS_LIMIT:,}, as on a production chain"
                )
            tokens = ensure_initialised(platform)
            platform.start_processes()
            clients = [ApiClient(platform.api_url, token) for token in tokens.values()]
            try:
                bsps = sorted((c for c in clients if c.role == "BSP"), key=lambda c: c.slug)
                dsos = sorted((c for c in clients if c.role == "DSO"), key=lambda c: c.slug)
                tso_eic = next(c.eic for c in clients if c.role == "TSO")
                console.print(
                    f"chain ceiling: {raw_transactions} pre-signed registerPods calls of one"
                    " POD each ..."
                )
                ceiling = measure_pod_ceiling(platform, dsos[0].eic, raw_transactions)
                figures = ceiling.figures("ceiling")
                console.print(
                    f"end to end: {pods} PODs by CSV mass loading "
                    f"({-(-pods // ROWS_PER_FILE)} files over {len(bsps)} BSPs) ..."
                )
                before = cpu_seconds(platform)
                figures |= measure_mass_loading(bsps, dsos, tso_eic, pods, tag)
                figures |= cpu_per_record("e2e_cpu_ms_per_pod", before, cpu_seconds(platform), pods)
                console.print(
                    f"end to end: {single_count} PODs one POST each"
                    f" ({SINGLE_CLIENTS} client threads per BSP) ..."
                )
                figures |= measure_single_posts(
                    platform, bsps, dsos, tso_eic, single_count, tag, pods
                )
            finally:
                for client in clients:
                    client.close()
    figures["ratio_single_to_batched"] = figures["single_pods_per_s"] / figures["e2e_pods_per_s"]
    figures["ratio_e2e_to_ceiling"] = figures["e2e_pods_per_s"] / figures["ceiling_ceiling_per_s"]
    figures["ratio_single_to_ceiling"] = (
        figures["single_pods_per_s"] / figures["ceiling_ceiling_per_s"]
    )
    _print(console, figures)
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "benchmark": "registration",
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpuCount": os.cpu_count(),
            "workerProcesses": WORKER_PROCESSES,
            "database": database,
            "blockTimeS": block_time,
            "figures": figures,
        }
        report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        console.print(f"figures written to {report_path}")
    return figures


def _print(console: Console, f: dict[str, float]) -> None:
    block_time = int(f["ceiling_block_time_s"])
    chain = f"{block_time} s blocks" if block_time else "instant Anvil"
    table = Table(title=f"POD registration ({chain}): end to end beside the chain's ceiling")
    table.add_column("")
    table.add_column("chain ceiling (pre-signed registerPods)", justify="right")
    table.add_column("batched: CSV mass load", justify="right")
    table.add_column("one POST per POD", justify="right")
    table.add_row(
        "PODs",
        f"{f['ceiling_records']:.0f}",
        f"{f['e2e_pods']:.0f}",
        f"{f['single_pods']:.0f}",
    )
    table.add_row(
        "seconds",
        f"{f['ceiling_seconds']:.2f}",
        f"{f['e2e_seconds']:.2f}",
        f"{f['single_seconds']:.2f}",
    )
    gas_ceiling = (
        f" (gas ceiling {f['ceiling_block_gas_limit']:,.0f} ÷ {f['ceiling_gas_per_record']:,.0f}"
        f" ÷ {block_time} s = {f['ceiling_ceiling_per_s']:,.1f})"
        if block_time
        else ""
    )
    table.add_row(
        "PODs/s",
        f"[bold]{f['ceiling_measured_per_s']:,.1f}[/bold] measured{gas_ceiling}",
        f"[bold]{f['e2e_pods_per_s']:,.1f}[/bold]",
        f"[bold]{f['single_pods_per_s']:,.1f}[/bold]",
    )
    table.add_row(
        "÷ ceiling",
        "1",
        f"{f['ratio_e2e_to_ceiling']:.3f}",
        f"{f['ratio_single_to_ceiling']:.3f}",
    )
    table.add_row("÷ batched", "", "1", f"[bold]{f['ratio_single_to_batched']:.3f}[/bold]")
    table.add_row(
        "transactions",
        f"{f['ceiling_records']:.0f} in {f['ceiling_blocks']:.0f} blocks",
        f"{f['e2e_transactions']:.0f}",
        f"{f['single_transactions']:.0f}",
    )
    table.add_row(
        "gas per POD",
        f"{f['ceiling_gas_per_record']:,.0f}",
        f"{f['e2e_gas_per_pod']:,.0f}",
        f"{f['single_gas_per_pod']:,.0f}",
    )
    for name, label in CPU_PROCESSES.items():
        if f"single_cpu_ms_per_pod_{name}" in f:
            table.add_row(
                f"CPU ms/POD {label}",
                "",
                f"{f[f'e2e_cpu_ms_per_pod_{name}']:.1f}",
                f"{f[f'single_cpu_ms_per_pod_{name}']:.1f}",
            )
    table.add_row(
        "CPU ms/POD, all",
        "",
        f"[bold]{f['e2e_cpu_ms_per_pod']:.1f}[/bold]",
        f"[bold]{f['single_cpu_ms_per_pod']:.1f}[/bold]",
    )
    console.print(table)
