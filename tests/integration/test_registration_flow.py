"""The registration scenario end to end, through the public API of a running platform.

POD: register, flex device, attachments, Open, UnderReview, automatic TSO verification and DSO
validation (or rejection with reasons), reopen and fix. UVAM: register, update, attachments,
members, connection, UnderReview, automatic qualification (or rejection), End Relation. All 14
services of FLOW D5.5 Table 1 are exercised here.
"""

from __future__ import annotations

import hashlib

from ledger.core.domain.enums import PodStatus, UvamStatus
from ledger.core.ids import to_bytes32
from tests.integration import payloads
from tests.integration.flows import (
    FINAL_UVAM,
    accepted,
    add_member,
    refused,
    register_pod,
    register_uvam,
    review_pod,
    set_pod_status,
    set_uvam_status,
    succeeded,
    validated_pod,
)


def _chain_pod(world, detail):
    return world.chain.read("ResourceRegistry", "pod", to_bytes32(detail["chainKey"]))


def _chain_uvam(world, detail):
    return world.chain.read("ResourceRegistry", "uvam", to_bytes32(detail["chainKey"]))


def test_registering_a_pod_answers_202_and_lands_on_chain_with_history(world):
    client = world.client("bsp1")
    body = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))

    response = client.post("/pods", json=body)

    answer = accepted(response)
    assert answer["kind"] == "pod.register"
    assert answer["podId"] == answer["targetId"]
    assert answer["links"]["operation"] == f"/operations/{answer['operationId']}"
    operation = world.wait("bsp1", answer["operationId"])
    assert operation["status"] == "succeeded", operation
    [tx_hash] = operation["transactionHashes"]
    assert tx_hash.startswith("0x")
    assert len(tx_hash) == 66
    assert operation["blockNumber"] >= 1
    assert operation["gasUsed"] > 0
    assert operation["result"] == {"podIds": [answer["podId"]]}
    assert operation["error"] is None

    detail = client.get(f"/pods/{answer['podId']}").json()
    assert detail["status"] == "Registered"
    assert detail["meteringPointId"] == body["meteringPointId"]
    assert detail["contractedPower"] == 80
    assert detail["bsp"] == "bsp1"
    [entry] = detail["history"]
    assert (entry["from"], entry["to"], entry["actor"]) == (None, "Registered", "bsp1")
    assert entry["transactionHash"] == tx_hash
    assert entry["blockNumber"] == operation["blockNumber"]

    on_chain = _chain_pod(world, detail)
    assert on_chain["status"] == PodStatus.REGISTERED
    assert on_chain["bsp"].lower() == world.organisations["bsp1"].address.lower()
    assert on_chain["dsoEic"] == world.eic("dso1").encode()
    assert "0x" + on_chain["recordHash"].hex() == detail["recordHash"]
    listed = client.get("/pods", params={"q": body["meteringPointId"]}).json()
    assert [pod["id"] for pod in listed["data"]] == [answer["podId"]]


def test_flex_device_and_attachment_create_update_download(world):
    client = world.client("bsp1")
    pod_id = register_pod(world)

    device = succeeded(
        world,
        "bsp1",
        client.post(
            f"/pods/{pod_id}/flex-devices",
            json=payloads.flex_device_body(pod_id),
        ),
    )
    assert device["operation"]["result"] == {"deviceIds": [device["deviceId"]]}

    first = payloads.pdf("first version")
    created = succeeded(
        world,
        "bsp1",
        client.post(
            f"/pods/{pod_id}/attachments",
            json=payloads.attachment_body(world.eic("bsp1"), first),
        ),
    )
    attachment_id = created["attachmentId"]
    download = client.get(f"/attachments/{attachment_id}/content")
    assert download.status_code == 200
    assert download.content == first
    assert download.headers["content-type"].startswith("application/pdf")

    second = payloads.pdf("second version")
    patch = {
        "externalDocumentId": "meter.pdf",
        "documentFile": payloads.b64(second),
        "mimeType": "application/pdf",
        "documentType": "MeterCertificate",
    }
    succeeded(
        world, "bsp1", client.patch(f"/pods/{pod_id}/attachments/{attachment_id}", json=patch)
    )
    assert client.get(f"/attachments/{attachment_id}/content").content == second
    # an attachment is updated only through the resource it belongs to
    other_pod = register_pod(world)
    through_other = client.patch(f"/pods/{other_pod}/attachments/{attachment_id}", json=patch)
    refused(through_other, 404, "not_found", "attachmentId")

    detail = client.get(f"/pods/{pod_id}").json()
    [flex_device] = detail["flexDevices"]
    assert flex_device["id"] == device["deviceId"]
    assert flex_device["deviceType"] == "EVCharger"
    assert flex_device["parentResourceId"] == pod_id
    [attachment] = detail["attachments"]
    assert attachment["id"] == attachment_id
    assert attachment["documentType"] == "MeterCertificate"
    assert attachment["externalDocumentId"] == "meter.pdf"
    assert attachment["documentSha256"] == hashlib.sha256(second).hexdigest()
    assert attachment["sizeBytes"] == len(second)
    assert "documentFile" not in attachment
    on_chain = world.chain.read(
        "ResourceRegistry", "attachment", to_bytes32(attachment["chainKey"])
    )
    assert on_chain["contentHash"].hex() == hashlib.sha256(second).hexdigest()
    assert "0x" + on_chain["metadataHash"].hex() == attachment["metadataHash"]


