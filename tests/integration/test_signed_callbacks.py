"""Callbacks are signed as Standard Webhooks signs them, retried with backoff when the receiver
fails, and every attempt is listed for the organisation. The receiver here checks the signature
the way the README tells a receiver to, written on its own (not with the platform's code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.integration import payloads
from tests.integration.flows import accepted

TIMEOUT_S = 60.0
TOLERANCE_S = 300


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: v1 = base64(HMAC-SHA256(base64decode(secret without whsec_),
    "{webhook-id}.{webhook-timestamp}.{body}")), one of the space-separated signatures."""
    key = base64.b64decode(secret.split("_", 1)[1])
    timestamp = headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > TOLERANCE_S:
        return False
    content = headers["webhook-id"].encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(
        version == "v1" and hmac.compare_digest(signature, expected)
        for version, _, signature in (
            part.partition(",") for part in headers["webhook-signature"].split(" ")
        )
    )


class FlakyReceiver:
    """Answers 503 to the first delivery of each message, 204 to the next; records each call
    with whether its signature checked out."""

    def __init__(self) -> None:
        self.secret = ""
        self.calls: list[dict[str, Any]] = []
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver.condition:
                    seen = [c for c in receiver.calls if c["id"] == headers["webhook-id"]]
                    status = 503 if not seen else 204
                    receiver.calls.append(
                        {
                            "id": headers["webhook-id"],
                            "verified": verify(receiver.secret, headers, body),
                            "body": body,
                            "status": status,
                        }
                    )
                    receiver.condition.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def accepted_copy(self, marker: bytes) -> list[dict[str, Any]]:
        """Every call of the message whose body holds ``marker``, once one was answered 2xx."""
        with self.condition:
            self.condition.wait_for(
                lambda: any(c["status"] == 204 and marker in c["body"] for c in self.calls),
                timeout=TIMEOUT_S,
            )
            return [c for c in self.calls if marker in c["body"]]


def _delivery(client: Any, message_id: str) -> dict[str, Any]:
    """The message as the API lists it, once the worker has recorded its last attempt."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        deliveries = client.get("/organisations/me/callback/deliveries").json()["data"]
        delivery: dict[str, Any] = next(d for d in deliveries if d["messageId"] == message_id)
        if delivery["status"] != "pending" or time.monotonic() > deadline:
            return delivery
        time.sleep(0.05)


@pytest.fixture
def receiver(world) -> Iterator[FlakyReceiver]:
    server = FlakyReceiver()
    server.thread.start()
    try:
        yield server
    finally:
        world.client("bsp2").put("/organisations/me/callback", json={"callbackUrl": None})
        server.server.shutdown()
        server.server.server_close()


def test_a_callback_is_signed_retried_after_a_failure_and_its_attempts_listed(world, receiver):
    client = world.client("bsp2")
    registered = client.put("/organisations/me/callback", json={"callbackUrl": receiver.url})
    assert registered.status_code == 200, registered.text
    rotated = client.post("/organisations/me/callback/secret")
    assert rotated.status_code == 200, rotated.text
    receiver.secret = rotated.json()["signingSecret"]
    assert receiver.secret.startswith("whsec_")
    again = client.put("/organisations/me/callback", json={"callbackUrl": receiver.url})
    assert again.json()["signingSecret"] is None  # shown once, not on every change

    answer = accepted(
        client.post("/uvams", json=payloads.uvam_body(world.eic("bsp2"), name="Signed callback"))
    )
    calls = receiver.accepted_copy(answer["operationId"].encode())

    assert [c["status"] for c in calls] == [503, 204]
    assert all(c["verified"] for c in calls), "a signature did not verify"
    assert calls[0]["id"] == calls[1]["id"]  # one message, whatever the attempt
    assert calls[0]["body"] == calls[1]["body"]
    delivery = _delivery(client, calls[0]["id"])
    assert (delivery["status"], delivery["eventType"], delivery["subjectId"]) == (
        "delivered",
        "operation.finished",
        answer["operationId"],
    )
    assert [(a["attempt"], a["httpStatus"], a["error"]) for a in delivery["attempts"]] == [
        (1, 503, None),
        (2, 204, None),
    ]
    assert all(a["url"] == receiver.url for a in delivery["attempts"])
    operation = client.get(f"/operations/{answer['operationId']}").json()
    assert operation["callbackStatus"] == "delivered:204"


def test_after_a_rotation_the_old_secret_no_longer_verifies(world, receiver):
    client = world.client("bsp2")
    client.put("/organisations/me/callback", json={"callbackUrl": receiver.url})
    old = client.post("/organisations/me/callback/secret").json()["signingSecret"]
    new = client.post("/organisations/me/callback/secret").json()["signingSecret"]
    assert old != new
    receiver.secret = old

    answer = accepted(
        client.post("/uvams", json=payloads.uvam_body(world.eic("bsp2"), name="Old secret"))
    )
    calls = receiver.accepted_copy(answer["operationId"].encode())

    assert calls
    assert not any(c["verified"] for c in calls)
