"""``cbp market bench ...``: the market's figures on a fresh platform of their own.

Each run starts a temporary platform (SQLite, its own Anvil, the API and a Celery worker with two
processes), creates the demo organisations, qualifies UVAMs through the public API, and then:

* ``bids``: the raw Anvil ceiling (pre-signed transfers in JSON-RPC batches, as ``cbp bench
  registration`` measures it) beside bids recorded end to end: ``POST /market/bids`` calls of
  ``--per-call`` bids, timed from the first call until every operation has succeeded (every bid
  confirmed on chain, ``Received``), and until every bid is ``Active`` (the DSO checks on chain
  too); then one bid per call. Gas per bid is the bid operations' gas divided by the bids.
* ``activations``: ``--count`` activations sent one after the other by the TSO
  (``POST /market/activations``); latency from the start of that call until the BSP's callback
  URL (a local HTTP server in this process) receives the activation. Median and 99th percentile.
  On a block-time chain each call starts at a random moment of the block (a pause of up to one
  block time before it), and the time is split into the platform's steps
  (:mod:`cli.activation_breakdown`).
* ``measurements``: one day of 60 s readings of ``--devices`` flex devices, uploaded as one CSV
  file and as one JSON body of compact series; timed from the upload until the batch's Merkle
  root is confirmed on chain.

Figures are printed and written to ``reports/bench-market-<name>.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from cli.activation_breakdown import BlockClock, Sent, breakdown, summary
from cli.bench import chain_client
from cli.ceiling import (
    Ceiling,
    gas_of_transactions,
    measure_call_ceiling,
)
from cli.cpu import CPU_PROCESSES, cpu_per_record, cpu_seconds
from cli.demo_orgs import ensure_initialised
from cli.single_requests import post_each, sent_operations, wait_until_ended
from cli.stack import Platform
from ledger.core import clock
from ledger.core.chain.anvil import PRODUCTION_BLOCK_GAS_LIMIT
from ledger.core.chain.signer import load_account
from ledger.core.ids import to_bytes32
from ledger.core.periods import iso, next_period
from ledger.core.settings import PROJECT_ROOT, Settings, read_settings
from ledger.local_stack import DEFAULT_REDIS_URL, redis_answers
from ledger.market.terms import BidTerms, Direction

REPORTS = PROJECT_ROOT / "reports"
BENCH_REDIS_URL = "redis://127.0.0.1:6379/12"
TSO_EIC = "10X1001A1001A345"
START = "2025-01-01T00:00:00+01:00"
WORKER_PROCESSES = 2
#: Client threads per BSP sending one-record requests at once.
SINGLE_CLIENTS = 4
BSPS = ("bsp-alpha", "bsp-bravo", "bsp-charlie")
DSO = "dso-north"


class BenchFailure(RuntimeError):
    pass


@dataclass
class Api:
    """The organisations' API clients of one benchmark platform."""

    clients: dict[str, httpx.Client]
    eics: dict[str, str]

    def __getitem__(self, slug: str) -> httpx.Client:
        return self.clients[slug]

    def write(self, slug: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.clients[slug].request(method, path, **kwargs)
        if response.status_code != 202:
            raise BenchFailure(f"{method} {path}: {response.status_code} {response.text[:500]}")
        body: dict[str, Any] = response.json()
        return body

    def wait(
        self, slug: str, operation_ids: list[str], *, timeout_s: float = 900
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        pending = list(operation_ids)
        done: dict[str, dict[str, Any]] = {}
        while pending:
            still = []
            for operation_id in pending:
                body = self.clients[slug].get(f"/operations/{operation_id}").json()
                if body["status"] in ("succeeded", "failed"):
                    if body["status"] == "failed":
                        raise BenchFailure(f"operation {operation_id} failed: {body['error']}")
                    done[operation_id] = body
                else:
                    still.append(operation_id)
            pending = still
            if pending:
                if time.monotonic() > deadline:
                    raise BenchFailure(f"{len(pending)} operations still running")
                time.sleep(0.02)
        return [done[o] for o in operation_ids]

    def done(self, slug: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body = self.write(slug, method, path, **kwargs)
        self.wait(slug, [body["operationId"]])
        return body


@contextlib.contextmanager
def bench_platform(
    console: Console,
    base: Settings | None = None,
    *,
    configured_chain: bool = False,
    block_time_s: int | None = None,
) -> Iterator[tuple[Platform, Api]]:
    """A fresh platform (its own data folder, SQLite) and its organisations' API clients.

    On a local Anvil of its own (mining instantly, or every ``block_time_s``; default the
    settings'), unless ``configured_chain``: then on the node the environment names
    (``CBP_RPC_URL`` and ``CBP_FUNDER_KEY``, a Ganache or a network), where it deploys contracts
    of its own."""
    with tempfile.TemporaryDirectory(prefix="cbp-market-bench-") as tmp:
        base = base or read_settings()
        redis_url = base.redis_url
        if redis_url is None and redis_answers(DEFAULT_REDIS_URL):
            redis_url = BENCH_REDIS_URL
        update: dict[str, Any] = {
            "data_dir": Path(tmp),
            "database_url": None,
            "redis_url": redis_url,
            # a queue of its own: two benchmarks on one Redis must not take each other's tasks
            "queue": f"{base.queue}-bench-{secrets.token_hex(4)}",
        }
        if not configured_chain:
            update |= {"rpc_url": None, "funder_key": None}
        if block_time_s is not None:
            update["chain_block_time_s"] = block_time_s
        settings = base.model_copy(update=update)
        with Platform(settings, worker_concurrency=WORKER_PROCESSES) as platform:
            console.print(
                f"platform on {tmp} (SQLite), chain {platform.stack.rpc_url},"
                f" broker {platform.stack.redis_url}"
            )
            if settings.chain_block_time_s and not configured_chain:
                console.print(
                    f"{settings.chain_block_time_s} s blocks of"
                    f" {PRODUCTION_BLOCK_GAS_LIMIT:,} gas, as on a production chain"
                )
            tokens = ensure_initialised(platform)
            platform.start_processes()
            clients = {
                slug: httpx.Client(
                    base_url=platform.api_url,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=600.0,
                )
                for slug, token in tokens.items()
            }
            try:
                eics = {
                    slug: client.get("/organisations/me").json()["eic"]
                    for slug, client in clients.items()
                }
                yield platform, Api(clients, eics)
            finally:
                for client in clients.values():
                    client.close()


def _pod_code(number: int) -> str:
    return f"IT001E{number:08d}"


def qualified_uvam(
    api: Api, bsp: str, number: int, *, flex_kw: int, devices: int = 0
) -> tuple[str, str, list[str]]:
    """A Qualified UVAM with one POD on the DSO's grid; returns (UVAM, POD, device ids)."""
    eic = api.eics[bsp]
    contracted = flex_kw * 2
    pod = {
        "receiverId": TSO_EIC,
        "flexibilityServiceProviderId": eic,
        "meteringPointId": _pod_code(number),
        "locationId": "NORD",
        "resourceName": f"bench site {number}",
        "direction": "mixed",
        "contractedPower": contracted,
        "maximumFlexUp": flex_kw,
        "maximumFlexDown": flex_kw,
        "gridVoltageLevel": "LV" if contracted <= 100 else "MV",
        "distributionGridOperatorName": api.eics[DSO],
        "startDateTime": START,
    }
    uvam = {
        "flexibilityServiceProviderId": eic,
        "receiverId": TSO_EIC,
        "name": f"bench UVAM {number}",
        "perimeter": "NORD",
        "maximumQualifiedPower": flex_kw,
        "minimumQualifiedPower": flex_kw,
        "marketType": "MSD",
        "startDateTime": START,
    }
    # Independent of each other: the POD and the UVAM (which needs its member validated only
    # when the member is added), sent together and awaited together.
    registered = [
        api.write(bsp, "POST", "/pods", json=pod),
        api.write(bsp, "POST", "/uvams", json=uvam),
    ]
    api.wait(bsp, [answer["operationId"] for answer in registered])
    pod_id, uvam_id = registered[0]["podId"], registered[1]["uvamId"]
    # Then the POD's devices, its opening and its review request, and the UVAM's opening: each
    # status step is accepted right behind the one before it, still in flight (the API dry-runs
    # it behind the BSP's writes not mined yet), so they all go in the same block.
    sent = []
    for index in range(devices):
        device = {
            "parentResourceId": pod_id,
            "resourceName": f"charger {index}",
            "deviceType": "EVCharger",
            "contractedPower": 22,
            "maximumFlexUp": 11,
            "maximumFlexDown": 11,
        }
        sent.append(api.write(bsp, "POST", f"/pods/{pod_id}/flex-devices", json=device))
    device_ids = [answer["deviceId"] for answer in sent]
    for status in ("Open", "UnderReview"):
        body = {
            "flexResourceId": pod_id,
            "status": status,
            "flexibilityServiceProviderId": eic,
            "receiverId": TSO_EIC,
        }
        sent.append(api.write(bsp, "PATCH", f"/pods/{pod_id}/status", json=body))
    uvam_status = {"flexibilityServiceProviderId": eic, "receiverId": TSO_EIC}
    sent.append(
        api.write(bsp, "PATCH", f"/uvams/{uvam_id}/status", json={**uvam_status, "status": "Open"})
    )
    api.wait(bsp, [answer["operationId"] for answer in sent])
    _wait_status(api, bsp, f"/pods/{pod_id}", "Validated")
    member = {
        "resource": pod_id,
        "resourceGroup": uvam_id,
        "flexibilityServiceProviderId": eic,
        "receiverId": TSO_EIC,
    }
    sent = [
        api.write(bsp, "POST", f"/uvams/{uvam_id}/members", json=member),
        api.write(
            bsp,
            "PATCH",
            f"/uvams/{uvam_id}/status",
            json={**uvam_status, "status": "UnderReview"},
        ),
    ]
    api.wait(bsp, [answer["operationId"] for answer in sent])
    _wait_status(api, bsp, f"/uvams/{uvam_id}", "Qualified")
    api.done("tso", "POST", f"/market/admissions/{uvam_id}")
    return uvam_id, pod_id, device_ids


def _wait_status(api: Api, slug: str, path: str, wanted: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = api[slug].get(path).json().get("status")
        if status == wanted:
            return
        if status == "Rejected":
            raise BenchFailure(f"{path} was rejected")
        time.sleep(0.05)
    raise BenchFailure(f"{path} did not become {wanted}")


def _product(api: Api, product_id: str, *, gate_s: int, notice_s: int, ack_s: int) -> None:
    api.done(
        "tso",
        "PUT",
        f"/market/products/{product_id}",
        json={
            "name": f"benchmark {product_id}",
            "directions": ["up", "down"],
            "gateClosureSeconds": gate_s,
            "activationNoticeSeconds": notice_s,
            "acknowledgementSeconds": ack_s,
            "open": True,
        },
    )


def _report(name: str, figures: dict[str, Any]) -> Path:
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"bench-market-{name}.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": f"market-{name}",
                "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
                "cpuCount": os.cpu_count(),
                "workerProcesses": WORKER_PROCESSES,
                "database": "sqlite",
                "figures": figures,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def _table(title: str, rows: list[tuple[str, str]], console: Console) -> None:
    table = Table(title=title)
    table.add_column("")
    table.add_column("figure", justify="right")
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)


# ------------------------------------------------------------------------- bids


def run_bids(
    *,
    bids: int,
    per_call: int,
    single: int,
    raw: int,
    console: Console,
    block_time_s: int | None = None,
) -> dict[str, Any]:
    with bench_platform(console, block_time_s=block_time_s) as (platform, api):
        block_time = platform.settings.chain_block_time_s
        console.print("qualifying one UVAM per BSP ...")
        with ThreadPoolExecutor(max_workers=len(BSPS)) as pool:
            qualified = pool.map(
                lambda i: qualified_uvam(api, BSPS[i], 10 + i, flex_kw=1000)[0], range(len(BSPS))
            )
            uvams = dict(zip(BSPS, qualified, strict=True))
        product = "BENCH-BIDS"
        _product(api, product, gate_s=0, notice_s=0, ack_s=3600)
        first = next_period(clock.clock_for(platform.settings).now() + 3600)

        def body(bsp: str, number: int) -> dict[str, Any]:
            start = first + 900 * (number % 48)
            return {
                "uvamId": uvams[bsp],
                "productId": product,
                "direction": "up",
                "deliveryStart": iso(start),
                "quantitiesKw": [100 + number % 400, 50, 50, 25],
                "price": f"{40 + (number % 997) / 100:.2f}",
            }

        console.print(f"chain ceiling: {raw} pre-signed submitBids calls of one bid each ...")
        ceiling = _bid_ceiling(platform, api, uvams[BSPS[0]], product, first, raw)
        figures: dict[str, Any] = ceiling.figures("ceiling")

        calls = []
        for index, offset in enumerate(range(0, bids, per_call)):
            bsp = BSPS[index % len(BSPS)]
            calls.append((bsp, [body(bsp, n) for n in range(offset, min(bids, offset + per_call))]))
        console.print(f"batched: {bids} bids in {len(calls)} calls of up to {per_call} ...")
        cpu_before = cpu_seconds(platform)
        started = time.perf_counter()
        pending: list[tuple[str, str, list[str]]] = []

        def send(bsp: str) -> list[tuple[str, str, list[str]]]:
            # each BSP's system sends its own calls, one after the other; the BSPs in parallel
            sent = []
            for owner, batch in calls:
                if owner == bsp:
                    answer = api.write(bsp, "POST", "/market/bids", json={"bids": batch})
                    sent.append((bsp, answer["operationId"], answer["bidIds"]))
            return sent

        with ThreadPoolExecutor(max_workers=len(BSPS)) as pool:
            for sent in pool.map(send, BSPS):
                pending.extend(sent)
        accepted_at = time.perf_counter()
        operations = [op for bsp, op_id, _ in pending for op in api.wait(bsp, [op_id])]
        recorded = time.perf_counter() - started
        bid_ids = [bid_id for _, _, ids in pending for bid_id in ids]
        _wait_bids_active(api, len(bid_ids))
        active = time.perf_counter() - started
        figures |= cpu_per_record("cpu_ms_per_bid", cpu_before, cpu_seconds(platform), bids)
        gas = gas_of_transactions(operations)
        transactions = len({h for op in operations for h in op["transactionHashes"]})
        figures |= {
            "bids": bids,
            "bids_per_call": per_call,
            "api_calls": len(calls),
            "transactions": transactions,
            "api_seconds": accepted_at - started,
            "recorded_seconds": recorded,
            "bids_per_s_recorded": bids / recorded,
            "active_seconds": active,
            "bids_per_s_active": bids / active,
            "gas_per_bid": gas / bids,
        }
        console.print(
            f"one bid per call: {single} bids, {SINGLE_CLIENTS} client threads per BSP ..."
        )
        figures |= _single_bids(
            platform, api, [(BSPS[n % 3], body(BSPS[n % 3], 5000 + n)) for n in range(single)]
        )
    figures["ratio_single_to_batched"] = (
        figures["single_bids_per_s"] / figures["bids_per_s_recorded"]
    )
    figures["ratio_batched_to_ceiling"] = (
        figures["bids_per_s_recorded"] / figures["ceiling_ceiling_per_s"]
    )
    figures["ratio_single_to_ceiling"] = (
        figures["single_bids_per_s"] / figures["ceiling_ceiling_per_s"]
    )
    chain = f"{block_time} s blocks" if block_time else "instant Anvil"
    gas_ceiling = (
        f" (gas ceiling {figures['ceiling_block_gas_limit']:,.0f} ÷"
        f" {figures['ceiling_gas_per_record']:,.0f} ÷ {block_time} s ="
        f" {figures['ceiling_ceiling_per_s']:,.1f})"
        if block_time
        else ""
    )
    _table(
        f"Bids ({chain}): recorded on chain, beside the chain's ceiling for submitBids",
        [
            (
                f"chain ceiling: {raw} pre-signed submitBids of one bid",
                f"{figures['ceiling_measured_per_s']:,.1f} bids/s measured{gas_ceiling}",
            ),
            (
                f"batched ({per_call} per call)",
                f"{figures['bids_per_s_recorded']:,.1f} bids/s",
            ),
            (
                "batched, Active (DSO checks on chain too)",
                f"{figures['bids_per_s_active']:,.1f} bids/s",
            ),
            (f"one bid per call ({single} bids)", f"{figures['single_bids_per_s']:,.1f} bids/s"),
            ("one per call ÷ batched", f"{figures['ratio_single_to_batched']:.3f}"),
            ("one per call ÷ ceiling", f"{figures['ratio_single_to_ceiling']:.3f}"),
            ("batched ÷ ceiling", f"{figures['ratio_batched_to_ceiling']:.3f}"),
            (
                "transactions (batched / one per call)",
                f"{transactions} / {figures['single_transactions']:.0f}",
            ),
            (
                "gas per bid (ceiling / batched / one per call)",
                f"{figures['ceiling_gas_per_record']:,.0f} / {figures['gas_per_bid']:,.0f}"
                f" / {figures['single_gas_per_bid']:,.0f}",
            ),
            ("CPU ms per bid, by process", "batched until Active / one per call"),
            *(
                (
                    f"  {label}",
                    f"{figures[f'cpu_ms_per_bid_{name}']:.1f}"
                    f" / {figures[f'single_cpu_ms_per_bid_{name}']:.1f}",
                )
                for name, label in CPU_PROCESSES.items()
                if f"single_cpu_ms_per_bid_{name}" in figures
            ),
            ("  all", f"{figures['cpu_ms_per_bid']:.1f} / {figures['single_cpu_ms_per_bid']:.1f}"),
        ],
        console,
    )
    console.print(f"figures written to {_report('bids', figures)}")
    return figures


def _bid_ceiling(
    platform: Platform, api: Api, uvam_id: str, product: str, first: int, count: int
) -> Ceiling:
    """``count`` pre-signed ``submitBids`` calls of one bid each (four periods, as the
    benchmark's API bids), from the first BSP's account, on its qualified UVAM."""
    settings = platform.settings
    account = load_account(settings.keystores_dir / f"{BSPS[0]}.json", settings.keystore_password)
    uvam_key = to_bytes32(api[BSPS[0]].get(f"/uvams/{uvam_id}").json()["chainKey"])
    chain = chain_client(platform)
    try:
        abi = chain.abis["FlexMarket"]
        payloads = []
        for number in range(count):
            start = first + 900 * (number % 48)
            terms = BidTerms(
                uvam_key=uvam_key,
                market_id=product,
                direction=Direction.UP,
                delivery_start=start,
                valid_until=start + 4 * 900,
                price_micro=(40_000_000 + 10_000 * (number % 997)),
                divisible=True,
                quantities_kw=(100 + number % 400, 50, 50, 25),
            )
            payloads.append(
                abi.encode_call("submitBids", [secrets.token_bytes(32)], [terms.as_tuple()])
            )
        return measure_call_ceiling(
            platform.stack.rpc_url,
            account,
            chain.address_of("FlexMarket"),
            payloads,
            block_time_s=settings.chain_block_time_s,
        )
    finally:
        chain.close()


def _single_bids(
    platform: Platform, api: Api, bodies: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """One bid per ``POST /market/bids``, sent by :data:`SINGLE_CLIENTS` threads per BSP
    (:func:`cli.single_requests.post_each`); timed until every bid is recorded on chain, with
    the CPU each process spent per bid until then."""
    base_url = str(api[BSPS[0]].base_url)
    tokens = {bsp: api[bsp].headers["Authorization"] for bsp in BSPS}
    lanes = [
        (
            tokens[bsp],
            "/market/bids",
            [{"bids": [b]} for o, b in bodies if o == bsp][t::SINGLE_CLIENTS],
        )
        for bsp in BSPS
        for t in range(SINGLE_CLIENTS)
    ]
    cpu_before = cpu_seconds(platform)
    started = time.perf_counter()
    accepted = post_each(base_url, lanes)
    wait_until_ended(base_url, list(tokens.values()))
    seconds = time.perf_counter() - started
    cpu = cpu_per_record("single_cpu_ms_per_bid", cpu_before, cpu_seconds(platform), len(bodies))
    operations = sent_operations(base_url, lanes, accepted)
    failed = [op for op in operations if op["status"] != "succeeded"]
    if failed:
        raise BenchFailure(f"{len(failed)} one-bid operations failed: {failed[0]['error']}")
    return {
        "single_bids": len(bodies),
        "single_seconds": seconds,
        "single_bids_per_s": len(bodies) / seconds,
        "single_transactions": len({h for op in operations for h in op["transactionHashes"]}),
        "single_gas_per_bid": gas_of_transactions(operations) / len(bodies),
        **cpu,
    }


def _wait_bids_active(api: Api, count: int, timeout_s: float = 900) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        active = (
            api["tso"].get("/market/bids", params={"status": "Active", "limit": 1}).json()["count"]
        )
        if active >= count:
            return
        time.sleep(0.1)
    raise BenchFailure("bids did not all become Active")


# ------------------------------------------------------------------------- activations


class Receiver:
    """A BSP's callback endpoint in this process: notes when each activation arrives."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.arrivals: dict[str, float] = {}
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(
                    self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}"
                )
                at = time.perf_counter()
                self.send_response(204)
                self.end_headers()
                if body.get("event") == "activation.sent":
                    with receiver.arrived:
                        receiver.arrivals.setdefault(body["activation"]["id"], at)
                        receiver.arrived.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/activations"

    def wait_for(self, activation_id: str, timeout_s: float = 60) -> float:
        with self.arrived:
            if not self.arrived.wait_for(lambda: activation_id in self.arrivals, timeout=timeout_s):
                raise BenchFailure(f"activation {activation_id} never reached the callback")
            return self.arrivals[activation_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_activations(
    *, count: int, console: Console, block_time_s: int | None = None
) -> dict[str, Any]:
    bsp = BSPS[0]
    with bench_platform(console, block_time_s=block_time_s) as (platform, api):
        block_time = platform.settings.chain_block_time_s
        console.print("qualifying a UVAM, bidding 1000 kW over 4 periods, clearing a need ...")
        uvam_id = qualified_uvam(api, bsp, 20, flex_kw=1000)[0]
        product = "BENCH-ACT"
        _product(api, product, gate_s=900, notice_s=0, ack_s=3600)
        first = next_period(clock.clock_for(platform.settings).now() + 1800)
        bid_id = api.done(
            bsp,
            "POST",
            "/market/bids",
            json={
                "bids": [
                    {
                        "uvamId": uvam_id,
                        "productId": product,
                        "direction": "up",
                        "deliveryStart": iso(first),
                        "quantitiesKw": [1000] * 4,
                        "price": "80",
                    }
                ]
            },
        )["bidIds"][0]
        _wait_bid(api, bsp, bid_id, "Active")
        # a need is cleared once its gate has closed: the clocks move there (simulated time)
        clock.advance_past(platform.settings, platform.stack.rpc_url, first - 900)
        api.done(
            "tso",
            "POST",
            "/market/needs",
            json={
                "productId": product,
                "direction": "up",
                "deliveryStart": iso(first),
                "quantitiesKw": [1000] * 4,
            },
        )
        _wait_bid(api, bsp, bid_id, "Selected")
        receiver = Receiver()
        try:
            api[bsp].put(
                "/organisations/me/callback", json={"callbackUrl": receiver.url}
            ).raise_for_status()
            console.print(
                f"{count} activations, one after the other, timed to the BSP's callback ..."
            )
            latencies, accepted, confirmed = [], [], []
            sent: list[Sent] = []
            blocks = BlockClock(platform.stack.rpc_url)
            phases = random.Random(11)
            for index in range(count):
                if block_time:
                    # a TSO activates at any moment of a block, not right after the previous
                    # callback (which would keep every call at the same point of the block)
                    time.sleep(phases.uniform(0, block_time))
                wall_started = time.time()
                started = time.perf_counter()
                answer = api.write(
                    "tso",
                    "POST",
                    "/market/activations",
                    json={
                        "bidId": bid_id,
                        "firstPeriod": iso(first + 900 * (index % 4)),
                        "setPointsKw": [1],
                    },
                )
                accepted.append(time.perf_counter() - started)
                arrived = receiver.wait_for(answer["activationId"])
                latencies.append(arrived - started)
                confirmed.append(answer["operationId"])
                sent.append(
                    Sent(
                        answer["operationId"],
                        answer["activationId"],
                        wall_started,
                        wall_started + arrived - started,
                    )
                )
            api.wait("tso", confirmed)
            blocks.close()
            steps = breakdown(platform.settings.sqlalchemy_url, blocks, sent)
        finally:
            receiver.close()
    ms = [1000 * v for v in latencies]
    figures = {
        "activations": count,
        "block_time_s": block_time,
        "latency_median_ms": median(ms),
        "latency_p95_ms": percentile(ms, 0.95),
        "latency_p99_ms": percentile(ms, 0.99),
        "latency_min_ms": min(ms),
        "latency_max_ms": max(ms),
        "api_answer_median_ms": median([1000 * v for v in accepted]),
        "steps_median_ms": {step: median(v) for step, v in steps.items() if v},
    }
    chain = f"{block_time} s blocks" if block_time else "instant Anvil"
    target = f"; target p99 <= {1000 * block_time + 500} ms (a block + 0.5 s)" if block_time else ""
    _table(
        f"Activation -> BSP callback latency ({chain}{target})",
        [
            ("activations", str(count)),
            ("p50", f"{figures['latency_median_ms']:.0f} ms"),
            ("p95", f"{figures['latency_p95_ms']:.0f} ms"),
            ("p99", f"{figures['latency_p99_ms']:.0f} ms"),
            ("min / max", f"{figures['latency_min_ms']:.0f} / {figures['latency_max_ms']:.0f} ms"),
            ("API answer (202), median", f"{figures['api_answer_median_ms']:.0f} ms"),
            *summary(steps),
        ],
        console,
    )
    console.print(f"figures written to {_report('activations', figures)}")
    return figures


def _wait_bid(api: Api, slug: str, bid_id: str, wanted: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = api[slug].get(f"/market/bids/{bid_id}")
        if response.status_code == 200 and response.json()["status"] == wanted:
            return
        time.sleep(0.05)
    raise BenchFailure(f"bid {bid_id} did not become {wanted}")


# ------------------------------------------------------------------------- measurements


def run_measurements(*, devices: int, console: Console) -> dict[str, Any]:
    bsp = BSPS[0]
    with bench_platform(console) as (_, api):
        console.print(f"registering a POD with {devices} flex devices ...")
        eic = api.eics[bsp]
        pod_id = api.done(
            bsp,
            "POST",
            "/pods",
            json={
                "receiverId": TSO_EIC,
                "flexibilityServiceProviderId": eic,
                "meteringPointId": _pod_code(30),
                "resourceName": "bench depot",
                "direction": "consumption",
                "contractedPower": 5000,
                "maximumFlexUp": 1000,
                "maximumFlexDown": 1000,
                "gridVoltageLevel": "MV",
                "distributionGridOperatorName": api.eics[DSO],
                "startDateTime": START,
            },
        )["podId"]
        answers = [
            api.write(
                bsp,
                "POST",
                f"/pods/{pod_id}/flex-devices",
                json={
                    "parentResourceId": pod_id,
                    "resourceName": f"charger {i}",
                    "deviceType": "EVCharger",
                    "contractedPower": 22,
                    "maximumFlexUp": 11,
                    "maximumFlexDown": 11,
                },
            )
            for i in range(devices)
        ]
        api.wait(bsp, [a["operationId"] for a in answers])
        device_ids = [a["deviceId"] for a in answers]
        now = int(time.time())
        first = now - now % 60 - 86_400
        steps = 1440
        readings = devices * steps
        console.print(f"one day of 60 s readings for {devices} devices: {readings:,} readings")
        lines = ["resourceId,timestamp,powerW"]
        for number, device in enumerate(device_ids):
            base = 3000 + 7 * number
            lines.extend(
                f"{device},{first + 60 * i},{base + (i * 37) % 4000}" for i in range(steps)
            )
        csv_data = ("\n".join(lines) + "\n").encode()
        series = [
            {
                "resourceId": device,
                "start": first,
                "values": [3000 + 7 * number + (i * 37) % 4000 for i in range(steps)],
            }
            for number, device in enumerate(device_ids)
        ]
        figures: dict[str, Any] = {
            "devices": devices,
            "readings": readings,
            "csv_bytes": len(csv_data),
        }

        def upload_csv() -> httpx.Response:
            return api[bsp].post(
                "/market/measurements/csv",
                files={"file": ("day.csv", csv_data, "text/csv")},
                data={"kind": "device", "resolutionSeconds": "60"},
            )

        def upload_json() -> httpx.Response:
            return api[bsp].post(
                "/market/measurements",
                json={"kind": "device", "resolutionSeconds": 60, "series": series},
            )

        for label, send in (("csv", upload_csv), ("json", upload_json)):
            console.print(f"uploading as {label.upper()} ...")
            started = time.perf_counter()
            response = send()
            if response.status_code != 202:
                raise BenchFailure(f"{label} upload: {response.status_code} {response.text[:300]}")
            answered = time.perf_counter() - started
            [operation] = api.wait(bsp, [response.json()["operationId"]])
            seconds = time.perf_counter() - started
            batch = response.json()["batch"]
            if batch["readingCount"] != readings:
                raise BenchFailure(f"{label}: {batch['readingCount']} readings stored")
            figures |= {
                f"{label}_seconds": seconds,
                f"{label}_api_seconds": answered,
                f"{label}_readings_per_s": readings / seconds,
                f"{label}_commit_gas": operation["gasUsed"],
            }
    _table(
        f"Measurement ingestion: one day of 60 s data, {devices} devices",
        [
            ("readings", f"{readings:,}"),
            (
                "CSV: upload to root on chain",
                f"{figures['csv_seconds']:.1f} s = {figures['csv_readings_per_s']:,.0f} readings/s",
            ),
            (
                "  of which the API call (parse, check, hash, store)",
                f"{figures['csv_api_seconds']:.1f} s",
            ),
            (
                "JSON series: upload to root on chain",
                f"{figures['json_seconds']:.1f} s"
                f" = {figures['json_readings_per_s']:,.0f} readings/s",
            ),
            ("gas of the commitment (one transaction per batch)", f"{figures['csv_commit_gas']:,}"),
        ],
        console,
    )
    console.print(f"figures written to {_report('measurements', figures)}")
    return figures


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)
