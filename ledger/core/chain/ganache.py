"""Run a local Ganache node from ``local_chain/node_modules`` (tests and trials on a second EVM).

Ganache 7.9 runs the Shanghai EVM (the contracts are compiled for it), answers on chain id
1337, and with ``--wallet.deterministic`` its first account holds :data:`GANACHE_FUNDER_KEY`.
Its state lives in memory, or with ``db_path`` in a database folder that a restarted node (on the
same port and folder) reads again, as the fault tests need. The platform reaches it like any
external node: ``CBP_RPC_URL`` and ``CBP_FUNDER_KEY``.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from ledger.core.chain.anvil import AnvilError, free_port, spawn_node
from ledger.core.settings import PROJECT_ROOT

GANACHE_BINARY = PROJECT_ROOT / "local_chain/node_modules/.bin/ganache"
#: The first account of ``ganache --wallet.deterministic``.
GANACHE_FUNDER_KEY = "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d"
GANACHE_CHAIN_ID = 1337
#: Ether per account: enough for the funder to pay many organisations' gas money.
DEFAULT_BALANCE_ETHER = 100_000


@dataclass
class GanacheNode:
    """A local Ganache process; use as a context manager or call start()/stop()."""

    port: int = field(default_factory=free_port)
    #: 0: Ganache's instamine (a block per transaction); N: a block every N seconds.
    block_time_s: int = 0
    log_file: Path | None = None
    #: Where the chain is kept (``--database.dbPath``); None: in memory, lost when it stops.
    db_path: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> GanacheNode:
        if not GANACHE_BINARY.exists():
            raise AnvilError(f"{GANACHE_BINARY} missing: run `npm ci` in local_chain/ (make setup)")
        command = [
            str(GANACHE_BINARY),
            "--server.host",
            "127.0.0.1",
            "--server.port",
            str(self.port),
            "--chain.chainId",
            str(GANACHE_CHAIN_ID),
            "--wallet.deterministic",
            "--wallet.totalAccounts",
            "1",
            "--wallet.defaultBalance",
            str(DEFAULT_BALANCE_ETHER),
            "--miner.blockTime",
            str(self.block_time_s),
            "--logging.quiet",
        ]
        if self.db_path is not None:
            self.db_path.mkdir(parents=True, exist_ok=True)
            command += ["--database.dbPath", str(self.db_path)]
        self._process = spawn_node(
            command, rpc_url=self.rpc_url, log_file=self.log_file, timeout_s=60.0
        )
        return self

    def stop(self, *, timeout_s: float = 15.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()

    def kill(self) -> None:
        """Stop abruptly (fault tests): with ``db_path``, what the node wrote before survives."""
        process, self._process = self._process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()

    def __enter__(self) -> GanacheNode:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
