"""``cbp bench settlement``: settlement of many PODs end to end, beside the pure computation.

A fresh platform of its own (SQLite, its own instant Anvil, the API, a Celery worker with two
processes, the block follower), driven through the public API as the organisations' systems
would drive it:

1. **World** (not timed for the figure): bsp1 mass-loads ``--pods`` PODs of dso1 (CSV files of
   500 rows), moves each to Open and UnderReview (the automatic TSO and DSO reviews validate
   them), groups them into UVAMs of 100, qualifies and admits the UVAMs; each UVAM bids 8
   periods (2 h) of 1 kW per POD on a product of its own, the TSO's need selects every bid
   and names its settlement terms (``meterBefore`` over 4 periods: one day of readings is all
   it needs), the TSO activates each UVAM and the BSP accepts. The clocks (platform and chain,
   ``ledger.core.clock``) move past the end of the settled UTC day.
2. **Measurements** (timed): dso1 uploads one day of 60 s POD meter readings per POD (1,440
   each; 30 % less during the activation) as CSV files of ``--pods-per-upload`` PODs, until
   every batch's Merkle root is confirmed on chain.
3. **Settlement** (timed, the figure): from the TSO's first ``POST /market/activations/{id}/
   settlement`` to the last settlement operation succeeded (the worker loaded the readings,
   computed, stored the record and sent ``recordSettlement``; the block follower confirmed its
   receipt); then every hash is read back from ``SettlementLedger.settlementHashOf`` and must
   equal the stored record's.

Beside it, in the same run: the pure computation (``ledger.settlement.settle``: aggregation of
the same readings to periods, baselines, records and their hashes, in this process, best of 3)
and a plain ``numpy.sum`` over the same readings array (best of 3), so the figures can be read
against a ceiling measured on the same machine at the same time. Not a pass/fail test: the
figures are printed and written to ``reports/bench-settlement-e2e.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from cli import registry_seed
from cli.flows import START, pod_body, unique_product
from cli.world import TSO_EIC, World, build_world
from ledger.core import clock
from ledger.core.ids import to_bytes32
from ledger.core.periods import iso
from ledger.core.settings import PROJECT_ROOT, Settings
from ledger.market.terms import Direction
from ledger.registry.mass_load import pods_to_csv
from ledger.registry.schemas import PodCreate
from ledger.settlement import (
    Activation,
    MeterBeforeBaseline,
    PowerSeries,
    SettlementDay,
    SettlementRecord,
    settle,
)

__all__ = ["run_settlement_e2e"]

PODS_PER_UVAM: Final = 100
POD_FLEX_KW: Final = 1
ACTIVATION_PERIODS: Final = 8
ACTIVATION_HOUR_UTC: Final = 10
STEPS_PER_DAY: Final = 1440
METHOD: Final = {"name": "meterBefore", "windowPeriods": 4, "gapPeriods": 0}
PRICE: Final = "142.35"
THREADS: Final = 8
"""API calls in flight at once while building the world."""
REPORT: Final = PROJECT_ROOT / "reports" / "bench-settlement-e2e.json"
TERMINAL: Final = {"succeeded", "failed"}


class BenchFailure(RuntimeError):
    pass


@dataclass
class _Driver:
    """API calls of one organisation after another, in parallel where they are independent."""

    world: World
    console: Console
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(THREADS))
    started: float = field(default_factory=time.perf_counter)

    def step(self, what: str) -> None:
        """Print ``what`` is done, with the seconds since the start."""
        self.console.print(f"  {time.perf_counter() - self.started:7.1f} s  {what}")

    def call(self, slug: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.world.client(slug).request(method, path, timeout=600.0, **kwargs)
        if response.status_code != 202:
            raise BenchFailure(f"{method} {path}: {response.status_code} {response.text[:400]}")
        body: dict[str, Any] = response.json()
        return body

    def many(
        self, slug: str, requests: Sequence[tuple[str, str, dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """``(method, path, kwargs)`` calls in parallel; their answers in order."""
        futures = [
            self.pool.submit(self.call, slug, method, path, **kwargs)
            for method, path, kwargs in requests
        ]
        return [future.result() for future in futures]

    def wait(self, slug: str, answers: Sequence[dict[str, Any]], timeout_s: float = 900) -> None:
        """Until every operation of ``answers`` has succeeded (any failure stops the run)."""
        pending = [answer["operationId"] for answer in answers]
        deadline = time.monotonic() + timeout_s
        client = self.world.client(slug)
        while pending:
            if time.monotonic() > deadline:
                raise BenchFailure(f"{len(pending)} operations still pending")
            still = []
            for operation_id in pending:
                body = client.get(f"/operations/{operation_id}").json()
                if body["status"] == "failed":
                    raise BenchFailure(
                        f"operation {operation_id} ({body.get('kind')}) failed: {body.get('error')}"
                    )
                if body["status"] not in TERMINAL:
                    still.append(operation_id)
            pending = still
            if pending:
                time.sleep(0.1)

    def done(self, slug: str, requests: Sequence[tuple[str, str, dict[str, Any]]]) -> list[Any]:
        answers = self.many(slug, requests)
        self.wait(slug, answers)
        return answers

    def until(self, what: str, check: Callable[[], bool], timeout_s: float = 900) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            if time.monotonic() > deadline:
                raise BenchFailure(f"timed out waiting for {what}")
            time.sleep(0.2)

    def count(self, slug: str, path: str, **params: Any) -> int:
        return int(self.world.client(slug).get(path, params={**params, "limit": 1}).json()["count"])


# --------------------------------------------------------------------------------- world


def _pods(driver: _Driver, count: int, *, through_api: bool) -> list[str]:
    """``count`` PODs of bsp1 on dso1's grid, mass-loaded, then Validated (through the API,
    or the same contract calls in multicalls: ``cli.registry_seed``)."""
    world = driver.world
    bodies = [
        PodCreate.model_validate(
            pod_body(world, "bsp1", "dso1", flex_up=POD_FLEX_KW, flex_down=POD_FLEX_KW, zone="NORD")
        )
        for _ in range(count)
    ]
    files = [bodies[i : i + 500] for i in range(0, count, 500)]
    answers = driver.done(
        "bsp1",
        [
            (
                "POST",
                "/pods/mass-load",
                {"files": {"file": (f"pods-{n}.csv", pods_to_csv(f), "text/csv")}},
            )
            for n, f in enumerate(files)
        ],
    )
    driver.step(f"{count:,} PODs registered ({len(files)} CSV files)")
    pod_ids = [row["podId"] for answer in answers for row in answer["report"]["rows"]]
    if len(pod_ids) != count or not all(pod_ids):
        raise BenchFailure("the mass load did not register every POD")
    if not through_api:
        registry_seed.validate_pods(world, bsp="bsp1", dso="dso1", pod_ids=pod_ids)
        driver.step(f"{count:,} PODs Validated (multicalls)")
        return pod_ids
    eic = world.eic("bsp1")
    for status in ("Open", "UnderReview"):
        body = {"status": status, "flexibilityServiceProviderId": eic, "receiverId": TSO_EIC}
        driver.done(
            "bsp1",
            [
                ("PATCH", f"/pods/{pod}/status", {"json": {**body, "flexResourceId": pod}})
                for pod in pod_ids
            ],
        )
        driver.step(f"{count:,} PODs {status}")
    driver.until(
        "the PODs' validation",
        lambda: driver.count("bsp1", "/pods", status="Validated") >= count,
    )
    driver.step(f"{count:,} PODs Validated")
    return pod_ids


def _uvams(
    driver: _Driver, pod_ids: Sequence[str], *, through_api: bool
) -> list[tuple[str, list[str]]]:
    """UVAMs of up to 100 of ``pod_ids``, qualified and admitted to the market."""
    world = driver.world
    eic = world.eic("bsp1")
    groups = [list(pod_ids[i : i + PODS_PER_UVAM]) for i in range(0, len(pod_ids), PODS_PER_UVAM)]
    answers = driver.done(
        "bsp1",
        [
            (
                "POST",
                "/uvams",
                {
                    "json": {
                        "flexibilityServiceProviderId": eic,
                        "receiverId": TSO_EIC,
                        "type": "UVAM",
                        "name": f"bench UVAM {n}",
                        "perimeter": "NORD",
                        "maximumQualifiedPower": POD_FLEX_KW * len(group),
                        "minimumQualifiedPower": POD_FLEX_KW * len(group),
                        "marketType": "MSD",
                        "startDateTime": START,
                    }
                },
            )
            for n, group in enumerate(groups)
        ],
    )
    uvam_ids = [answer["uvamId"] for answer in answers]
    member = {"flexibilityServiceProviderId": eic, "receiverId": TSO_EIC}
    if through_api:
        driver.done(
            "bsp1",
            [
                (
                    "POST",
                    f"/uvams/{uvam}/members",
                    {"json": {**member, "resource": pod, "resourceGroup": uvam}},
                )
                for uvam, group in zip(uvam_ids, groups, strict=True)
                for pod in group
            ],
        )
    else:
        registry_seed.group_pods(world, bsp="bsp1", groups=list(zip(uvam_ids, groups, strict=True)))
    for status in ("Open", "UnderReview"):
        body = {"status": status, "flexibilityServiceProviderId": eic, "receiverId": TSO_EIC}
        driver.done("bsp1", [("PATCH", f"/uvams/{u}/status", {"json": body}) for u in uvam_ids])

    def qualified() -> bool:
        client = world.client("bsp1")
        return all(client.get(f"/uvams/{u}").json()["status"] == "Qualified" for u in uvam_ids)

    driver.step(f"{len(uvam_ids)} UVAMs with their members, under review")
    driver.until("the UVAMs' qualification", qualified)
    driver.done("tso", [("POST", f"/market/admissions/{u}", {}) for u in uvam_ids])
    driver.step(f"{len(uvam_ids)} UVAMs qualified and admitted")
    return list(zip(uvam_ids, groups, strict=True))


def _settled_day(settings: Settings) -> date:
    """The UTC day after the platform's today: its activation period is still ahead."""
    return datetime.fromtimestamp(clock.clock_for(settings).now(), UTC).date() + timedelta(days=1)


