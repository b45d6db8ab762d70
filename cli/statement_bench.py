"""Benchmark: a month's statement and BRP correction reports, beside a plain ``json.dumps``.

Synthetic, one process: ``activations`` final settlement records of one BSP in December 2026
(``isps`` ISPs each, ``pods`` PODs per UVAM spread over 10 BRPs) and one award per activation
with an availability price. Timed (wall clock, best of ``--repeat``): the statement (build,
canonical JSON, keccak256), the correction reports (build, canonical JSON, keccak256) and, as
the ceiling in the same run, ``json.dumps`` of the statement document with its Decimals
already turned into text (no sorting, no checks, no hash): what serialising the same data
costs at the least.

Run: ``.venv/bin/python -m cli.statement_bench [--activations N] [--isps N] [--pods N]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ledger.settlement.statements.availability import AwardedCapacity
from ledger.settlement.statements.perimeter import build_corrections
from ledger.settlement.statements.period import parse_period
from ledger.settlement.statements.statement import SettledActivation, build_statement, document_hash

PERIOD = parse_period("2026-12")


def _record(index: int, isps: int, pods: int) -> dict[str, Any]:
    start = PERIOD.start_ts + (index % 2900) * 900
    periods = [
        {
            "start": start + 900 * i,
            "baselineWh": 40_000,
            "measuredWh": 31_000 + i,
            "orderedWh": 10_000,
            "deliveredWh": 9_000 - i,
            "deficiencyWh": 1_000 + i,
            "priceEurMwh": "87.5",
            "sanctionEurMwh": "200",
            "remunerationEur": "0.79",
            "penaltyEur": "0.2",
            "netEur": "0.59",
        }
        for i in range(isps)
    ]
    return {
        "activationId": f"A{index:06d}",
        "uvamId": f"U{index % 50}",
        "direction": "up" if index % 3 else "down",
        "version": 1,
        "periods": periods,
        "pods": {
            "podIds": [f"P{index}-{p}" for p in range(pods)],
            "deliveredWh": [[90 - p for _ in range(isps)] for p in range(pods)],
        },
    }


def _best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activations", type=int, default=3000)
    parser.add_argument("--isps", type=int, default=8)
    parser.add_argument("--pods", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settled = [
        SettledActivation(f"S{i}", f"0x{i:064x}", _record(i, args.isps, args.pods))
        for i in range(args.activations)
    ]
    awards = [
        AwardedCapacity(
            f"B{i:06d}",
            "N",
            f"U{i % 50}",
            PERIOD.start_ts + (i % 2900) * 900,
            [40] * args.isps,
            Decimal("0.125"),
        )
        for i in range(args.activations)
    ]
    brp = {pod: f"DC-{n % 10}" for s in settled for n, pod in enumerate(s.record["pods"]["podIds"])}

    def statement() -> bytes:
        return document_hash(
            build_statement(bsp="bsp", period=PERIOD, settled=settled, awards=awards)
        )

    def corrections() -> list[bytes]:
        reports = build_corrections(period=PERIOD, settled=settled, brp_of_pod=brp)
        return [document_hash(r) for r in reports.values()]

    document = _plain(build_statement(bsp="bsp", period=PERIOD, settled=settled, awards=awards))
    reports = build_corrections(period=PERIOD, settled=settled, brp_of_pod=brp)
    size = len(json.dumps(document, separators=(",", ":")))
    t_statement = _best(args.repeat, statement)
    t_dumps = _best(args.repeat, lambda: json.dumps(document))
    t_corrections = _best(args.repeat, corrections)
    t_report_dumps = _best(args.repeat, lambda: [json.dumps(r) for r in reports.values()])
    lines = args.activations * args.isps * 2
    pod_lines = args.activations * args.isps * args.pods
    print(
        f"statement: {args.activations} activations x {args.isps} ISPs, as many availability"
        f" ISPs ({lines} lines, {size / 1e6:.1f} MB JSON); best of {args.repeat}"
    )
    print(f"  build + canonical JSON + keccak256: {t_statement:.3f} s")
    print(
        f"  ceiling, json.dumps of the built document: {t_dumps:.3f} s;"
        f" share {t_dumps / t_statement:.2f}"
    )
    print(f"corrections: {pod_lines} POD-ISP lines, 10 BRPs")
    print(f"  build + canonical JSON + keccak256: {t_corrections:.3f} s")
    print(
        f"  ceiling, json.dumps of the built reports: {t_report_dumps:.3f} s;"
        f" share {t_report_dumps / t_corrections:.2f}"
    )


if __name__ == "__main__":
    main()
