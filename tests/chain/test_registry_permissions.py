"""Every permission rule of ResourceRegistry, checked directly against the contract."""

from __future__ import annotations

import pytest

from ledger.core.domain.enums import PodStatus, Role, UvamStatus
from ledger.core.domain.identifiers import eic_to_bytes16, make_eic

P = PodStatus
U = UvamStatus


def _unauthorized(net, who: str, role: Role) -> dict[str, str]:
    return {"account": net.address(who), "neededRole": net.role_hex(role)}


# ---------------------------------------------------------------- registering


@pytest.mark.parametrize("who", ["tso", "dso1", "outsider"])
def test_only_a_bsp_registers_pods_and_uvams(net, who: str) -> None:
    pod_id = net.new_id("pod")
    error = net.reverts(who, "registerPods", [pod_id], [net.eic("dso1")], [net.new_id("record")])
    assert error.error_name == "RegistryUnauthorized"
    assert error.arguments == _unauthorized(net, who, Role.BSP)
    assert net.pod_status(pod_id) == P.NONE

    uvam_id = net.new_id("uvam")
    error = net.reverts(who, "registerUvam", uvam_id, net.new_id("record"))
    assert error.error_name == "RegistryUnauthorized"
    assert error.arguments == _unauthorized(net, who, Role.BSP)
    assert net.uvam_status(uvam_id) == U.NONE


def test_pods_need_a_dso_known_to_the_platform(net) -> None:
    stranger = make_eic("26XNOBODY------")
    for eic, rendered in (
        (eic_to_bytes16(stranger), stranger),
        (net.eic("bsp2"), net.eics["bsp2"]),  # held, but by a BSP
        (net.eic("tso"), net.eics["tso"]),
        (b"\0" * 16, "0x" + "00" * 16),
    ):
        pod_id = net.new_id("pod")
        error = net.reverts("bsp1", "registerPods", [pod_id], [eic], [net.new_id("record")])
        assert error.error_name == "RegistryUnknownDso"
        assert error.arguments == {"dsoEic": rendered}
        assert net.pod_status(pod_id) == P.NONE


def test_an_unknown_dso_anywhere_in_a_batch_rejects_the_whole_batch(net) -> None:
    ids = [net.new_id("pod") for _ in range(3)]
    eics = [net.eic("dso1"), net.eic("dso2"), eic_to_bytes16(make_eic("26XNOBODY------"))]
    error = net.reverts("bsp1", "registerPods", ids, eics, [net.new_id("r")] * 3)
    assert error.error_name == "RegistryUnknownDso"
    assert all(net.pod_status(pod_id) == P.NONE for pod_id in ids)


# ---------------------------------------------------------------- ownership


def test_only_the_owning_bsp_changes_a_pod(net) -> None:
    pod_id = net.pod_in(P.OPEN, "bsp1")
    attachment_id = net.new_id("attachment")
    net.tx("bsp1", "createAttachment", attachment_id, pod_id, net.new_id("c"), net.new_id("m"))
    device_id = net.new_id("device")
    net.tx("bsp1", "registerFlexDevices", [device_id], [pod_id], [net.new_id("record")])
    not_owner = {"id": net.hex(pod_id), "account": net.address("bsp2")}

    attempts = [
        ("updatePod", pod_id, net.new_id("record")),
        ("setPodStatus", pod_id, P.UNDER_REVIEW),
        ("registerFlexDevices", [net.new_id("device")], [pod_id], [net.new_id("record")]),
        ("updateFlexDevice", device_id, net.new_id("record")),
        ("createAttachment", net.new_id("attachment"), pod_id, net.new_id("c"), net.new_id("m")),
        ("updateAttachment", attachment_id, net.new_id("c"), net.new_id("m")),
    ]
    for function, *args in attempts:
        for who in ("bsp2", "tso", "dso1"):
            error = net.reverts(who, function, *args)
            assert error.error_name == "RegistryNotOwner", function
            assert error.arguments == {**not_owner, "account": net.address(who)}, function
    assert net.pod_status(pod_id) == P.OPEN


