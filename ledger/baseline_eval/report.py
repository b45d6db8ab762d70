"""The evaluation as a table (Markdown), figures (JSON) and a plot (PNG).

Percentages are printed with one decimal; the JSON keeps the fractions to six decimals. The
plot is written without a timestamp or software tag, so the same inputs give the same file
(with the same matplotlib and FreeType).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ledger.baseline_eval.evaluate import (
    METHODS,
    NOT_EVALUATED,
    WINDOW_PERIODS,
    WINDOW_STARTS,
    MeterEvaluation,
)
from ledger.baseline_eval.metrics import Accuracy, accuracy

__all__ = ["POOLED", "figures", "markdown_table", "pooled", "write_plot", "write_report"]

POOLED = "pooled"


def pooled(evaluations: Sequence[MeterEvaluation]) -> dict[str, Accuracy]:
    """Each method over the windows of every meter together."""
    metered = np.concatenate([e.metered_mwh for e in evaluations])
    return {
        label: accuracy(np.concatenate([e.baselines_mwh[label] for e in evaluations]), metered)
        for label, _ in METHODS
    }


def _pooled_split(
    evaluations: Sequence[MeterEvaluation], key: str, groups: Sequence[Any]
) -> dict[str, dict[str, Accuracy]]:
    """Pooled figures per window start (``start``) or day type (``dayType``), recomputed
    from each meter's windows."""
    result: dict[str, dict[str, Accuracy]] = {}
    for group in groups:
        metered: list[NDArray[np.int64]] = []
        per_method: dict[str, list[NDArray[np.int64]]] = {label: [] for label, _ in METHODS}
        for e in evaluations:
            mask = e.window_starts == group if key == "start" else e.window_day_types == group
            metered.append(e.metered_mwh[mask])
            for label in per_method:
                per_method[label].append(e.baselines_mwh[label][mask])
        values = np.concatenate(metered)
        if values.size and values.any():
            result[str(group)] = {
                label: accuracy(np.concatenate(parts), values)
                for label, parts in per_method.items()
            }
    return result


def short_name(meter: str) -> str:
    """``uk-electricity-hdd-only-hourly-sample-0`` -> ``sample-0``."""
    return meter.rsplit("-", 2)[-2] + "-" + meter.rsplit("-", 1)[-1] if "sample" in meter else meter


def _start_label(start: int) -> str:
    minutes = start * 15
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _metric(a: Accuracy) -> dict[str, Any]:
    return {"cvRmse": round(a.cv_rmse, 6), "nmbe": round(a.nmbe, 6), "periods": a.periods}


def figures(evaluations: Sequence[MeterEvaluation]) -> dict[str, Any]:
    """Everything the report says, as JSON-ready values."""
    return {
        "methods": [label for label, _ in METHODS],
        "notEvaluated": NOT_EVALUATED,
        "windowPeriods": WINDOW_PERIODS,
        "windowStarts": [_start_label(s) for s in WINDOW_STARTS],
        "degreesOfFreedom": "n - p with p = 0",
        "meters": {
            e.meter: {
                "windows": e.windows,
                "completeWindows": e.candidate_windows,
                "availability": {k: round(v, 6) for k, v in e.availability.items()},
                "accuracy": {k: _metric(v) for k, v in e.overall.items()},
            }
            for e in evaluations
        },
        "pooled": {
            "windows": sum(e.windows for e in evaluations),
            "accuracy": {k: _metric(v) for k, v in pooled(evaluations).items()},
            "byStart": {
                _start_label(int(group)): {k: _metric(v) for k, v in split.items()}
                for group, split in _pooled_split(evaluations, "start", WINDOW_STARTS).items()
            },
            "byDayType": {
                group: {k: _metric(v) for k, v in split.items()}
                for group, split in _pooled_split(
                    evaluations, "dayType", ("weekday", "weekend")
                ).items()
            },
        },
    }


def _percent(value: float, signed: bool = False) -> str:
    return f"{value * 100:+.1f}" if signed else f"{value * 100:.1f}"


def markdown_table(evaluations: Sequence[MeterEvaluation]) -> str:
    """Per method: CV(RMSE) and NMBE (%) of each meter and of all meters pooled."""
    everything = pooled(evaluations)
    header = ["method"]
    for e in evaluations:
        header += [f"{short_name(e.meter)} CV(RMSE) %", "NMBE %"]
    header += [f"{POOLED} CV(RMSE) %", "NMBE %"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, _ in METHODS:
        row = [label]
        for e in evaluations:
            row += [_percent(e.overall[label].cv_rmse), _percent(e.overall[label].nmbe, True)]
        row += [_percent(everything[label].cv_rmse), _percent(everything[label].nmbe, True)]
        lines.append("| " + " | ".join(row) + " |")
    for name, reason in NOT_EVALUATED.items():
        lines.append(f"| {name} ({reason}) | " + " | ".join(["n/a"] * (len(header) - 1)) + " |")
    windows = ", ".join(f"{short_name(e.meter)}: {e.windows}" for e in evaluations)
    lines.append("")
    lines.append(f"Windows of {WINDOW_PERIODS} periods counted per meter: {windows}.")
    return "\n".join(lines)


def write_plot(evaluations: Sequence[MeterEvaluation], path: Path) -> None:
    """Two panels, CV(RMSE) and NMBE per method, a bar per meter and one for all meters."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [label for label, _ in METHODS]
    series = [(short_name(e.meter), e.overall) for e in evaluations]
    series.append((POOLED, pooled(evaluations)))
    x = np.arange(len(labels))
    width = 0.8 / len(series)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for index, (name, results) in enumerate(series):
        offset = x - 0.4 + width * (index + 0.5)
        top.bar(offset, [results[m].cv_rmse * 100 for m in labels], width, label=name)
        bottom.bar(offset, [results[m].nmbe * 100 for m in labels], width, label=name)
    top.set_ylabel("CV(RMSE) %")
    bottom.set_ylabel("NMBE % (baseline - meter)")
    bottom.axhline(0, color="black", linewidth=0.8)
    for axis in (top, bottom):
        axis.grid(axis="y", alpha=0.3)
    bottom.set_xticks(x, labels, rotation=20)
    top.legend(fontsize=8)
    top.set_title(
        f"Baseline accuracy on real meters, {WINDOW_PERIODS // 4} h windows"
        " (CalTRACK / ASHRAE Guideline 14, p = 0)"
    )
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)


def write_report(evaluations: Sequence[MeterEvaluation], folder: Path) -> dict[str, Path]:
    """``accuracy.json``, ``accuracy.md`` and ``accuracy.png`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": folder / "accuracy.json",
        "table": folder / "accuracy.md",
        "plot": folder / "accuracy.png",
    }
    paths["json"].write_text(json.dumps(figures(evaluations), indent=2) + "\n", "utf-8")
    paths["table"].write_text(markdown_table(evaluations) + "\n", "utf-8")
    write_plot(evaluations, paths["plot"])
    return paths