def _day_start(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _advance(world: World, moment: int) -> None:
    clock.advance_past(world.platform.settings, world.platform.stack.rpc_url, moment)


def _activations(
    driver: _Driver, uvams: Sequence[tuple[str, list[str]]], first_period: int
) -> list[str]:
    """Bids of every UVAM selected by one need, activated at their full quantity, accepted."""
    world = driver.world
    product = unique_product("SETL")
    gate_s = 300
    driver.done(
        "tso",
        [
            (
                "PUT",
                f"/market/products/{product}",
                {
                    "json": {
                        "name": "settlement benchmark",
                        "directions": ["up"],
                        "gateClosureSeconds": gate_s,
                        "activationNoticeSeconds": 60,
                        "acknowledgementSeconds": 120,
                        "open": True,
                    }
                },
            )
        ],
    )
    kw = [POD_FLEX_KW * len(group) for _, group in uvams]
    bids_body = {
        "bids": [
            {
                "uvamId": uvam,
                "productId": product,
                "direction": "up",
                "deliveryStart": iso(first_period),
                "quantitiesKw": [quantity] * ACTIVATION_PERIODS,
                "price": PRICE,
            }
            for (uvam, _), quantity in zip(uvams, kw, strict=True)
        ]
    }
    [answer] = driver.done("bsp1", [("POST", "/market/bids", {"json": bids_body})])
    bid_ids: list[str] = answer["bidIds"]

    def bids_in(status: str) -> Callable[[], bool]:
        client = world.client("tso")
        return lambda: all(
            client.get(f"/market/bids/{bid}").json().get("status") == status for bid in bid_ids
        )

    driver.until("the bids' DSO checks", bids_in("Active"))
    driver.step(f"{len(bid_ids)} bids Active")
    _advance(world, first_period - gate_s)
    need = {
        "productId": product,
        "direction": "up",
        "deliveryStart": iso(first_period),
        "quantitiesKw": [sum(kw)] * ACTIVATION_PERIODS,
        "settlement": {"method": METHOD, "sanctionEurMwh": "213.50"},
    }
    driver.done("tso", [("POST", "/market/needs", {"json": need})])
    driver.until("the clearing", bids_in("Selected"))
    driver.step("need cleared, bids Selected")
    sent = driver.done(
        "tso",
        [
            (
                "POST",
                "/market/activations",
                {
                    "json": {
                        "bidId": bid,
                        "firstPeriod": iso(first_period),
                        "setPointsKw": [quantity] * ACTIVATION_PERIODS,
                    }
                },
            )
            for bid, quantity in zip(bid_ids, kw, strict=True)
        ],
    )
    activation_ids = [answer["activationId"] for answer in sent]
    driver.done(
        "bsp1",
        [
            ("POST", f"/market/activations/{a}/acknowledgement", {"json": {"accept": True}})
            for a in activation_ids
        ],
    )
    driver.step(f"{len(activation_ids)} activations accepted")
    return activation_ids


# ---------------------------------------------------------------------------- readings


def _readings(pods: int, first_period_index: int) -> NDArray[np.int32]:
    """``[pods, 1440]`` W: a daily shape times a per-POD level, plus noise (deterministic); 30 %
    less through the activation's periods."""
    rng = np.random.default_rng(20250305)
    level_w = rng.integers(500, 6000, size=pods, dtype=np.int64)
    minutes = np.arange(STEPS_PER_DAY)
    shape = (
        600
        + 250 * np.exp(-(((minutes - 8 * 60) / 90.0) ** 2))
        + 400 * np.exp(-(((minutes - 19 * 60) / 120.0) ** 2))
    )
    permille = np.rint(shape).astype(np.int64)
    power = level_w[:, None] * permille[None, :] // 1000
    power += rng.integers(-80, 81, size=power.shape)
    steps = slice(first_period_index * 15, (first_period_index + ACTIVATION_PERIODS) * 15)
    power[:, steps] = power[:, steps] * 7 // 10
    return np.asarray(power, dtype=np.int32)


def _csv(pod_ids: Sequence[str], power: NDArray[np.int32], day_start: int) -> bytes:
    times = [str(day_start + 60 * step) for step in range(STEPS_PER_DAY)]
    lines = ["resourceId,timestamp,powerW"]
    for pod, row in zip(pod_ids, power.tolist(), strict=True):
        lines.extend(f"{pod},{t},{w}" for t, w in zip(times, row, strict=True))
    return ("\n".join(lines) + "\n").encode()


# ------------------------------------------------------------------ pure computation


@dataclass(frozen=True)
class _Pure:
    seconds: float
    numpy_sum_s: float
    delivered_wh: int
    net_eur: Decimal


@dataclass(frozen=True)
class _OnChain:
    matched: int
    delivered_wh: int
    net_eur: Decimal


def _best(action: Callable[[], Any], repeat: int = 3) -> tuple[Any, float]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    return result, best


def _pure(
    pod_ids: Sequence[str],
    uvams: Sequence[tuple[str, list[str]]],
    activation_ids: Sequence[str],
    power: NDArray[np.int32],
    day: date,
    first_period_index: int,
) -> _Pure:
    """The same day settled in this process (aggregation, baselines, records, hashes) and a
    plain ``numpy.sum`` over the same readings."""
    row_of = {pod: row for row, pod in enumerate(pod_ids)}

    def run() -> list[SettlementRecord]:
        series = PowerSeries(power, 60)
        energy = series.period_energy()
        settlement_day = SettlementDay(
            day=day,
            day_start=_day_start(day),
            pod_ids=tuple(pod_ids),
            dso=energy,
            check_series=series,
            data_roots={"dsoPodMeter": bytes(32)},
        )
        activations = [
            Activation(
                activation_id=activation,
                uvam_id=uvam,
                direction=Direction.UP,
                first_period=first_period_index,
                ordered_wh=(POD_FLEX_KW * 1000 * len(group) // 4,) * ACTIVATION_PERIODS,
                price_eur_mwh=(Decimal(PRICE),) * ACTIVATION_PERIODS,
                sanction_eur_mwh=(Decimal("213.50"),) * ACTIVATION_PERIODS,
                pod_rows=tuple(row_of[pod] for pod in group),
            )
            for activation, (uvam, group) in zip(activation_ids, uvams, strict=True)
        ]
        records = settle(
            day=settlement_day,
            activations=activations,
            method=MeterBeforeBaseline(window_periods=4, gap_periods=0),
        )
        for record in records:
            record.settlement_hash()
        return records

    records, pure_s = _best(run)
    _, numpy_s = _best(lambda: np.sum(power))
    return _Pure(
        seconds=pure_s,
        numpy_sum_s=numpy_s,
        delivered_wh=sum(record.totals.delivered_wh for record in records),
        net_eur=sum((record.totals.net_eur for record in records), Decimal(0)),
    )


# ---------------------------------------------------------------------------- the run


@contextlib.contextmanager
def _world(console: Console) -> Iterator[World]:
    with tempfile.TemporaryDirectory(prefix="cbp-settlement-bench-") as tmp:
        console.print(f"benchmark platform on {tmp} (SQLite, instant Anvil, 2 worker processes)")
        with contextlib.contextmanager(build_world)(
            Path(tmp), "sqlite", None, settlement_grace_s=3600
        ) as world:
            yield world


def run_settlement_e2e(
    *,
    pods: int,
    pods_per_upload: int = 500,
    through_api: bool = False,
    console: Console | None = None,
) -> dict[str, Any]:
    """Build the world, upload the readings, settle; return the figures (seconds)."""
    if pods < 1:
        raise ValueError("pods must be at least 1")
    if pods_per_upload < 1:
        raise ValueError("pods_per_upload must be at least 1")
    console = console or Console()
    with _world(console) as world:
        driver = _Driver(world, console)
        started = time.perf_counter()
        console.print(f"registering and validating {pods:,} PODs ...")
        pod_ids = _pods(driver, pods, through_api=through_api)
        console.print(f"grouping them into UVAMs of up to {PODS_PER_UVAM} ...")
        uvams = _uvams(driver, pod_ids, through_api=through_api)
        day = _settled_day(world.platform.settings)
        first_period = _day_start(day) + ACTIVATION_HOUR_UTC * 3600
        first_index = ACTIVATION_HOUR_UTC * 4
        console.print(f"bids, need and {len(uvams)} activations on {day} ...")
        activation_ids = _activations(driver, uvams, first_period)
        _advance(world, _day_start(day) + 86_400 + 60)
        world_s = time.perf_counter() - started

        power = _readings(pods, first_index)
        files = [
            _csv(pod_ids[i : i + pods_per_upload], power[i : i + pods_per_upload], _day_start(day))
            for i in range(0, pods, pods_per_upload)
        ]
        console.print(
            f"uploading {power.size:,} readings in {len(files)} CSV files"
            f" ({sum(len(f) for f in files) / 1e6:,.0f} MB) ..."
        )
        started = time.perf_counter()
        uploads = [
            driver.call(
                "dso1",
                "POST",
                "/market/measurements/csv",
                files={"file": (f"day-{n}.csv", data, "text/csv")},
                data={"kind": "pod", "resolutionSeconds": "60"},
            )
            for n, data in enumerate(files)
        ]
        driver.wait("dso1", uploads)
        upload_s = time.perf_counter() - started
        stored = sum(answer["batch"]["readingCount"] for answer in uploads)
        if stored != power.size:
            raise BenchFailure(f"{stored} readings stored, {power.size} uploaded")

        console.print(f"settling {len(activation_ids)} activations ...")
        started = time.perf_counter()
        requests = driver.many(
            "tso",
            [("POST", f"/market/activations/{a}/settlement", {"json": {}}) for a in activation_ids],
        )
        driver.wait("tso", requests)
        settle_s = time.perf_counter() - started
        on_chain = _check_on_chain(world, activation_ids)

        console.print("the same day computed in this process, and numpy.sum ...")
        pure = _pure(pod_ids, uvams, activation_ids, power, day, first_index)
        if (on_chain.delivered_wh, on_chain.net_eur) != (pure.delivered_wh, pure.net_eur):
            raise BenchFailure(
                f"the platform settled {on_chain.delivered_wh} Wh, {on_chain.net_eur} EUR; the"
                f" same readings in process give {pure.delivered_wh} Wh, {pure.net_eur} EUR"
            )
    figures: dict[str, Any] = {
        "pods": pods,
        "uvams": len(uvams),
        "activations": len(activation_ids),
        "readings": int(power.size),
        "uploadFiles": len(files),
        "reviewsAndMemberships": "API" if through_api else "multicalls (cli.registry_seed)",
        "method": METHOD,
        "seconds": {
            "world": world_s,
            "upload": upload_s,
            "settlementEndToEnd": settle_s,
            "pureComputation": pure.seconds,
            "numpySum": pure.numpy_sum_s,
        },
        "readingsPerSecond": {
            "upload": round(power.size / upload_s),
            "settlementEndToEnd": round(power.size / settle_s),
            "pureComputation": round(power.size / pure.seconds),
            "numpySum": round(power.size / pure.numpy_sum_s),
        },
        "endToEndOverPure": round(settle_s / pure.seconds, 1),
        "pureShareOfNumpySum": round(pure.numpy_sum_s / pure.seconds, 3),
        "recordsOnChain": on_chain.matched,
        "deliveredWh": {"platform": on_chain.delivered_wh, "pure": pure.delivered_wh},
        "netEur": {"platform": str(on_chain.net_eur), "pure": str(pure.net_eur)},
        "loadAverage": [round(value, 1) for value in os.getloadavg()],
        "cpus": os.cpu_count(),
        "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return figures


def _check_on_chain(world: World, activation_ids: Sequence[str]) -> _OnChain:
    """Every settlement's hash as ``SettlementLedger`` holds it equals the stored record's;
    the records' delivered energy and net amount added up."""
    client = world.client("tso")
    matched, delivered, net = 0, 0, Decimal(0)
    for activation in activation_ids:
        [version] = client.get(f"/market/activations/{activation}/settlements").json()["data"]
        key = client.get(f"/market/activations/{activation}").json()["chainKey"]
        held = world.chain.read(
            "SettlementLedger", "settlementHashOf", to_bytes32(key), version["version"]
        )
        if "0x" + bytes(held).hex() != version["settlementHash"]:
            raise BenchFailure(f"activation {activation}: the chain holds another hash")
        matched += 1
        delivered += int(version["totals"]["deliveredWh"])
        net += Decimal(str(version["totals"]["netEur"]))
    return _OnChain(matched, delivered, net)


def print_figures(figures: dict[str, Any], console: Console) -> None:
    seconds, rates = figures["seconds"], figures["readingsPerSecond"]
    table = Table(
        title=f"Settlement of {figures['pods']:,} PODs ({figures['uvams']} UVAMs) x one day of"
        f" 60 s readings ({figures['readings']:,} readings), end to end"
    )
    table.add_column("")
    table.add_column("seconds", justify="right")
    table.add_column("readings/s", justify="right")
    table.add_row(
        f"world (not in the figure); reviews, memberships: {figures['reviewsAndMemberships']}",
        f"{seconds['world']:.1f}",
        "",
    )
    table.add_row(
        f"measurements: {figures['uploadFiles']} CSV uploads to roots on chain",
        f"{seconds['upload']:.2f}",
        f"{rates['upload']:,}",
    )
    table.add_row(
        f"settlement: {figures['activations']} TSO requests to hashes on chain",
        f"{seconds['settlementEndToEnd']:.2f}",
        f"{rates['settlementEndToEnd']:,}",
    )
    table.add_row(
        "  pure computation, same readings (in process, best of 3)",
        f"{seconds['pureComputation']:.3f}",
        f"{rates['pureComputation']:,}",
    )
    table.add_row(
        "  numpy.sum, same readings (best of 3)",
        f"{seconds['numpySum']:.4f}",
        f"{rates['numpySum']:,}",
    )
    console.print(table)
    console.print(
        f"end to end = {figures['endToEndOverPure']}x the pure computation; pure computation"
        f" throughput = {figures['pureShareOfNumpySum']}x numpy.sum's;"
        f" {figures['recordsOnChain']} hashes read back from SettlementLedger and matched;"
        f" delivered {figures['deliveredWh']['platform']:,} Wh, net"
        f" {figures['netEur']['platform']} EUR on the platform"
        f" ({figures['deliveredWh']['pure']:,} Wh, {figures['netEur']['pure']} EUR in process);"
        f" method {json.dumps(figures['method'])}; {figures['cpus']} CPUs, load average"
        f" {figures['loadAverage']}"
    )


def write_report(figures: dict[str, Any]) -> Path:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")
    return REPORT
