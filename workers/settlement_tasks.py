# mypy: disallow-untyped-decorators=False
"""Celery tasks of settlement: compute the settlement an operation asks for (from the committed
data), store it and record its hash on chain; and, periodically (the beat embedded in the
worker, ``workers.app.beat_schedule``), finalise settlements whose answer window lapsed. Thin:
each calls one service."""

from __future__ import annotations

from celery import Task

from ledger.settlement import service as settlement
from workers.app import app
from workers.tasks import RETRY, runtime


@app.task(name=settlement.TASK_SETTLE, bind=True, **RETRY)
def settle_activation(self: Task, *, operation_id: str) -> str:
    return settlement.settle_activation(runtime(), operation_id)


@app.task(name=settlement.TASK_FINALISE_LAPSED, bind=True)
def finalise_lapsed(self: Task) -> list[str]:
    # no retry: the next tick of the schedule is the retry
    return settlement.finalise_lapsed(runtime())
