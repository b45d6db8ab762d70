"""``cbp p2p``: the case study, the benchmark, and a trading window run through the API."""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

p2p_app = typer.Typer(help="Peer-to-peer EV energy trading.", no_args_is_help=True)
console = Console()
TERMINAL = {"succeeded", "failed"}
#: The benchmark's own Anvil gets room for every transaction of a batch in one block (as in
#: ``cbp bench registration``): with automine Anvil packs pending transactions up to the block
#: gas limit and leaves the rest pending until another transaction arrives.
BLOCK_GAS_LIMIT = 1_000_000_000


# ------------------------------------------------------------------------- case study


@p2p_app.command("case-study")
def case_study(
    evs: Annotated[int, typer.Option(help="EVs in the fleet")] = 40,
    seed: Annotated[int, typer.Option(help="seed of the fleet's random draw")] = 2024,
    seller_share: Annotated[str, typer.Option(help="share of sellers in the fleet")] = "0.5",
    price: Annotated[str, typer.Option(help="posted P2P price, EUR/kWh")] = "0.15",
    tariff: Annotated[str, typer.Option(help="grid tariff, EUR/kWh")] = "0.30",
    buyer_threshold: Annotated[str, typer.Option(help="T_B, percent")] = "75",
    seller_threshold: Annotated[str, typer.Option(help="T_S, percent")] = "80",
    out: Annotated[Path, typer.Option(help="folder for the PNG figures and the JSON table")] = Path(
        "reports/p2p"
    ),
    rows: Annotated[bool, typer.Option(help="print one row per EV")] = True,
) -> None:
    """Run the source's case study: grid load and charging costs with and without P2P."""
    from ledger.p2p.case_study import CaseStudyParameters, run_case_study
    from ledger.p2p.energy import Thresholds
    from ledger.p2p.plots import render_all

    study = run_case_study(
        CaseStudyParameters(
            evs=evs,
            seed=seed,
            seller_share=Decimal(seller_share),
            thresholds=Thresholds(Decimal(buyer_threshold), Decimal(seller_threshold)),
            price_eur_per_kwh=Decimal(price),
            grid_tariff_eur_per_kwh=Decimal(tariff),
        )
    )
    document = study.as_json()
    if rows:
        table = Table(
            "EV",
            "kWh",
            "SoC %",
            "role",
            "req/avail kWh",
            "traded kWh",
            "arrival",
            "cost grid EUR",
            "cost P2P EUR",
            title="EVs of the case study",
        )
        for row in document["evs"]:
            table.add_row(
                row["ev"],
                str(row["capacityKwh"]),
                row["socPercent"],
                row["role"],
                row["energyKwh"],
                row["tradedKwh"],
                row["arrival"],
                row["costGridEur"],
                row["costP2PEur"],
            )
        console.print(table)
    summary = Table("", "without P2P", "with P2P", title="Case study summary")
    s = document["summary"]
    summary.add_row(
        "energy from the grid (kWh)", s["gridEnergyWithoutP2PKwh"], s["gridEnergyWithP2PKwh"]
    )
    summary.add_row("peak grid load (kW)", s["peakLoadWithoutP2PKw"], s["peakLoadWithP2PKw"])
    summary.add_row("buyers' charging cost (EUR)", s["buyersCostGridEur"], s["buyersCostP2PEur"])
    summary.add_row("sellers' revenue (EUR)", "0.00", s["sellersRevenueEur"])
    console.print(summary)
    console.print(
        f"{s['buyers']} buyers, {s['sellers']} sellers: demand {s['demandKwh']} kWh, supply "
        f"{s['supplyKwh']} kWh, {s['tradedKwh']} kWh traded in {s['trades']} trades"
    )
    out.mkdir(parents=True, exist_ok=True)
    for name, png in render_all(study).items():
        (out / f"{name}.png").write_bytes(png)
    (out / "case_study.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    console.print(f"figures and table written to {out}/")


# ------------------------------------------------------------------------- benchmark


@p2p_app.command("bench")
def bench(
    evs: Annotated[int, typer.Option(help="EVs in the one trading window")] = 10_000,
    raw: Annotated[int, typer.Option(help="pre-signed transfers per Anvil ceiling")] = 5_000,
    seed: Annotated[int, typer.Option()] = 2024,
) -> None:
    """Trades matched and recorded on chain per second, beside the raw Anvil ceiling."""
    from cli.p2p_bench import run_p2p_benchmark

    guard = AnvilGuard()
    with tempfile.TemporaryDirectory(prefix="cbp-p2p-bench-") as folder:
        result = run_p2p_benchmark(
            evs=evs,
            raw_transactions=raw,
            data_dir=Path(folder),
            seed=seed,
            progress=lambda message: console.print(f"[dim]{message}[/dim]"),
            node_guard=guard,
        )
    table = Table(
        "phase",
        "records",
        "transactions",
        "gas",
        "seconds",
        "records/s",
        title=f"P2P benchmark: {result.evs} EVs ({result.buyers} buyers, "
        f"{result.sellers} sellers), one window",
    )
    for phase in (result.match, result.record, result.confirm):
        table.add_row(
            phase.name,
            str(phase.records),
            str(phase.transactions),
            f"{phase.gas:,}",
            f"{phase.seconds:.2f}",
            f"{phase.per_second:,.0f}",
        )
    for label, seconds in (
        ("raw ceiling, fresh chain", result.raw_seconds_fresh),
        ("raw ceiling, after the run", result.raw_seconds),
    ):
        table.add_row(
            label,
            str(result.raw_transactions),
            str(result.raw_transactions),
            f"{21_000 * result.raw_transactions:,}",
            f"{seconds:.2f}",
            f"{result.raw_transactions / seconds:,.0f}",
        )
    console.print(table)
    console.print(
        "trades matched and recorded on chain: "
        f"[bold]{result.matched_and_recorded_per_second:,.0f}/s[/bold] "
        f"({result.trades} trades); with confirmation: {result.end_to_end_per_second:,.0f}/s; "
        f"raw Anvil ceiling: [bold]{result.raw_per_second_fresh:,.0f} tx/s[/bold] on the fresh "
        f"chain, [bold]{result.raw_per_second:,.0f} tx/s[/bold] after the run "
        f"(setup {result.setup_seconds:.1f} s; the benchmark's Anvil: block gas limit "
        f"{BLOCK_GAS_LIMIT:,}, {guard.nudges} stalled pools mined by evm_mine)"
    )


class AnvilGuard:
    """The benchmark's own Anvil, tuned for bursts: a block gas limit with room for a whole
    batch, and a watchdog for Anvil's automine, which mines when a transaction arrives and can
    leave transactions that arrived during a mining pending until the next arrival. When the
    pool holds transactions and no block came for ``STALL_S``, it mines one (and counts it)."""

    STALL_S = 0.3

    def __init__(self) -> None:
        self.nudges = 0
        self._stop = threading.Event()

    @contextmanager
    def __call__(self, rpc_url: str) -> Iterator[None]:
        from ledger.core.chain.rpc import RpcClient

        rpc = RpcClient(rpc_url)
        rpc.call("evm_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)])
        rpc.call("evm_mine")
        watchdog = threading.Thread(target=self._watch, args=(rpc,), daemon=True)
        watchdog.start()
        try:
            yield
        finally:
            self._stop.set()
            watchdog.join()
            rpc.close()

    def _watch(self, rpc: Any) -> None:
        last_block, since = -1, time.monotonic()
        while not self._stop.wait(0.1):
            try:
                block = int(rpc.call("eth_blockNumber"), 16)
                pending = int(rpc.call("txpool_status")["pending"], 16)
            except Exception:  # noqa: S112  (the node is busy or stopping: look again later)
                continue
            if block != last_block or not pending:
                last_block, since = block, time.monotonic()
            elif time.monotonic() - since > self.STALL_S:
                rpc.call("evm_mine")
                self.nudges += 1
                since = time.monotonic()


# ------------------------------------------------------------------------- a window through the API


class _Api:
    def __init__(self, api_url: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=api_url, headers={"Authorization": f"Bearer {token}"}, timeout=60.0
        )

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:400]}")
        return response.json()

    def done(self, accepted: dict[str, Any], timeout_s: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            body: dict[str, Any] = self.call("GET", f"/operations/{accepted['operationId']}", 200)
            if body["status"] in TERMINAL:
                if body["status"] != "succeeded":
                    raise RuntimeError(f"operation {body['kind']} failed: {body['error']}")
                return body
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"operation {body['kind']} still {body['status']} after {timeout_s}s"
                )
            time.sleep(0.05)

    def close(self) -> None:
        self.http.close()


