"""A contract's refusal reaches a person in words (issue 12, item 13): editing a validated POD
answered ``contract.RegistryNotEditable(id=0x1899...)``. The code stays; the message says the
POD's current status and what is allowed in it, and the decoded error stays in ``details``."""

from __future__ import annotations

from typing import Any

from tests.integration import payloads
from tests.integration.flows import refused, register_uvam, validated_pod


def test_editing_a_validated_pod_says_its_status_and_what_is_allowed(world: Any) -> None:
    pod_id = validated_pod(world, "bsp1")
    body = refused(
        world.client("bsp1").patch(f"/pods/{pod_id}", json={"resourceName": "changed"}),
        409,
        "contract.RegistryNotEditable",
        "status",
    )
    assert body["message"] == (
        f"POD {pod_id} is Validated; its data can change only while it is Registered or Open."
    )
    assert body["details"]["error"] == "RegistryNotEditable"
    assert body["details"]["arguments"]["id"].startswith("0x")


def test_a_refused_transition_names_both_statuses(world: Any) -> None:
    uvam_id = register_uvam(world, "bsp1")
    body = refused(
        world.client("bsp1").patch(
            f"/uvams/{uvam_id}/status",
            json=payloads.uvam_status_body("UnderReview", world.eic("bsp1")),
        ),
        409,
        "contract.RegistryInvalidUvamTransition",
        "status",
    )
    assert body["message"] == "The UVAM is Registered: it cannot become UnderReview from there."
