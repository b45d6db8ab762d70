"""Every permission rule of the registry, through the API (the contracts are tested directly
elsewhere). A refusal is synchronous (the API dry-runs the contract call at accept time) and
stores nothing: no operation, no change to the resource.

How the API answers, decided by the code and pinned here:

* Another BSP's POD or UVAM is invisible to a BSP: reading it **and writing to it** answer 404
  ``not_found`` (existence is not revealed), so the contract's ``RegistryNotOwner`` is never
  reached through the API. An organisation that may see the POD but does not own it (the TSO)
  gets 403 ``forbidden``.
* A DSO deciding on a POD of another DSO's grid: ``validatePod`` checks competence before the
  status, so approving answers 403 ``contract.RegistryNotCompetentDso`` whatever the POD's
  status; ``rejectPod`` checks the status first, so rejecting a POD that is neither UnderReview
  nor Verified answers 409 ``contract.RegistryInvalidPodTransition``.
"""

from __future__ import annotations

import hashlib
import secrets

import httpx

from ledger.core.db.models import ApiToken, utcnow
from ledger.registry.organisations import issue_token
from tests.integration import payloads
from tests.integration.flows import (
    add_member,
    count,
    refused,
    register_pod,
    register_uvam,
    set_pod_status,
    succeeded,
    validated_pod,
)


def test_another_bsp_can_neither_see_nor_change_a_pod(world):
    owner, other = world.client("bsp1"), world.client("bsp2")
    pod_id = register_pod(world, "bsp1")
    attachment_id = succeeded(
        world,
        "bsp1",
        owner.post(
            f"/pods/{pod_id}/attachments",
            json=payloads.attachment_body(world.eic("bsp1")),
        ),
    )["attachmentId"]
    before = owner.get(f"/pods/{pod_id}").json()
    operations_before = count(world, "bsp2", "/operations")
    bsp2 = world.eic("bsp2")

    answers = {
        "read": other.get(f"/pods/{pod_id}"),
        "update": other.patch(f"/pods/{pod_id}", json={"resourceName": "mine now"}),
        "status": other.patch(
            f"/pods/{pod_id}/status",
            json=payloads.pod_status_body(pod_id, "Open", bsp2),
        ),
        "device": other.post(
            f"/pods/{pod_id}/flex-devices", json=payloads.flex_device_body(pod_id)
        ),
        "attach": other.post(f"/pods/{pod_id}/attachments", json=payloads.attachment_body(bsp2)),
        "update attachment": other.patch(
            f"/pods/{pod_id}/attachments/{attachment_id}",
            json={"documentType": "Other"},
        ),
    }

    for action, response in answers.items():
        assert response.status_code == 404, (action, response.text)
        assert response.json() == {
            "code": "not_found",
            "message": f"no POD {pod_id}",
            "field": "podId",
        }, action
    refused(other.get(f"/attachments/{attachment_id}/content"), 404, "not_found", "attachmentId")
    assert other.get("/pods", params={"q": before["meteringPointId"]}).json()["count"] == 0
    assert count(world, "bsp2", "/operations") == operations_before
    assert owner.get(f"/pods/{pod_id}").json() == before


def test_the_tso_sees_a_pod_but_may_not_change_it(world):
    pod_id = register_pod(world, "bsp1")
    tso = world.client("tso")
    operations_before = count(world, "tso", "/operations")

    assert tso.get(f"/pods/{pod_id}").status_code == 200
    refused(tso.patch(f"/pods/{pod_id}", json={"resourceName": "x"}), 403, "forbidden", "podId")
    refused(
        tso.post(f"/pods/{pod_id}/flex-devices", json=payloads.flex_device_body(pod_id)),
        403,
        "forbidden",
        "podId",
    )
    assert count(world, "tso", "/operations") == operations_before


def test_only_a_bsp_registers_resources(world):
    pod = payloads.pod_body(world.eic("bsp1"), world.eic("dso1"))
    before = {slug: count(world, slug, "/operations") for slug in ("auditor", "dso1", "tso")}

    refused(
        world.client("auditor").post("/pods", json=pod),
        403,
        "forbidden",
        "flexibilityServiceProviderId",
    )
    refused(
        world.client("dso1").post("/pods", json=pod),
        403,
        "forbidden",
        "flexibilityServiceProviderId",
    )
    body = refused(
        world.client("tso").post("/uvams", json=payloads.uvam_body(world.eic("tso"))),
        403,
        "contract.RegistryUnauthorized",
        "flexibilityServiceProviderId",
    )
    assert body["details"]["error"] == "RegistryUnauthorized"
    assert {slug: count(world, slug, "/operations") for slug in before} == before
    assert (
        world.client("tso").get("/pods", params={"q": pod["meteringPointId"]}).json()["count"] == 0
    )


