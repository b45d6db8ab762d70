"""What the platform's processes and chain did during the load, sampled from the side.

A thread in the platform's process reads, once a second, the CPU time (user + system, from
``/proc``, children included: Celery's pool processes) of each platform process and of the
generator, the whole machine's busy time (other work on a shared machine shows there), and the
transactions Anvil has mined (JSON-RPC). :func:`window_evidence` turns two
samples around a step into CPU % (100 = one core busy) and transactions per second.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from faults.harness import children_of

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _own_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and its living descendants."""
    ticks, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        with contextlib.suppress(OSError, IndexError, ValueError):
            ticks += _own_ticks(current)
        pending.extend(children_of(current))
    return ticks / CLOCK_TICKS


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy (every core, every process) and those the
    hypervisor took away (steal), from ``/proc/stat``."""
    with open("/proc/stat") as handle:
        user, nice, system, _idle, _iowait, irq, softirq, steal = (
            int(v) for v in handle.readline().split()[1:9]
        )
    return (user + nice + system + irq + softirq) / CLOCK_TICKS, steal / CLOCK_TICKS


@dataclass
class Sample:
    at: float
    cpu_s: dict[str, float]
    transactions: int
    """Transactions in the blocks mined since sampling began."""


@dataclass
class Monitor:
    processes: Mapping[str, int]
    """Name -> pid of the processes to watch."""
    rpc_url: str
    interval_s: float = 1.0
    samples: list[Sample] = field(default_factory=list)
    _block: int = -1
    _transactions: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def watch(self, name: str, pid: int) -> None:
        self.processes = {**self.processes, name: pid}

    def _rpc(self, http: httpx.Client, calls: Sequence[tuple[str, list[object]]]) -> list[object]:
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            for i, (method, params) in enumerate(calls)
        ]
        answers = {a["id"]: a.get("result") for a in http.post(self.rpc_url, json=payload).json()}
        return [answers.get(i) for i in range(len(calls))]

    def _count_transactions(self, http: httpx.Client) -> None:
        [head] = self._rpc(http, [("eth_blockNumber", [])])
        latest = int(str(head), 16)
        if self._block < 0:
            self._block = latest
            return
        blocks = range(self._block + 1, latest + 1)
        for first in range(blocks.start, blocks.stop, 200):
            chunk = range(first, min(blocks.stop, first + 200))
            counts = self._rpc(
                http, [("eth_getBlockTransactionCountByNumber", [hex(n)]) for n in chunk]
            )
            self._transactions += sum(int(str(c), 16) for c in counts if c is not None)
        self._block = latest

    def sample(self, http: httpx.Client) -> None:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            self._count_transactions(http)
        cpu = {name: tree_cpu_seconds(pid) for name, pid in self.processes.items()}
        cpu["machine"], cpu["steal"] = machine_cpu_seconds()
        self.samples.append(Sample(time.time(), cpu, self._transactions))

    def _loop(self) -> None:
        with httpx.Client(timeout=5.0) as http:
            while not self._stop.is_set():
                self.sample(http)
                self._stop.wait(self.interval_s)
            self.sample(http)

    def start(self) -> Monitor:
        self._thread = threading.Thread(target=self._loop, name="loadgen-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def window_evidence(samples: Sequence[Sample], start: float, end: float) -> dict[str, float]:
    """CPU % per process and Anvil tx/s between the samples nearest inside ``[start, end]``
    (the widest pair within the window; empty when fewer than two fall in it)."""
    inside = [s for s in samples if start - 0.5 <= s.at <= end + 0.5]
    if len(inside) < 2:
        return {}
    first, last = inside[0], inside[-1]
    seconds = last.at - first.at
    if seconds <= 0:
        return {}
    evidence = {
        f"cpu_{name}_pct": 100 * (last.cpu_s[name] - first.cpu_s.get(name, 0.0)) / seconds
        for name in last.cpu_s
    }
    evidence["anvil_tx_per_s"] = (last.transactions - first.transactions) / seconds
    return evidence
