"""Steps the market tests share: qualified UVAMs through the public API, test products, bids,
waits. Everything goes through HTTP as an organisation's own system would. The registration
steps (PODs, qualified UVAMs, products) live in :mod:`cli.flows`, shared with the load
generator."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx

from cli.flows import (  # noqa: F401  (re-exported for the market tests)
    START,
    accepted,
    pod_body,
    pod_code,
    product,
    qualified_uvam,
    succeeded,
    unique_product,
)
from cli.world import TSO_EIC  # noqa: F401
from ledger.core import clock
from ledger.core.periods import PERIOD_SECONDS, iso, next_period, next_period_within_day


def done(
    world: Any, slug: str, response: httpx.Response, *, timeout_s: float = 60.0
) -> dict[str, Any]:
    """Wait for the operation a 202 started; return the operation."""
    operation: dict[str, Any] = world.wait(
        slug, accepted(response)["operationId"], timeout_s=timeout_s
    )
    return operation


def refused(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    if field is not None:
        assert body.get("field") == field, body
    return body


def now(world: Any) -> int:
    """The platform's clock (unix s), which tests move ahead of the wall clock."""
    return clock.clock_for(world.platform.settings).now()


def period_after(world: Any, seconds: int, *, settled_periods: int = 0) -> int:
    """Start of the first 15-minute period beginning after now + ``seconds`` on the platform's
    clock. With ``settled_periods``, a delivery of that many periods that a test settles: it
    ends on the day it starts (the tests' history days assume one UTC day; an activation over
    midnight has its own test, ``test_x_of_y_over_midnight.py``), so near midnight it starts at
    the next midnight."""
    if settled_periods:
        return next_period_within_day(now(world) + seconds, settled_periods)
    return next_period(now(world) + seconds)


def advance_past(world: Any, moment: int) -> None:
    """Move the platform's and the chain's clocks just past ``moment`` (unix seconds): past a
    need's gate closure, an activation's delivery, an answer window (simulated time, local chain
    only, :mod:`ledger.core.clock`)."""
    clock.advance_past(world.platform.settings, world.platform.stack.rpc_url, moment)


def need_at_gate(world: Any, body: dict[str, Any], *, gate_closure_s: int = 1200) -> dict[str, Any]:
    """The TSO states the need ``body`` once the gate of its first period has closed (the clocks
    move past it: clearing waits for gate closure); an immediate need is then cleared at once.
    Returns the publication's operation (``needId`` in its result)."""
    start = int(datetime.fromisoformat(body["deliveryStart"]).timestamp())
    advance_past(world, start - gate_closure_s)
    return done(world, "tso", world.client("tso").post("/market/needs", json=body))


def bid(
    uvam_id: str, product_id: str, start: int, quantities: list[int], price: str, **extra: Any
) -> dict[str, Any]:
    return {
        "uvamId": uvam_id,
        "productId": product_id,
        "direction": extra.pop("direction", "up"),
        "deliveryStart": iso(start),
        "quantitiesKw": quantities,
        "price": price,
        **extra,
    }


def wait_bids(
    world: Any, slug: str, bid_ids: list[str], statuses: set[str], timeout_s: float = 60
) -> list[dict[str, Any]]:
    """Poll bids until each is in one of ``statuses``."""
    deadline = time.monotonic() + timeout_s
    bodies: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        bodies = []
        for bid_id in bid_ids:
            response = world.client(slug).get(f"/market/bids/{bid_id}")
            bodies.append(response.json() if response.status_code == 200 else {"status": None})
        if all(b.get("status") in statuses for b in bodies):
            return bodies
        time.sleep(0.1)
    raise AssertionError(f"bids not in {statuses}: {[b.get('status') for b in bodies]}")


def wait_status(
    world: Any, slug: str, path: str, statuses: set[str], timeout_s: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = world.client(slug).get(path)
        body = response.json() if response.status_code == 200 else {}
        if body.get("status") in statuses:
            return body
        time.sleep(0.1)
    raise AssertionError(f"{path} not in {statuses}: {body}")


PERIOD = PERIOD_SECONDS


class Receiver:
    """A local webhook: records every JSON body POSTed to it (an organisation's callback URL)."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.bodies: list[dict[str, Any]] = []
        self.received_at: list[float] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with receiver._lock:
                    receiver.bodies.append(body)
                    receiver.received_at.append(time.perf_counter())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cbp"

    def events(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [b for b in self.bodies if b.get("event") == name]

    def wait_for(self, name: str, activation_id: str, timeout_s: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for body in self.events(name):
                if body["activation"]["id"] == activation_id:
                    return body
            time.sleep(0.02)
        raise AssertionError(f"no {name} for {activation_id}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def set_callback(world: Any, slug: str, url: str | None) -> None:
    response = world.client(slug).put("/organisations/me/callback", json={"callbackUrl": url})
    assert response.status_code == 200, response.text


def selected_bid(
    world: Any,
    bsp: str,
    uvam_id: str,
    product_id: str,
    start: int,
    quantities: list[int],
    *,
    settlement: dict[str, Any],
    gate_closure_s: int,
    price: str = "50.00",
    reader: str = "tso",
) -> tuple[str, dict[str, Any]]:
    """``bsp`` offers ``quantities`` up (kW per period from ``start``) on ``uvam_id``; once the
    bid is Active, the TSO states a need of the same quantities with ``settlement`` terms at
    the gate, and the bid is Selected (as ``reader`` sees it). Returns the bid's id and the
    need's publication (``result.needId``)."""
    response = world.client(bsp).post(
        "/market/bids", json={"bids": [bid(uvam_id, product_id, start, quantities, price)]}
    )
    assert done(world, bsp, response)["status"] == "succeeded", response.text
    [bid_id] = response.json()["bidIds"]
    wait_bids(world, reader, [bid_id], {"Active"})
    need = {
        "productId": product_id,
        "direction": "up",
        "deliveryStart": iso(start),
        "quantitiesKw": quantities,
        "settlement": settlement,
    }
    published = need_at_gate(world, need, gate_closure_s=gate_closure_s)
    assert published["status"] == "succeeded", published
    wait_bids(world, reader, [bid_id], {"Selected"})
    return bid_id, published
