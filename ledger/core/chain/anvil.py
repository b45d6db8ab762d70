"""Run a local Anvil node from ``local_chain/node_modules`` with its state kept in a file.

Anvil loads ``--state FILE`` at start and writes it back at exit (and every few seconds with
``--state-interval``), so a restarted node keeps every block. Only this module and the tests
know the node is Anvil; the rest of the code speaks plain JSON-RPC to ``rpc_url``.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from ledger.core.settings import PROJECT_ROOT

ANVIL_BINARY = PROJECT_ROOT / "local_chain/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
# Anvil's first well-known development account: it funds the organisations' own accounts.
ANVIL_FUNDER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
LOCAL_BLOCK_GAS_LIMIT = 1_000_000_000
#: The block gas limit of a production chain (Anvil's, Geth's and Besu's default): an Anvil with
#: a block time mines under it, as a production chain would, not under the instant Anvil's 1 G.
PRODUCTION_BLOCK_GAS_LIMIT = 30_000_000


class AnvilError(RuntimeError):
    """Anvil is missing, did not start, or did not stop."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_rpc(url: str, *, timeout_s: float = 30.0) -> int:
    """Block until ``url`` answers ``eth_chainId``; return the chain id."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            response = httpx.post(
                url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=2.0
            )
            return int(response.json()["result"], 16)
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            last_error = exc
            time.sleep(0.05)
    raise AnvilError(f"no JSON-RPC answer from {url} within {timeout_s}s: {last_error}")


def spawn_node(
    command: list[str], *, rpc_url: str, log_file: Path | None, timeout_s: float = 30.0
) -> subprocess.Popen[bytes]:
    """Start a local node process (output to ``log_file``) and wait until ``rpc_url`` answers;
    a node that does not answer in time is killed and :class:`AnvilError` raised."""
    log = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, stdout=log, stderr=log)
    try:
        wait_for_rpc(rpc_url, timeout_s=timeout_s)
    except AnvilError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()
        raise
    return process


@dataclass
class AnvilNode:
    """A local Anvil process; use as a context manager or call start()/stop()."""

    state_file: Path | None
    port: int = field(default_factory=free_port)
    chain_id: int = 31337
    #: 0: a block per transaction as it arrives (automine); N: a block every N seconds.
    block_time_s: int = 0
    state_interval_s: int = 2
    log_file: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AnvilNode:
        if not ANVIL_BINARY.exists():
            raise AnvilError(f"{ANVIL_BINARY} missing: run `npm ci` in local_chain/ (make setup)")
        command = [
            str(ANVIL_BINARY),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            "1",
            # Instant: room for many 100-record batches per block (with automine, transactions
            # that arrive together share a block, and 30 M would leave some pending). With a
            # block time: a production chain's 30 M.
            "--gas-limit",
            str(PRODUCTION_BLOCK_GAS_LIMIT if self.block_time_s > 0 else LOCAL_BLOCK_GAS_LIMIT),
            "--silent",
        ]
        if self.block_time_s > 0:
            command += ["--block-time", str(self.block_time_s)]
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            command += ["--state", str(self.state_file)]
            command += ["--state-interval", str(self.state_interval_s)]
        self._process = spawn_node(command, rpc_url=self.rpc_url, log_file=self.log_file)
        return self

    def stop(self, *, timeout_s: float = 15.0) -> None:
        """Stop gracefully so Anvil writes its state file; kill only if it hangs."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AnvilError("anvil did not stop within the timeout; killed") from None

    def kill(self) -> None:
        """Stop abruptly (fault tests): only what the last state interval wrote survives."""
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()

    @property
    def pid(self) -> int | None:
        """The node's process id while it runs (the load generator samples its CPU time)."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> AnvilNode:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
