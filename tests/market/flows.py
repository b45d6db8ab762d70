"""Steps the market tests share: qualified UVAMs through the public API, test products, bids,
waits. Everything goes through HTTP as an organisation's own system would."""

from __future__ import annotations

import random
import time
from typing import Any

import httpx

from ledger.market.periods import PERIOD_SECONDS, iso, next_period

TSO_EIC = "10X1001A1001A345"
START = "2025-01-01T00:00:00+01:00"
_random = random.Random()
_issued: set[str] = set()


def pod_code() -> str:
    while True:
        code = f"IT001E{_random.randrange(10**8):08d}"
        if code not in _issued:
            _issued.add(code)
            return code


def accepted(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def done(
    world: Any, slug: str, response: httpx.Response, *, timeout_s: float = 60.0
) -> dict[str, Any]:
    """Wait for the operation a 202 started; return the operation."""
    operation: dict[str, Any] = world.wait(
        slug, accepted(response)["operationId"], timeout_s=timeout_s
    )
    return operation


def succeeded(world: Any, slug: str, response: httpx.Response) -> dict[str, Any]:
    body = accepted(response)
    operation = world.wait(slug, body["operationId"])
    assert operation["status"] == "succeeded", operation
    return {**body, "operation": operation}


def refused(
    response: httpx.Response, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    if field is not None:
        assert body.get("field") == field, body
    return body


def pod_body(
    world: Any, bsp: str, dso: str, *, flex_up: int, flex_down: int, zone: str
) -> dict[str, Any]:
    code = pod_code()
    contracted = max(flex_up, flex_down, 10) * 2
    return {
        "registrationPeriod": 1_735_686_000,
        "receiverId": TSO_EIC,
        "flexibilityServiceProviderId": world.eic(bsp),
        "meteringPointId": code,
        "locationId": zone,
        "resourceName": f"Site {code}",
        "direction": "mixed",
        "contractedPower": contracted,
        "maximumFlexUp": flex_up,
        "maximumFlexDown": flex_down,
        "gridVoltageLevel": "LV" if contracted <= 100 else "MV",
        "distributionGridOperatorName": world.eic(dso),
        "startDateTime": START,
    }


def _status(world: Any, bsp: str, kind: str, resource_id: str, status: str) -> httpx.Response:
    client = world.client(bsp)
    if kind == "pod":
        body = {
            "flexResourceId": resource_id,
            "status": status,
            "flexibilityServiceProviderId": world.eic(bsp),
            "receiverId": TSO_EIC,
        }
        return client.patch(f"/pods/{resource_id}/status", json=body)
    body = {"status": status, "flexibilityServiceProviderId": world.eic(bsp), "receiverId": TSO_EIC}
    return client.patch(f"/uvams/{resource_id}/status", json=body)


def qualified_uvam(
    world: Any,
    bsp: str,
    pods: list[tuple[str, int, int, str]],
    *,
    up_kw: int,
    down_kw: int,
    devices: list[str] | None = None,
) -> tuple[str, list[str]]:
    """A Qualified UVAM of ``bsp`` whose members are validated PODs ``(dso, flexUp, flexDown,
    zone)``; returns (uvam id, POD ids). With ``devices``, each POD gets an EV charger of
    22 kW whose id is appended to that list."""
    client = world.client(bsp)
    pod_ids = []
    for dso, flex_up, flex_down, zone in pods:
        body = pod_body(world, bsp, dso, flex_up=flex_up, flex_down=flex_down, zone=zone)
        pod_id = succeeded(world, bsp, client.post("/pods", json=body))["podId"]
        pod_ids.append(pod_id)
        if devices is not None:
            device = {
                "parentResourceId": pod_id,
                "resourceName": "EV charger",
                "deviceType": "EVCharger",
                "contractedPower": 22,
                "maximumFlexUp": 11,
                "maximumFlexDown": 11,
            }
            devices.append(
                succeeded(world, bsp, client.post(f"/pods/{pod_id}/flex-devices", json=device))[
                    "deviceId"
                ]
            )
    for status in ("Open", "UnderReview"):
        for pod_id in pod_ids:
            succeeded(world, bsp, _status(world, bsp, "pod", pod_id, status))
    for pod_id in pod_ids:
        assert (
            world.wait_for_status(bsp, f"/pods/{pod_id}", {"Validated", "Rejected"})["status"]
            == "Validated"
        )
    uvam = {
        "flexibilityServiceProviderId": world.eic(bsp),
        "receiverId": TSO_EIC,
        "type": "UVAM",
        "name": f"UVAM {pod_code()[-6:]}",
        "perimeter": "NORD",
        "maximumQualifiedPower": up_kw,
        "minimumQualifiedPower": down_kw,
        "marketType": "MSD",
        "startDateTime": START,
    }
    uvam_id = succeeded(world, bsp, client.post("/uvams", json=uvam))["uvamId"]
    for pod_id in pod_ids:
        member = {
            "resource": pod_id,
            "resourceGroup": uvam_id,
            "flexibilityServiceProviderId": world.eic(bsp),
            "receiverId": TSO_EIC,
        }
        succeeded(world, bsp, client.post(f"/uvams/{uvam_id}/members", json=member))
    for status in ("Open", "UnderReview"):
        succeeded(world, bsp, _status(world, bsp, "uvam", uvam_id, status))
    assert (
        world.wait_for_status(bsp, f"/uvams/{uvam_id}", {"Qualified", "Rejected"})["status"]
        == "Qualified"
    )
    return uvam_id, pod_ids


def product(
    world: Any,
    product_id: str,
    *,
    gate_closure_s: int = 1200,
    notice_s: int = 60,
    ack_s: int = 120,
    directions: tuple[str, ...] = ("up", "down"),
) -> str:
    """Create or reconfigure a market product (the TSO, on chain)."""
    body = {
        "name": f"test product {product_id}",
        "directions": list(directions),
        "gateClosureSeconds": gate_closure_s,
        "activationNoticeSeconds": notice_s,
        "acknowledgementSeconds": ack_s,
        "open": True,
    }
    succeeded(world, "tso", world.client("tso").put(f"/market/products/{product_id}", json=body))
    return product_id


def unique_product(prefix: str = "T") -> str:
    return f"{prefix}-{_random.randrange(16**8):08X}"


def period_after(seconds: int) -> int:
    """Start of the first 15-minute period beginning after now + ``seconds``."""
    return next_period(int(time.time()) + seconds)


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
