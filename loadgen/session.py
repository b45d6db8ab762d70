"""One load run: a fresh platform here, the generator in a process of its own, the report.

The platform (Anvil, the schema, the organisations; uvicorn, the Celery worker and the indexer
as subprocesses) is :func:`cli.world.build_world`'s, on a temporary folder, its own Celery
queue and Redis database 7 (never flushed). The generator (``python -m loadgen.runner``) gets a
plan file and reaches the platform over loopback HTTP only; a monitor thread here samples the
processes' CPU and the chain while it runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cli.world import build_world
from ledger.core.settings import PROJECT_ROOT
from loadgen import mix
from loadgen.monitor import Monitor
from loadgen.report import LoadReport, analyse, write
from loadgen.setup import prepare
from loadgen.stats import Bounds

WORKER_PROCESSES = 2  # what build_world starts
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)): (.*)$")


def logged_errors(logs: Path) -> list[str]:
    """The exceptions the platform's processes logged, counted by kind and message."""
    found: list[str] = []
    for name in ("api.log", "worker.log", "indexer.log"):
        path = logs / name
        if not path.exists():
            continue
        counts = Counter(
            f"{match[1]}: {match[2][:140]}"
            for line in path.read_text(errors="replace").splitlines()
            if (match := EXCEPTION_LINE.match(line))
        )
        found += [f"{name}: {n} x {text}" for text, n in counts.most_common(5)]
    return found


def run_load(
    *,
    rates: list[float],
    step_s: float,
    reports: Path,
    command: str,
    p99_bound_s: float = 2.0,
    stop_after_saturated_steps: int = 1,
    drain_timeout_s: float = 180.0,
    seed: int = 1,
    poisson: bool = True,
    seed_pods: int = 50,
    devices: int = 2,
    print_report: bool = True,
    database_url: str | None = None,
) -> LoadReport:
    """Run the steps and write ``reports/load.md`` and ``load.json``; return the report."""
    workdir = Path(tempfile.mkdtemp(prefix="cbp-load-"))
    bounds = Bounds(p99_s=p99_bound_s)
    ok = False
    try:
        with contextlib.contextmanager(build_world)(
            workdir / "platform",
            "postgresql" if database_url else "sqlite",
            database_url,
            queue=f"load-{uuid.uuid4().hex[:8]}",
        ) as world:
            print(f"[loadgen] platform at {world.api_url}; preparing UVAMs, PODs, bids", flush=True)
            plan = prepare(
                world,
                rates=rates,
                step_s=step_s,
                seed_pods=seed_pods,
                devices=devices,
                seed=seed,
                poisson=poisson,
                drain_timeout_s=drain_timeout_s,
                p99_bound_s=p99_bound_s,
                stop_after_saturated_steps=stop_after_saturated_steps,
            )
            plan_path, result_path = workdir / "plan.json", workdir / "result.json"
            platform_logs = world.platform.settings.data_dir / "logs"
            plan.dump(plan_path)
            platform = world.platform
            monitor = Monitor(platform.process_ids(), platform.stack.rpc_url).start()
            try:
                driver = subprocess.Popen(
                    [sys.executable, "-m", "loadgen.runner", str(plan_path), str(result_path)],
                    cwd=PROJECT_ROOT,
                    env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
                )
                monitor.watch("driver", driver.pid)
                code = driver.wait()
            finally:
                monitor.stop()
            if code != 0:
                raise RuntimeError(f"the load generator exited with {code}")
            result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
        settings = {
            "command": command,
            "rates": rates,
            "stepSeconds": step_s,
            "poisson": poisson,
            "seed": seed,
            "mix": dict(mix.DEFAULT_MIX),
            "bounds": asdict(bounds),
            "workerProcesses": WORKER_PROCESSES,
            "cpuCount": os.cpu_count(),
            "database": "postgresql" if database_url else "sqlite",
            "loadAverageAtEnd": os.getloadavg(),
        }
        report = analyse(
            result, monitor.samples, bounds=bounds, settings=settings, cores=os.cpu_count() or 1
        )
        report.notes += [f"logged: {line}" for line in logged_errors(platform_logs)]
        path = write(report, reports)
        if print_report:
            print(path.read_text(encoding="utf-8"), flush=True)
            print(f"[loadgen] report: {path}", flush=True)
        ok = True
        return report
    finally:
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"[loadgen] logs kept in {workdir}", flush=True)
