"""``cbp baseline evaluate`` on a slice of the real data: finite figures, every method named,
the table, JSON and plot written."""

import json
import math
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from ledger.baseline_eval.evaluate import METHODS, NOT_EVALUATED


def test_evaluate_a_slice_of_real_data(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "baseline",
            "evaluate",
            "--sample",
            "uk-electricity-hdd-only-hourly-sample-1",
            "--days",
            "45",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    for label, _ in METHODS:
        assert f"| {label} |" in result.output
    assert "declared" in result.output

    figures = json.loads((tmp_path / "accuracy.json").read_text())
    meter = figures["meters"]["uk-electricity-hdd-only-hourly-sample-1"]
    assert meter["windows"] > 40  # 17 days after the 28 of history, 4 windows a day
    assert set(meter["accuracy"]) == {label for label, _ in METHODS}
    for values in meter["accuracy"].values():
        assert math.isfinite(values["cvRmse"])
        assert values["cvRmse"] > 0
        assert math.isfinite(values["nmbe"])
    assert set(figures["notEvaluated"]) == set(NOT_EVALUATED)
    table = (tmp_path / "accuracy.md").read_text()
    assert all(label in table for label, _ in METHODS)
    assert (tmp_path / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_too_short_a_slice_is_refused_with_the_option_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["baseline", "evaluate", "--days", "10", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--days" in result.output


def test_a_simulated_sample_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["baseline", "evaluate", "--sample", "il-tempF", "--out", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "error (sample)" in result.output
    assert "not a metered sample" in result.output
