"""Operations name their target for people (issue 16): a POD by its code, a UVAM by its name,
beside the id, in GET /operations/{id} and in the page GET /operations lists."""

from __future__ import annotations

from tests.integration import payloads
from tests.integration.flows import succeeded


def test_an_operation_on_a_pod_or_a_uvam_answers_the_pods_code_or_the_uvams_name(world):
    client = world.client("bsp2")
    code = payloads.metering_point_id()
    pod = succeeded(
        world,
        "bsp2",
        client.post(
            "/pods",
            json=payloads.pod_body(world.eic("bsp2"), world.eic("dso1"), meteringPointId=code),
        ),
    )
    uvam_name = f"UVAM Nord {code[-4:]}"
    uvam = succeeded(
        world,
        "bsp2",
        client.post("/uvams", json=payloads.uvam_body(world.eic("bsp2"), name=uvam_name)),
    )

    # one operation: the POD's code and the UVAM's name, the ids kept beside them
    assert pod["operation"]["targetId"] == pod["podId"]
    assert pod["operation"]["targetName"] == code
    assert uvam["operation"]["targetId"] == uvam["uvamId"]
    assert uvam["operation"]["targetName"] == uvam_name

    # a page of operations names each of its targets
    listed = client.get("/operations", params={"limit": 50})
    assert listed.status_code == 200, listed.text
    names = {o["operationId"]: o["targetName"] for o in listed.json()["data"]}
    assert names[pod["operationId"]] == code
    assert names[uvam["operationId"]] == uvam_name
