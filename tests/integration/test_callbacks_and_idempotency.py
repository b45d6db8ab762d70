"""The outcome of an operation is pushed to the organisation's callback URL; executing an
operation again (a redelivered or retried Celery task) never registers twice."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ledger.core import operations
from tests.integration import payloads
from tests.integration.flows import (
    accepted,
    count,
    refused,
    register_pod,
    set_pod_status,
    succeeded,
)
from workers.app import create_app

TIMEOUT_S = 30.0


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.condition:
                    receiver.calls.append((dict(self.headers.items()), body))
                    receiver.condition.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cbp/callback"

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool]
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """The first call whose body matches, waiting for it to arrive."""
        with self.condition:
            found = self.condition.wait_for(
                lambda: next((c for c in self.calls if match(c[1])), None),
                timeout=TIMEOUT_S,
            )
        assert found is not None, f"no matching callback among {self.calls}"
        return found


@pytest.fixture
def receiver(world) -> Iterator[Receiver]:
    server = Receiver()
    server.thread.start()
    try:
        yield server
    finally:
        world.client("bsp3").put("/organisations/me/callback", json={"callbackUrl": None})
        server.server.shutdown()
        server.server.server_close()


def _poll(read: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _registered_events(world, chain_key: str) -> list[Any]:
    return [
        event
        for event in world.chain.get_logs(0, world.chain.block_number())
        if event.name == "PodRegistered" and "0x" + event.args["podId"].hex() == chain_key
    ]


def test_the_outcome_of_an_operation_is_posted_to_the_callback_url(world, receiver):
    client = world.client("bsp3")
    stored = client.put("/organisations/me/callback", json={"callbackUrl": receiver.url})
    assert stored.status_code == 200, stored.text
    assert stored.json()["callbackUrl"] == receiver.url
    assert client.get("/organisations/me").json()["callbackUrl"] == receiver.url

    answer = accepted(
        client.post("/pods", json=payloads.pod_body(world.eic("bsp3"), world.eic("dso1")))
    )
    headers, body = receiver.wait_for(lambda b: b["operationId"] == answer["operationId"])

    assert body["status"] == "succeeded"
    assert body["kind"] == "pod.register"
    assert body["targetId"] == answer["podId"]
    assert body["transactionHashes"]
    assert body["error"] is None
    assert headers["webhook-id"].startswith("msg_")
    assert headers["x-cbp-event"] == "operation.finished"
    operation = _poll(
        lambda: client.get(f"/operations/{answer['operationId']}").json(),
        lambda o: o["callbackStatus"] is not None,
    )
    assert operation["callbackStatus"] == "delivered:200"
    assert operation["transactionHashes"] == body["transactionHashes"]


def test_a_callback_url_must_be_http(world):
    client = world.client("bsp3")

    refused(
        client.put("/organisations/me/callback", json={"callbackUrl": "ftp://example.org/x"}),
        422,
        "invalid_input",
        "callbackUrl",
    )

    assert client.get("/organisations/me").json()["callbackUrl"] is None


def test_a_redelivered_execute_task_does_not_register_twice(world):
    client = world.client("bsp1")
    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))
    answer = succeeded(world, "bsp1", client.post("/pods", json=body))
    detail = client.get(f"/pods/{answer['podId']}").json()
    block = world.chain.block_number()
    celery = create_app(world.platform.settings_for_clients())

    try:
        result = celery.send_task(
            operations.TASK_EXECUTE, kwargs={"operation_id": answer["operationId"]}
        )
        assert result.get(timeout=TIMEOUT_S) == "succeeded"
    finally:
        celery.close()

    assert len(_registered_events(world, detail["chainKey"])) == 1
    assert world.chain.block_number() == block
    assert client.get("/pods", params={"q": body["meteringPointId"]}).json()["count"] == 1
    assert client.get(f"/pods/{answer['podId']}").json() == detail
    again = world.wait("bsp1", answer["operationId"])
    assert again["transactionHashes"] == answer["operation"]["transactionHashes"]
    assert again["updatedAt"] == answer["operation"]["updatedAt"]


def test_executing_a_finished_operation_again_sends_no_transaction(world):
    pod_id = register_pod(world)
    answer = set_pod_status(world, "bsp1", pod_id, "Open")
    block = world.chain.block_number()

    first = operations.execute(world.runtime, answer["operationId"])
    second = operations.execute(world.runtime, answer["operationId"])

    assert first.status == second.status == "succeeded"
    assert (
        first.transaction_hashes
        == second.transaction_hashes
        == answer["operation"]["transactionHashes"]
    )
    assert world.chain.block_number() == block
    history = world.client("bsp1").get(f"/pods/{pod_id}").json()["history"]
    assert [h["to"] for h in history] == ["Registered", "Open"]


def test_a_task_delivered_several_times_at_once_registers_once(world):
    """Redelivery while the first execution is still running (a worker lost its ack, or the
    broker's visibility timeout passed): the executions must not both act."""
    client = world.client("bsp1")
    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))
    celery = create_app(world.platform.settings_for_clients())
    operations_before = count(world, "bsp1", "/operations")

    try:
        answer = accepted(client.post("/pods", json=body))
        register_copies = [
            celery.send_task(
                operations.TASK_EXECUTE, kwargs={"operation_id": answer["operationId"]}
            )
            for _ in range(3)
        ]
        registered = world.wait("bsp1", answer["operationId"])
        outcomes = {copy.get(timeout=TIMEOUT_S) for copy in register_copies}
        status = accepted(
            client.patch(
                f"/pods/{answer['podId']}/status",
                json=payloads.pod_status_body(answer["podId"], "Open", world.eic("bsp1")),
            )
        )
        status_copies = [
            celery.send_task(
                operations.TASK_EXECUTE, kwargs={"operation_id": status["operationId"]}
            )
            for _ in range(3)
        ]
        opened = world.wait("bsp1", status["operationId"])
        outcomes |= {copy.get(timeout=TIMEOUT_S) for copy in status_copies}
    finally:
        celery.close()

    assert (registered["status"], registered["error"]) == ("succeeded", None), registered
    assert (opened["status"], opened["error"]) == ("succeeded", None), opened
    assert outcomes <= {"submitted", "succeeded"}
    assert len(registered["transactionHashes"]) == len(opened["transactionHashes"]) == 1
    detail = client.get(f"/pods/{answer['podId']}").json()
    assert len(_registered_events(world, detail["chainKey"])) == 1
    assert [h["to"] for h in detail["history"]] == ["Registered", "Open"]
    assert client.get("/pods", params={"q": body["meteringPointId"]}).json()["count"] == 1
    assert count(world, "bsp1", "/operations") == operations_before + 2
