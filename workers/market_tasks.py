# mypy: disallow-untyped-decorators=False
"""Celery tasks of the market: the DSO validation worker, automatic clearing, activation
notifications and lapses, bid expiry. Thin, like :mod:`workers.tasks`: each calls one service
with simple arguments, under an explicit, stable name."""

from __future__ import annotations

from typing import Any

from celery import Task

from ledger.market import activations as market_activations
from ledger.market import bids as market
from ledger.market import checks as market_checks
from ledger.market import needs as market_clearing
from workers.app import app
from workers.tasks import RETRY, runtime

#: Longest countdown handed to the broker at once: Redis redelivers tasks whose ETA lies beyond
#: its visibility timeout (300 s), so a later deadline is reached by hops.
MAX_HOP_S = 60
#: A need waiting for its gate looks again this often: there are few needs, and a clock moved
#: ahead (demo, tests) should not leave one waiting a whole hop.
NEED_HOP_S = 10


def _later(
    task: Task, not_before: int | None, kwargs: dict[str, Any], *, hop_s: int = MAX_HOP_S
) -> bool:
    """Re-enqueue ``task`` while ``not_before`` lies ahead on the platform's clock (which a demo
    or a test may move ahead of the wall clock, :mod:`ledger.core.clock`); False once it is time."""
    remaining = 0 if not_before is None else not_before - runtime().clock.now()
    if remaining <= 0:
        return False
    task.apply_async(kwargs=kwargs, countdown=min(remaining, hop_s))
    return True


@app.task(name=market.TASK_DSO_CHECK, bind=True, **RETRY)
def dso_check(self: Task, *, bid_ids: list[str]) -> list[str]:
    return market_checks.dso_check(runtime(), bid_ids)


@app.task(name=market.TASK_EXPIRE_BIDS, bind=True, **RETRY)
def expire_bids(self: Task) -> str | None:
    return market.expire_bids(runtime())


@app.task(name=market_clearing.TASK_CLEAR_NEED, bind=True, **RETRY)
def clear_need(self: Task, *, need_id: str, not_before: int | None = None) -> str | None:
    """Clears the need once its gate has closed (``not_before``; a task queued without it, by
    an earlier version, looks the gate up)."""
    if not_before is None:
        not_before = market_clearing.gate_of(runtime(), need_id)
    if _later(self, not_before, {"need_id": need_id, "not_before": not_before}, hop_s=NEED_HOP_S):
        return None
    return market_clearing.clear_need_task(runtime(), need_id)


@app.task(name=market_activations.TASK_LAPSE, bind=True, **RETRY)
def lapse_activation(self: Task, *, activation_id: str, not_before: int) -> str | None:
    if _later(self, not_before, {"activation_id": activation_id, "not_before": not_before}):
        return None
    return market_activations.lapse(runtime(), activation_id)