def test_only_the_owning_bsp_changes_a_uvam(net) -> None:
    uvam_id = net.uvam_in(U.OPEN, "bsp1")
    relation_id = net.group(uvam_id, net.pod_in(P.VALIDATED, "bsp1"))
    attachment_id = net.new_id("attachment")
    net.tx("bsp1", "createAttachment", attachment_id, uvam_id, net.new_id("c"), net.new_id("m"))
    own_pod = net.pod_in(P.VALIDATED, "bsp2")

    attempts = [
        ("updateUvam", uvam_id, net.new_id("record")),
        ("setUvamStatus", uvam_id, U.UNDER_REVIEW),
        ("setConnection", uvam_id, net.new_id("connection")),
        ("addPodToUvam", net.new_id("relation"), uvam_id, own_pod),
        ("endRelation", relation_id),
        ("createAttachment", net.new_id("attachment"), uvam_id, net.new_id("c"), net.new_id("m")),
        ("updateAttachment", attachment_id, net.new_id("c"), net.new_id("m")),
    ]
    for function, *args in attempts:
        error = net.reverts("bsp2", function, *args)
        assert error.error_name == "RegistryNotOwner", function
        assert error.arguments == {"id": net.hex(uvam_id), "account": net.address("bsp2")}
    assert net.read("relation", relation_id)["active"] is True
    assert net.read("connectionOf", uvam_id) == b"\0" * 32


def test_unknown_ids_are_reported(net) -> None:
    missing = net.new_id("missing")
    for who, function, *args in [
        ("bsp1", "updatePod", missing, net.new_id("r")),
        ("bsp1", "setPodStatus", missing, P.OPEN),
        ("tso", "verifyPod", missing),
        ("dso1", "validatePod", missing, net.new_id("c")),
        ("tso", "rejectPod", missing, net.new_id("r")),
        ("bsp1", "updateFlexDevice", missing, net.new_id("r")),
        ("bsp1", "updateUvam", missing, net.new_id("r")),
        ("tso", "qualifyUvam", missing),
        ("bsp1", "updateAttachment", missing, net.new_id("c"), net.new_id("m")),
        (
            "bsp1",
            "createAttachment",
            net.new_id("attachment"),
            missing,
            net.new_id("c"),
            net.new_id("m"),
        ),
    ]:
        error = net.reverts(who, function, *args)
        assert error.error_name == "RegistryUnknownId", function
        assert error.arguments == {"id": net.hex(missing)}, function


# ---------------------------------------------------------------- TSO and DSO decisions


@pytest.mark.parametrize("who", ["bsp1", "dso1", "outsider"])
def test_only_the_tso_verifies_pods(net, who: str) -> None:
    pod_id = net.pod_in(P.UNDER_REVIEW)
    error = net.reverts(who, "verifyPod", pod_id)
    assert error.error_name == "RegistryUnauthorized"
    assert error.arguments == _unauthorized(net, who, Role.TSO)
    # a POD under review is rejected by the TSO only, too
    error = net.reverts(who, "rejectPod", pod_id, net.new_id("reasons"))
    assert error.error_name == "RegistryUnauthorized"
    assert error.arguments == _unauthorized(net, who, Role.TSO)
    assert net.pod_status(pod_id) == P.UNDER_REVIEW


@pytest.mark.parametrize("function", ["validatePod", "rejectPod"])
def test_only_the_competent_dso_decides_on_a_verified_pod(net, function: str) -> None:
    pod_id = net.pod_in(P.VERIFIED, dso="dso1")
    error = net.reverts("dso2", function, pod_id, net.new_id("detail"))
    assert error.error_name == "RegistryNotCompetentDso"
    assert error.arguments == {
        "podId": net.hex(pod_id),
        "podDsoEic": "26X00000105128-9",
        "account": net.address("dso2"),
    }
    for who in ("bsp1", "tso", "outsider"):
        error = net.reverts(who, function, pod_id, net.new_id("detail"))
        assert error.error_name == "RegistryUnauthorized"
        assert error.arguments == _unauthorized(net, who, Role.DSO)
    assert net.pod_status(pod_id) == P.VERIFIED

    net.tx("dso1", function, pod_id, net.new_id("detail"))
    assert net.pod_status(pod_id) == (P.VALIDATED if function == "validatePod" else P.REJECTED)


def test_the_dso_of_the_pod_is_competent_whichever_it_is(net) -> None:
    pod_id = net.pod_in(P.VERIFIED, dso="dso2")
    error = net.reverts("dso1", "validatePod", pod_id, net.new_id("c"))
    assert error.error_name == "RegistryNotCompetentDso"
    assert error.arguments["podDsoEic"] == net.eics["dso2"]
    net.tx("dso2", "validatePod", pod_id, net.new_id("c"))
    assert net.pod_status(pod_id) == P.VALIDATED


