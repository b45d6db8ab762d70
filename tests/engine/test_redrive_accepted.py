"""An accepted operation whose task was lost after the commit (a broker restarted without
persistence, a queue purged, a worker's host lost with the message) is re-driven by the block
follower with the task it was first enqueued with, and reaches the chain exactly once, even when
the original task turns up late (``ledger.core.follower.redrive_accepted``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select, update

from cli.flows import product, qualified_uvam, succeeded, unique_product
from cli.world import World, build_world
from faults.harness import chain_keys, pod_registrations_on_chain
from ledger.capabilities import CAPABILITIES
from ledger.core import operations
from ledger.core.db.models import Operation, Organisation, utcnow
from ledger.core.follower import FollowerState, redrive_accepted
from ledger.core.ids import to_bytes32
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.core.settings import Settings
from ledger.registry.pods import register_pods
from ledger.registry.schemas import PodCreate
from ledger.schema.migrate import upgrade
from ledger.settlement import service as settlement
from ledger.settlement.service import TASK_SETTLE
from ledger.settlement.tables import Settlement
from tests.conftest import POSTGRES_URL, fresh_postgres_database
from tests.integration import payloads
from tests.market import flows
from tests.settlement_ledger.conftest import accepted_activation, history_day, readings, upload
from workers.app import create_app

X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}
#: The platform's follower re-drives an operation left accepted this long (the default is 60 s).
REDRIVE_AFTER_S = 1


@pytest.fixture(scope="module")
def redrive_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(
        tmp_path_factory.mktemp("redrive-platform"), "sqlite", None, redrive_after_s=REDRIVE_AFTER_S
    )


def _accept_without_task(world: World) -> str:
    """Register a POD as ``POST /pods`` does, committed, but with its task never enqueued."""
    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))
    with world.runtime.session() as session:
        bsp = session.get(Organisation, world.organisations["bsp1"].id)
        assert bsp is not None
        operation = register_pods(
            world.runtime, session, bsp=bsp, pods=[PodCreate.model_validate(body)]
        )
        session.commit()
        return operation.id


def _stored(world: World, operation_id: str) -> Operation:
    with world.runtime.session() as session:
        operation = session.get(Operation, operation_id)
        assert operation is not None
        return operation


def _sent_by(world: World, slug: str) -> int:
    """Transactions of the organisation mined so far (its confirmed nonce count)."""
    address = world.organisations[slug].address
    return int(world.chain.rpc.call("eth_getTransactionCount", [address, "latest"]), 16)


def _until(condition: Callable[[], bool], *, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _assert_on_chain_once(world: World, operation_id: str, sent_before: int) -> None:
    finished = world.wait("bsp1", operation_id, timeout_s=90)
    assert finished["status"] == "succeeded", finished
    pod_id = _stored(world, operation_id).target_id
    assert pod_id is not None
    [key] = chain_keys(world, [pod_id]).values()
    assert pod_registrations_on_chain(world)[key] == 1
    assert _sent_by(world, "bsp1") == sent_before + 1  # one transaction, not two


def test_an_accepted_operation_whose_task_was_lost_ends_on_chain_once(
    redrive_world: World,
) -> None:
    sent_before = _sent_by(redrive_world, "bsp1")
    operation_id = _accept_without_task(redrive_world)
    assert _stored(redrive_world, operation_id).status == "accepted"

    _assert_on_chain_once(redrive_world, operation_id, sent_before)


def test_the_original_task_arriving_after_the_redrive_sends_nothing_twice(
    redrive_world: World,
) -> None:
    """The task was merely slow: it runs after the follower enqueued a copy, and finds the
    operation taken (or runs first, and the copy finds it so)."""
    sent_before = _sent_by(redrive_world, "bsp1")
    operation_id = _accept_without_task(redrive_world)
    accepted_at = _stored(redrive_world, operation_id).updated_at
    _until(lambda: _stored(redrive_world, operation_id).updated_at != accepted_at)
    celery = create_app(redrive_world.platform.settings_for_clients())
    try:
        late = celery.send_task(operations.TASK_EXECUTE, kwargs={"operation_id": operation_id})
        assert late.get(timeout=60) in {"submitted", "succeeded"}
    finally:
        celery.close()

    _assert_on_chain_once(redrive_world, operation_id, sent_before)


def test_a_settlement_whose_task_was_lost_is_computed_and_recorded_once(
    redrive_world: World,
) -> None:
    """The TSO's settlement of an activation, accepted and committed, its task
    (``cbp.settlement.settle_activation``: compute the record, then execute) never enqueued:
    the follower re-drives it with that task, not with execute (which cannot sign a record not
    computed yet). Last in this module: it moves the platform's clock past the delivery."""
    world = redrive_world
    uvam_id, [pod] = qualified_uvam(
        world, "bsp1", [("dso1", 30, 30, "ZS-REDRIVE")], up_kw=30, down_kw=30
    )
    succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    product_id = product(world, unique_product("REDRIVE"), gate_closure_s=300)
    t1 = flows.period_after(world, 600, settled_periods=1)
    bid_id, _ = flows.selected_bid(
        world,
        "bsp1",
        uvam_id,
        product_id,
        t1,
        [20],
        settlement={"method": X_OF_Y, "sanctionEurMwh": "120"},
        gate_closure_s=300,
    )
    activation_id = accepted_activation(world, bid_id, t1, 10)
    flows.advance_past(world, t1 + 900)
    history = readings(pod, history_day(t1), [(15, 20_000)])
    upload(world, "dso1", "pod", history + readings(pod, t1, [(15, 12_000)]))
    with world.runtime.session() as session:
        tso = session.get(Organisation, world.organisations["tso"].id)
        assert tso is not None
        operation_id = settlement.request_settlement(
            world.runtime, session, tso=tso, activation_id=activation_id, request={}
        ).id
        session.commit()  # and no task enqueued

    finished = world.wait("tso", operation_id, timeout_s=90)

    assert finished["status"] == "succeeded", finished
    with world.runtime.session() as session:
        versions = session.exec(
            select(Settlement).where(Settlement.activation_id == activation_id)
        ).all()
    assert [(row.version, row.status) for row in versions] == [(1, "recorded")]
    key = world.client("tso").get(f"/market/activations/{activation_id}").json()["chainKey"]
    on_chain = world.chain.read("SettlementLedger", "settlement", to_bytes32(key))
    assert "0x" + on_chain["settlementHash"].hex() == versions[0].settlement_hash
    assert (on_chain["version"], on_chain["status"]) == (1, 1)


