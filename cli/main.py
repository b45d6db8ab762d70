"""``cbp``: set up, run and inspect the crowd balancing platform."""

from __future__ import annotations

import re
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, select

from cli.audit import audit_app
from cli.baseline import baseline_app
from cli.context import cli_runtime, write_endpoints
from cli.eic import eic_app
from cli.market import market_app
from cli.p2p import p2p_app
from cli.stack import Platform
from cli.statements import statement_app
from cli.uftp import uftp_app
from faults.cli import app as faults_app
from ledger.core import webhooks
from ledger.core.db.models import Organisation, utcnow
from ledger.core.domain.enums import Role
from ledger.core.errors import CbpError
from ledger.core.runtime import Runtime
from ledger.core.settings import Settings, SettingsRefused, read_settings
from ledger.registry import organisations
from loadgen.cli import app as load_app

app = typer.Typer(help="Crowd balancing platform and settlement ledger.", no_args_is_help=True)
org_app = typer.Typer(
    help="Organisations, their chain accounts and API tokens.", no_args_is_help=True
)
chain_app = typer.Typer(help="Contracts and the local chain.", no_args_is_help=True)
bench_app = typer.Typer(
    help="Benchmarks that print their figures beside a ceiling.", no_args_is_help=True
)
app.add_typer(org_app, name="org")
app.add_typer(chain_app, name="chain")
app.add_typer(bench_app, name="bench")
app.add_typer(p2p_app, name="p2p")
app.add_typer(audit_app, name="audit")
app.add_typer(faults_app, name="faults")
app.add_typer(market_app, name="market")
app.add_typer(load_app, name="load")
app.add_typer(eic_app, name="eic")
app.add_typer(uftp_app, name="uftp")
app.add_typer(baseline_app, name="baseline")
app.add_typer(statement_app, name="statement")
console = Console()
err_console = Console(stderr=True)
DURATION = re.compile(r"(\d{1,6})([mhd])")
DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


BlockTimeOption = Annotated[
    int | None,
    typer.Option(
        "--block-time",
        min=0,
        help="Seconds between the local Anvil's blocks (0: a block per transaction);"
        " default CBP_CHAIN_BLOCK_TIME_S",
    ),
]


def _settings(block_time: int | None = None) -> Settings:
    """The settings from the environment, with ``--block-time`` for every platform this
    command starts."""
    overrides = {} if block_time is None else {"chain_block_time_s": block_time}
    try:
        return read_settings(**overrides)
    except SettingsRefused as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None


def _fail(error: CbpError) -> None:
    field = f" ({error.field})" if error.field else ""
    console.print(f"[red]error{field}:[/red] {error.message}")
    raise typer.Exit(code=2)


@app.command()
def init(
    eic: Annotated[str, typer.Option(help="The TSO's EIC code")] = "10X1001A1001A345",
    name: Annotated[str, typer.Option()] = "Terna",
    slug: Annotated[str, typer.Option(help="Short id of the TSO organisation")] = "tso",
) -> None:
    """Create the TSO's account and deploy the platform contracts."""
    settings = _settings()
    with cli_runtime(settings) as runtime, runtime.session() as session:
        chain = runtime.connect()
        try:
            tso = organisations.init_platform(
                runtime.settings,
                session,
                chain,
                slug=slug,
                name=name,
                eic=eic,
                funder_key=runtime.settings.funder_key,
            )
        except CbpError as error:
            _fail(error)
        token = organisations.issue_token(session, tso, label="init")
        console.print(f"TSO [bold]{slug}[/bold] at {tso.address}; contracts: {chain.deployment}")
        console.print(f"API token of {slug}: [bold]{token}[/bold]")


