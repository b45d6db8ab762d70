"""The POD and UVAM status flows of ResourceRegistry, with the events they leave behind."""

from __future__ import annotations

import pytest

from ledger.core.domain.enums import PodStatus, UvamStatus

P = PodStatus
U = UvamStatus
ZERO = b"\0" * 32


def _only_event(receipt, name: str):
    matching = [event for event in receipt.events if event.name == name]
    assert len(matching) == 1, [event.name for event in receipt.events]
    return matching[0]


def _pod_moved(net, receipt, pod_id: bytes, frm: P, to: P, actor: str, detail: bytes = ZERO):
    assert [event.name for event in receipt.events] == ["PodStatusChanged"]
    [event] = receipt.events
    assert event.contract == "ResourceRegistry"
    assert event.address == net.client.address_of("ResourceRegistry")
    assert event.transaction_hash == receipt.transaction_hash
    assert event.args == {
        "podId": pod_id,
        "from": frm,
        "to": to,
        "actor": net.address(actor),
        "detailHash": detail,
    }
    assert net.pod_status(pod_id) == to


def _uvam_moved(net, receipt, uvam_id: bytes, frm: U, to: U, actor: str, detail: bytes = ZERO):
    assert [event.name for event in receipt.events] == ["UvamStatusChanged"]
    assert receipt.events[0].args == {
        "uvamId": uvam_id,
        "from": frm,
        "to": to,
        "actor": net.address(actor),
        "detailHash": detail,
    }
    assert net.uvam_status(uvam_id) == to


# ---------------------------------------------------------------- PODs


def test_pod_flow_from_registration_to_validation(net) -> None:
    pod_id, record = net.new_id("pod"), net.new_id("record")
    receipt = net.tx("bsp1", "registerPods", [pod_id], [net.eic("dso1")], [record])
    assert [event.name for event in receipt.events] == ["PodRegistered", "PodStatusChanged"]
    registered, moved = receipt.events
    assert registered.args == {
        "podId": pod_id,
        "bsp": net.address("bsp1"),
        "dsoEic": net.eic("dso1"),
        "recordHash": record,
    }
    assert moved.args == {
        "podId": pod_id,
        "from": P.NONE,
        "to": P.REGISTERED,
        "actor": net.address("bsp1"),
        "detailHash": ZERO,
    }
    assert net.read("pod", pod_id) == {
        "bsp": net.address("bsp1"),
        "status": P.REGISTERED,
        "dsoEic": net.eic("dso1"),
        "recordHash": record,
    }

    receipt = net.tx("bsp1", "setPodStatus", pod_id, P.OPEN)
    _pod_moved(net, receipt, pod_id, P.REGISTERED, P.OPEN, "bsp1")
    receipt = net.tx("bsp1", "setPodStatus", pod_id, P.UNDER_REVIEW)
    _pod_moved(net, receipt, pod_id, P.OPEN, P.UNDER_REVIEW, "bsp1")
    receipt = net.tx("tso", "verifyPod", pod_id)
    _pod_moved(net, receipt, pod_id, P.UNDER_REVIEW, P.VERIFIED, "tso")
    constraints = net.new_id("static constraints")
    receipt = net.tx("dso1", "validatePod", pod_id, constraints)
    _pod_moved(net, receipt, pod_id, P.VERIFIED, P.VALIDATED, "dso1", constraints)

    final = net.read("pod", pod_id)
    assert final["status"] == P.VALIDATED
    assert final["recordHash"] == record  # statuses never touch the record


def test_tso_rejects_under_review_and_bsp_reopens(net) -> None:
    pod_id = net.pod_in(P.UNDER_REVIEW)
    reasons = net.new_id("missing meter certificate")
    receipt = net.tx("tso", "rejectPod", pod_id, reasons)
    _pod_moved(net, receipt, pod_id, P.UNDER_REVIEW, P.REJECTED, "tso", reasons)

    # rejected data is frozen until the BSP reopens the POD
    error = net.reverts("bsp1", "updatePod", pod_id, net.new_id("record"))
    assert error.error_name == "RegistryNotEditable"
    receipt = net.tx("bsp1", "setPodStatus", pod_id, P.OPEN)
    _pod_moved(net, receipt, pod_id, P.REJECTED, P.OPEN, "bsp1")
    record = net.new_id("fixed record")
    receipt = net.tx("bsp1", "updatePod", pod_id, record)
    assert _only_event(receipt, "PodUpdated").args == {"podId": pod_id, "recordHash": record}

    # and the second round goes through
    net.tx("bsp1", "setPodStatus", pod_id, P.UNDER_REVIEW)
    net.tx("tso", "verifyPod", pod_id)
    net.tx("dso1", "validatePod", pod_id, net.new_id("constraints"))
    assert net.pod_status(pod_id) == P.VALIDATED