@pytest.fixture
def database_url(backend: str) -> Iterator[str | None]:
    """SQLite in the test's folder, or a PostgreSQL database of its own: the session's
    platforms sweep theirs for waiting operations too, and would race this test's sweep."""
    if backend == "postgresql":
        with fresh_postgres_database() as url:
            yield url
    else:
        yield None


@pytest.mark.parametrize(
    "backend",
    [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not POSTGRES_URL, reason="CBP_TEST_POSTGRES_URL not set"),
        ),
    ],
)
def test_the_follower_redrives_each_lost_operation_with_its_kinds_task_once(
    tmp_path: Path, database_url: str | None
) -> None:
    """A settlement is re-driven as the settlement task (it computes the record first), any
    other kind as execute; a deferred, a recent, a finished operation and one whose task is
    retrying are left alone, and an operation just re-driven is not enqueued again by the next
    sweep."""
    settings = Settings(data_dir=tmp_path, database_url=database_url, redrive_after_s=5)
    upgrade(settings.sqlalchemy_url)
    dispatcher = RecordingDispatcher()
    runtime = Runtime(
        settings=settings,
        rpc_url="http://127.0.0.1:9",
        dispatcher=dispatcher,
        capabilities=CAPABILITIES,
    )
    settle: dict[str, Any] = {
        "activationId": "act-1",
        "request": {},
        "method": None,
        "answerWindowS": 60,
    }
    kinds: dict[str, tuple[str, str, dict[str, Any]]] = {
        "record": ("tso", "settlement.record", {**settle, "version": 1}),
        "resettle": ("tso", "settlement.resettle", {**settle, "version": 2, "previousId": "s-1"}),
        "status": ("bsp", "pod.status", {"podId": "pod-1", "status": "Open"}),
        "deferred": ("bsp", "pod.status", {"podId": "pod-2", "status": "Open"}),
        "failed": ("bsp", "pod.status", {"podId": "pod-3", "status": "Open"}),
        "recent": ("bsp", "pod.status", {"podId": "pod-4", "status": "Open"}),
        "retrying": ("bsp", "pod.status", {"podId": "pod-5", "status": "Open"}),
    }
    ids: dict[str, str] = {}
    with runtime.session() as session:
        organisations = {
            "tso": Organisation(
                id="tso", name="TSO", role="TSO", eic="10X1001A1001A345", address="0x" + "22" * 20
            ),
            "bsp": Organisation(
                id="bsp", name="BSP", role="BSP", eic="21XBSP-ALPHA---L", address="0x" + "11" * 20
            ),
        }
        session.add_all(organisations.values())
        session.flush()
        for name, (slug, kind, payload) in kinds.items():
            operation = operations.accept(
                session, organisation=organisations[slug], kind=kind, payload=payload
            )
            operation.deferred = name == "deferred"
            operation.status = "failed" if name == "failed" else "accepted"
            ids[name] = operation.id
        session.commit()
        _age(session, [i for name, i in ids.items() if name != "recent"], by_s=60)
    # its task is alive, waiting for its next attempt (workers.tasks.note_operation_retrying)
    operations.note_retrying(runtime, ids["retrying"])

    assert redrive_accepted(runtime, FollowerState()) == 3
    assert sorted((task, kwargs["operation_id"]) for task, kwargs in dispatcher.tasks) == sorted(
        [
            (TASK_SETTLE, ids["record"]),
            (TASK_SETTLE, ids["resettle"]),
            (operations.TASK_EXECUTE, ids["status"]),
        ]
    )
    # the next sweep (a restarted follower, no memory): each was re-driven just now
    assert redrive_accepted(runtime, FollowerState()) == 0
    assert len(dispatcher.tasks) == 3


def _age(session: Session, operation_ids: list[str], *, by_s: float) -> None:
    """Move the operations' ``updated_at`` back ``by_s`` seconds, as if they had waited."""
    then: datetime = utcnow() - timedelta(seconds=by_s)
    session.execute(
        update(Operation).where(col(Operation.id).in_(operation_ids)).values(updated_at=then)
    )
    session.commit()
