"""``cbp faults run``: the fault suite from the platform's command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faults.__main__ import main
from faults.scenarios import SCENARIOS
from ledger.core.settings import PROJECT_ROOT

NAMES = ", ".join(SCENARIOS)
DEFAULT_REPORTS = PROJECT_ROOT / "reports"
app = typer.Typer(help="Fault suite: hurt a fresh platform, count what survives.")


@app.command("run")
def run_command(
    only: Annotated[
        list[str] | None, typer.Option("--only", help=f"Scenarios to run, among {NAMES}.")
    ] = None,
    reports: Annotated[
        Path, typer.Option(help="Where faults.md and faults.json go.")
    ] = DEFAULT_REPORTS,
    block_time: Annotated[
        int, typer.Option(help="Anvil mines a block every N seconds (0: per transaction).")
    ] = 0,
) -> None:
    """Run the fault scenarios and write reports/faults.md and reports/faults.json."""
    argv = ["--reports", str(reports), "--block-time", str(block_time)]
    if only:
        argv += ["--only", *only]
    raise typer.Exit(main(argv))
