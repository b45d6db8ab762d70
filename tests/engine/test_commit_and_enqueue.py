"""The one way an accepted operation leaves the API: commit, enqueue, abandon if the broker
cannot take it (every route uses ``operations.commit_and_enqueue``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledger.capabilities import CAPABILITIES
from ledger.core import operations
from ledger.core.db.models import Operation, Organisation
from ledger.core.errors import Unavailable
from ledger.core.runtime import DispatchFailed, RecordingDispatcher, Runtime
from ledger.core.settings import Settings
from ledger.schema.migrate import upgrade


class BrokerDownAfter(RecordingDispatcher):
    """Takes ``accepted`` tasks, then refuses every other one, as a broker that just died."""

    def __init__(self, accepted: int) -> None:
        super().__init__()
        self.accepted = accepted

    def enqueue(self, task: str, **kwargs: Any) -> None:
        if len(self.tasks) >= self.accepted:
            raise DispatchFailed("broker unreachable")
        super().enqueue(task, **kwargs)


def _runtime(tmp_path: Path, dispatcher: RecordingDispatcher) -> Runtime:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings.sqlalchemy_url)
    return Runtime(
        settings=settings,
        rpc_url="http://127.0.0.1:9",
        dispatcher=dispatcher,
        capabilities=CAPABILITIES,
    )


def _accept_two(runtime: Runtime) -> tuple[str, str]:
    with runtime.session() as session:
        organisation = Organisation(
            id="bsp", name="BSP", role="BSP", eic="21XBSP-ALPHA---L", address="0x" + "11" * 20
        )
        session.add(organisation)
        session.flush()
        first = operations.accept(
            session,
            organisation=organisation,
            kind="pod.status",
            payload={"podId": "pod-1", "status": "Open"},
        )
        second = operations.accept(
            session,
            organisation=organisation,
            kind="pod.status",
            payload={"podId": "pod-2", "status": "Open"},
        )
        session.commit()
        return first.id, second.id


@pytest.mark.parametrize("accepted", [0, 1])
def test_an_operation_whose_task_cannot_be_queued_is_abandoned_with_its_prerequisites(
    tmp_path: Path, accepted: int
) -> None:
    dispatcher = BrokerDownAfter(accepted)
    runtime = _runtime(tmp_path, dispatcher)
    prerequisite_id, operation_id = _accept_two(runtime)

    with runtime.session() as session:
        operation = session.get(Operation, operation_id)
        assert operation is not None
        with pytest.raises(Unavailable):
            operations.commit_and_enqueue(
                runtime, session, operation, prerequisites=[prerequisite_id]
            )

    with runtime.session() as session:
        stored = {i: session.get(Operation, i) for i in (prerequisite_id, operation_id)}
    assert stored[operation_id] is not None
    assert stored[operation_id].status == "failed"
    assert stored[operation_id].error["httpStatus"] == 503
    queued = [kwargs["operation_id"] for _, kwargs in dispatcher.tasks]
    assert queued == [prerequisite_id][:accepted]
    # a queued prerequisite runs; one that was not queued is abandoned, never left accepted
    expected = "accepted" if accepted else "failed"
    assert stored[prerequisite_id] is not None
    assert stored[prerequisite_id].status == expected


def test_a_queued_operation_is_committed_before_its_task(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, RecordingDispatcher())
    prerequisite_id, operation_id = _accept_two(runtime)
    with runtime.session() as session:
        operation = session.get(Operation, operation_id)
        assert operation is not None
        operations.commit_and_enqueue(runtime, session, operation, prerequisites=[prerequisite_id])
    assert isinstance(runtime.dispatcher, RecordingDispatcher)
    assert [k["operation_id"] for _, k in runtime.dispatcher.tasks] == [
        prerequisite_id,
        operation_id,
    ]


def test_an_operation_a_workers_multicall_took_is_not_abandoned(tmp_path: Path) -> None:
    """A one-record operation taken into another operation's multicall before its own task
    could be enqueued is sent, not abandoned: the API answers 202, and it ends as any other."""
    runtime = _runtime(tmp_path, BrokerDownAfter(0))
    first_id, _ = _accept_two(runtime)
    with runtime.session() as session:
        first = session.get(Operation, first_id)
        assert first is not None
        assert operations.claim_borrowed(session, [first]) == {first_id}
    with runtime.session() as session:
        first = session.get(Operation, first_id)
        assert first is not None
        operations.commit_and_enqueue(runtime, session, first)  # no 503
        assert (first.status, first.deferred) == ("accepted", True)


def test_an_abandoned_operation_is_not_taken_into_a_multicall(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, BrokerDownAfter(0))
    first_id, _ = _accept_two(runtime)
    with runtime.session() as session:
        first = session.get(Operation, first_id)
        assert first is not None
        with pytest.raises(Unavailable):
            operations.commit_and_enqueue(runtime, session, first)
    with runtime.session() as session:
        first = session.get(Operation, first_id)
        assert first is not None
        assert operations.claim_borrowed(session, [first]) == set()
        assert first.status == "failed"