def test_dso_rejects_verified_and_bsp_reopens(net) -> None:
    pod_id = net.pod_in(P.VERIFIED, dso="dso2")
    reasons = net.new_id("congested feeder")
    receipt = net.tx("dso2", "rejectPod", pod_id, reasons)
    _pod_moved(net, receipt, pod_id, P.VERIFIED, P.REJECTED, "dso2", reasons)
    receipt = net.tx("bsp1", "setPodStatus", pod_id, P.OPEN)
    _pod_moved(net, receipt, pod_id, P.REJECTED, P.OPEN, "bsp1")


@pytest.mark.parametrize(
    ("start", "who", "call", "requested"),
    [
        (P.REGISTERED, "bsp1", ("setPodStatus", P.UNDER_REVIEW), P.UNDER_REVIEW),
        (P.REGISTERED, "bsp1", ("setPodStatus", P.REGISTERED), P.REGISTERED),
        (P.REGISTERED, "bsp1", ("setPodStatus", P.NONE), P.NONE),
        (P.OPEN, "bsp1", ("setPodStatus", P.OPEN), P.OPEN),
        (P.OPEN, "bsp1", ("setPodStatus", P.VERIFIED), P.VERIFIED),
        (P.OPEN, "bsp1", ("setPodStatus", P.VALIDATED), P.VALIDATED),
        (P.OPEN, "bsp1", ("setPodStatus", P.REJECTED), P.REJECTED),
        (P.UNDER_REVIEW, "bsp1", ("setPodStatus", P.OPEN), P.OPEN),
        (P.VALIDATED, "bsp1", ("setPodStatus", P.OPEN), P.OPEN),
        (P.OPEN, "tso", ("verifyPod",), P.VERIFIED),
        (P.VERIFIED, "tso", ("verifyPod",), P.VERIFIED),
        (P.UNDER_REVIEW, "dso1", ("validatePod", b"\1" * 32), P.VALIDATED),
        (P.VALIDATED, "dso1", ("validatePod", b"\1" * 32), P.VALIDATED),
        (P.REGISTERED, "tso", ("rejectPod", b"\1" * 32), P.REJECTED),
        (P.OPEN, "tso", ("rejectPod", b"\1" * 32), P.REJECTED),
        (P.VALIDATED, "dso1", ("rejectPod", b"\1" * 32), P.REJECTED),
    ],
)
def test_invalid_pod_transitions(net, start: P, who: str, call: tuple, requested: P) -> None:
    pod_id = net.pod_in(start)
    function, *extra = call
    error = net.reverts(who, function, pod_id, *extra)
    assert error.error_name == "RegistryInvalidPodTransition"
    assert error.arguments == {
        "podId": net.hex(pod_id),
        "current": start.label,
        "requested": requested.label,
    }
    assert net.pod_status(pod_id) == start


def test_transition_labels_are_the_source_spelling(net) -> None:
    pod_id = net.pod_in(P.REGISTERED)
    error = net.reverts("bsp1", "setPodStatus", pod_id, P.UNDER_REVIEW)
    assert error.arguments["current"] == "Registered"
    assert error.arguments["requested"] == "UnderReview"
    assert "current=Registered" in str(error.message)


def test_rejected_pod_cannot_be_rejected_again_or_validated(net) -> None:
    pod_id = net.pod_in(P.UNDER_REVIEW)
    net.tx("tso", "rejectPod", pod_id, net.new_id("reasons"))
    for who, function, *extra in (
        ("tso", "rejectPod", ZERO),
        ("tso", "verifyPod"),
        ("dso1", "validatePod", ZERO),
        ("bsp1", "setPodStatus", P.UNDER_REVIEW),
    ):
        error = net.reverts(who, function, pod_id, *extra)
        assert error.error_name == "RegistryInvalidPodTransition", function
        assert error.arguments["current"] == "Rejected"


