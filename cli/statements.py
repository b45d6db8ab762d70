"""``cbp statement``: statements and BRP perimeter corrections through the platform's API, as
an organisation's own system would use them (its bearer token; docs/statements.md). The API's
address is ``--api-url`` (``CBP_API_URL``, else the one ``cbp up`` wrote), the token
``--token`` (``CBP_API_TOKEN``). A refusal prints the API's code, message and field and exits 2."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from cli.context import running_endpoints
from ledger.core.settings import read_settings

statement_app = typer.Typer(
    help="Statements per BSP and period, and BRP perimeter corrections.", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)

ApiUrl = Annotated[
    str | None, typer.Option("--api-url", envvar="CBP_API_URL", help="the platform's API")
]
Token = Annotated[
    str, typer.Option("--token", envvar="CBP_API_TOKEN", help="your organisation's API token")
]
WAIT_S = 120.0


def _client(api_url: str | None, token: str) -> httpx.Client:
    url = api_url or (running_endpoints(read_settings()) or {}).get("api_url")
    if not url:
        err_console.print("error (--api-url): no API address: give --api-url or run `cbp up`")
        raise typer.Exit(2)
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _body(response: httpx.Response, expect: int = 200) -> Any:
    """The JSON body, or the refusal printed (``code: message (field)``) and exit 2."""
    if response.status_code == expect:
        return response.json()
    try:
        error = response.json()
        field = f" (field {error['field']})" if error.get("field") else ""
        err_console.print(
            f"error {response.status_code} {error['code']}: {error['message']}{field}"
        )
    except (ValueError, KeyError):
        err_console.print(f"error {response.status_code}: {response.text[:500]}")
    raise typer.Exit(2)


def _wait(client: httpx.Client, accepted: dict[str, Any]) -> dict[str, Any]:
    """Poll the operation a 202 started until it succeeded (exit 2 if it failed)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        operation: dict[str, Any] = _body(client.get(f"/operations/{accepted['operationId']}"))
        if operation["status"] == "succeeded":
            return operation
        if operation["status"] == "failed" or time.monotonic() > deadline:
            err_console.print(f"operation {operation['id']} {operation['status']}: {operation}")
            raise typer.Exit(2)
        time.sleep(0.2)


def _write(client: httpx.Client, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return _wait(client, _body(client.post(path, json=body or {}), expect=202))


def _print(value: Any) -> None:
    console.print_json(json.dumps(value))


@statement_app.command("issue")
def issue(bsp: str, period: str, token: Token, api_url: ApiUrl = None) -> None:
    """The TSO issues BSP's statement for PERIOD ("YYYY-MM" or "YYYY-MM-DD/YYYY-MM-DD")."""
    with _client(api_url, token) as client:
        operation = _write(client, "/statements", {"bspId": bsp, "period": period})
        _print(operation["result"])


@statement_app.command("list")
def list_statements(token: Token, api_url: ApiUrl = None) -> None:
    """Your statements (a BSP), or every BSP's (the TSO, the auditor)."""
    with _client(api_url, token) as client:
        _print(_body(client.get("/statements")))


@statement_app.command("show")
def show(statement_id: str, token: Token, api_url: ApiUrl = None) -> None:
    """A statement with its document (every line, the netting) and its hash."""
    with _client(api_url, token) as client:
        _print(_body(client.get(f"/statements/{statement_id}")))


@statement_app.command("export")
def export(
    statement_id: str,
    out: Annotated[Path, typer.Option("--out", help="file to write")],
    token: Token,
    fmt: Annotated[str, typer.Option("--format", help="csv or pdf")] = "csv",
    api_url: ApiUrl = None,
) -> None:
    """Write the statement as CSV or PDF to OUT."""
    with _client(api_url, token) as client:
        response = client.get(f"/statements/{statement_id}/export", params={"format": fmt})
        if response.status_code != 200:
            _body(response)
        out.write_bytes(response.content)
        console.print(f"{out} ({len(response.content)} bytes)")


@statement_app.command("accept")
def accept(statement_id: str, token: Token, api_url: ApiUrl = None) -> None:
    """The BSP accepts its statement as a whole (once; recorded on chain)."""
    with _client(api_url, token) as client:
        _write(client, f"/statements/{statement_id}/accept")
        console.print(f"statement {statement_id} accepted")


@statement_app.command("dispute")
def dispute(
    statement_id: str,
    reason: Annotated[str, typer.Option("--reason", help="why (required; its hash on chain)")],
    token: Token,
    api_url: ApiUrl = None,
) -> None:
    """The BSP disputes its statement as a whole, with a reason (once)."""
    with _client(api_url, token) as client:
        _write(client, f"/statements/{statement_id}/dispute", {"reason": reason})
        console.print(f"statement {statement_id} disputed")


@statement_app.command("corrections")
def corrections(
    period: str,
    token: Token,
    record: Annotated[bool, typer.Option("--record", help="compute and record them (TSO)")] = False,
    api_url: ApiUrl = None,
) -> None:
    """The BRP perimeter correction reports of PERIOD; with --record the TSO records them."""
    with _client(api_url, token) as client:
        if record:
            _write(client, "/perimeter-corrections", {"period": period})
        _print(_body(client.get("/perimeter-corrections", params={"period": period})))
