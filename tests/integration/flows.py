"""Steps the integration tests share: send a write, wait for it on chain, count what is stored."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration import payloads

FINAL_POD = {"Validated", "Rejected"}
FINAL_UVAM = {"Qualified", "Rejected"}


def accepted(response: httpx.Response) -> dict[str, Any]:
    """The body of a 202, with its operation id."""
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert body["operationId"]
    return body


def succeeded(world: Any, slug: str, response: httpx.Response) -> dict[str, Any]:
    """Wait for the operation a 202 started and check that it reached the chain."""
    body = accepted(response)
    operation = world.wait(slug, body["operationId"])
    assert operation["status"] == "succeeded", operation
    assert operation["transactionHashes"], operation
    return {**body, "operation": operation}


def refused(response: httpx.Response, status: int, code: str, field: str | None) -> dict[str, Any]:
    """A synchronous refusal: the status, the error code and the field it names."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body.get("field") == field, body
    assert body["message"]
    return body


def count(world: Any, slug: str, path: str) -> int:
    """How many rows ``path`` (``/pods``, ``/uvams``, ``/operations``) lists for ``slug``."""
    response = world.client(slug).get(path, params={"limit": 1})
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


def register_pod(world: Any, slug: str = "bsp1", dso: str = "dso1", **changes: Any) -> str:
    """Register a POD and wait until it is on chain; return its id."""
    body = payloads.pod_body(world.eic(slug), world.eic(dso), **changes)
    return str(succeeded(world, slug, world.client(slug).post("/pods", json=body))["podId"])


def set_pod_status(world: Any, slug: str, pod_id: str, status: str) -> dict[str, Any]:
    body = payloads.pod_status_body(pod_id, status, world.eic(slug))
    return succeeded(world, slug, world.client(slug).patch(f"/pods/{pod_id}/status", json=body))


def review_pod(world: Any, slug: str, pod_id: str) -> dict[str, Any]:
    """Open the POD, send it for review, and wait for the automatic TSO and DSO decisions."""
    set_pod_status(world, slug, pod_id, "Open")
    set_pod_status(world, slug, pod_id, "UnderReview")
    return world.wait_for_status(slug, f"/pods/{pod_id}", FINAL_POD)


def validated_pod(world: Any, slug: str = "bsp1", dso: str = "dso1", **changes: Any) -> str:
    pod_id = register_pod(world, slug, dso, **changes)
    detail = review_pod(world, slug, pod_id)
    assert detail["status"] == "Validated", detail
    return pod_id


def register_uvam(world: Any, slug: str = "bsp1", **changes: Any) -> str:
    body = payloads.uvam_body(world.eic(slug), **changes)
    return str(succeeded(world, slug, world.client(slug).post("/uvams", json=body))["uvamId"])


def set_uvam_status(world: Any, slug: str, uvam_id: str, status: str) -> dict[str, Any]:
    body = payloads.uvam_status_body(status, world.eic(slug))
    return succeeded(world, slug, world.client(slug).patch(f"/uvams/{uvam_id}/status", json=body))


def add_member(world: Any, slug: str, uvam_id: str, pod_id: str) -> str:
    body = payloads.membership_body(pod_id, uvam_id, world.eic(slug))
    response = world.client(slug).post(f"/uvams/{uvam_id}/members", json=body)
    return str(succeeded(world, slug, response)["relationId"])
