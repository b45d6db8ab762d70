"""The load report: analysis of the runner's raw result, ``load.md`` and ``load.json``."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadgen.monitor import Sample, window_evidence
from loadgen.stats import (
    ALL,
    Bounds,
    Record,
    StepResult,
    StepWindow,
    flag_steps,
    saturation_point,
    summarise_step,
    to_json,
)

PROCESSES = ("api", "worker", "follower", "indexer", "anvil", "driver")
LABELS = {
    "api": "API (uvicorn)",
    "worker": "Celery worker (2 pool processes)",
    "follower": "block follower",
    "indexer": "indexer",
    "anvil": "Anvil",
    "driver": "load generator",
}


@dataclass
class LoadReport:
    generated_at: str
    settings: dict[str, Any]
    steps: list[StepResult]
    operations: dict[str, int]
    """Operations the load started, by final status (``missing``: never found again)."""
    failures: list[dict[str, Any]]
    drain: dict[str, Any]
    stopped_early: bool
    requests: int
    requests_by_outcome: dict[str, int]
    request_errors: dict[str, int] = field(default_factory=dict)
    """Why requests got no answer or a 5xx, by error text (the most frequent)."""
    saturation: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def _cpu(step: StepResult, name: str) -> float | None:
    return step.evidence.get(f"cpu_{name}_pct")


def diagnose(step: StepResult, previous: StepResult | None, cores: int) -> list[str]:
    """What ran out first, from the figures measured in the saturated step's window (and the
    step before it): a verdict, then the evidence."""
    capacity = cores * 100
    machine = _cpu(step, "machine")
    ours = {name: pct for name in PROCESSES if (pct := _cpu(step, name)) is not None}
    kinds = {flag.split(":", 1)[0] for flag in step.flags}
    tx = step.evidence.get("anvil_tx_per_s")
    ops_rate = step.accepted_operations / step.seconds
    lines: list[str] = []
    chain_stalled = False
    if previous is not None and tx is not None:
        before = previous.evidence.get("anvil_tx_per_s")
        before_ops = previous.accepted_operations / previous.seconds
        if before is not None:
            chain_stalled = tx <= 1.1 * before and ops_rate > 1.1 * before_ops
            lines.append(
                f"chain: Anvil mined {before:.1f} -> {tx:.1f} tx/s while operations accepted rose "
                f"{before_ops:.1f} -> {ops_rate:.1f}/s (bids add one DSO-check operation each)"
            )
    lines.append(
        f"backlog of operations not yet final: {step.backlog_start} -> {step.backlog_end} "
        f"(max {step.backlog_max})"
    )
    busiest = sorted(ours.items(), key=lambda item: -item[1])
    lines.append(
        "CPU (100% = one core): "
        + ", ".join(f"{LABELS[name]} {pct:.0f}%" for name, pct in busiest)
        + (
            f"; whole machine {machine:.0f}% of {capacity}% "
            f"(of which not this platform or generator: {machine - sum(ours.values()):.0f}%)"
            if machine is not None
            else ""
        )
        + (f"; hypervisor steal {steal:.0f}%" if (steal := _cpu(step, "steal")) else "")
    )
    lines.append(
        f"API: service time (sent to answered) p50 {_ms(step.service_p50_s)} ms, p99 "
        f"{_ms(step.service_p99_s)} ms; generator send lag p99 {_ms(step.lag_p99_s)} ms"
    )
    if "backlog" in kinds or chain_stalled:
        worker = ours.get("worker")
        busy = f" at {worker:.0f}% CPU" if worker is not None else ""
        verdict = (
            "the chain-submission workers (Celery, 2 pool processes): accepted operations pile "
            f"up faster than they are submitted and confirmed, with the workers{busy}"
        )
    elif machine is not None and machine >= 0.9 * capacity:
        verdict = "the machine's CPU: every core busy"
    elif ours.get("api", 0.0) >= 90:
        verdict = "the API (uvicorn, its processes together): a core busy or more"
    elif "errors" in kinds:
        verdict = "errors: the platform answered 5xx or not at all"
    else:
        verdict = "the API's answers: latency grew beyond the bound"
    return [verdict, *lines]


def analyse(
    result: dict[str, Any],
    samples: Sequence[Sample],
    *,
    bounds: Bounds,
    settings: dict[str, Any],
    cores: int,
) -> LoadReport:
    records = [Record(**item) for item in result["records"]]
    windows = [StepWindow(**item) for item in result["windows"]]
    backlog = [(float(at), int(count)) for at, count in result["backlog"]]
    steps = [summarise_step(window, records, backlog) for window in windows]
    for step, window in zip(steps, windows, strict=True):
        step.evidence = window_evidence(samples, window.start, window.end)
    flag_steps(steps, bounds)
    operations = result["operations"]
    by_status = Counter(str(item["status"]) for item in operations.values())
    failures = [
        {"operationId": op_id, **item}
        for op_id, item in operations.items()
        if item["status"] != "succeeded"
    ]
    outcomes = Counter(
        str(r.status) if r.status is not None else ("transport" if r.error else "pending")
        for r in records
    )
    report = LoadReport(
        generated_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        settings=settings,
        steps=steps,
        operations=dict(sorted(by_status.items())),
        failures=failures[:20],
        drain=result["drain"],
        stopped_early=bool(result["stoppedEarly"]),
        requests=len(records),
        requests_by_outcome=dict(sorted(outcomes.items())),
        request_errors=dict(
            Counter(
                f"{r.endpoint}: {r.status or 'no answer'}: {(r.error or '')[:160]}"
                for r in records
                if r.error and (r.status is None or r.status >= 500)
            ).most_common(10)
        ),
    )
    if steps:
        first = steps[0]
        machine = _cpu(first, "machine")
        ours = sum(v for name in PROCESSES if (v := _cpu(first, name)) is not None)
        if machine is not None and machine - ours > 25:
            report.notes.append(
                f"the machine was shared: in the first step {machine - ours:.0f}% of CPU "
                f"(of {cores * 100}%) went to work other than this platform and generator, "
                "so the absolute figures are lower than on an idle machine"
            )
    saturated = saturation_point(steps)
    if saturated is not None:
        report.saturation = {
            "step": saturated.index,
            "rate": saturated.rate,
            "flags": saturated.flags,
            "diagnosis": diagnose(
                saturated, steps[saturated.index - 1] if saturated.index else None, cores
            ),
        }
    return report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _pct(step: StepResult, name: str) -> str:
    value = step.evidence.get(f"cpu_{name}_pct")
    return "-" if value is None else f"{value:.0f}"


DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def markdown(report: LoadReport) -> str:
    s = report.settings
    lines = [
        "# Load",
        "",
        f"Generated {report.generated_at} by `{s['command']}`: a fresh platform "
        f"({DATABASES[s['database']]}, Anvil, "
        f"API, Celery worker with {s['workerProcesses']} pool processes, indexer) on a machine "
        f"with {s['cpuCount']} cores; the generator is a separate process on loopback, open loop "
        f"({'Poisson' if s['poisson'] else 'evenly spaced'} arrivals), {s['stepSeconds']:g} s "
        "per step. Latency counts from when a request was due, so a late generator cannot hide "
        "a slow platform.",
        "",
        f"Mix per 100 requests: {', '.join(f'{k} {v}' for k, v in s['mix'].items())}.",
        "",
        f"Saturated when achieved < {s['bounds']['throughput_fraction']:.0%} of offered, or p99 "
        f"(all endpoints) > {_ms(s['bounds']['p99_s'])} ms, or the operations backlog grows "
        f"within a step by more than {s['bounds']['backlog_fraction']:.0%} of the operations "
        f"accepted in it (and more than {s['bounds']['backlog_floor']}), or any 5xx.",
        "",
        "## Steps",
        "",
        "| step | offered req/s | achieved req/s | answers | 503 | other 5xx | no answer | "
        "p50 ms | p95 ms | p99 ms | max ms | ops accepted | backlog start/end/max | saturated |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for step in report.steps:
        overall = step.latency.get(ALL)
        answers = ", ".join(f"{k}: {v}" for k, v in step.statuses.items())
        lines.append(
            f"| {step.index} ({step.rate:g}/s) | {step.offered_per_s:.1f} | "
            f"{step.achieved_per_s:.1f} | {answers} | {step.status_503} | "
            f"{step.errors_5xx - step.status_503} | {step.transport_errors} | "
            + (
                " | ".join(_ms(v) for v in (overall.p50, overall.p95, overall.p99, overall.max))
                if overall
                else "- | - | - | -"
            )
            + f" | {step.accepted_operations} | {step.backlog_start}/{step.backlog_end}/"
            f"{step.backlog_max} | {'; '.join(step.flags) or 'no'} |"
        )
    lines += [
        "",
        "## Where the time went (measured in each step's window)",
        "",
        "CPU % of each process with its children (100 = one core busy) and of the whole "
        "machine (other work on it included); Anvil transactions mined per second; service "
        "time (sent to answered, all endpoints); how late the generator sent its requests.",
        "",
        "| step | API % | worker % | follower % | indexer % | Anvil % | generator % | machine % "
        "| steal % | Anvil tx/s | ops accepted/s | service p50/p99 ms | send lag p99 ms "
        "| in flight at end |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for step in report.steps:
        tx = step.evidence.get("anvil_tx_per_s")
        lines.append(
            f"| {step.index} ({step.rate:g}/s) | "
            + " | ".join(_pct(step, name) for name in (*PROCESSES, "machine", "steal"))
            + f" | {'-' if tx is None else f'{tx:.1f}'} | "
            f"{step.accepted_operations / step.seconds:.1f} | "
            f"{_ms(step.service_p50_s)}/{_ms(step.service_p99_s)} | {_ms(step.lag_p99_s)} | "
            f"{step.in_flight_at_end} |"
        )
    lines += [
        "",
        "## Latency per endpoint",
        "",
        "| step | endpoint | requests | answers | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for step in report.steps:
        for name in s["mix"]:
            statuses = step.endpoint_statuses.get(name, {})
            latency = step.latency.get(name)
            figures = (
                " | ".join(_ms(v) for v in (latency.p50, latency.p95, latency.p99, latency.max))
                if latency
                else "- | - | - | -"
            )
            answers = ", ".join(f"{k}: {v}" for k, v in statuses.items()) or "-"
            lines.append(
                f"| {step.index} ({step.rate:g}/s) | `{name}` | {sum(statuses.values())} | "
                f"{answers} | {figures} |"
            )
    ops = report.operations
    lines += [
        "",
        "## Operations",
        "",
        f"Requests sent: {report.requests} "
        f"({', '.join(f'{k}: {v}' for k, v in report.requests_by_outcome.items())}). "
        f"Operations accepted (202): {sum(ops.values())}; final status: "
        f"{', '.join(f'{k}: {v}' for k, v in ops.items()) or 'none'}. Drain after the last "
        f"step: {report.drain['seconds']:.1f} s, backlog at the end: "
        + (
            "unknown (the API did not answer the backlog queries in time)."
            if report.drain["backlogAtEnd"] is None
            else f"{report.drain['backlogAtEnd']}."
        )
        + (" Stopped early: the last steps were saturated." if report.stopped_early else ""),
        "",
        "## Saturation",
        "",
    ]
    if report.saturation is None:
        lines.append("No step saturated at the rates offered.")
    else:
        sat = report.saturation
        lines.append(f"First saturated step: **{sat['step']} ({sat['rate']:g} req/s offered)**.")
        lines += [f"- {flag}" for flag in sat["flags"]]
        verdict, *evidence = sat["diagnosis"]
        lines.append(f"- **saturates first: {verdict}**")
        lines += [f"- {line}" for line in evidence]
    lines += [f"- failure: {f}" for f in report.failures]
    lines += [f"- request error: {n} x {text}" for text, n in report.request_errors.items()]
    lines += [f"- note: {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


def write(report: LoadReport, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "load.json").write_text(json.dumps(to_json(report), indent=2) + "\n")
    path = directory / "load.md"
    path.write_text(markdown(report), encoding="utf-8")
    return path