@pytest.mark.parametrize("who", ["bsp1", "dso1", "outsider"])
def test_only_the_tso_qualifies_or_rejects_uvams(net, who: str) -> None:
    uvam_id = net.uvam_in(U.UNDER_REVIEW, "bsp1")
    for function, *args in (("qualifyUvam", uvam_id), ("rejectUvam", uvam_id, net.new_id("r"))):
        error = net.reverts(who, function, *args)
        assert error.error_name == "RegistryUnauthorized", function
        assert error.arguments == _unauthorized(net, who, Role.TSO)
    assert net.uvam_status(uvam_id) == U.UNDER_REVIEW


# ---------------------------------------------------------------- membership


@pytest.mark.parametrize("status", [P.REGISTERED, P.OPEN, P.UNDER_REVIEW, P.VERIFIED])
def test_a_uvam_admits_only_validated_pods(net, status: PodStatus) -> None:
    uvam_id = net.register_uvam("bsp1")
    pod_id = net.pod_in(status, "bsp1")
    error = net.reverts("bsp1", "addPodToUvam", net.new_id("relation"), uvam_id, pod_id)
    assert error.error_name == "RegistryPodNotValidated"
    assert error.arguments == {"podId": net.hex(pod_id), "status": status.label}


def test_a_rejected_pod_cannot_join_a_uvam(net) -> None:
    uvam_id = net.register_uvam("bsp1")
    pod_id = net.pod_in(P.UNDER_REVIEW, "bsp1")
    net.tx("tso", "rejectPod", pod_id, net.new_id("reasons"))
    error = net.reverts("bsp1", "addPodToUvam", net.new_id("relation"), uvam_id, pod_id)
    assert error.error_name == "RegistryPodNotValidated"
    assert error.arguments["status"] == "Rejected"


def test_a_uvam_admits_only_pods_of_its_own_bsp(net) -> None:
    uvam_id = net.register_uvam("bsp1")
    foreign_pod = net.pod_in(P.VALIDATED, "bsp2")
    error = net.reverts("bsp1", "addPodToUvam", net.new_id("relation"), uvam_id, foreign_pod)
    assert error.error_name == "RegistryNotOwner"
    assert error.arguments == {"id": net.hex(foreign_pod), "account": net.address("bsp1")}


def test_a_pod_belongs_to_one_active_relation_at_a_time(net) -> None:
    first, second = net.register_uvam("bsp1"), net.register_uvam("bsp1")
    pod_id = net.pod_in(P.VALIDATED, "bsp1")
    relation_id = net.group(first, pod_id)
    for uvam_id in (second, first):
        error = net.reverts("bsp1", "addPodToUvam", net.new_id("relation"), uvam_id, pod_id)
        assert error.error_name == "RegistryPodAlreadyGrouped"
        assert error.arguments == {"podId": net.hex(pod_id), "relationId": net.hex(relation_id)}

    net.tx("bsp1", "endRelation", relation_id)
    # an ended relation's id cannot be reused
    error = net.reverts("bsp1", "addPodToUvam", relation_id, second, pod_id)
    assert error.error_name == "RegistryAlreadyExists"
    assert error.arguments == {"id": net.hex(relation_id)}
    net.group(second, pod_id)


def test_ending_an_ended_or_unknown_relation(net) -> None:
    uvam_id = net.register_uvam("bsp1")
    relation_id = net.group(uvam_id, net.pod_in(P.VALIDATED, "bsp1"))
    net.tx("bsp1", "endRelation", relation_id)
    error = net.reverts("bsp1", "endRelation", relation_id)
    assert error.error_name == "RegistryRelationNotActive"
    assert error.arguments == {"relationId": net.hex(relation_id)}
    missing = net.new_id("relation")
    error = net.reverts("bsp1", "endRelation", missing)
    assert error.error_name == "RegistryRelationNotActive"
    assert error.arguments == {"relationId": net.hex(missing)}


# ---------------------------------------------------------------- batches and ids


