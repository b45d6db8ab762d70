"""``cbp demo`` and ``cbp bench registration``, run for real (Anvil, Redis, API, Celery worker)."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest
from rich.console import Console

from cli.bench import run_registration_benchmark
from cli.cpu import CPU_PROCESSES
from cli.demo import TOKENS_FILE, run_demo
from ledger.core.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/8"

pytestmark = pytest.mark.stack


@pytest.fixture
def queue() -> str:
    """A Celery queue of this test only: other platforms on the same Redis never take its tasks."""
    return f"demo-{uuid.uuid4().hex[:8]}"


def test_demo_succeeds_and_runs_again_on_its_own_state(tmp_path: Path, queue: str) -> None:
    settings = Settings(data_dir=tmp_path, redis_url=REDIS_URL, keystore_password="x", queue=queue)
    console = Console(record=True, width=400)

    assert run_demo(settings, pods=12, console=console, market=False) == 0
    tokens_file = tmp_path / TOKENS_FILE
    assert stat.S_IMODE(tokens_file.stat().st_mode) == 0o600
    first_tokens = json.loads(tokens_file.read_text("utf-8"))
    assert {"tso", "dso-north", "dso-south", "bsp-alpha", "bsp-bravo", "bsp-charlie"} <= set(
        first_tokens
    )

    assert run_demo(settings, pods=12, console=console, market=False) == 0
    assert json.loads(tokens_file.read_text("utf-8")) == first_tokens
    output = console.export_text()
    assert "Reusing TSO" in output
    assert "exceeds the members' total maximumFlexUp" in output
    assert "inconsistent with gridVoltageLevel LV" in output


def test_demo_refuses_too_few_pods(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, redis_url=REDIS_URL, keystore_password="x")
    assert run_demo(settings, pods=3, console=Console(record=True)) == 2


def test_registration_benchmark_reports_positive_figures(tmp_path: Path, queue: str) -> None:
    report = tmp_path / "bench.json"
    figures = run_registration_benchmark(
        pods=200,
        raw_transactions=200,
        console=Console(record=True, width=160),
        settings=Settings(redis_url=REDIS_URL, keystore_password="x", queue=queue),
        report_path=report,
    )
    expected = {
        "ceiling_records", "ceiling_seconds", "ceiling_measured_per_s", "ceiling_gas_per_record",
        "ceiling_block_gas_limit", "ceiling_ceiling_per_s", "ceiling_blocks",
        "e2e_pods", "e2e_seconds", "e2e_pods_per_s", "e2e_operations", "e2e_transactions",
        "e2e_gas_per_pod", "single_pods", "single_seconds", "single_pods_per_s",
        "single_transactions", "single_gas_per_pod", "ratio_single_to_batched",
        "ratio_e2e_to_ceiling", "ratio_single_to_ceiling",
    }  # fmt: skip
    assert expected <= set(figures)
    assert all(figures[name] > 0 for name in expected)
    assert figures["ceiling_block_time_s"] == 0  # instant Anvil: the measured rate is the ceiling
    assert figures["ceiling_ceiling_per_s"] == figures["ceiling_measured_per_s"]
    assert figures["e2e_pods"] == 200
    assert figures["single_pods"] == 200
    assert figures["ceiling_records"] == 200
    # a registerPods call of one POD costs more than the base fee of a transfer
    assert figures["ceiling_gas_per_record"] > 21_000
    # every platform process, the follower included, and the clients cost CPU in both phases
    for phase in ("e2e", "single"):
        per_process = [f"{phase}_cpu_ms_per_pod_{name}" for name in CPU_PROCESSES]
        assert all(figures[name] > 0 for name in per_process), figures
        assert figures[f"{phase}_cpu_ms_per_pod"] == pytest.approx(
            sum(figures[name] for name in per_process)
        )
    assert json.loads(report.read_text("utf-8"))["figures"] == pytest.approx(figures)
