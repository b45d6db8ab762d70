"""One POD per metering point, even when registrations of the same code are in flight."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.conftest import DSO1_EIC
from tests.integration import flows, payloads


def test_concurrent_registrations_of_one_code_register_it_once(world) -> None:
    code = payloads.metering_point_id()
    body = payloads.pod_body(world.eic("bsp1"), DSO1_EIC, meteringPointId=code)
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(
            pool.map(lambda _: world.client("bsp1").post("/pods", json=body), range(4))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202, 409, 409, 409]
    winner = next(r for r in responses if r.status_code == 202).json()
    assert world.wait("bsp1", winner["operationId"])["status"] == "succeeded"
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json()["field"] == "meteringPointId"
    assert world.client("bsp1").get("/pods", params={"q": code}).json()["count"] == 1


def test_a_code_stays_claimed_by_its_pod_and_moves_with_an_update(world) -> None:
    first, second = payloads.metering_point_id(), payloads.metering_point_id()
    pod_id = flows.register_pod(world, meteringPointId=first)
    again = world.client("bsp2").post(
        "/pods", json=payloads.pod_body(world.eic("bsp2"), DSO1_EIC, meteringPointId=first)
    )
    flows.refused(again, 409, "conflict", "meteringPointId")

    flows.succeeded(
        world,
        "bsp1",
        world.client("bsp1").patch(f"/pods/{pod_id}", json={"meteringPointId": second}),
    )
    freed = world.client("bsp2").post(
        "/pods", json=payloads.pod_body(world.eic("bsp2"), DSO1_EIC, meteringPointId=first)
    )
    flows.succeeded(world, "bsp2", freed)
    taken = world.client("bsp2").post(
        "/pods", json=payloads.pod_body(world.eic("bsp2"), DSO1_EIC, meteringPointId=second)
    )
    flows.refused(taken, 409, "conflict", "meteringPointId")
