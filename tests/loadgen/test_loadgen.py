"""A tiny load against a real platform: behaviour, not timing.

Two short steps (4 and 6 requests/s for 10 s, evenly spaced: 100 requests, the mix's exact
proportions) from the generator process against a fresh platform; every request and every
operation must be accounted for.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from loadgen import mix
from loadgen.session import run_load

pytestmark = pytest.mark.stack

RATES = [4.0, 6.0]
STEP_S = 10.0
ROW = re.compile(r"^\| (\d+) \(([\d.]+)/s\) \| `([^`]+)` \| (\d+) \| ([^|]+) \|(.*)\|$")


@pytest.fixture(scope="module")
def load(tmp_path_factory: pytest.TempPathFactory):
    reports = tmp_path_factory.mktemp("load-reports")
    report = run_load(
        rates=RATES,
        step_s=STEP_S,
        reports=reports,
        command="pytest tests/loadgen",
        stop_after_saturated_steps=0,
        poisson=False,
        seed_pods=10,
        devices=1,
        print_report=False,
    )
    return report, reports


def test_every_request_is_accounted_for_and_none_failed_on_the_server(load):
    report, _ = load
    scheduled = sum(step.scheduled for step in report.steps)
    assert [step.rate for step in report.steps] == RATES
    assert scheduled == sum(round(rate * STEP_S) for rate in RATES) == 100
    assert report.requests == scheduled
    assert sum(report.requests_by_outcome.values()) == scheduled
    assert "pending" not in report.requests_by_outcome
    assert "transport" not in report.requests_by_outcome
    assert not [code for code in report.requests_by_outcome if code.startswith("5")]
    assert sum(step.errors_5xx for step in report.steps) == 0
    # the whole run is one block of the mix: each endpoint exactly its weight
    per_endpoint: dict[str, int] = {}
    for step in report.steps:
        for name, statuses in step.endpoint_statuses.items():
            per_endpoint[name] = per_endpoint.get(name, 0) + sum(statuses.values())
    assert per_endpoint == dict(mix.DEFAULT_MIX)
    # writes answer 202, reads 200: the bodies are valid and the ids exist
    for step in report.steps:
        for name, statuses in step.endpoint_statuses.items():
            expected = "202" if name in mix.WRITES else "200"
            assert set(statuses) == {expected}, (name, statuses)


def test_every_accepted_operation_succeeded(load):
    report, _ = load
    accepted = sum(step.accepted_operations for step in report.steps)
    writes = sum(mix.DEFAULT_MIX[name] for name in mix.WRITES)
    assert accepted == writes
    assert report.operations == {"succeeded": accepted}, report.failures
    assert report.drain["backlogAtEnd"] == 0


def test_the_report_has_a_row_per_endpoint_per_step_with_ordered_percentiles(load):
    report, reports = load
    text = (reports / "load.md").read_text()
    rows = [ROW.match(line) for line in text.splitlines()]
    found = {(int(m[1]), m[3]) for m in rows if m}
    assert found == {(step, name) for step in range(len(RATES)) for name in mix.DEFAULT_MIX}
    for m in rows:
        if m and int(m[4]):
            p50, p95, p99, top = (float(v) for v in m[6].strip(" |").split(" | "))
            assert p50 <= p95 <= p99 <= top
    for step in report.steps:
        for latency in step.latency.values():
            assert latency.p50 <= latency.p95 <= latency.p99 <= latency.max
    stored = json.loads(Path(reports / "load.json").read_text())
    assert len(stored["steps"]) == len(RATES)
    assert all(step["evidence"].get("cpu_api_pct") is not None for step in stored["steps"])
