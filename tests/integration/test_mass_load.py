"""Mass loading of PODs from a CSV file: a per-row report, one operation for the accepted rows."""

from __future__ import annotations

import csv
import io

from ledger.core.domain.identifiers import make_eic
from ledger.registry.mass_load import pods_to_csv
from ledger.registry.schemas import PodCreate
from tests.integration import payloads
from tests.integration.flows import count

UNKNOWN_DSO_EIC = make_eic("26XDSO-UNKNOWN-")


def _csv(world, n: int, slug: str = "bsp1") -> tuple[bytes, list[str]]:
    pods = [
        PodCreate.model_validate(
            payloads.pod_body(world.eic(slug), world.eic("dso1" if i % 2 else "dso2"))
        )
        for i in range(n)
    ]
    return pods_to_csv(pods), [pod.metering_point_id for pod in pods]


def _corrupt(data: bytes, changes: dict[int, dict[str, str]]) -> bytes:
    """Edit cells of data rows (numbered from 1) in the CSV text."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    header = rows[0]
    for number, cells in changes.items():
        for column, value in cells.items():
            rows[number][header.index(column)] = value
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _upload(world, data: bytes, slug: str = "bsp1"):
    return world.client(slug).post(
        "/pods/mass-load", files={"file": ("pods.csv", data, "text/csv")}
    )


def _snapshot(world) -> tuple[int, int]:
    return count(world, "bsp1", "/pods"), count(world, "bsp1", "/operations")


def test_mass_load_reports_each_row_and_registers_the_accepted_ones(world):
    data, codes = _csv(world, 8)
    data = _corrupt(
        data,
        {
            2: {"contractedPower": "-5"},
            4: {"direction": "sideways"},
            5: {"distributionGridOperatorName": UNKNOWN_DSO_EIC},
            7: {"meteringPointId": codes[0]},  # the same POD twice in one file
        },
    )
    pods_before, operations_before = _snapshot(world)

    response = _upload(world, data)

    assert response.status_code == 202, response.text
    body = response.json()
    report = body["report"]
    assert (report["acceptedCount"], report["rejectedCount"]) == (4, 4)
    assert report["fileErrors"] == []
    rows = {row["row"]: row for row in report["rows"]}
    assert sorted(rows) == list(range(1, 9))
    assert [n for n, row in rows.items() if row["accepted"]] == [1, 3, 6, 8]
    assert [e["field"] for e in rows[2]["errors"]] == ["contractedPower"]
    assert [e["field"] for e in rows[4]["errors"]] == ["direction"]
    assert [e["field"] for e in rows[5]["errors"]] == ["distributionGridOperatorName"]
    assert [e["field"] for e in rows[7]["errors"]] == ["meteringPointId"]
    assert "row 1" in rows[7]["errors"][0]["message"]
    assert all(row["podId"] is None for row in rows.values() if not row["accepted"])
    pod_ids = [rows[n]["podId"] for n in (1, 3, 6, 8)]
    assert all(pod_ids)
    assert len(set(pod_ids)) == 4

    operation = world.wait("bsp1", body["operationId"])
    assert operation["status"] == "succeeded", operation
    assert operation["kind"] == "pod.register"
    assert sorted(operation["result"]["podIds"]) == sorted(pod_ids)
    assert count(world, "bsp1", "/pods") == pods_before + 4
    assert count(world, "bsp1", "/operations") == operations_before + 1
    client = world.client("bsp1")
    for number, pod_id in zip((1, 3, 6, 8), pod_ids, strict=True):
        detail = client.get(f"/pods/{pod_id}").json()
        assert detail["status"] == "Registered"
        assert detail["meteringPointId"] == codes[number - 1]
        assert detail["history"][0]["transactionHash"] in operation["transactionHashes"]
    registered = [
        e
        for e in world.chain.get_logs(operation["blockNumber"], operation["blockNumber"])
        if e.name == "PodRegistered"
    ]
    keys = {client.get(f"/pods/{pod_id}").json()["chainKey"] for pod_id in pod_ids}
    assert keys <= {"0x" + e.args["podId"].hex() for e in registered}


def test_mass_loaded_codes_are_then_taken(world):
    data, _ = _csv(world, 2)
    first = _upload(world, data)
    assert first.status_code == 202, first.text
    assert world.wait("bsp1", first.json()["operationId"])["status"] == "succeeded"
    before = _snapshot(world)

    again = _upload(world, data)

    assert again.status_code == 422, again.text
    rows = again.json()["rows"]
    assert [(r["accepted"], [e["field"] for e in r["errors"]]) for r in rows] == [
        (False, ["meteringPointId"]),
        (False, ["meteringPointId"]),
    ]
    assert _snapshot(world) == before


def test_a_file_without_a_valid_row_is_refused_and_nothing_stored(world):
    data, _ = _csv(world, 3)
    data = _corrupt(
        data,
        {
            1: {"direction": "sideways"},
            2: {"maximumFlexUp": "-1"},
            3: {"receiverId": world.eic("dso1")},
        },
    )
    before = _snapshot(world)

    response = _upload(world, data)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_input"
    assert (body["acceptedCount"], body["rejectedCount"]) == (0, 3)
    assert [[e["field"] for e in row["errors"]] for row in body["rows"]] == [
        ["direction"],
        ["maximumFlexUp"],
        ["receiverId"],
    ]
    assert _snapshot(world) == before


def test_a_file_that_is_not_utf8_is_refused(world):
    data, _ = _csv(world, 2)
    data = data.replace(b"Site ", b"Sit\xe9 ")  # Latin-1 e-acute
    before = _snapshot(world)

    response = _upload(world, data)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["rows"] == []
    assert body["acceptedCount"] == 0
    assert any("UTF-8" in error for error in body["fileErrors"])
    assert _snapshot(world) == before


def test_a_file_with_a_bad_header_is_refused(world):
    data, _ = _csv(world, 1)
    data = data.replace(b"direction", b"podType", 1)
    before = _snapshot(world)

    response = _upload(world, data)

    assert response.status_code == 422, response.text
    errors = response.json()["fileErrors"]
    assert any("podType" in e for e in errors)
    assert any("direction" in e for e in errors)
    assert _snapshot(world) == before


def test_only_a_bsp_mass_loads(world):
    data, _ = _csv(world, 1)

    response = _upload(world, data, slug="dso1")

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "forbidden"
