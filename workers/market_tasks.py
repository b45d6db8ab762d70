# mypy: disallow-untyped-decorators=False
"""Celery tasks of the market: the DSO validation worker, automatic clearing, activation
notifications and lapses, bid expiry. Thin, like :mod:`workers.tasks`: each calls one service
with simple arguments, under an explicit, stable name."""

from __future__ import annotations

import time

from celery import Task

from ledger.services import market, market_activations, market_checks, market_clearing
from workers.app import app
from workers.tasks import RETRY, runtime

#: Longest countdown handed to the broker at once: Redis redelivers tasks whose ETA lies beyond
#: its visibility timeout (300 s), so a later deadline is reached by hops.
MAX_HOP_S = 60


@app.task(name=market.TASK_DSO_CHECK, bind=True, **RETRY)
def dso_check(self: Task, *, bid_ids: list[str]) -> list[str]:
    return market_checks.dso_check(runtime(), bid_ids)


@app.task(name=market.TASK_EXPIRE_BIDS, bind=True, **RETRY)
def expire_bids(self: Task) -> str | None:
    return market.expire_bids(runtime())


@app.task(name=market_clearing.TASK_CLEAR_NEED, bind=True, **RETRY)
def clear_need(self: Task, *, need_id: str) -> str | None:
    return market_clearing.clear_need_task(runtime(), need_id)


@app.task(name=market_activations.TASK_LAPSE, bind=True, **RETRY)
def lapse_activation(self: Task, *, activation_id: str, not_before: int) -> str | None:
    remaining = not_before - time.time()
    if remaining > 0:
        self.apply_async(
            kwargs={"activation_id": activation_id, "not_before": not_before},
            countdown=min(remaining, MAX_HOP_S),
        )
        return None
    return market_activations.lapse(runtime(), activation_id)
