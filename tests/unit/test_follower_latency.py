"""The block follower's latency helpers: when a block is due (the follower then asks for the
head often), and the follower posting callbacks itself, handing retries to the queue."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from ledger.capabilities import CAPABILITIES
from ledger.core import webhooks
from ledger.core.db.delivery_models import WebhookMessage
from ledger.core.db.models import Organisation, utcnow
from ledger.core.follower import DUE_WINDOW_S, FollowerState
from ledger.core.follower_callbacks import DeliveringDispatcher
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.core.settings import Settings
from ledger.schema.migrate import upgrade


def _steady(interval: float) -> FollowerState:
    state = FollowerState()
    for head in range(5):
        state.saw_head(head, head * interval)
    return state


def test_a_block_is_due_shortly_before_the_rhythm_expects_it_and_not_once_overdue() -> None:
    state = _steady(2.0)  # head 4 seen at t = 8
    assert state.block_due_in(8.5) == 2.0 - DUE_WINDOW_S - 0.5
    assert state.block_due_in(8 + 2.0 - DUE_WINDOW_S / 2) == 0
    assert state.block_due_in(8 + 2.5) == 0  # a little late: still asked for
    assert state.block_due_in(8 + 3.5) is None  # stalled or paused chain: the usual poll
    assert FollowerState().block_due_in(1.0) is None  # no rhythm known yet
    assert _steady(0.1).block_due_in(0.45) is None  # mining on arrival


def _runtime(tmp_path: Path, dispatcher: RecordingDispatcher) -> Runtime:
    settings = Settings(data_dir=tmp_path, callback_timeout_s=2)
    upgrade(settings.sqlalchemy_url)
    return Runtime(
        settings=settings,
        rpc_url="http://127.0.0.1:9",
        dispatcher=dispatcher,
        capabilities=CAPABILITIES,
    )


def test_the_follower_posts_a_callback_itself_and_queues_its_retry_with_the_backoff(
    tmp_path: Path,
) -> None:
    queued = RecordingDispatcher()
    runtime = _runtime(tmp_path, queued)
    with runtime.session() as session:
        # nothing listens on port 9: the attempt fails and asks for a retry
        bsp = Organisation(
            id="bsp",
            name="BSP",
            role="BSP",
            eic="21XBSP-ALPHA---L",
            address="0x" + "11" * 20,
            callback_url="http://127.0.0.1:9/callbacks",
        )
        session.add(bsp)
        session.flush()
        message_id = webhooks.message(
            session, bsp, event_type="activation.sent", subject_kind="x", subject_id="a", body={}
        )
        session.commit()
    assert message_id is not None
    dispatcher = DeliveringDispatcher(queued, runtime)
    dispatcher.enqueue("cbp.other", n=1)
    before = time.time()
    dispatcher.enqueue(webhooks.TASK_DELIVER, message_id=message_id)
    dispatcher.close()
    other, retry = queued.tasks
    assert other == ("cbp.other", {"n": 1})
    assert retry[0] == webhooks.TASK_DELIVER
    assert retry[1]["message_id"] == message_id
    assert retry[1]["not_before"] >= before + runtime.settings.callback_backoff_s
    with runtime.session() as session:
        attempts = webhooks.list_deliveries(session, bsp, limit=10, offset=0)["data"][0]
    assert len(attempts["attempts"]) == 1  # attempted here, recorded as every attempt
    assert attempts["attempts"][0]["error"]


def test_a_callback_left_unattempted_by_a_stopped_follower_is_queued_by_the_next(
    tmp_path: Path,
) -> None:
    queued = RecordingDispatcher()
    runtime = _runtime(tmp_path, queued)
    with runtime.session() as session:
        bsp = Organisation(
            id="bsp",
            name="BSP",
            role="BSP",
            eic="21XBSP-ALPHA---L",
            address="0x" + "11" * 20,
            callback_url="http://127.0.0.1:9/callbacks",
        )
        session.add(bsp)
        session.flush()
        old, new = (
            webhooks.message(
                session, bsp, event_type="activation.sent", subject_kind="x", subject_id=s, body={}
            )
            for s in ("a", "b")
        )
        session.commit()
        stored = session.get(WebhookMessage, old)
        assert stored is not None
        stored.created_at = utcnow() - timedelta(minutes=5)
        session.commit()
    dispatcher = DeliveringDispatcher(queued, runtime)
    assert dispatcher.requeue_unattempted() == 1
    assert queued.tasks == [(webhooks.TASK_DELIVER, {"message_id": old})]
    assert new is not None  # stored a moment ago: its own attempt is under way, not queued again
