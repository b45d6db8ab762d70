# mypy: disallow-untyped-decorators=False
"""Celery task of settlement: compute the settlement an operation asks for (from the committed
data), store it and record its hash on chain. Thin: it calls one service."""

from __future__ import annotations

from celery import Task

from ledger.services import settlement
from workers.app import app
from workers.tasks import RETRY, runtime


@app.task(name=settlement.TASK_SETTLE, bind=True, **RETRY)
def settle_activation(self: Task, *, operation_id: str) -> str:
    return settlement.settle_activation(runtime(), operation_id)