def test_a_dso_sees_only_the_pods_on_its_grid(world):
    on_dso1 = register_pod(world, "bsp1", "dso1")
    on_dso2 = register_pod(world, "bsp1", "dso2")
    uvam_id = register_uvam(world, "bsp1")
    attachment_id = succeeded(
        world,
        "bsp1",
        world.client("bsp1").post(
            f"/pods/{on_dso1}/attachments",
            json=payloads.attachment_body(world.eic("bsp1")),
        ),
    )["attachmentId"]
    dso1, dso2 = world.client("dso1"), world.client("dso2")

    assert dso1.get(f"/pods/{on_dso1}").status_code == 200
    refused(dso1.get(f"/pods/{on_dso2}"), 404, "not_found", "podId")
    assert dso2.get(f"/pods/{on_dso2}").status_code == 200
    refused(dso2.get(f"/pods/{on_dso1}"), 404, "not_found", "podId")
    listed1 = {p["id"] for p in dso1.get("/pods", params={"limit": 500}).json()["data"]}
    listed2 = {p["id"] for p in dso2.get("/pods", params={"limit": 500}).json()["data"]}
    assert on_dso1 in listed1
    assert on_dso2 not in listed1
    assert on_dso2 in listed2
    assert on_dso1 not in listed2
    assert all(
        p["distributionGridOperatorName"] == world.eic("dso1")
        for p in dso1.get("/pods", params={"limit": 500}).json()["data"]
    )
    assert dso1.get(f"/attachments/{attachment_id}/content").status_code == 200
    refused(dso2.get(f"/attachments/{attachment_id}/content"), 404, "not_found", "attachmentId")
    refused(dso1.get(f"/uvams/{uvam_id}"), 404, "not_found", "uvamId")
    assert dso1.get("/uvams").json()["count"] == 0
    for reader in ("tso", "auditor"):
        assert world.client(reader).get(f"/pods/{on_dso1}").status_code == 200
        assert world.client(reader).get(f"/pods/{on_dso2}").status_code == 200


def test_a_dso_cannot_decide_on_a_pod_of_another_grid(world):
    """Outside its grid a DSO is told what a read tells it: no such POD (403 would reveal it).
    The contract's own refusal (RegistryNotCompetentDso) is tested on the chain directly."""
    registered = register_pod(world, "bsp1", "dso1")
    validated = validated_pod(world, "bsp1", "dso1")
    dso2 = world.client("dso2")
    operations_before = count(world, "dso2", "/operations")

    for pod_id, status in ((registered, "Registered"), (validated, "Validated")):
        for decision in (payloads.decision_body(True), payloads.decision_body(False, "not mine")):
            body = refused(
                dso2.post(f"/pods/{pod_id}/review", json=decision), 404, "not_found", "podId"
            )
            assert dso2.get(f"/pods/{pod_id}").json()["message"] == body["message"]
        assert world.client("bsp1").get(f"/pods/{pod_id}").json()["status"] == status
    assert count(world, "dso2", "/operations") == operations_before


def test_reviews_are_refused_out_of_turn(world):
    pod_id = register_pod(world, "bsp1", "dso1")
    tso_before, dso_before = count(world, "tso", "/operations"), count(world, "dso1", "/operations")

    tso = refused(
        world.client("tso").post(f"/pods/{pod_id}/review", json=payloads.decision_body(True)),
        409,
        "contract.RegistryInvalidPodTransition",
        "status",
    )
    dso = refused(
        world.client("dso1").post(f"/pods/{pod_id}/review", json=payloads.decision_body(True)),
        409,
        "contract.RegistryInvalidPodTransition",
        "status",
    )

    assert tso["details"]["arguments"] == {
        "podId": tso["details"]["arguments"]["podId"],
        "current": "Registered",
        "requested": "Verified",
    }
    assert dso["details"]["arguments"]["requested"] == "Validated"
    assert count(world, "tso", "/operations") == tso_before
    assert count(world, "dso1", "/operations") == dso_before


def test_a_uvam_admits_only_validated_pods_of_its_own_bsp(world):
    client = world.client("bsp1")
    bsp1 = world.eic("bsp1")
    uvam_id = register_uvam(world, "bsp1")
    not_validated = register_pod(world, "bsp1")
    others = validated_pod(world, "bsp2")
    grouped = validated_pod(world, "bsp1")
    add_member(world, "bsp1", register_uvam(world, "bsp1"), grouped)
    operations_before = count(world, "bsp1", "/operations")

    body = refused(
        client.post(
            f"/uvams/{uvam_id}/members", json=payloads.membership_body(not_validated, uvam_id, bsp1)
        ),
        409,
        "contract.RegistryPodNotValidated",
        "resource",
    )
    assert body["details"]["arguments"]["status"] == "Registered"
    refused(
        client.post(
            f"/uvams/{uvam_id}/members", json=payloads.membership_body(others, uvam_id, bsp1)
        ),
        404,
        "not_found",
        "resource",
    )
    refused(
        client.post(
            f"/uvams/{uvam_id}/members", json=payloads.membership_body(grouped, uvam_id, bsp1)
        ),
        409,
        "contract.RegistryPodAlreadyGrouped",
        "resource",
    )
    bsp2 = world.client("bsp2")
    refused(
        bsp2.post(
            f"/uvams/{uvam_id}/members",
            json=payloads.membership_body(others, uvam_id, world.eic("bsp2")),
        ),
        404,
        "not_found",
        "uvamId",
    )
    refused(bsp2.get(f"/uvams/{uvam_id}"), 404, "not_found", "uvamId")
    assert count(world, "bsp1", "/operations") == operations_before
    assert client.get(f"/uvams/{uvam_id}").json()["members"] == []