def test_batch_arrays_must_be_non_empty_and_of_equal_length(net) -> None:
    a, b = net.new_id("pod"), net.new_id("pod")
    dso, record = net.eic("dso1"), net.new_id("record")
    pod_batches = [
        ([a, b], [dso], [record, record]),
        ([a, b], [dso, dso], [record]),
        ([a], [dso, dso], [record]),
        ([], [], []),
    ]
    for batch in pod_batches:
        error = net.reverts("bsp1", "registerPods", *batch)
        assert error.error_name == "RegistryBadBatch"
        assert error.arguments == {}
    pod_id = net.register_pod("bsp1")
    device = net.new_id("device")
    for batch in ([[device], [pod_id, pod_id], [record]], [[device], [pod_id], []], [[], [], []]):
        error = net.reverts("bsp1", "registerFlexDevices", *batch)
        assert error.error_name == "RegistryBadBatch"
        assert error.arguments == {}


def test_ids_are_unique_across_pods_devices_uvams_relations_and_attachments(net) -> None:
    pod_id = net.register_pod("bsp1")
    dso, record = net.eic("dso1"), net.new_id("record")

    def already(who: str, function: str, *args, taken: bytes) -> None:
        error = net.reverts(who, function, *args)
        assert error.error_name == "RegistryAlreadyExists", function
        assert error.arguments == {"id": net.hex(taken)}, function

    already("bsp1", "registerPods", [pod_id], [dso], [record], taken=pod_id)
    already("bsp2", "registerPods", [pod_id], [dso], [record], taken=pod_id)
    twin = net.new_id("pod")
    already("bsp1", "registerPods", [twin, twin], [dso, dso], [record, record], taken=twin)
    assert net.pod_status(twin) == P.NONE

    device_id = net.new_id("device")
    net.tx("bsp1", "registerFlexDevices", [device_id], [pod_id], [record])
    already("bsp1", "registerFlexDevices", [device_id], [pod_id], [record], taken=device_id)
    already("bsp1", "registerFlexDevices", [pod_id], [pod_id], [record], taken=pod_id)

    uvam_id = net.register_uvam("bsp1")
    already("bsp1", "registerUvam", uvam_id, record, taken=uvam_id)
    already("bsp2", "registerUvam", pod_id, record, taken=pod_id)

    attachment_id = net.new_id("attachment")
    net.tx("bsp1", "createAttachment", attachment_id, pod_id, record, record)
    already("bsp1", "createAttachment", attachment_id, uvam_id, record, record, taken=attachment_id)

    relation_id = net.group(uvam_id, net.pod_in(P.VALIDATED, "bsp1"))
    already(
        "bsp1",
        "addPodToUvam",
        relation_id,
        uvam_id,
        net.pod_in(P.VALIDATED, "bsp1"),
        taken=relation_id,
    )


def test_a_pod_cannot_take_the_id_of_a_uvam_or_a_device(net) -> None:
    """Attachments find their owner by id: a POD shadowing a UVAM would take over its files."""
    uvam_id = net.register_uvam("bsp1")
    attachment_id = net.new_id("attachment")
    net.tx("bsp1", "createAttachment", attachment_id, uvam_id, net.new_id("c"), net.new_id("m"))
    pod_id = net.register_pod("bsp1")
    device_id = net.new_id("device")
    net.tx("bsp1", "registerFlexDevices", [device_id], [pod_id], [net.new_id("record")])

    for taken in (uvam_id, device_id):
        for who in ("bsp1", "bsp2"):
            error = net.reverts(who, "registerPods", [taken], [net.eic("dso1")], [net.new_id("r")])
            assert error.error_name == "RegistryAlreadyExists"
            assert error.arguments == {"id": net.hex(taken)}
    error = net.reverts("bsp1", "registerUvam", device_id, net.new_id("record"))
    assert error.error_name == "RegistryAlreadyExists"
    assert error.arguments == {"id": net.hex(device_id)}
    error = net.reverts("bsp1", "registerFlexDevices", [uvam_id], [pod_id], [net.new_id("r")])
    assert error.error_name == "RegistryAlreadyExists"
    assert error.arguments == {"id": net.hex(uvam_id)}

    # the UVAM's attachment still belongs to the UVAM and its owner
    net.tx("bsp1", "updateAttachment", attachment_id, net.new_id("c"), net.new_id("m"))
    assert net.read("attachment", attachment_id)["ownerId"] == uvam_id