@org_app.command("add")
def org_add(
    slug: str,
    role: Annotated[Role, typer.Option(case_sensitive=False)],
    eic: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    callback_url: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Add an organisation: a chain account, its role granted by the TSO, and an API token."""
    with cli_runtime(_settings()) as runtime, runtime.session() as session:
        try:
            organisation = organisations.add_organisation(
                runtime,
                session,
                slug=slug,
                name=name,
                role=role,
                eic=eic,
                funder_key=runtime.settings.funder_key,
                callback_url=callback_url,
            )
        except CbpError as error:
            _fail(error)
        token = organisations.issue_token(session, organisation, label="created")
        secret = webhooks.ensure_secret(session, organisation) if callback_url else None
        console.print(f"{role} [bold]{slug}[/bold] at {organisation.address}")
        console.print(f"API token: [bold]{token}[/bold]")
        if secret is not None:
            console.print(f"Callback signing secret: [bold]{secret}[/bold]")


def _organisation(session: Session, slug: str) -> Organisation:
    organisation = session.get(Organisation, slug)
    if organisation is None:
        console.print(f"[red]error (slug):[/red] no organisation {slug}")
        raise typer.Exit(code=2)
    return organisation


def _duration(text: str) -> timedelta:
    match = DURATION.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise typer.BadParameter(
            "a positive whole number of m, h or d, e.g. 30d", param_hint="--expires-in"
        )
    return timedelta(**{DURATION_UNITS[match.group(2)]: int(match.group(1))})


@org_app.command("token")
def org_token(
    slug: str,
    label: str = "cli",
    expires_in: Annotated[
        str | None, typer.Option(help="Lifetime, e.g. 90m, 12h, 30d; no expiry when omitted")
    ] = None,
) -> None:
    """Issue a new API token for an organisation: the token on standard output (shown once),
    its id on standard error."""
    lifetime = None if expires_in is None else _duration(expires_in)
    with cli_runtime(_settings()) as runtime, runtime.session() as session:
        organisation = _organisation(session, slug)
        expires_at = None if lifetime is None else utcnow() + lifetime
        row, token = organisations.create_token(
            session, organisation, label=label, expires_at=expires_at
        )
        print(token)
        until = "" if expires_at is None else f", expires {expires_at.isoformat()}"
        err_console.print(f"token id {row.id}{until}")


@org_app.command("tokens")
def org_tokens(slug: str) -> None:
    """List an organisation's API tokens (ids, labels, times; never the tokens)."""
    with cli_runtime(_settings()) as runtime, runtime.session() as session:
        table = Table("id", "label", "status", "created", "expires", "revoked", "last used")
        for row in organisations.list_tokens(session, _organisation(session, slug)):
            view = organisations.token_view(row)
            table.add_row(
                *(
                    str(view[key] or "")
                    for key in (
                        "id",
                        "label",
                        "status",
                        "createdAt",
                        "expiresAt",
                        "revokedAt",
                        "lastUsedAt",
                    )
                )
            )
        console.print(table)


@contextmanager
def _org_action(slug: str) -> Iterator[tuple[Runtime, Session, Organisation]]:
    """The runtime, a session and the organisation ``slug`` for one organisation command; a
    refusal (:class:`CbpError`) ends the command with its message and exit code 2."""
    with cli_runtime(_settings()) as runtime, runtime.session() as session:
        try:
            yield runtime, session, _organisation(session, slug)
        except CbpError as error:
            _fail(error)


@org_app.command("token-revoke")
def org_token_revoke(slug: str, token_id: str) -> None:
    """Revoke one API token of an organisation; it stops working at once."""
    with _org_action(slug) as (_, session, organisation):
        organisations.revoke_token(session, organisation, token_id)
    console.print(f"token {token_id} of {slug} revoked")


@org_app.command("suspend")
def org_suspend(slug: str) -> None:
    """Suspend an organisation (TSO): its role revoked on chain, its API access refused."""
    with _org_action(slug) as (runtime, session, organisation):
        organisations.suspend(runtime, session, organisation)
    console.print(f"{slug} suspended: role revoked on chain, API access refused")


@org_app.command("reinstate")
def org_reinstate(slug: str) -> None:
    """Lift a suspension (TSO): the role granted again to the same account and EIC."""
    with _org_action(slug) as (runtime, session, organisation):
        organisations.reinstate(runtime, session, organisation)
    console.print(f"{slug} reinstated")


@org_app.command("rotate-key")
def org_rotate_key(slug: str) -> None:
    """Give an organisation a new chain key: a new keystore, the role and EIC moved to it on
    chain (for the TSO by the two-step handover), the platform signing with it from now on."""
    with _org_action(slug) as (runtime, session, organisation):
        old = organisation.address
        new = organisations.rotate_key(
            runtime, session, organisation, funder_key=runtime.settings.funder_key
        )
    console.print(f"{slug} now signs as {new} (was {old})")


@org_app.command("list")
def org_list() -> None:
    """List the organisations."""
    with cli_runtime(_settings()) as runtime, runtime.session() as session:
        table = Table("id", "role", "EIC", "name", "address")
        for o in session.exec(
            select(Organisation).order_by(Organisation.role, Organisation.id)
        ).all():
            table.add_row(o.id, o.role, o.eic, o.name, o.address)
        console.print(table)


@chain_app.command("compile")
def chain_compile(
    check: Annotated[bool, typer.Option(help="Fail if the committed artifacts differ")] = False,
) -> None:
    """Compile the contracts (solcjs, or CBP_SOLC) into contracts/artifacts."""
    from ledger.core.chain.compiler import ARTIFACTS_DIR, compile_contracts, write_artifacts

    artifacts = compile_contracts(_settings().solc)
    if check:
        stale = [
            name
            for name, artifact in artifacts.items()
            if (ARTIFACTS_DIR / f"{name}.json").read_text("utf-8") != artifact.to_json()
        ]
        if stale:
            console.print(f"[red]stale artifacts:[/red] {', '.join(stale)}")
            raise typer.Exit(code=1)
        console.print("artifacts are up to date")
        return
    write_artifacts(artifacts)
    console.print(f"wrote {', '.join(artifacts)} to {ARTIFACTS_DIR}")


@chain_app.command("follow")
def chain_follow(
    poll: Annotated[
        float | None, typer.Option(help="seconds between head checks (CBP_FOLLOWER_POLL_S)")
    ] = None,
) -> None:
    """Apply each new block's receipts to the operations they confirm, until interrupted (the
    platform runs this next to its workers: they sign and send, this confirms)."""
    import logging
    import threading

    from ledger.core.follower import follow
    from ledger.core.follower_callbacks import DeliveringDispatcher
    from workers.tasks import follower_runtime

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per JSON-RPC request
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print("following the chain's receipts; Ctrl-C stops", style="dim")
    runtime = follower_runtime()
    if isinstance(runtime.dispatcher, DeliveringDispatcher):
        runtime.dispatcher.requeue_unattempted()  # left by a follower stopped while posting
    total = follow(runtime, stop, poll_s=poll)
    if isinstance(runtime.dispatcher, DeliveringDispatcher):
        runtime.dispatcher.close()  # the callbacks under way are posted and recorded
    console.print(f"stopped; {total} operations confirmed")


@app.command()
def up(
    port: Annotated[int, typer.Option(help="API port")] = 8000,
    workers: Annotated[int, typer.Option(help="Celery worker processes")] = 2,
    api_processes: Annotated[
        int, typer.Option(min=1, help="API processes (uvicorn --workers), e.g. one per core")
    ] = 1,
    block_time: BlockTimeOption = None,
) -> None:
    """Start the platform on the local data folder and serve until interrupted."""
    from cli.demo_orgs import ensure_initialised

    platform = Platform(
        _settings(block_time),
        api_port=port,
        worker_concurrency=workers,
        api_processes=api_processes,
        log_level="info",
    )
    stop = False

    def _interrupt(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    with platform.start_services():
        ensure_initialised(platform)
        platform.start_processes()
        write_endpoints(
            platform.settings,
            rpc_url=platform.stack.rpc_url,
            redis_url=platform.stack.redis_url,
            api_url=platform.api_url,
            funder_key=platform.stack.funder_key or "",
        )
        console.print(
            f"API {platform.api_url} (docs: /docs, dashboard: /ui/), chain {platform.stack.rpc_url}"
        )
        console.print(
            "Ctrl-C stops the platform; its state stays in", str(platform.settings.data_dir)
        )
        while not stop:
            time.sleep(0.5)


@app.command()
def demo(
    pods: Annotated[int, typer.Option(help="PODs to register")] = 50,
    market: Annotated[bool, typer.Option(help="also run the market journey")] = True,
    block_time: BlockTimeOption = None,
) -> None:
    """Run the scenario end to end through the public API (registration, P2P, market), then stop."""
    from cli.demo import run_demo

    sys.exit(run_demo(_settings(block_time), pods=pods, console=console, market=market))


@bench_app.command("registration")
def bench_registration(
    pods: Annotated[int, typer.Option(help="PODs registered end to end")] = 2000,
    raw: Annotated[
        int, typer.Option(help="pre-signed registerPods calls for the chain's ceiling")
    ] = 2000,
    block_time: BlockTimeOption = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="An empty PostgreSQL database for the platform (default: SQLite)."),
    ] = None,
) -> None:
    """PODs/s end to end (API to confirmed on chain), batched and one request per POD, beside
    the chain's ceiling for the same call."""
    from cli.bench import run_registration_benchmark

    run_registration_benchmark(
        pods=pods,
        raw_transactions=raw,
        console=console,
        block_time_s=block_time,
        database_url=database_url,
    )


@bench_app.command("settlement")
def bench_settlement(
    pods: Annotated[int, typer.Option(min=1, help="PODs settled end to end")] = 10_000,
    pods_per_upload: Annotated[
        int, typer.Option(min=1, help="PODs per CSV measurement upload")
    ] = 500,
    through_api: Annotated[
        bool,
        typer.Option(
            help="POD reviews and UVAM memberships through the API too (slow: 5 operations"
            " per POD) instead of the same contract calls in multicalls"
        ),
    ] = False,
) -> None:
    """Settlement end to end (the TSO's requests to the hashes on chain) on a platform of its
    own, beside the pure computation and a plain numpy.sum over the same readings."""
    from cli.settlement_e2e import print_figures, run_settlement_e2e, write_report

    figures = run_settlement_e2e(
        pods=pods, pods_per_upload=pods_per_upload, through_api=through_api, console=console
    )
    print_figures(figures, console)
    console.print(f"figures written to {write_report(figures)}")


if __name__ == "__main__":
    app()
