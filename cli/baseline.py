"""``cbp baseline ...``: baseline methods measured on real metered data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ledger.baseline_eval.evaluate import HISTORY_DAYS, NOT_EVALUATED, evaluate_meter
from ledger.baseline_eval.meter_data import REAL_SAMPLES, MeterDay, SampleMissing, load_sample
from ledger.baseline_eval.report import markdown_table, write_report
from ledger.core.settings import PROJECT_ROOT

baseline_app = typer.Typer(
    help="Baseline methods measured on real metered data.", no_args_is_help=True
)
console = Console()


def _sliced(meter: MeterDay, days: int | None) -> MeterDay:
    """The first ``days`` days of ``meter`` (all when ``None``)."""
    if days is None:
        return meter
    return MeterDay(
        meter.name,
        meter.first_day,
        meter.interval_minutes,
        meter.mwh[:days],
        meter.present[:days],
        meter.duplicates_dropped,
    )


@baseline_app.command("evaluate")
def evaluate(
    sample: Annotated[
        list[str] | None,
        typer.Option(help="a metered sample (repeatable); all of them when omitted"),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            min=HISTORY_DAYS + 1, help="only the first DAYS days of each meter (a quick slice)"
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="folder for accuracy.json, .md and .png")] = (
        PROJECT_ROOT / "reports" / "baselines"
    ),
) -> None:
    """Every baseline method on real meter data (OpenEEmeter's UK samples): CV(RMSE) and NMBE
    over event-like windows, as a table, JSON and a plot."""
    names = sample or list(REAL_SAMPLES)
    evaluations = []
    for name in names:
        try:
            meter = load_sample(name)
        except (SampleMissing, ValueError) as error:
            console.print(f"[red]error (sample):[/red] {error}")
            raise typer.Exit(code=2) from None
        try:
            evaluations.append(evaluate_meter(_sliced(meter, days)))
        except ValueError as error:
            console.print(f"[red]error (days):[/red] {error}")
            raise typer.Exit(code=2) from None
    paths = write_report(evaluations, out)
    console.print(markdown_table(evaluations), soft_wrap=True, markup=False)
    for name, reason in NOT_EVALUATED.items():
        console.print(f"{name}: not evaluated ({reason})", markup=False)
    console.print(f"wrote {paths['table']}, {paths['json']} and {paths['plot']}")
