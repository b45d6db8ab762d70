"""The settlement benchmark runs end to end on a small day."""

from __future__ import annotations

import pytest

from cli.settlement_bench import main, run_settlement_benchmark


def test_benchmark_figures() -> None:
    figures = run_settlement_benchmark(pods=200, days_history=10, repeat=1)
    assert figures["readings"] == {
        "total": 200 * 1440 * 12,
        "eventDay": 200 * 1440 * 2,
        "history": 200 * 1440 * 10,
    }
    assert figures["records"] == figures["distinctHashes"] == 2
    assert figures["deliveryCheckPassed"] == 2
    assert figures["flaggedPeriods"] == 0
    assert figures["readingsPerSecond"]["settlement"] > 0
    assert figures["seconds"]["numpySum"] > 0


def test_benchmark_prints(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--pods", "100", "--days-history", "5", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "readings/s" in out
    assert "numpy.sum" in out


def test_benchmark_prints_the_share_beside_the_floor_by_cpu_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["--pods", "100", "--days-history", "5", "--repeat", "1", "--cpu-time"])
    out = capsys.readouterr().out
    assert "vs numpy.sum" in out
    assert "(floor 0.2x: " in out
    assert "CPU time" in out