def _trade_table(title: str, trades: list[dict[str, Any]]) -> Table:
    table = Table(
        "sender hash",
        "receiver hash",
        "energy (kWh)",
        "P2P cost (EUR)",
        "time stamp",
        "status",
        title=title,
    )
    for t in trades:
        table.add_row(
            t["senderHash"][:14],
            t["receiverHash"][:14],
            t["energyKwh"],
            t["costEur"],
            t["timestamp"][:19],
            t["status"],
        )
    return table


def run_window_demo(*, api_url: str, operator_token: str, bsp_token: str, out: Console) -> int:
    """One trading window end to end over HTTP, as the operator's and the BSP's systems would
    run it: EVs, deposits, sessions, the window and its matching, Add Batch (from the matching
    and the source's two example rows), confirmations and a rejection. 0 when all went as
    expected."""
    operator, bsp = _Api(api_url, operator_token), _Api(api_url, bsp_token)
    try:
        capacities = ["40", "60", "80", "100"] * 3 + ["60", "100"]
        operator_id = operator.call("GET", "/organisations/me", 200)["id"]
        accepted = bsp.call(
            "POST",
            "/p2p/evs",
            202,
            json={"operatorId": operator_id, "evs": [{"capacityKwh": c} for c in capacities]},
        )
        ev_ids: list[str] = bsp.done(accepted)["result"]["evIds"]
        out.print(f"BSP registered {len(ev_ids)} EVs under pseudonymous ids")
        sellers, buyers, examples = ev_ids[:6], ev_ids[6:12], ev_ids[12:]
        # the deposits and the window do not depend on each other: sent together, awaited
        # together (the trades, later, need both)
        deposits = operator.call(
            "POST",
            "/p2p/deposits",
            202,
            json={"deposits": [{"evId": ev, "amountEur": "20.00"} for ev in buyers + examples]},
        )
        socs = ["95", "88.5", "91", "84", "93.5", "86", "45", "31.5", "52", "38", "60", "33"]
        sessions = [
            {"evId": ev, "chargePointId": f"CP-{i % 4 + 1:02d}", "socPercent": soc}
            for i, (ev, soc) in enumerate(zip(sellers + buyers, socs, strict=True))
        ]
        operator.call("POST", "/p2p/sessions", 201, json={"sessions": sessions})
        accepted = operator.call(
            "POST",
            "/p2p/windows",
            202,
            json={
                "priceEurPerKwh": "0.15",
                "buyerThresholdPercent": "75",
                "sellerThresholdPercent": "80",
            },
        )
        window_id = accepted["windowId"]
        operator.done(deposits)
        result = operator.done(accepted)["result"]
        out.print(
            f"operator opened window {window_id} at 0.15 EUR/kWh: "
            f"demand {result['demandKwh']} kWh, "
            f"supply {result['supplyKwh']} kWh, {result['matchedTrades']} trades matching "
            f"{result['matchedKwh']} kWh"
        )
        # the matched trades and the two examples: sent together, awaited together
        matched = bsp.call("POST", f"/p2p/windows/{window_id}/trades", 202, json={})
        examples_added = bsp.call(
            "POST",
            "/p2p/trades",
            202,
            json={
                "windowId": window_id,
                "trades": [
                    {
                        "buyerEvId": examples[0],
                        "sellerEvId": sellers[0],
                        "energyKwh": "18.0",
                        "costEur": "2.70",
                    },
                    {
                        "buyerEvId": examples[1],
                        "sellerEvId": sellers[1],
                        "energyKwh": "43.5",
                        "costEur": "6.52",
                    },
                ],
            },
        )
        bsp.done(matched)
        bsp.done(examples_added)
        pending = bsp.call("GET", "/p2p/trades", 200, params={"windowId": window_id, "limit": 500})[
            "data"
        ]
        out.print(_trade_table("Pending transactions (Add Batch)", pending))
        rejected = pending[-1]["tradeId"]
        # one rejection and the confirmation of the others: sent together, awaited together
        rejection = operator.call(
            "POST",
            f"/p2p/trades/{rejected}/reject",
            202,
            json={"reasons": ["metered energy at the charge point differs from the trade"]},
        )
        confirmation = operator.call(
            "POST",
            "/p2p/trades/confirm",
            202,
            json={"tradeIds": [t["tradeId"] for t in pending if t["tradeId"] != rejected]},
        )
        operator.done(rejection)
        operator.done(confirmation)
        final = operator.call(
            "GET", "/p2p/trades", 200, params={"windowId": window_id, "limit": 500}
        )["data"]
        out.print(_trade_table("Confirmed and rejected transactions", final))
        statuses = [t["status"] for t in final]
        examples_ok = {(t["energyKwh"], t["costEur"]) for t in final} >= {
            ("18.000", "2.70"),
            ("43.500", "6.52"),
        }
        ok = (
            statuses.count("Rejected") == 1
            and statuses.count("Confirmed") == len(final) - 1
            and examples_ok
        )
        out.print(
            "[green]P2P window settled as expected[/green]"
            if ok
            else "[red]unexpected P2P outcome[/red]"
        )
        return 0 if ok else 1
    finally:
        operator.close()
        bsp.close()


