"""``make test``: the whole suite as two pytest processes at once (``python -m tests.shards``).

Most of the suite waits: for blocks, for platforms' processes to start, for a worker to pick a
task up. One pytest process leaves about half of a 2-core machine idle, so the suite runs as
two, each on packages of its own, with the same options as ``pytest tests`` and a temporary
folder of its own:

- shard 1 runs :data:`FIRST`: the packages that share the session's platforms of
  ``tests/conftest.py`` (one per database backend), so those start once, and as many others
  as make the two shards take about as long (measured with ``--junitxml``: about 510 s and
  540 s of the 1,050 s a single process takes on a quiet machine);
- shard 2 runs everything else (``tests`` without :data:`FIRST`), so a new package is never
  left out.

Each line a shard prints is prefixed with its number as it comes; the exit status is the first
failing shard's, 0 when both passed (a shard that a ``-k`` left without tests passes, unless
both were). Options are passed to both (``-x``, ``-k ...``); given test paths
(``python -m tests.shards tests/unit``), it runs just those, in one pytest process.
``pytest tests`` still runs the whole suite in one process.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

TESTS = Path(__file__).resolve().parent
#: pytest's exit status when it collected nothing.
NO_TESTS = 5

#: Shard 1: the packages whose tests use the session's platforms (``world``, per backend),
#: then others that balance the two shards' times.
FIRST = (
    "hostile",
    "indexer",
    "integration",
    "market",
    "p2p",
    "engine",
    "loadgen",
    "test_demo_and_bench.py",
)


def shard_arguments(extra: Sequence[str], basetemp: Path) -> list[list[str]]:
    """The pytest arguments of each shard."""
    first = [str(TESTS / name) for name in FIRST]
    rest = [str(TESTS), *(f"--ignore={path}" for path in first)]
    return [
        [*first, f"--basetemp={basetemp / 'shard-1'}", *extra],
        [*rest, f"--basetemp={basetemp / 'shard-2'}", *extra],
    ]


def _relay(number: int, stream: IO[str], lock: threading.Lock) -> None:
    for line in stream:
        with lock:
            sys.stdout.write(f"[{number}] {line}")
            sys.stdout.flush()


def _names_tests(argument: str) -> bool:
    return not argument.startswith("-") and Path(argument.split("::")[0]).exists()


def main(argv: Sequence[str]) -> int:
    if any(_names_tests(argument) for argument in argv):
        return subprocess.call([sys.executable, "-m", "pytest", *argv])
    missing = [name for name in FIRST if not (TESTS / name).exists()]
    if missing:
        print(f"tests/shards.py: no package tests/{', tests/'.join(missing)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="cbp-tests-") as basetemp:
        processes: list[subprocess.Popen[str]] = []
        relays: list[threading.Thread] = []
        for number, arguments in enumerate(shard_arguments(argv, Path(basetemp)), start=1):
            process = subprocess.Popen(
                [sys.executable, "-m", "pytest", *arguments],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
            )
            assert process.stdout is not None
            relay = threading.Thread(target=_relay, args=(number, process.stdout, lock))
            relay.start()
            processes.append(process)
            relays.append(relay)
        try:
            codes = [process.wait() for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
                    process.wait()
            for relay in relays:
                relay.join()
    elapsed = time.monotonic() - started
    for number, code in enumerate(codes, start=1):
        print(f"shard {number}: {'passed' if code == 0 else f'exit status {code}'}")
    print(f"the suite took {elapsed:.0f} s")
    if all(code == NO_TESTS for code in codes):
        return NO_TESTS
    return next((code for code in codes if code not in (0, NO_TESTS)), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