def test_review_verifies_and_validates_pod_with_constraints(world):
    pod_id = register_pod(world)
    succeeded(
        world,
        "bsp1",
        world.client("bsp1").post(
            f"/pods/{pod_id}/attachments",
            json=payloads.attachment_body(world.eic("bsp1")),
        ),
    )

    opened = set_pod_status(world, "bsp1", pod_id, "Open")
    assert world.client("bsp1").get(f"/pods/{pod_id}").json()["status"] == "Open"
    under_review = set_pod_status(world, "bsp1", pod_id, "UnderReview")
    detail = world.wait_for_status("bsp1", f"/pods/{pod_id}", {"Validated", "Rejected"})

    assert detail["status"] == "Validated", detail
    assert detail["constraints"] == {"maxImportKw": 80, "maxExportKw": 80}
    assert detail["reasons"] is None
    steps = [(h["from"], h["to"], h["actor"]) for h in detail["history"]]
    assert steps == [
        (None, "Registered", "bsp1"),
        ("Registered", "Open", "bsp1"),
        ("Open", "UnderReview", "bsp1"),
        ("UnderReview", "Verified", "tso"),
        ("Verified", "Validated", "dso1"),
    ]
    hashes = [h["transactionHash"] for h in detail["history"]]
    assert all(h and h.startswith("0x") for h in hashes)
    assert hashes[1] == opened["operation"]["transactionHashes"][0]
    assert hashes[2] == under_review["operation"]["transactionHashes"][0]
    assert _chain_pod(world, detail)["status"] == PodStatus.VALIDATED

    tso_operations = world.client("tso").get("/operations", params={"limit": 500}).json()["data"]
    assert any(o["kind"] == "pod.verify" and o["targetId"] == pod_id for o in tso_operations)
    dso_operations = world.client("dso1").get("/operations", params={"limit": 500}).json()["data"]
    [validation] = [o for o in dso_operations if o["targetId"] == pod_id]
    assert validation["kind"] == "pod.validate"
    assert validation["status"] == "succeeded"


def test_pod_failing_the_rules_is_rejected_then_reopened_fixed_and_validated(world):
    client = world.client("bsp1")
    pod_id = register_pod(world, gridVoltageLevel="LV", contractedPower=150)

    detail = review_pod(world, "bsp1", pod_id)

    assert detail["status"] == "Rejected", detail
    assert any("gridVoltageLevel LV" in reason for reason in detail["reasons"]), detail["reasons"]
    rejection = detail["history"][-1]
    assert (rejection["from"], rejection["to"], rejection["actor"]) == (
        "UnderReview",
        "Rejected",
        "tso",
    )
    assert rejection["reasons"] == detail["reasons"]
    assert rejection["transactionHash"]
    assert _chain_pod(world, detail)["status"] == PodStatus.REJECTED

    set_pod_status(world, "bsp1", pod_id, "Open")
    assert client.get(f"/pods/{pod_id}").json()["status"] == "Open"
    succeeded(world, "bsp1", client.patch(f"/pods/{pod_id}", json={"gridVoltageLevel": "MV"}))
    fixed = client.get(f"/pods/{pod_id}").json()
    assert fixed["gridVoltageLevel"] == "MV"
    assert fixed["contractedPower"] == 150
    assert fixed["recordHash"] != detail["recordHash"]
    assert "0x" + _chain_pod(world, fixed)["recordHash"].hex() == fixed["recordHash"]

    set_pod_status(world, "bsp1", pod_id, "UnderReview")
    final = world.wait_for_status("bsp1", f"/pods/{pod_id}", {"Validated", "Rejected"})
    assert final["status"] == "Validated", final
    assert [h["to"] for h in final["history"]][-5:] == [
        "Rejected",
        "Open",
        "UnderReview",
        "Verified",
        "Validated",
    ]