@pytest.mark.parametrize("status", [P.REGISTERED, P.OPEN])
def test_pod_data_changes_while_registered_or_open(net, status: P) -> None:
    pod_id = net.pod_in(status)
    record = net.new_id("record")
    receipt = net.tx("bsp1", "updatePod", pod_id, record)
    assert _only_event(receipt, "PodUpdated").args == {"podId": pod_id, "recordHash": record}
    assert net.read("pod", pod_id)["recordHash"] == record

    devices = [net.new_id("device"), net.new_id("device")]
    hashes = [net.new_id("d1"), net.new_id("d2")]
    receipt = net.tx("bsp1", "registerFlexDevices", devices, [pod_id, pod_id], hashes)
    assert [e.args for e in receipt.events] == [
        {"deviceId": devices[0], "podId": pod_id, "recordHash": hashes[0]},
        {"deviceId": devices[1], "podId": pod_id, "recordHash": hashes[1]},
    ]
    receipt = net.tx("bsp1", "updateFlexDevice", devices[0], record)
    assert _only_event(receipt, "FlexDeviceUpdated").args == {
        "deviceId": devices[0],
        "recordHash": record,
    }
    assert net.read("flexDevice", devices[0]) == {"podId": pod_id, "recordHash": record}

    attachment_id, content, metadata = net.new_id("a"), net.new_id("c"), net.new_id("m")
    receipt = net.tx("bsp1", "createAttachment", attachment_id, pod_id, content, metadata)
    assert _only_event(receipt, "AttachmentCreated").args == {
        "attachmentId": attachment_id,
        "ownerId": pod_id,
        "contentHash": content,
        "metadataHash": metadata,
    }
    receipt = net.tx("bsp1", "updateAttachment", attachment_id, metadata, content)
    assert _only_event(receipt, "AttachmentUpdated").args == {
        "attachmentId": attachment_id,
        "ownerId": pod_id,
        "contentHash": metadata,
        "metadataHash": content,
    }
    assert net.read("attachment", attachment_id) == {
        "ownerId": pod_id,
        "contentHash": metadata,
        "metadataHash": content,
    }
    assert net.pod_status(pod_id) == status


@pytest.mark.parametrize("status", [P.UNDER_REVIEW, P.VERIFIED, P.VALIDATED])
def test_pod_data_is_frozen_from_under_review_on(net, status: P) -> None:
    pod_id = net.register_pod()
    device_id, attachment_id = net.new_id("device"), net.new_id("attachment")
    net.tx("bsp1", "registerFlexDevices", [device_id], [pod_id], [net.new_id("r")])
    net.tx("bsp1", "createAttachment", attachment_id, pod_id, net.new_id("c"), net.new_id("m"))
    net.tx("bsp1", "setPodStatus", pod_id, P.OPEN)
    net.tx("bsp1", "setPodStatus", pod_id, P.UNDER_REVIEW)
    if status >= P.VERIFIED:
        net.tx("tso", "verifyPod", pod_id)
    if status >= P.VALIDATED:
        net.tx("dso1", "validatePod", pod_id, net.new_id("constraints"))
    before = net.read("pod", pod_id)

    for function, *args in [
        ("updatePod", pod_id, net.new_id("r")),
        ("registerFlexDevices", [net.new_id("device")], [pod_id], [net.new_id("r")]),
        ("updateFlexDevice", device_id, net.new_id("r")),
        ("createAttachment", net.new_id("attachment"), pod_id, net.new_id("c"), net.new_id("m")),
        ("updateAttachment", attachment_id, net.new_id("c"), net.new_id("m")),
    ]:
        error = net.reverts("bsp1", function, *args)
        assert error.error_name == "RegistryNotEditable", function
        assert error.arguments == {"id": net.hex(pod_id)}, function
    assert net.read("pod", pod_id) == before


# ---------------------------------------------------------------- UVAMs


