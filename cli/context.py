"""Connect a CLI command to the platform: the running one (``cbp up``), or a temporary chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from ledger.capabilities import CAPABILITIES
from ledger.core.chain.anvil import AnvilError, wait_for_rpc
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.core.settings import Settings
from ledger.local_stack import LocalStack
from ledger.schema.migrate import upgrade


def endpoints_file(settings: Settings) -> str:
    return str(settings.data_dir / "endpoints.json")


def write_endpoints(settings: Settings, **endpoints: str) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(endpoints_file(settings), "w", encoding="utf-8") as handle:
        json.dump(endpoints, handle, indent=2)


def running_endpoints(settings: Settings) -> dict[str, str] | None:
    """The endpoints of a platform started by ``cbp up`` on this data folder, if it answers."""
    try:
        with open(endpoints_file(settings), encoding="utf-8") as handle:
            endpoints: dict[str, str] = json.load(handle)
        wait_for_rpc(endpoints["rpc_url"], timeout_s=1.0)
    except (OSError, ValueError, KeyError, AnvilError):
        return None
    return endpoints


@contextmanager
def cli_runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime for one command; background tasks it would enqueue are not needed here."""
    running = running_endpoints(settings) if not settings.rpc_url else None
    if settings.rpc_url or running:
        rpc_url = settings.rpc_url or running["rpc_url"]  # type: ignore[index]
        funder = settings.funder_key or (running or {}).get("funder_key")
        settings = settings.model_copy(update={"rpc_url": rpc_url, "funder_key": funder})
        upgrade(settings.sqlalchemy_url)
        yield Runtime(
            settings=settings,
            rpc_url=rpc_url,
            dispatcher=RecordingDispatcher(),
            capabilities=CAPABILITIES,
        )
        return
    with LocalStack(settings) as stack:
        settings = settings.model_copy(
            update={"rpc_url": stack.rpc_url, "funder_key": stack.funder_key}
        )
        upgrade(settings.sqlalchemy_url)
        yield Runtime(
            settings=settings,
            rpc_url=stack.rpc_url,
            dispatcher=RecordingDispatcher(),
            capabilities=CAPABILITIES,
        )
