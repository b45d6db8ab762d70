"""``cbp market``: market commands (benchmarks for now; the market itself is in the API)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

market_app = typer.Typer(
    help="The flexibility market: bids, clearing, activations, measurements.", no_args_is_help=True
)
bench_app = typer.Typer(
    help="Market benchmarks on a fresh platform of their own.", no_args_is_help=True
)
market_app.add_typer(bench_app, name="bench")
console = Console()

BlockTimeOption = Annotated[
    int | None,
    typer.Option(
        "--block-time",
        min=0,
        help="Seconds between the benchmark Anvil's blocks (0: a block per transaction);"
        " default CBP_CHAIN_BLOCK_TIME_S",
    ),
]


@market_app.command("demo")
def demo() -> None:
    """Run the market journey end to end through the public API on a fresh platform, then stop."""
    import sys

    from cli.market_demo import run_market_demo

    sys.exit(run_market_demo(console))


@bench_app.command("bids")
def bench_bids(
    bids: Annotated[int, typer.Option(help="bids recorded end to end")] = 3000,
    per_call: Annotated[int, typer.Option(help="bids per POST /market/bids")] = 500,
    single: Annotated[int, typer.Option(help="bids sent one per call afterwards")] = 1000,
    raw: Annotated[
        int, typer.Option(help="pre-signed submitBids calls for the chain's ceiling")
    ] = 2000,
    block_time: BlockTimeOption = None,
) -> None:
    """Bids/s end to end (API to confirmed on chain), batched and one per call, beside the
    chain's ceiling for the same call; gas per bid."""
    from cli.market_bench import run_bids

    run_bids(
        bids=bids,
        per_call=per_call,
        single=single,
        raw=raw,
        console=console,
        block_time_s=block_time,
    )


@bench_app.command("activations")
def bench_activations(
    count: Annotated[int, typer.Option(help="activations sent (at least 200 for a p99)")] = 250,
    block_time: BlockTimeOption = None,
) -> None:
    """Latency from the TSO's activation call to the BSP's signed callback: p50, p95, p99."""
    from cli.market_bench import run_activations

    run_activations(count=count, console=console, block_time_s=block_time)


@bench_app.command("measurements")
def bench_measurements(
    devices: Annotated[
        int, typer.Option(help="flex devices, one day of 60 s readings each")
    ] = 1000,
) -> None:
    """Readings/s for a day of 60 s data, upload to Merkle root confirmed on chain."""
    from cli.market_bench import run_measurements

    run_measurements(devices=devices, console=console)
