"""``python -m loadgen``: drive a fresh platform at increasing rates, report where it saturates.

Writes reports/load.md and reports/load.json and prints the same tables.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ledger.core.settings import PROJECT_ROOT
from loadgen.session import run_load

DEFAULT_RATES = "4,8,12,16,24,32,48"


def parse_rates(text: str) -> list[float]:
    rates = [float(part) for part in text.split(",") if part.strip()]
    if not rates or any(rate <= 0 for rate in rates):
        raise ValueError("rates are positive numbers separated by commas, e.g. 5,10,20")
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadgen", description=__doc__)
    parser.add_argument("--rates", default=DEFAULT_RATES, help="requests/s per step, e.g. 5,10")
    parser.add_argument("--step-seconds", type=float, default=30.0, help="duration of each step")
    parser.add_argument("--reports", type=Path, default=PROJECT_ROOT / "reports")
    parser.add_argument("--p99-bound-ms", type=float, default=2000.0)
    parser.add_argument(
        "--stop-after",
        type=int,
        default=1,
        help="stop once this many steps in a row are saturated (0: run every rate)",
    )
    parser.add_argument("--drain-seconds", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--even", action="store_true", help="evenly spaced, not Poisson")
    parser.add_argument(
        "--database-url",
        default=None,
        help="an empty PostgreSQL database for the platform (default: SQLite, temporary)",
    )
    args = parser.parse_args(argv)
    run_load(
        rates=parse_rates(args.rates),
        step_s=args.step_seconds,
        reports=args.reports,
        command="python -m loadgen " + " ".join(argv if argv is not None else sys.argv[1:]),
        p99_bound_s=args.p99_bound_ms / 1000,
        stop_after_saturated_steps=args.stop_after,
        drain_timeout_s=args.drain_seconds,
        seed=args.seed,
        poisson=not args.even,
        database_url=args.database_url,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