@p2p_app.command("demo")
def demo() -> None:
    """Start a throwaway platform and run one trading window through its API."""
    from cli.stack import Platform
    from ledger.capabilities import CAPABILITIES
    from ledger.core.chain.client import ChainClient
    from ledger.core.domain.enums import Role
    from ledger.core.domain.identifiers import make_eic
    from ledger.core.runtime import RecordingDispatcher, Runtime
    from ledger.core.settings import Settings
    from ledger.registry import organisations

    with tempfile.TemporaryDirectory(prefix="cbp-p2p-demo-") as folder:
        platform = Platform(Settings(data_dir=Path(folder)))
        try:
            platform.start_services()
            settings = platform.settings_for_clients()
            runtime = Runtime(
                settings=settings,
                rpc_url=platform.stack.rpc_url,
                dispatcher=RecordingDispatcher(),
                capabilities=CAPABILITIES,
            )
            tokens = {}
            with runtime.session() as session:
                organisations.init_platform(
                    settings,
                    session,
                    ChainClient(runtime.rpc_url),
                    slug="tso",
                    name="Terna",
                    eic="10X1001A1001A345",
                    funder_key=settings.funder_key,
                )
                for slug, role, prefix in (
                    ("cpo", Role.OPERATOR, "10XCPO-DEMO----"),
                    ("bsp", Role.BSP, "21XBSP-EVDEMO--"),
                ):
                    org = organisations.add_organisation(
                        runtime,
                        session,
                        slug=slug,
                        name=slug.upper(),
                        role=role,
                        eic=make_eic(prefix),
                        funder_key=settings.funder_key,
                    )
                    tokens[slug] = organisations.issue_token(session, org, label="p2p-demo")
            platform.start_processes()
            code = run_window_demo(
                api_url=platform.api_url,
                operator_token=tokens["cpo"],
                bsp_token=tokens["bsp"],
                out=console,
            )
        finally:
            platform.stop()
    raise typer.Exit(code=code)
