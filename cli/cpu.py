"""CPU time per record of each platform process, for the benchmarks' tables.

Read from ``/proc`` (user + system, each process with its children: Celery's pool processes,
uvicorn's workers) before and after a phase, for the processes of :meth:`Platform.process_ids`
and for the benchmark's own process (its HTTP clients, which share the machine).
"""

from __future__ import annotations

import os

from cli.stack import Platform
from loadgen.monitor import tree_cpu_seconds

#: The processes whose CPU time a record costs, and how the tables name them.
CPU_PROCESSES = {
    "api": "API",
    "worker": "worker",
    "follower": "follower",
    "indexer": "indexer",
    "anvil": "Anvil",
    "benchmark": "clients",
}


def cpu_seconds(platform: Platform) -> dict[str, float]:
    """CPU seconds used so far by each platform process with its children, the local Anvil,
    and this process (``benchmark``)."""
    cpu = {name: tree_cpu_seconds(pid) for name, pid in platform.process_ids().items()}
    own = os.times()
    cpu["benchmark"] = own.user + own.system
    return cpu


def cpu_per_record(
    key: str, before: dict[str, float], after: dict[str, float], records: int
) -> dict[str, float]:
    """Milliseconds of CPU per record of each process between two readings, as
    ``{key}_{process}``, and their total as ``key`` (``single_cpu_ms_per_pod``)."""
    per_record = {
        f"{key}_{name}": 1000 * (after[name] - before[name]) / records
        for name in CPU_PROCESSES
        if name in before and name in after
    }
    return per_record | {key: sum(per_record.values())}
