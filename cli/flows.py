"""Steps through the public API on a running :class:`cli.world.World`, as an organisation's own
system would take them: PODs, qualified UVAMs, market products. The market tests
(``tests/market/flows.py``) and the load generator's set-up (``loadgen/setup.py``) share them."""

from __future__ import annotations

import random
from typing import Any

import httpx

from cli.world import TSO_EIC, World

START = "2025-01-01T00:00:00+01:00"
_random = random.Random()
_issued: set[str] = set()


class FlowFailure(AssertionError):
    """A step did not end as it should (an AssertionError, so pytest reports it as one)."""


def pod_code() -> str:
    """A POD code (``IT001E`` + 8 digits) not handed out before in this process."""
    while True:
        code = f"IT001E{_random.randrange(10**8):08d}"
        if code not in _issued:
            _issued.add(code)
            return code


def accepted(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 202:
        raise FlowFailure(response.text)
    body: dict[str, Any] = response.json()
    return body


def succeeded(world: World, slug: str, response: httpx.Response) -> dict[str, Any]:
    """Wait for the operation a 202 started; fail unless it succeeded."""
    body = accepted(response)
    operation = world.wait(slug, body["operationId"])
    if operation["status"] != "succeeded":
        raise FlowFailure(str(operation))
    return {**body, "operation": operation}


def pod_body(
    world: World, bsp: str, dso: str, *, flex_up: int, flex_down: int, zone: str
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


def set_status(world: World, bsp: str, kind: str, resource_id: str, status: str) -> httpx.Response:
    """``PATCH /pods/{id}/status`` (``kind`` pod) or ``/uvams/{id}/status`` by the BSP."""
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


def _expect_status(world: World, slug: str, path: str, wanted: str) -> None:
    reached = world.wait_for_status(slug, path, {wanted, "Rejected"})["status"]
    if reached != wanted:
        raise FlowFailure(f"{path} is {reached}, not {wanted}")


def qualified_uvam(
    world: World,
    bsp: str,
    pods: list[tuple[str, int, int, str]],
    *,
    up_kw: int,
    down_kw: int,
    devices: list[str] | None = None,
    pod_fields: list[dict[str, Any]] | None = None,
) -> tuple[str, list[str]]:
    """A Qualified UVAM of ``bsp`` whose members are validated PODs ``(dso, flexUp, flexDown,
    zone)``; returns (uvam id, POD ids). With ``devices``, each POD gets an EV charger of
    22 kW whose id is appended to that list; ``pod_fields`` adds registration fields to each
    POD's body (e.g. ``brpContractId``). Needs the automatic TSO/DSO reviews."""
    client = world.client(bsp)
    pod_ids = []
    for index, (dso, flex_up, flex_down, zone) in enumerate(pods):
        body = pod_body(world, bsp, dso, flex_up=flex_up, flex_down=flex_down, zone=zone)
        body.update(pod_fields[index] if pod_fields else {})
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
            succeeded(world, bsp, set_status(world, bsp, "pod", pod_id, status))
    for pod_id in pod_ids:
        _expect_status(world, bsp, f"/pods/{pod_id}", "Validated")
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
        succeeded(world, bsp, set_status(world, bsp, "uvam", uvam_id, status))
    _expect_status(world, bsp, f"/uvams/{uvam_id}", "Qualified")
    return uvam_id, pod_ids


def product(
    world: World,
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
