"""From the runner's raw records to per-step figures, and where the platform saturates. Pure.

Latency is measured from when a request was *due* (its place in the open-loop schedule), not
from when it was sent: a generator that falls behind cannot hide the platform's slowness
(no coordinated omission). Achieved throughput is the 2xx answers that arrived inside a step's
window, per second of the window.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

ALL = "all"


@dataclass
class Record:
    """One request of the load, as the runner saw it."""

    step: int
    endpoint: str
    slug: str
    due: float
    """Wall-clock time (epoch seconds) the schedule wanted it sent."""
    lag_s: float
    """How late the generator actually sent it."""
    latency_s: float | None = None
    """Due to answered; None when no answer came (transport error or timeout)."""
    service_s: float | None = None
    """Sent to answered."""
    status: int | None = None
    error: str | None = None
    operation_id: str | None = None

    @property
    def answered_at(self) -> float | None:
        return None if self.latency_s is None else self.due + self.latency_s


@dataclass
class StepWindow:
    index: int
    rate: float
    start: float
    end: float
    scheduled: int
    in_flight_at_end: int = 0


@dataclass
class Latency:
    count: int
    p50: float
    p95: float
    p99: float
    max: float


@dataclass
class StepResult:
    index: int
    rate: float
    seconds: float
    scheduled: int
    offered_per_s: float
    achieved_per_s: float
    statuses: dict[str, int]
    """Answers by HTTP status of the step's requests; ``transport`` when none came (error or
    timeout), ``pending`` while one may still come."""
    endpoint_statuses: dict[str, dict[str, int]]
    """The same per endpoint."""
    errors_5xx: int
    status_503: int
    transport_errors: int
    accepted_operations: int
    latency: dict[str, Latency]
    lag_p99_s: float
    service_p50_s: float
    """Sent to answered (all endpoints): the platform's part, without the generator's lag."""
    service_p99_s: float
    in_flight_at_end: int
    backlog_start: int
    backlog_end: int
    backlog_max: int
    evidence: dict[str, float] = field(default_factory=dict)
    """CPU % of each platform process (100 = one core), Anvil tx/s: measured in the window."""
    flags: list[str] = field(default_factory=list)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``fraction`` of the values at
    or below it. Monotonic in ``fraction``; ``fraction`` 1 is the maximum."""
    if not values:
        raise ValueError("no values")
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered) - 1e-9))
    return ordered[rank - 1]


def latency_of(values: Sequence[float]) -> Latency:
    return Latency(
        count=len(values),
        p50=percentile(values, 0.50),
        p95=percentile(values, 0.95),
        p99=percentile(values, 0.99),
        max=max(values),
    )


def backlog_at(samples: Sequence[tuple[float, int]], at: float) -> int:
    """The last backlog sampled at or before ``at`` (0 before the first sample)."""
    value = 0
    for sampled_at, count in samples:
        if sampled_at > at:
            break
        value = count
    return value


def _outcome(record: Record) -> str:
    if record.status is not None:
        return str(record.status)
    return "transport" if record.error else "pending"


def summarise_step(
    window: StepWindow,
    records: Iterable[Record],
    backlog: Sequence[tuple[float, int]],
) -> StepResult:
    every = list(records)
    mine = [r for r in every if r.step == window.index]
    seconds = window.end - window.start
    answered_ok = sum(
        1
        for r in every
        if r.status is not None
        and 200 <= r.status < 300
        and r.answered_at is not None
        and window.start <= r.answered_at < window.end
    )
    statuses = Counter(_outcome(r) for r in mine)
    by_endpoint: dict[str, list[float]] = {}
    for r in mine:
        if r.latency_s is not None:
            by_endpoint.setdefault(r.endpoint, []).append(r.latency_s)
            by_endpoint.setdefault(ALL, []).append(r.latency_s)
    inside = [count for at, count in backlog if window.start <= at <= window.end]
    service = [r.service_s for r in mine if r.service_s is not None]
    return StepResult(
        index=window.index,
        rate=window.rate,
        seconds=seconds,
        scheduled=window.scheduled,
        offered_per_s=window.scheduled / seconds,
        achieved_per_s=answered_ok / seconds,
        statuses=dict(sorted(statuses.items())),
        endpoint_statuses={
            name: dict(sorted(Counter(_outcome(r) for r in mine if r.endpoint == name).items()))
            for name in sorted({r.endpoint for r in mine})
        },
        errors_5xx=sum(1 for r in mine if r.status is not None and r.status >= 500),
        status_503=sum(1 for r in mine if r.status == 503),
        transport_errors=statuses.get("transport", 0),
        accepted_operations=sum(1 for r in mine if r.status == 202 and r.operation_id),
        latency={name: latency_of(values) for name, values in sorted(by_endpoint.items())},
        lag_p99_s=percentile([r.lag_s for r in mine], 0.99) if mine else 0.0,
        service_p50_s=percentile(service, 0.50) if service else 0.0,
        service_p99_s=percentile(service, 0.99) if service else 0.0,
        in_flight_at_end=window.in_flight_at_end,
        backlog_start=backlog_at(backlog, window.start),
        backlog_end=backlog_at(backlog, window.end),
        backlog_max=max(inside, default=backlog_at(backlog, window.end)),
    )


@dataclass(frozen=True)
class Bounds:
    """When a step counts as saturated."""

    throughput_fraction: float = 0.9
    """Achieved below this fraction of offered."""
    p99_s: float = 2.0
    """p99 latency (all endpoints) above this."""
    backlog_fraction: float = 0.25
    backlog_floor: int = 10
    """Operations backlog grew within the step by more than this fraction of the operations
    accepted in it, and by more than the floor (a steady backlog does not grow)."""


def saturation_flags(step: StepResult, bounds: Bounds) -> list[str]:
    flags: list[str] = []
    if step.achieved_per_s < bounds.throughput_fraction * step.offered_per_s:
        flags.append(
            f"throughput: achieved {step.achieved_per_s:.1f}/s < "
            f"{bounds.throughput_fraction:.0%} of offered {step.offered_per_s:.1f}/s"
        )
    overall = step.latency.get(ALL)
    if overall is not None and overall.p99 > bounds.p99_s:
        flags.append(f"latency: p99 {overall.p99 * 1000:.0f} ms > {bounds.p99_s * 1000:.0f} ms")
    growth = step.backlog_end - step.backlog_start
    if growth > max(bounds.backlog_floor, bounds.backlog_fraction * step.accepted_operations):
        flags.append(
            f"backlog: operations not yet final grew by {growth} "
            f"({step.backlog_start} -> {step.backlog_end}) of {step.accepted_operations} accepted"
        )
    if step.errors_5xx or step.transport_errors:
        flags.append(f"errors: {step.errors_5xx} 5xx, {step.transport_errors} without answer")
    return flags


def flag_steps(steps: Sequence[StepResult], bounds: Bounds) -> None:
    for step in steps:
        step.flags = saturation_flags(step, bounds)


def saturation_point(steps: Sequence[StepResult]) -> StepResult | None:
    """The first step (by rate order) with a saturation flag, after flag_steps()."""
    return next((step for step in steps if step.flags), None)


def to_json(value: Any) -> Any:
    """Dataclasses (nested) to plain JSON values."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: to_json(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value
