"""``cbp load run``: the load generator from the platform's command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.core.settings import PROJECT_ROOT
from loadgen.__main__ import DEFAULT_RATES, main

app = typer.Typer(help="Load: drive a fresh platform at increasing rates.", no_args_is_help=True)


@app.command("run")
def run_command(
    rates: Annotated[str, typer.Option(help="Offered requests/s per step.")] = DEFAULT_RATES,
    step_seconds: Annotated[float, typer.Option(help="Duration of each step.")] = 30.0,
    reports: Annotated[Path, typer.Option(help="Where load.md and load.json go.")] = PROJECT_ROOT
    / "reports",
    p99_bound_ms: Annotated[float, typer.Option(help="p99 above this saturates.")] = 2000.0,
    stop_after: Annotated[
        int, typer.Option(help="Stop after this many saturated steps in a row (0: never).")
    ] = 1,
    database_url: Annotated[
        str | None,
        typer.Option(help="An empty PostgreSQL database for the platform (default: SQLite)."),
    ] = None,
) -> None:
    """Run the steps, write reports/load.md and reports/load.json, print the tables."""
    raise typer.Exit(
        main(
            [
                "--rates",
                rates,
                "--step-seconds",
                str(step_seconds),
                "--reports",
                str(reports),
                "--p99-bound-ms",
                str(p99_bound_ms),
                "--stop-after",
                str(stop_after),
                *(["--database-url", database_url] if database_url else []),
            ]
        )
    )
