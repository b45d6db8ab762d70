"""``cbp audit``: the chain event index, record histories, verification and exports."""

from __future__ import annotations

import csv
import json
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.context import cli_runtime
from ledger.audit import EVENT_KINDS, export, history, verify
from ledger.core.errors import CbpError
from ledger.core.settings import read_settings
from ledger.indexer import IndexProgress, follow, index_once, rebuild

audit_app = typer.Typer(
    help="Audit: index chain events, trace a record's history, verify the database against "
    "the chain, export for a regulator.",
    no_args_is_help=True,
)
status = Console(stderr=True)


def _console() -> Console:
    """Made per command, so that the width follows the terminal (or ``COLUMNS``) of this run."""
    return Console()


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]


def _fail(error: CbpError) -> None:
    field = f" ({error.field})" if error.field else ""
    status.print(f"[red]error{field}:[/red] {error.message}")
    raise typer.Exit(code=2)


@contextmanager
def _progress_bar(label: str) -> Iterator[Any]:
    """A progress bar on stderr (stdout stays clean for JSON and CSV); yields the callback."""
    with Progress(*_bar_columns(), console=status, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def on_range(progress: IndexProgress) -> None:
            span = max(1, progress.head - progress.start_block)
            bar.update(
                task,
                total=span,
                completed=progress.cursor - progress.start_block,
                description=f"{label}: block {progress.cursor}/{progress.head}, "
                f"{progress.events} events",
            )

        yield on_range


def _report(progress: IndexProgress) -> None:
    line = (
        f"indexed {progress.events} events in blocks {progress.start_block + 1}..{progress.cursor}"
        f" of chain {progress.chain_id} in {progress.elapsed_s:.2f}s"
    )
    if progress.events:
        line += f" ({progress.events_per_s:,.0f} events/s)"
    if progress.reorgs:
        line += f"; {progress.reorgs} reorganisation(s), {progress.rolled_back_events} rolled back"
    status.print(line)


def _write(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], output: Format, title: str
) -> None:
    if output == Format.JSON:
        sys.stdout.write(json.dumps(list(rows), indent=2) + "\n")
    elif output == Format.CSV:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    key: json.dumps(value) if isinstance(value, dict | list) else value
                    for key, value in row.items()
                }
            )
    else:
        table = Table(*columns, title=title)
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        _console().print(table)


@audit_app.command("index")
def index_command(
    batch_blocks: Annotated[int, typer.Option(help="most blocks per eth_getLogs range")] = 2000,
) -> None:
    """Index new chain events up to the head (rolling back a reorganisation if there was one)."""
    with cli_runtime(read_settings()) as runtime, _progress_bar("indexing") as on_range:
        try:
            progress = index_once(runtime, batch_blocks=batch_blocks, on_range=on_range)
        except CbpError as error:
            _fail(error)
    _report(progress)


