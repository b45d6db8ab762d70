"""A write retried with the same ``Idempotency-Key`` (a client retrying after a timeout) is one
operation: the same answer again, nothing new stored or enqueued. The same key with another
request is refused, naming the header."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from ledger.registry.mass_load import pods_to_csv
from ledger.registry.schemas import PodCreate
from tests.integration import payloads
from tests.integration.flows import accepted, count, refused


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


def _uvams_named(world, name: str) -> int:
    response = world.client("bsp1").get("/uvams", params={"q": name})
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


def test_a_retried_uvam_registration_creates_one_uvam(world):
    client = world.client("bsp1")
    body = payloads.uvam_body(world.eic("bsp1"), name=f"Retried {uuid.uuid4().hex[:8]}")
    headers = _key()
    operations_before = count(world, "bsp1", "/operations")

    first = client.post("/uvams", json=body, headers=headers)
    # the same request again, its JSON keys in another order, as a retrying client may send it
    retry = client.post("/uvams", json=dict(reversed(list(body.items()))), headers=headers)

    assert (first.status_code, retry.status_code) == (202, 202), retry.text
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    operation = world.wait("bsp1", first.json()["operationId"])
    assert operation["status"] == "succeeded", operation
    assert _uvams_named(world, body["name"]) == 1
    assert count(world, "bsp1", "/operations") == operations_before + 1
    # without a key, the same body is a new request (two UVAMs of one name are allowed)
    accepted(client.post("/uvams", json=body))


def test_the_same_key_with_another_body_is_refused_and_stores_nothing(world):
    client = world.client("bsp1")
    headers = _key()
    body = payloads.uvam_body(world.eic("bsp1"), name=f"Keyed {uuid.uuid4().hex[:8]}")
    accepted(client.post("/uvams", json=body, headers=headers))
    operations_before = count(world, "bsp1", "/operations")
    other = {**body, "name": f"Other {uuid.uuid4().hex[:8]}"}

    refusal = refused(
        client.post("/uvams", json=other, headers=headers),
        422,
        "idempotency_key_reused",
        "Idempotency-Key",
    )

    assert "another request" in refusal["message"]
    assert _uvams_named(world, other["name"]) == 0
    assert count(world, "bsp1", "/operations") == operations_before
    # another organisation's identical key is its own
    accepted(
        world.client("bsp2").post(
            "/uvams", json=payloads.uvam_body(world.eic("bsp2")), headers=headers
        )
    )


def test_a_refused_write_keeps_no_answer_so_its_retry_runs(world):
    client = world.client("bsp1")
    headers = _key()
    body = payloads.uvam_body(world.eic("bsp1"), name=f"Fixed {uuid.uuid4().hex[:8]}")

    refused(
        client.post("/uvams", json={**body, "maximumQualifiedPower": -1}, headers=headers),
        422,
        "invalid_input",
        "maximumQualifiedPower",
    )
    refused(
        client.post("/uvams", json=body, headers={"Idempotency-Key": "k" * 256}),
        422,
        "invalid_input",
        "Idempotency-Key",
    )

    # a refusal stored nothing: the key is free for the corrected request
    accepted(client.post("/uvams", json=body, headers=headers))


def test_a_retried_mass_load_is_one_operation(world):
    pods = [
        PodCreate.model_validate(payloads.pod_body(world.eic("bsp1"), world.eic("dso1")))
        for _ in range(2)
    ]
    data = pods_to_csv(pods)
    headers = _key()
    client = world.client("bsp1")
    operations_before = count(world, "bsp1", "/operations")

    def upload() -> dict:
        # every upload has its own multipart boundary: the file, not the bytes, is compared
        response = client.post(
            "/pods/mass-load", files={"file": ("pods.csv", data, "text/csv")}, headers=headers
        )
        return accepted(response)

    first, retry = upload(), upload()

    assert retry == first
    assert count(world, "bsp1", "/operations") == operations_before + 1
    changed = client.post(
        "/pods/mass-load", files={"file": ("pods.csv", data + b"\n", "text/csv")}, headers=headers
    )
    refused(changed, 422, "idempotency_key_reused", "Idempotency-Key")


def test_concurrent_copies_of_one_write_make_one_operation(world):
    body = payloads.uvam_body(world.eic("bsp1"), name=f"Racing {uuid.uuid4().hex[:8]}")
    headers = _key()
    client = world.client("bsp1")
    operations_before = count(world, "bsp1", "/operations")

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda _: client.post("/uvams", json=body, headers=headers), range(4))
        )

    assert {a.status_code for a in answers} <= {202, 409}, [a.text for a in answers]
    operation_ids = {a.json()["operationId"] for a in answers if a.status_code == 202}
    assert len(operation_ids) == 1
    for refusal in (a for a in answers if a.status_code == 409):
        assert refusal.json()["field"] == "Idempotency-Key"
    assert count(world, "bsp1", "/operations") == operations_before + 1
    world.wait("bsp1", operation_ids.pop())
    assert _uvams_named(world, body["name"]) == 1


def test_the_openapi_names_the_header_on_writes_only(world):
    spec = world.client("bsp1").get("/openapi.json").json()

    def headers(path: str, method: str) -> set[str]:
        parameters = spec["paths"][path][method].get("parameters", [])
        return {p["name"] for p in parameters if p["in"] == "header"}

    assert "Idempotency-Key" in headers("/uvams", "post")
    assert "Idempotency-Key" in headers("/pods/mass-load", "post")
    assert "Idempotency-Key" in headers("/organisations/me/callback", "put")
    assert "Idempotency-Key" not in headers("/uvams", "get")