def test_a_transition_not_allowed_is_refused_and_nothing_stored(world):
    client = world.client("bsp1")
    pod_id = register_pod(world, "bsp1")
    uvam_id = register_uvam(world, "bsp1")
    operations_before = count(world, "bsp1", "/operations")

    body = refused(
        client.patch(
            f"/pods/{pod_id}/status",
            json=payloads.pod_status_body(pod_id, "UnderReview", world.eic("bsp1")),
        ),
        409,
        "contract.RegistryInvalidPodTransition",
        "status",
    )
    assert body["details"]["error"] == "RegistryInvalidPodTransition"
    assert body["details"]["arguments"]["current"] == "Registered"
    assert body["details"]["arguments"]["requested"] == "UnderReview"
    refused(
        client.patch(
            f"/uvams/{uvam_id}/status",
            json=payloads.uvam_status_body("UnderReview", world.eic("bsp1")),
        ),
        409,
        "contract.RegistryInvalidUvamTransition",
        "status",
    )
    # Statuses that are the TSO's or DSO's to give cannot even be asked for.
    refused(
        client.patch(
            f"/pods/{pod_id}/status",
            json=payloads.pod_status_body(pod_id, "Validated", world.eic("bsp1")),
        ),
        422,
        "invalid_input",
        "status",
    )

    assert count(world, "bsp1", "/operations") == operations_before
    detail = client.get(f"/pods/{pod_id}").json()
    assert detail["status"] == "Registered"
    assert len(detail["history"]) == 1
    assert client.get(f"/uvams/{uvam_id}").json()["status"] == "Registered"


def test_a_pod_sent_for_review_is_no_longer_editable(world):
    client = world.client("bsp1")
    pod_id = register_pod(world, "bsp1")
    set_pod_status(world, "bsp1", pod_id, "Open")
    set_pod_status(world, "bsp1", pod_id, "UnderReview")
    operations_before = count(world, "bsp1", "/operations")

    # UnderReview, Verified or Validated by now: none of them is editable.
    refused(
        client.patch(f"/pods/{pod_id}", json={"resourceName": "changed"}),
        409,
        "contract.RegistryNotEditable",
        "status",
    )
    refused(
        client.post(f"/pods/{pod_id}/flex-devices", json=payloads.flex_device_body(pod_id)),
        409,
        "contract.RegistryNotEditable",
        "status",
    )
    refused(
        client.post(
            f"/pods/{pod_id}/attachments", json=payloads.attachment_body(world.eic("bsp1"))
        ),
        409,
        "contract.RegistryNotEditable",
        "status",
    )

    assert count(world, "bsp1", "/operations") == operations_before
    final = world.wait_for_status("bsp1", f"/pods/{pod_id}", {"Validated", "Rejected"})
    assert final["status"] == "Validated"
    assert final["resourceName"] != "changed"
    assert final["flexDevices"] == []
    assert final["attachments"] == []


def test_missing_forged_or_revoked_tokens_are_unauthenticated(world):
    url = world.api_url
    missing = httpx.get(f"{url}/pods")
    wrong_scheme = httpx.get(
        f"{url}/pods", headers={"Authorization": f"Basic {world.tokens['bsp1']}"}
    )
    forged = httpx.get(
        f"{url}/pods", headers={"Authorization": f"Bearer cbp_{secrets.token_urlsafe(32)}"}
    )
    for response in (missing, wrong_scheme, forged):
        refused(response, 401, "unauthenticated", None)
        assert response.headers["www-authenticate"] == "Bearer"

    with world.runtime.session() as session:
        token = issue_token(session, world.organisations["bsp3"], label="to revoke")
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{url}/organisations/me", headers=headers).json()["id"] == "bsp3"
    with world.runtime.session() as session:
        row = session.get(ApiToken, hashlib.sha256(token.encode()).hexdigest())
        row.revoked_at = utcnow()
    body = payloads.pod_body(world.eic("bsp3"), world.eic("dso1"))
    operations_before = count(world, "bsp3", "/operations")

    refused(httpx.get(f"{url}/pods", headers=headers), 401, "unauthenticated", None)
    refused(httpx.post(f"{url}/pods", json=body, headers=headers), 401, "unauthenticated", None)
    assert count(world, "bsp3", "/operations") == operations_before