@audit_app.command("rebuild")
def rebuild_command(
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Wipe the event index and rebuild it from the chain alone."""
    if not yes:
        typer.confirm("Wipe the event index and re-read every event from the chain?", abort=True)
    with cli_runtime(read_settings()) as runtime, _progress_bar("rebuilding") as on_range:
        try:
            progress = rebuild(runtime, on_range=on_range)
        except CbpError as error:
            _fail(error)
    _report(progress)


@audit_app.command("follow")
def follow_command(
    poll: Annotated[float, typer.Option(help="seconds between passes")] = 1.0,
) -> None:
    """Keep indexing new blocks until interrupted (the platform runs this as its indexer)."""
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with cli_runtime(read_settings()) as runtime:
        status.print("following the chain; Ctrl-C stops")
        total = follow(runtime, stop, poll, on_pass=lambda p: _report(p) if p.events else None)
    status.print(f"stopped; {total} events indexed")


@audit_app.command("history")
def history_command(
    resource_id: Annotated[
        str,
        typer.Argument(help="id of a POD, device, UVAM, relation or attachment, or a 0x chain key"),
    ],
    output: FormatOption = Format.TABLE,
) -> None:
    """Every state change of one record, in chain order, with block, time, transaction and actor."""
    with cli_runtime(read_settings()) as runtime:
        try:
            index_once(runtime)
            with runtime.session() as session:
                entries = history(session, resource_id, chain_id=runtime.chain.chain_id)
        except CbpError as error:
            _fail(error)
    if not entries:
        status.print(f"[yellow]no indexed event concerns {resource_id}[/yellow]")
        raise typer.Exit(code=1)
    columns: tuple[str, ...] = (
        "blockNumber",
        "time",
        "transactionHash",
        "event",
        "as",
        "actor",
        "summary",
    )
    rows = [entry.as_dict() for entry in entries]
    if output != Format.TABLE:
        columns = (*columns[:3], "logIndex", "contract", *columns[3:], "args")
    _write(rows, columns, output, f"History of {resource_id}")


@audit_app.command("verify")
def verify_command(output: FormatOption = Format.TABLE) -> None:
    """Check every database row that claims a chain fact against the chain; list mismatches.

    Exits with 1 when there is any mismatch."""
    with cli_runtime(read_settings()) as runtime:
        try:
            mismatches = verify(runtime)
        except CbpError as error:
            _fail(error)
    columns = ("table", "row_id", "field", "db_value", "chain_value", "note")
    if not mismatches and output == Format.TABLE:
        _console().print("[green]no mismatches: the database agrees with the chain[/green]")
        return
    _write(
        [m.as_dict() for m in mismatches], columns, output, "Database rows the chain contradicts"
    )
    if mismatches:
        raise typer.Exit(code=1)


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        status.print(f"[red]error ({option}):[/red] not an ISO 8601 date or time: {text}")
        raise typer.Exit(code=2) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@audit_app.command("export")
def export_command(
    org: Annotated[
        str | None, typer.Option(help="organisation id that sent the transactions")
    ] = None,
    kind: Annotated[str | None, typer.Option(help=f"one of {', '.join(EVENT_KINDS)}")] = None,
    since: Annotated[
        str | None, typer.Option(help="from this block time (ISO 8601, UTC if no zone)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="up to this block time (ISO 8601)")] = None,
    output: FormatOption = Format.TABLE,
) -> None:
    """Indexed events filtered by organisation, kind and time range, for a regulator."""
    start, end = _moment(since, "--since"), _moment(until, "--until")
    with cli_runtime(read_settings()) as runtime:
        try:
            index_once(runtime)
            with runtime.session() as session:
                rows = export(
                    session,
                    chain_id=runtime.chain.chain_id,
                    organisation=org,
                    kind=kind,
                    since=start,
                    until=end,
                )
        except CbpError as error:
            _fail(error)
    columns: tuple[str, ...] = (
        "blockNumber",
        "time",
        "transactionHash",
        "logIndex",
        "contract",
        "event",
        "actor",
        "sender",
        "summary",
        "args",
    )
    if output == Format.TABLE:
        columns = ("blockNumber", "time", "transactionHash", "event", "actor", "summary")
    _write(rows, columns, output, f"{len(rows)} events")


@audit_app.command("prove")
def prove_command(
    batch_id: Annotated[str, typer.Argument(help="measurement batch id")],
    resource_id: Annotated[str, typer.Argument(help="POD or flex device id")],
    timestamp: Annotated[int, typer.Argument(help="unix time of the reading")],
) -> None:
    """Merkle proof of one measurement reading, checked by the MeasurementLedger on chain."""
    from sqlmodel import select

    from ledger.core.db.models import Organisation
    from ledger.core.ids import to_bytes32
    from ledger.measurements.service import proof

    with cli_runtime(read_settings()) as runtime:
        try:
            with runtime.session() as session:
                tso = session.exec(select(Organisation).where(Organisation.role == "TSO")).one()
                answer = proof(session, tso, batch_id, resource_id, timestamp)
            on_chain = runtime.chain.read(
                "MeasurementLedger",
                "verifyReading",
                to_bytes32(answer["batchKey"]),
                to_bytes32(answer["leaf"]),
                [to_bytes32(node) for node in answer["proof"]],
            )
        except CbpError as error:
            _fail(error)
    _console().print_json(json.dumps({**answer, "verifiedOnChain": bool(on_chain)}))
    raise typer.Exit(code=0 if on_chain else 1)


@audit_app.command("settlement")
def settlement_command(settlement_id: str) -> None:
    """Recompute a settlement from the committed data and compare with its on-chain hash."""
    from ledger.settlement.service import recompute

    with cli_runtime(read_settings()) as runtime:
        try:
            result = recompute(runtime, settlement_id)
        except CbpError as error:
            _fail(error)
    _console().print_json(json.dumps(result))
    raise typer.Exit(code=0 if result["matches"] else 1)


@audit_app.command("bench")
def bench_command(
    events: Annotated[int, typer.Option(help="events to generate and index")] = 1_000_000,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL; default a temporary SQLite file")
    ] = None,
) -> None:
    """Index N events from a scratch Anvil (events/s), then time `history` of one POD beside
    the equivalent raw eth_getLogs scan."""
    from ledger.audit.bench import run_benchmark

    with Progress(*_bar_columns(), console=status, transient=True) as bar:
        generating = bar.add_task("sending transactions", total=None)
        indexing = bar.add_task("indexing", total=None, visible=False)

        def on_generate(done: int, total: int) -> None:
            bar.update(generating, completed=done, total=total)

        def on_index(progress: IndexProgress) -> None:
            bar.update(
                indexing,
                visible=True,
                total=max(1, progress.head - progress.start_block),
                completed=progress.cursor - progress.start_block,
                description=f"indexing ({progress.events} events)",
            )

        result = run_benchmark(
            events, database_url=database_url, on_generate=on_generate, on_index=on_index
        )
    index = result.index
    table = Table("measure", "value", title=f"Indexer benchmark ({result.events_indexed:,} events)")
    table.add_row("transactions / blocks", f"{result.transactions:,} / {result.blocks:,}")
    table.add_row("generation (sign, send, mine)", f"{result.generate_s:.1f} s")
    table.add_row("indexing", f"{index.elapsed_s:.1f} s, {index.events_per_s:,.0f} events/s")
    table.add_row(
        "history of one POD (index)",
        f"{result.history_median_s * 1000:.2f} ms median of {len(result.history_s)}, "
        f"first {result.history_s[0] * 1000:.2f} ms, {result.history_events} events",
    )
    table.add_row(
        "same, raw eth_getLogs scan",
        f"{result.raw_scan_median_s * 1000:.2f} ms median of {len(result.raw_scan_s)}, "
        f"first {result.raw_scan_s[0] * 1000:.2f} ms",
    )
    _console().print(table)


def _bar_columns() -> tuple[Any, ...]:
    return (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