def test_uvam_flow_with_members_and_connection(net) -> None:
    uvam_id, record = net.new_id("uvam"), net.new_id("record")
    receipt = net.tx("bsp1", "registerUvam", uvam_id, record)
    assert [e.name for e in receipt.events] == ["UvamRegistered", "UvamStatusChanged"]
    assert receipt.events[0].args == {
        "uvamId": uvam_id,
        "bsp": net.address("bsp1"),
        "recordHash": record,
    }
    assert receipt.events[1].args == {
        "uvamId": uvam_id,
        "from": U.NONE,
        "to": U.REGISTERED,
        "actor": net.address("bsp1"),
        "detailHash": ZERO,
    }
    assert net.read("uvam", uvam_id) == {
        "bsp": net.address("bsp1"),
        "status": U.REGISTERED,
        "recordHash": record,
    }

    pods = [net.pod_in(P.VALIDATED), net.pod_in(P.VALIDATED)]
    relations = []
    for pod_id in pods:
        relation_id = net.new_id("relation")
        receipt = net.tx("bsp1", "addPodToUvam", relation_id, uvam_id, pod_id)
        assert _only_event(receipt, "RelationStarted").args == {
            "relationId": relation_id,
            "uvamId": uvam_id,
            "podId": pod_id,
        }
        assert net.read("relation", relation_id) == {
            "uvamId": uvam_id,
            "podId": pod_id,
            "active": True,
        }
        relations.append(relation_id)

    first, second = net.new_id("connection v1"), net.new_id("connection v2")
    assert net.read("connectionOf", uvam_id) == ZERO
    receipt = net.tx("bsp1", "setConnection", uvam_id, first)
    assert [e.name for e in receipt.events] == ["ConnectionRegistered"]
    assert receipt.events[0].args == {"uvamId": uvam_id, "connectionHash": first}
    receipt = net.tx("bsp1", "setConnection", uvam_id, second)
    assert [e.name for e in receipt.events] == ["ConnectionUpdated"]
    assert receipt.events[0].args == {"uvamId": uvam_id, "connectionHash": second}
    assert net.read("connectionOf", uvam_id) == second

    receipt = net.tx("bsp1", "setUvamStatus", uvam_id, U.OPEN)
    _uvam_moved(net, receipt, uvam_id, U.REGISTERED, U.OPEN, "bsp1")
    new_record = net.new_id("record v2")
    receipt = net.tx("bsp1", "updateUvam", uvam_id, new_record)
    assert _only_event(receipt, "UvamUpdated").args == {"uvamId": uvam_id, "recordHash": new_record}

    receipt = net.tx("bsp1", "endRelation", relations[1])
    assert _only_event(receipt, "RelationEnded").args == {
        "relationId": relations[1],
        "uvamId": uvam_id,
        "podId": pods[1],
    }
    assert net.read("relation", relations[1])["active"] is False

    receipt = net.tx("bsp1", "setUvamStatus", uvam_id, U.UNDER_REVIEW)
    _uvam_moved(net, receipt, uvam_id, U.OPEN, U.UNDER_REVIEW, "bsp1")
    error = net.reverts("bsp1", "endRelation", relations[0])  # membership frozen under review
    assert error.error_name == "RegistryNotEditable"
    assert error.arguments == {"id": net.hex(uvam_id)}

    receipt = net.tx("tso", "qualifyUvam", uvam_id)
    _uvam_moved(net, receipt, uvam_id, U.UNDER_REVIEW, U.QUALIFIED, "tso")
    assert net.read("uvam", uvam_id)["recordHash"] == new_record

    # a qualified UVAM may still end a membership, but takes no new data
    net.tx("bsp1", "endRelation", relations[0])
    for function, *args in [
        ("updateUvam", uvam_id, net.new_id("r")),
        ("setConnection", uvam_id, net.new_id("c")),
        ("addPodToUvam", net.new_id("relation"), uvam_id, pods[0]),
        ("createAttachment", net.new_id("attachment"), uvam_id, ZERO, ZERO),
    ]:
        error = net.reverts("bsp1", function, *args)
        assert error.error_name == "RegistryNotEditable", function
        assert error.arguments == {"id": net.hex(uvam_id)}


def test_tso_rejects_a_uvam_and_bsp_reopens(net) -> None:
    uvam_id = net.uvam_in(U.UNDER_REVIEW)
    reasons = net.new_id("reasons")
    receipt = net.tx("tso", "rejectUvam", uvam_id, reasons)
    _uvam_moved(net, receipt, uvam_id, U.UNDER_REVIEW, U.REJECTED, "tso", reasons)
    receipt = net.tx("bsp1", "setUvamStatus", uvam_id, U.OPEN)
    _uvam_moved(net, receipt, uvam_id, U.REJECTED, U.OPEN, "bsp1")


@pytest.mark.parametrize(
    ("start", "who", "call", "requested"),
    [
        (U.REGISTERED, "bsp1", ("setUvamStatus", U.UNDER_REVIEW), U.UNDER_REVIEW),
        (U.OPEN, "bsp1", ("setUvamStatus", U.QUALIFIED), U.QUALIFIED),
        (U.UNDER_REVIEW, "bsp1", ("setUvamStatus", U.OPEN), U.OPEN),
        (U.QUALIFIED, "bsp1", ("setUvamStatus", U.OPEN), U.OPEN),
        (U.OPEN, "tso", ("qualifyUvam",), U.QUALIFIED),
        (U.QUALIFIED, "tso", ("qualifyUvam",), U.QUALIFIED),
        (U.OPEN, "tso", ("rejectUvam", b"\1" * 32), U.REJECTED),
    ],
)
def test_invalid_uvam_transitions(net, start: U, who: str, call: tuple, requested: U) -> None:
    uvam_id = net.uvam_in(start)
    function, *extra = call
    error = net.reverts(who, function, uvam_id, *extra)
    assert error.error_name == "RegistryInvalidUvamTransition"
    assert error.arguments == {
        "uvamId": net.hex(uvam_id),
        "current": start.label,
        "requested": requested.label,
    }
    assert net.uvam_status(uvam_id) == start
