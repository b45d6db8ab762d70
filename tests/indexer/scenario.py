"""A known registration scenario driven through the API, for the indexer and audit tests."""

from __future__ import annotations

import base64
import itertools
import random
from dataclasses import dataclass
from typing import Any

from tests.conftest import DSO1_EIC, TSO_EIC

START = "2025-01-01T00:00:00+01:00"
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
# IT002E + 9 digits: a range the other test modules' generators (IT001E) never hand out.
_codes = (f"IT002E{n:09d}" for n in itertools.count(random.randrange(10**8) * 10))


def pod_body(bsp_eic: str) -> dict[str, Any]:
    code = next(_codes)
    return {
        "receiverId": TSO_EIC,
        "flexibilityServiceProviderId": bsp_eic,
        "meteringPointId": code,
        "resourceName": f"Indexed site {code}",
        "direction": "mixed",
        "contractedPower": 90,
        "maximumFlexUp": 30,
        "maximumFlexDown": 40,
        "gridVoltageLevel": "LV",
        "distributionGridOperatorName": DSO1_EIC,
        "startDateTime": START,
    }


def _succeeded(world: Any, slug: str, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    operation = world.wait(slug, body["operationId"])
    assert operation["status"] == "succeeded", operation
    return body


def register_pod(world: Any, slug: str = "bsp1") -> str:
    body = pod_body(world.eic(slug))
    return str(_succeeded(world, slug, world.client(slug).post("/pods", json=body))["podId"])


@dataclass(frozen=True)
class Scenario:
    """A POD with a device and an attachment, validated, grouped into a UVAM and released."""

    pod_id: str
    device_id: str
    attachment_id: str
    uvam_id: str
    relation_id: str

    #: The POD's events in chain order: (event, how it names the POD, summary prefix, actor).
    POD_EVENTS = (
        ("PodRegistered", "podId", None, "bsp1"),
        ("PodStatusChanged", "podId", "None -> Registered", "bsp1"),
        ("FlexDeviceRegistered", "podId", None, "bsp1"),
        ("AttachmentCreated", "ownerId", None, "bsp1"),
        ("PodStatusChanged", "podId", "Registered -> Open", "bsp1"),
        ("PodStatusChanged", "podId", "Open -> UnderReview", "bsp1"),
        ("PodStatusChanged", "podId", "UnderReview -> Verified", "tso"),
        ("PodStatusChanged", "podId", "Verified -> Validated", "dso1"),
        ("RelationStarted", "podId", None, "bsp1"),
        ("RelationEnded", "podId", None, "bsp1"),
    )


def run_scenario(world: Any) -> Scenario:
    bsp = world.client("bsp1")
    eic = world.eic("bsp1")
    pod_id = register_pod(world)
    device = _succeeded(
        world,
        "bsp1",
        bsp.post(
            f"/pods/{pod_id}/flex-devices",
            json={
                "parentResourceId": pod_id,
                "resourceName": "Battery",
                "deviceType": "Battery",
                "contractedPower": 20,
                "maximumFlexUp": 10,
                "maximumFlexDown": 10,
            },
        ),
    )
    attachment = _succeeded(
        world,
        "bsp1",
        bsp.post(
            f"/pods/{pod_id}/attachments",
            json={
                "senderId": eic,
                "receiverId": TSO_EIC,
                "externalDocumentId": "diagram.pdf",
                "documentFile": base64.b64encode(PDF + pod_id.encode()).decode(),
                "documentType": "ConnectionDiagram",
                "mimeType": "application/pdf",
            },
        ),
    )
    for status in ("Open", "UnderReview"):
        _succeeded(
            world,
            "bsp1",
            bsp.patch(
                f"/pods/{pod_id}/status",
                json={
                    "flexResourceId": pod_id,
                    "status": status,
                    "flexibilityServiceProviderId": eic,
                    "receiverId": TSO_EIC,
                },
            ),
        )
    pod = world.wait_for_status("bsp1", f"/pods/{pod_id}", {"Validated", "Rejected"})
    assert pod["status"] == "Validated", pod
    uvam = _succeeded(
        world,
        "bsp1",
        bsp.post(
            "/uvams",
            json={
                "flexibilityServiceProviderId": eic,
                "receiverId": TSO_EIC,
                "name": "Indexed UVAM",
                "perimeter": "North",
                "maximumQualifiedPower": 30,
                "minimumQualifiedPower": 10,
                "marketType": "MSD",
                "startDateTime": START,
            },
        ),
    )
    uvam_id = uvam["uvamId"]
    relation = _succeeded(
        world,
        "bsp1",
        bsp.post(
            f"/uvams/{uvam_id}/members",
            json={
                "resource": pod_id,
                "resourceGroup": uvam_id,
                "flexibilityServiceProviderId": eic,
                "receiverId": TSO_EIC,
            },
        ),
    )
    _succeeded(
        world,
        "bsp1",
        bsp.patch(
            f"/uvams/{uvam_id}/members/end",
            json={
                "relationId": relation["relationId"],
            },
        ),
    )
    return Scenario(
        pod_id=pod_id,
        device_id=device["deviceId"],
        attachment_id=attachment["attachmentId"],
        uvam_id=uvam_id,
        relation_id=relation["relationId"],
    )
