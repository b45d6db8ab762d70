"""Bad input is refused synchronously with a 4xx that names the field, and nothing is stored:
the organisation's POD list and operation list do not change."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from ledger.core.domain.identifiers import make_eic
from ledger.registry.schemas import MAX_ATTACHMENT_BYTES
from tests.integration import payloads
from tests.integration.flows import count, refused, register_pod, register_uvam, succeeded

UNKNOWN_DSO_EIC = make_eic("26XDSO-UNKNOWN-")


def _bad_check_character(eic: str) -> str:
    return eic[:-1] + ("A" if eic[-1] != "A" else "B")


def _unknown_field(body: dict[str, Any]) -> None:
    body["colour"] = "blue"


# (case id, change to a valid POD body, status, code, field)
POD_CASES: list[tuple[str, Callable[[dict[str, Any]], None], int, str, str]] = [
    (
        "negative power",
        lambda b: b.update(contractedPower=-5),
        422,
        "invalid_input",
        "contractedPower",
    ),
    (
        "negative flex",
        lambda b: b.update(maximumFlexDown=-1),
        422,
        "invalid_input",
        "maximumFlexDown",
    ),
    (
        "flex above contracted",
        lambda b: b.update(maximumFlexUp=81),
        422,
        "invalid_input",
        "maximumFlexUp",
    ),
    (
        "unknown direction",
        lambda b: b.update(direction="sideways"),
        422,
        "invalid_input",
        "direction",
    ),
    (
        "unknown voltage level",
        lambda b: b.update(gridVoltageLevel="XHV"),
        422,
        "invalid_input",
        "gridVoltageLevel",
    ),
    (
        "bad EIC check character",
        lambda b: b.update(
            flexibilityServiceProviderId=_bad_check_character(b["flexibilityServiceProviderId"])
        ),
        422,
        "invalid_input",
        "flexibilityServiceProviderId",
    ),
    (
        "bad POD code",
        lambda b: b.update(meteringPointId="IT001X1234"),
        422,
        "invalid_input",
        "meteringPointId",
    ),
    (
        "date without offset",
        lambda b: b.update(startDateTime="2025-01-01T00:00:00"),
        422,
        "invalid_input",
        "startDateTime",
    ),
    (
        "receiver not the TSO",
        lambda b: b.update(receiverId=b["distributionGridOperatorName"]),
        422,
        "invalid_input",
        "receiverId",
    ),
    (
        "unknown DSO",
        lambda b: b.update(distributionGridOperatorName=UNKNOWN_DSO_EIC),
        422,
        "invalid_input",
        "distributionGridOperatorName",
    ),
    ("missing field", lambda b: b.pop("resourceName"), 422, "invalid_input", "resourceName"),
    ("unknown field", _unknown_field, 422, "invalid_input", "colour"),
]


def _snapshot(world: Any, slug: str = "bsp1") -> tuple[int, int]:
    return count(world, slug, "/pods"), count(world, slug, "/operations")


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [case[1:] for case in POD_CASES],
    ids=[case[0] for case in POD_CASES],
)
def test_bad_pod_is_refused_naming_the_field(world, change, status, code, field):
    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))
    change(body)
    before = _snapshot(world)

    refused(world.client("bsp1").post("/pods", json=body), status, code, field)

    assert _snapshot(world) == before


def test_pod_of_another_bsp_is_forbidden(world):
    body = payloads.pod_body(world.eic("bsp2"), world.eic("dso1"))
    before, before_bsp2 = _snapshot(world), _snapshot(world, "bsp2")

    refused(
        world.client("bsp1").post("/pods", json=body),
        403,
        "forbidden",
        "flexibilityServiceProviderId",
    )

    assert _snapshot(world) == before
    assert _snapshot(world, "bsp2") == before_bsp2


def test_duplicate_metering_point_is_a_conflict(world):
    first = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))
    register_pod(world, meteringPointId=first["meteringPointId"])
    before, before_bsp2 = _snapshot(world), _snapshot(world, "bsp2")

    refused(world.client("bsp1").post("/pods", json=first), 409, "conflict", "meteringPointId")
    other_bsp = payloads.pod_body(
        world.eic("bsp2"), world.eic("dso2"), meteringPointId=first["meteringPointId"]
    )
    refused(world.client("bsp2").post("/pods", json=other_bsp), 409, "conflict", "meteringPointId")

    assert _snapshot(world) == before
    assert _snapshot(world, "bsp2") == before_bsp2


def test_bad_patch_is_refused_and_the_pod_unchanged(world):
    client = world.client("bsp1")
    pod_id = register_pod(world)
    detail = client.get(f"/pods/{pod_id}").json()
    before = _snapshot(world)

    refused(
        client.patch(f"/pods/{pod_id}", json={"contractedPower": -1}),
        422,
        "invalid_input",
        "contractedPower",
    )
    # Valid on its own, inconsistent with the stored record (contractedPower 80).
    refused(
        client.patch(f"/pods/{pod_id}", json={"maximumFlexUp": 500}),
        422,
        "invalid_input",
        "maximumFlexUp",
    )
    refused(
        client.patch(f"/pods/{pod_id}", json={"distributionGridOperatorName": UNKNOWN_DSO_EIC}),
        422,
        "invalid_input",
        "distributionGridOperatorName",
    )
    refused(
        client.patch(f"/pods/{pod_id}", json={"nickname": "x"}), 422, "invalid_input", "nickname"
    )

    assert _snapshot(world) == before
    assert client.get(f"/pods/{pod_id}").json() == detail


ATTACHMENT_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "oversize",
        lambda b: b.update(
            documentFile=payloads.b64(b"%PDF-1.4\n" + b"0" * (MAX_ATTACHMENT_BYTES + 1 - 9))
        ),
        "documentFile",
    ),
    (
        "not a PDF",
        lambda b: b.update(documentFile=payloads.b64(b"GIF89a not a pdf")),
        "documentFile",
    ),
    ("bad base64", lambda b: b.update(documentFile="JVBERi0x!!!not*base64"), "documentFile"),
    ("type against extension", lambda b: b.update(mimeType="application/xml"), "mimeType"),
    ("not PDF or XML", lambda b: b.update(externalDocumentId="photo.png"), "externalDocumentId"),
    ("unknown document type", lambda b: b.update(documentType="Selfie"), "documentType"),
]


@pytest.mark.parametrize(
    ("change", "field"),
    [case[1:] for case in ATTACHMENT_CASES],
    ids=[c[0] for c in ATTACHMENT_CASES],
)
def test_bad_attachment_is_refused_naming_the_field(world, change, field):
    client = world.client("bsp1")
    pod_id = _shared_pod(world)
    body = payloads.attachment_body(world.eic("bsp1"))
    change(body)
    before = _snapshot(world)

    refused(client.post(f"/pods/{pod_id}/attachments", json=body), 422, "invalid_input", field)

    assert _snapshot(world) == before
    assert client.get(f"/pods/{pod_id}").json()["attachments"] == []


def test_attachment_of_exactly_5_mib_is_accepted(world):
    content = b"%PDF-1.4\n" + b"0" * (MAX_ATTACHMENT_BYTES - 9)
    pod_id = register_pod(world)
    client = world.client("bsp1")

    created = succeeded(
        world,
        "bsp1",
        client.post(
            f"/pods/{pod_id}/attachments",
            json=payloads.attachment_body(world.eic("bsp1"), content),
        ),
    )

    assert client.get(f"/attachments/{created['attachmentId']}/content").content == content


def test_attachment_sent_in_another_bsps_name_is_forbidden(world):
    pod_id = _shared_pod(world)
    before = _snapshot(world)

    refused(
        world.client("bsp1").post(
            f"/pods/{pod_id}/attachments", json=payloads.attachment_body(world.eic("bsp2"))
        ),
        403,
        "forbidden",
        "senderId",
    )

    assert _snapshot(world) == before


def test_unknown_ids_are_not_found(world):
    client = world.client("bsp1")
    bsp = world.eic("bsp1")
    unknown = str(uuid.uuid4())
    uvam_id = register_uvam(world)
    before = _snapshot(world)

    refused(client.get(f"/pods/{unknown}"), 404, "not_found", "podId")
    refused(client.patch(f"/pods/{unknown}", json={"resourceName": "x"}), 404, "not_found", "podId")
    refused(
        client.patch(
            f"/pods/{unknown}/status", json=payloads.pod_status_body(unknown, "Open", bsp)
        ),
        404,
        "not_found",
        "podId",
    )
    refused(
        client.post(f"/pods/{unknown}/flex-devices", json=payloads.flex_device_body(unknown)),
        404,
        "not_found",
        "podId",
    )
    refused(
        client.post(f"/pods/{unknown}/attachments", json=payloads.attachment_body(bsp)),
        404,
        "not_found",
        "podId",
    )
    refused(client.get(f"/attachments/{unknown}/content"), 404, "not_found", "attachmentId")
    refused(client.get(f"/uvams/{unknown}"), 404, "not_found", "uvamId")
    refused(
        client.post(
            f"/uvams/{uvam_id}/members", json=payloads.membership_body(unknown, uvam_id, bsp)
        ),
        404,
        "not_found",
        "resource",
    )
    refused(
        client.patch(f"/uvams/{uvam_id}/members/end", json={"relationId": unknown}),
        404,
        "not_found",
        "relationId",
    )
    refused(client.get(f"/operations/{unknown}"), 404, "not_found", "operationId")
    refused(
        client.patch(f"/uvams/{uvam_id}/connection", json={"ipAddress": "10.0.0.1"}),
        404,
        "not_found",
        "resourceGroupId",
    )

    assert _snapshot(world) == before


def test_path_and_body_must_name_the_same_resource(world):
    client = world.client("bsp1")
    pod_id = _shared_pod(world)
    other = str(uuid.uuid4())
    before = _snapshot(world)

    refused(
        client.patch(
            f"/pods/{pod_id}/status",
            json=payloads.pod_status_body(other, "Open", world.eic("bsp1")),
        ),
        422,
        "invalid_input",
        "flexResourceId",
    )
    refused(
        client.post(f"/pods/{pod_id}/flex-devices", json=payloads.flex_device_body(other)),
        422,
        "invalid_input",
        "parentResourceId",
    )

    assert _snapshot(world) == before


UVAM_CASES: list[tuple[str, Callable[[dict[str, Any]], None], int, str, str]] = [
    (
        "negative qualified power",
        lambda b: b.update(maximumQualifiedPower=-10),
        422,
        "invalid_input",
        "maximumQualifiedPower",
    ),
    ("unknown market", lambda b: b.update(marketType="SPOT"), 422, "invalid_input", "marketType"),
    (
        "end before start",
        lambda b: b.update(endDateTime="2024-01-01T00:00:00Z"),
        422,
        "invalid_input",
        "endDateTime",
    ),
    (
        "another BSP",
        lambda b: b.update(flexibilityServiceProviderId=make_eic("21XBSP-BRAVO---")),
        403,
        "forbidden",
        "flexibilityServiceProviderId",
    ),
]


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [case[1:] for case in UVAM_CASES],
    ids=[case[0] for case in UVAM_CASES],
)
def test_bad_uvam_is_refused_naming_the_field(world, change, status, code, field):
    body = payloads.uvam_body(world.eic("bsp1"))
    change(body)
    uvams_before, operations_before = (
        count(world, "bsp1", "/uvams"),
        count(world, "bsp1", "/operations"),
    )

    refused(world.client("bsp1").post("/uvams", json=body), status, code, field)

    assert count(world, "bsp1", "/uvams") == uvams_before
    assert count(world, "bsp1", "/operations") == operations_before


def test_bad_connection_is_refused_naming_the_field(world):
    client = world.client("bsp1")
    uvam_id = register_uvam(world)
    bsp = world.eic("bsp1")
    operations_before = count(world, "bsp1", "/operations")

    for change, field in (
        ({"ipAddress": "300.1.2.3"}, "ipAddress"),
        ({"fullScaleMax": -200}, "fullScaleMax"),
        ({"type": "CAN"}, "type"),
        ({"documentFile": payloads.b64(b"<xml/>")}, "documentFile"),
    ):
        body = payloads.connection_body(uvam_id, bsp, **change)
        refused(client.post(f"/uvams/{uvam_id}/connection", json=body), 422, "invalid_input", field)

    assert count(world, "bsp1", "/operations") == operations_before
    assert client.get(f"/uvams/{uvam_id}").json()["connection"] is None


_shared: dict[str, str] = {}


def _shared_pod(world: Any) -> str:
    """One Registered POD of bsp1 per backend for the tests that must leave it unchanged."""
    if world.backend not in _shared:
        _shared[world.backend] = register_pod(world)
    return _shared[world.backend]
