"""``cbp uftp``: the platform's USEF UFTP endpoint (issue 15, ``docs/uftp.md``): its keys, the
participants it talks to, the endpoint itself, and the messages it took and sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from sqlmodel import Session, col, select

from cli.context import running_endpoints
from ledger.core.db.engine import session_scope
from ledger.core.errors import CbpError
from ledger.core.settings import Settings, read_settings
from ledger.schema.migrate import upgrade
from ledger.uftp import keys, participants
from ledger.uftp.tables import UftpMessage

uftp_app = typer.Typer(help="USEF UFTP endpoint: keys, participants, serve.", no_args_is_help=True)
participant_app = typer.Typer(
    help="UFTP participants and the organisation each acts as.", no_args_is_help=True
)
uftp_app.add_typer(participant_app, name="participant")
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    upgrade(settings.sqlalchemy_url)
    with session_scope(settings.sqlalchemy_url) as session:
        yield session


@uftp_app.command("keys")
def show_keys() -> None:
    """Print the platform's UFTP domain and public key (made on first use), and the DNS TXT
    record participants look the key up under."""
    settings = read_settings()
    pair = keys.load_or_create(settings.uftp_key_file)
    console.print(f"domain      {settings.uftp_domain}", soft_wrap=True)
    console.print("role        DSO", soft_wrap=True)
    console.print(f"public key  {pair.public_key}", soft_wrap=True)
    console.print(
        f'DNS TXT     _DSO._usef.{settings.uftp_domain} "{pair.dns_record}"', soft_wrap=True
    )


@participant_app.command("add")
def participant_add(
    domain: Annotated[str, typer.Option(help="The participant's UFTP sender domain")],
    organisation: Annotated[str, typer.Option(help="The organisation it acts as (its slug)")],
    public_key: Annotated[
        str, typer.Option(help="Its Ed25519 public key, base64 (or the cs1. DNS value)")
    ],
    endpoint: Annotated[str, typer.Option(help="URL its UFTP messages are sent to")],
    role: Annotated[str, typer.Option(help="Its USEF role: AGR (a BSP) or DSO")] = "AGR",
) -> None:
    """Register a participant: messages signed with its key act as the organisation."""
    with _session(read_settings()) as session:
        try:
            participants.add_participant(
                session,
                domain=domain,
                role=role,
                organisation_id=organisation,
                public_key=public_key,
                endpoint=endpoint,
            )
        except CbpError as error:
            _refuse(error)
        found = participants.find(session, domain, role)
        assert found is not None
        console.print_json(json.dumps(participants.participant_view(found)))


@participant_app.command("update")
def participant_update(
    domain: Annotated[str, typer.Option(help="The participant's UFTP sender domain")],
    public_key: Annotated[
        str | None, typer.Option(help="Its new Ed25519 public key (key rotation)")
    ] = None,
    endpoint: Annotated[str | None, typer.Option(help="Its new endpoint URL")] = None,
    role: Annotated[str, typer.Option(help="Its USEF role")] = "AGR",
) -> None:
    """Rotate a participant's key or move its endpoint."""
    with _session(read_settings()) as session:
        try:
            participants.update_participant(
                session, domain=domain, role=role, public_key=public_key, endpoint=endpoint
            )
        except CbpError as error:
            _refuse(error)
        found = participants.find(session, domain, role)
        assert found is not None
        console.print_json(json.dumps(participants.participant_view(found)))


@participant_app.command("remove")
def participant_remove(
    domain: Annotated[str, typer.Option(help="The participant's UFTP sender domain")],
    role: Annotated[str, typer.Option(help="Its USEF role")] = "AGR",
) -> None:
    """Stop taking a participant's messages (those recorded stay)."""
    with _session(read_settings()) as session:
        try:
            participants.remove_participant(session, domain=domain, role=role)
        except CbpError as error:
            _refuse(error)
    console.print(f"{domain} ({role}) removed", soft_wrap=True)


def _refuse(error: CbpError) -> NoReturn:
    field = f" ({error.field})" if error.field else ""
    errors.print(f"[red]error{field}:[/red] {error.message}", soft_wrap=True)
    raise typer.Exit(code=2)


@participant_app.command("list")
def participant_list() -> None:
    """Every participant with its organisation, EIC and chain account."""
    with _session(read_settings()) as session:
        rows = [
            participants.participant_view(p)
            for role in participants.ROLES
            for p in participants.of_role(session, role)
        ]
    console.print_json(json.dumps({"data": rows, "count": len(rows)}))


@uftp_app.command("messages")
def list_messages(
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 50,
) -> None:
    """The UFTP messages taken (in) and sent (out), newest first."""
    with _session(read_settings()) as session:
        rows = session.exec(
            select(UftpMessage).order_by(col(UftpMessage.id).desc()).limit(limit)
        ).all()
        for row in rows:
            state = row.result or ("delivered" if row.delivered_at else "")
            console.print(
                f"{row.created_at:%Y-%m-%dT%H:%M:%S} {row.direction:3} {row.message_type:24}"
                f" {row.participant_domain} {row.message_id} {row.subject or ''} {state}",
                soft_wrap=True,
            )


@uftp_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8700,
) -> None:
    """Run the endpoint (POST /shapeshifter/api/v3/message) and its outbox until interrupted.
    Needs CBP_RPC_URL and CBP_REDIS_URL like the API, or a platform started by ``cbp up`` on
    the same data folder."""
    from api.server import platform_runtime
    from ledger.uftp.endpoint import PATH, PlatformEndpoint

    settings = read_settings()
    running = running_endpoints(settings) or {}
    settings = settings.model_copy(
        update={
            "rpc_url": settings.rpc_url or running.get("rpc_url"),
            "redis_url": settings.redis_url or running.get("redis_url"),
        }
    )
    try:
        runtime = platform_runtime(settings)
    except CbpError as error:
        errors.print(f"[red]error:[/red] {error.message}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    upgrade(settings.sqlalchemy_url)
    endpoint = PlatformEndpoint(runtime, host=host, port=port)
    console.print(f"UFTP endpoint of {settings.uftp_domain} on http://{host}:{port}{PATH}")
    endpoint.serve()