def test_uvam_with_members_and_connection_is_qualified(world):
    client = world.client("bsp1")
    bsp = world.eic("bsp1")
    pod_id = validated_pod(world)
    uvam_id = register_uvam(world, maximumQualifiedPower=25, minimumQualifiedPower=35)
    assert client.get(f"/uvams/{uvam_id}").json()["status"] == "Registered"

    succeeded(world, "bsp1", client.patch(f"/uvams/{uvam_id}", json={"name": "UVAM Nord 1"}))
    attached = succeeded(
        world,
        "bsp1",
        client.post(
            f"/uvams/{uvam_id}/attachments",
            json=payloads.attachment_body(bsp, payloads.pdf("uvam")),
        ),
    )
    xml = b'<?xml version="1.0"?><contract id="1"/>'
    succeeded(
        world,
        "bsp1",
        client.patch(
            f"/uvams/{uvam_id}/attachments/{attached['attachmentId']}",
            json={
                "externalDocumentId": "contract.xml",
                "documentFile": payloads.b64(xml),
                "mimeType": "application/xml",
                "documentType": "Contract",
            },
        ),
    )
    assert client.get(f"/attachments/{attached['attachmentId']}/content").content == xml
    relation_id = add_member(world, "bsp1", uvam_id, pod_id)
    succeeded(
        world,
        "bsp1",
        client.post(
            f"/uvams/{uvam_id}/connection",
            json=payloads.connection_body(uvam_id, bsp),
        ),
    )
    registered = client.get(f"/uvams/{uvam_id}").json()
    succeeded(
        world,
        "bsp1",
        client.patch(
            f"/uvams/{uvam_id}/connection",
            json={"ipAddress": "10.20.30.41", "manufacturer": "Siemens"},
        ),
    )

    detail = client.get(f"/uvams/{uvam_id}").json()
    assert detail["name"] == "UVAM Nord 1"
    [member] = detail["members"]
    assert (member["relationId"], member["resource"], member["active"]) == (
        relation_id,
        pod_id,
        True,
    )
    assert detail["connection"]["ipAddress"] == "10.20.30.41"
    assert detail["connection"]["manufacturer"] == "Siemens"
    assert detail["connection"]["fullScaleMax"] == 500
    assert (
        detail["connection"]["documentSha256"]
        == hashlib.sha256(payloads.pdf("connection")).hexdigest()
    )
    assert "salt" not in detail["connection"]
    assert detail["connectionHash"] != registered["connectionHash"]
    key = to_bytes32(detail["chainKey"])
    assert (
        "0x" + world.chain.read("ResourceRegistry", "connectionOf", key).hex()
        == detail["connectionHash"]
    )
    [attachment] = detail["attachments"]
    assert attachment["mimeType"] == "application/xml"
    members = client.get("/pods", params={"uvam": uvam_id}).json()
    assert [p["id"] for p in members["data"]] == [pod_id]

    set_uvam_status(world, "bsp1", uvam_id, "Open")
    set_uvam_status(world, "bsp1", uvam_id, "UnderReview")
    final = world.wait_for_status("bsp1", f"/uvams/{uvam_id}", FINAL_UVAM)

    assert final["status"] == "Qualified", final
    assert [(h["to"], h["actor"]) for h in final["history"]] == [
        ("Registered", "bsp1"),
        ("Open", "bsp1"),
        ("UnderReview", "bsp1"),
        ("Qualified", "tso"),
    ]
    assert all(h["transactionHash"] for h in final["history"])
    assert _chain_uvam(world, final)["status"] == UvamStatus.QUALIFIED


def test_uvam_beyond_its_members_flexibility_is_rejected_and_relation_ended(world):
    client = world.client("bsp1")
    pod_id = validated_pod(world)
    uvam_id = register_uvam(world, maximumQualifiedPower=500, minimumQualifiedPower=35)
    relation_id = add_member(world, "bsp1", uvam_id, pod_id)

    set_uvam_status(world, "bsp1", uvam_id, "Open")
    set_uvam_status(world, "bsp1", uvam_id, "UnderReview")
    detail = world.wait_for_status("bsp1", f"/uvams/{uvam_id}", FINAL_UVAM)

    assert detail["status"] == "Rejected", detail
    assert any("maximumQualifiedPower 500 kW exceeds" in r for r in detail["reasons"]), detail
    rejection = detail["history"][-1]
    assert (rejection["to"], rejection["actor"]) == ("Rejected", "tso")
    assert rejection["reasons"] == detail["reasons"]
    assert _chain_uvam(world, detail)["status"] == UvamStatus.REJECTED

    ended = succeeded(
        world,
        "bsp1",
        client.patch(
            f"/uvams/{uvam_id}/members/end",
            json={"relationId": relation_id, "receiverId": payloads.TSO_EIC},
        ),
    )
    assert ended["operation"]["kind"] == "membership.end"
    [member] = client.get(f"/uvams/{uvam_id}").json()["members"]
    assert member["active"] is False
    assert member["endedAt"]
    [relation] = client.get(f"/pods/{pod_id}").json()["relations"]
    assert relation["active"] is False
    assert client.get("/pods", params={"uvam": uvam_id}).json()["count"] == 0
    on_chain = world.chain.read("ResourceRegistry", "relation", to_bytes32(member["chainKey"]))
    assert on_chain["active"] is False

    # The POD is free again: it may join another UVAM of its BSP.
    other = register_uvam(world)
    add_member(world, "bsp1", other, pod_id)


def test_a_bsp_cannot_decide_reviews(world):
    pod_id = register_pod(world)
    uvam_id = register_uvam(world)

    pod_review = world.client("bsp1").post(
        f"/pods/{pod_id}/review", json=payloads.decision_body(True)
    )
    uvam_review = world.client("bsp1").post(
        f"/uvams/{uvam_id}/review",
        json=payloads.decision_body(False, "no"),
    )

    refused(pod_review, 403, "forbidden", "approve")
    refused(uvam_review, 403, "forbidden", "approve")
