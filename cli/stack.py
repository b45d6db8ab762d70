"""Run the whole platform on one machine: chain, broker, database, API and Celery workers."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

import httpx
from sqlmodel import select

from ledger.core.chain.anvil import free_port
from ledger.core.db.engine import session_scope
from ledger.core.db.models import Organisation
from ledger.core.settings import PROJECT_ROOT, Settings
from ledger.local_stack import LocalStack
from ledger.schema.migrate import upgrade

log = logging.getLogger(__name__)

#: How often the platform looks for a process that exited on its own.
SUPERVISE_EVERY_S = 1.0
#: uvicorn's idle keep-alive, seconds: above the 5 s httpx and most load balancers keep.
API_KEEP_ALIVE_S = 75


@dataclass
class Platform:
    """Everything ``make demo`` and ``make up`` start, and stop again in reverse order."""

    settings: Settings
    api_port: int = field(default_factory=free_port)
    worker_concurrency: int = 2
    #: API processes (uvicorn ``--workers``; ``cbp up --api-processes``): a request's Python
    #: work holds its process's GIL, so one process caps the API at one core. Nothing in an
    #: API process assumes it is the only one: idempotency keys, locks and nonces live in the
    #: database and Redis, and the in-flight cap is per process (``api_max_in_flight``). One by
    #: default: on these 2-core machines, shared with the worker, the followers and the node,
    #: a second gave one request per POD 37.4 against 35.2 PODs/s (docs/performance.md) and
    #: costs every platform's start-up another interpreter.
    api_processes: int = 1
    log_level: str = "warning"
    stack: LocalStack = field(init=False)
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list, init=False)
    #: Each running process's command line, environment and log file, to start it again.
    _launch: dict[int, tuple[list[str], dict[str, str], os.PathLike[str]]] = field(
        default_factory=dict, init=False
    )
    _stopping: threading.Event = field(default_factory=threading.Event, init=False)
    _supervisor: threading.Thread | None = field(default=None, init=False)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def environment(self) -> dict[str, str]:
        """The environment of the platform's processes: this platform's settings, on its local
        chain and broker, in place of any ``CBP_*`` variable this process was started with."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("CBP_")}
        return (
            inherited
            | self.settings_for_clients().environment()
            | {"PYTHONPATH": str(PROJECT_ROOT)}
        )

    def start_services(self) -> Platform:
        """Chain and broker, and the database schema."""
        self.stack = LocalStack(self.settings).start()
        upgrade(self.settings.sqlalchemy_url)
        return self

    def settings_for_clients(self) -> Settings:
        return self.settings.model_copy(
            update={
                "rpc_url": self.stack.rpc_url,
                "redis_url": self.stack.redis_url,
                "funder_key": self.stack.funder_key,
            }
        )

    def is_initialised(self) -> bool:
        with session_scope(self.settings.sqlalchemy_url) as session:
            return (
                session.exec(select(Organisation).where(Organisation.role == "TSO")).first()
                is not None
            )

    def start_processes(self) -> Platform:
        env = self.environment()
        logs = self.settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self._spawn(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.tasks",
                "worker",
                "-Q",
                self.settings.queue,
                "-c",
                str(self.worker_concurrency),
                "--loglevel",
                self.log_level,
                "-n",
                f"cbp-{self.api_port}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                # embedded beat: the periodic tasks of workers.app.beat_schedule()
                "--beat",
                "--schedule",
                str(self.settings.data_dir / "celerybeat-schedule"),
            ],
            env,
            logs / "worker.log",
        )
        self._spawn(
            [sys.executable, "-m", "cli.main", "audit", "follow", "--poll", "0.5"],
            env,
            logs / "indexer.log",
        )
        self._spawn(
            [sys.executable, "-m", "cli.main", "chain", "follow"], env, logs / "follower.log"
        )
        self._spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "api.server:build",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--workers",
                str(self.api_processes),
                # Longer than any client's idle keep-alive (httpx keeps one 5 s): with uvicorn's
                # own 5 s, the server closed an idle connection just as a client reused it, and
                # the request failed with "Server disconnected without sending a response".
                "--timeout-keep-alive",
                str(API_KEEP_ALIVE_S),
                "--log-level",
                self.log_level,
            ],
            env,
            logs / "api.log",
        )
        self._wait_for_api()
        self._stopping.clear()
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._supervisor.start()
        return self

    def _supervise(self) -> None:
        """Start again any process that exited on its own, with the same command line, as
        systemd's ``Restart=on-failure`` would in production (docs/deployment.md). Celery's main
        process, for one, can die when its broker connection drops while an acknowledgement is
        pending (kombu reads the closed connection's host: ``'NoneType' object has no attribute
        'hostname'``); its unacknowledged tasks come back after the visibility timeout. A process
        stopped on purpose is taken out of ``_processes`` first (:meth:`forget`)."""
        while not self._stopping.wait(SUPERVISE_EVERY_S):
            for process in list(self._processes):
                if process.poll() is None or process not in self._processes:
                    continue
                launch = self._launch.pop(process.pid, None)
                if launch is None:  # forgotten meanwhile: stopped on purpose
                    continue
                command, env, log_path = launch
                log.warning(
                    "%s exited with %s; starting it again",
                    " ".join(command[1:4]),
                    process.returncode,
                )
                if process in self._processes:
                    self._processes.remove(process)
                    self._spawn(command, env, log_path)

    def forget(self, process: subprocess.Popen[bytes]) -> None:
        """Take ``process`` out of the platform's care before stopping it on purpose."""
        if process in self._processes:
            self._processes.remove(process)
        self._launch.pop(process.pid, None)

    def process_named(self, marker: str) -> subprocess.Popen[bytes]:
        """The running platform process whose command line contains ``marker`` (``celery``,
        ``uvicorn``, ``audit follow``, ``chain follow``)."""
        for process in self._processes:
            if marker in " ".join(str(arg) for arg in process.args):  # type: ignore[union-attr]
                return process
        raise LookupError(f"no platform process runs {marker!r}")

    def process_ids(self) -> dict[str, int]:
        """The pid of each platform process by what it does (``api``, ``worker``, ``indexer``,
        ``follower``) and of the local Anvil (``anvil``) when this platform started one: what
        the benchmarks and the load generator read CPU time of (``/proc``, children included)."""
        pids = {
            "api": self.process_named("uvicorn").pid,
            "worker": self.process_named("celery").pid,
            "indexer": self.process_named("audit follow").pid,
            "follower": self.process_named("chain follow").pid,
        }
        anvil = self.stack.anvil
        if anvil is not None and anvil.pid:
            pids["anvil"] = anvil.pid
        return pids

    def _spawn(self, command: list[str], env: dict[str, str], log_path: os.PathLike[str]) -> None:
        output = open(log_path, "ab")  # noqa: SIM115  (kept open for the child's lifetime)
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output, cwd=PROJECT_ROOT)
        self._launch[process.pid] = (command, env, log_path)
        self._processes.append(process)

    def _wait_for_api(self, timeout_s: float = 180.0) -> None:
        # generous: on a loaded machine importing the API alone can take a minute
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for process in self._processes:
                if process.poll() is not None:
                    name = " ".join(str(arg) for arg in process.args[1:4])  # type: ignore[index]
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}; see the logs folder"
                    )
            try:
                if httpx.get(f"{self.api_url}/docs", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the API did not answer on {self.api_url} within {timeout_s}s")

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None
        for process in reversed(self._processes):
            process.terminate()
        for process in reversed(self._processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        if hasattr(self, "stack"):
            self.stack.stop()

    def __enter__(self) -> Platform:
        if hasattr(self, "stack"):  # already started by `with platform.start_services():`
            return self
        return self.start_services()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
