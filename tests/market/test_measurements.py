"""Measurements: CSV and JSON uploads, the checks, gaps, the Merkle root on chain, a proof a third
party verifies against the chain, corrections as new versions."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from cli.main import app as cli_app
from ledger.core.ids import to_bytes32
from tests.market import flows
from tests.market.conftest import Market


def _hour_ago(world: Any) -> int:
    now = flows.now(world)
    return now - now % 60 - 3600


def _csv(rows: list[tuple[str, int, int]]) -> bytes:
    lines = ["resourceId,timestamp,powerW", *(f"{r},{t},{v}" for r, t, v in rows)]
    return ("\n".join(lines) + "\n").encode()


def _upload_csv(
    world: Any, slug: str, data: bytes, kind: str = "device", resolution: int = 60
) -> Any:
    return world.client(slug).post(
        "/market/measurements/csv",
        files={"file": ("readings.csv", data, "text/csv")},
        data={"kind": kind, "resolutionSeconds": str(resolution)},
    )


def _verify_on_chain(world: Any, proof: dict[str, Any]) -> bool:
    """What a third party does: the leaf of the reading as the contract computes it, then the
    contract's verification of the path against the committed root."""
    chain = world.chain
    leaf = chain.read(
        "MeasurementLedger",
        "readingLeaf",
        to_bytes32(proof["resourceKey"]),
        proof["timestamp"],
        proof["valueW"],
    )
    return bool(
        chain.read(
            "MeasurementLedger",
            "verifyReading",
            to_bytes32(proof["batchKey"]),
            leaf,
            [to_bytes32(p) for p in proof["proof"]],
        )
    )


def test_upload_commit_prove_and_correct(market: Market) -> None:
    world = market.world
    device, other_device = market.devices["a"][0], market.devices["d"][0]  # both bsp1's
    start = _hour_ago(world)
    rows = [(device, start + 60 * i, 5000 + 10 * i) for i in range(60) if i not in (20, 21)]
    rows += [(other_device, start + 60 * i, -3000) for i in range(30)]
    response = _upload_csv(world, "bsp1", _csv(rows))
    operation = flows.done(world, "bsp1", response)
    assert operation["status"] == "succeeded", operation
    batch = (
        world.client("bsp1")
        .get(f"/market/measurements/batches/{response.json()['batch']['id']}")
        .json()
    )
    assert batch["status"] == "committed"
    assert batch["readingCount"] == 88
    assert batch["resourceCount"] == 2
    assert batch["gaps"] == {device: [{"from": start + 1200, "to": start + 1320, "missing": 2}]}
    on_chain = world.chain.read("MeasurementLedger", "batch", to_bytes32(batch["chainKey"]))
    assert "0x" + on_chain["root"].hex() == batch["root"]
    assert on_chain["readingCount"] == 88
    assert on_chain["uploader"] == world.organisations["bsp1"].address

    # any single reading: its proof checks against the root on chain
    proof = (
        world.client("bsp1")
        .get(
            f"/market/measurements/batches/{batch['id']}/proof",
            params={"resourceId": device, "timestamp": start + 600},
        )
        .json()
    )
    assert proof["valueW"] == 5100
    assert proof["verified"] is True
    assert _verify_on_chain(world, proof)
    assert (
        proof["leaf"]
        == "0x"
        + world.chain.read(
            "MeasurementLedger", "readingLeaf", to_bytes32(proof["resourceKey"]), start + 600, 5100
        ).hex()
    )
    assert not _verify_on_chain(world, {**proof, "valueW": 5101})  # a changed value fails
    # the same proof from the audit CLI, checked by the contract
    settings = world.runtime.settings
    cli_env = {
        "CBP_DATA_DIR": str(settings.data_dir),
        "CBP_RPC_URL": world.runtime.rpc_url,
        "CBP_DATABASE_URL": settings.sqlalchemy_url,
        "CBP_KEYSTORE_PASSWORD": settings.keystore_password,
    }
    args = ["audit", "prove", batch["id"], device, str(start + 600)]
    result = CliRunner().invoke(cli_app, args, env=cli_env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verifiedOnChain"] is True
    missing = CliRunner().invoke(cli_app, [*args[:-1], str(start + 1200)], env=cli_env)
    assert missing.exit_code == 2
    assert "timestamp" in missing.output
    # the auditor (a third party) gets the same proof
    assert (
        world.client("auditor")
        .get(
            f"/market/measurements/batches/{batch['id']}/proof",
            params={"resourceId": device, "timestamp": start + 600},
        )
        .json()
        == proof
    )

    # a correction: one value fixed, the gap filled -> version 2 with a new root; v1 stays
    fix = {
        "readings": [
            {"resourceId": device, "timestamp": start + 600, "powerW": 5555},
            {"resourceId": device, "timestamp": start + 1200, "powerW": 5200},
            {"resourceId": device, "timestamp": start + 1260, "powerW": 5210},
        ]
    }
    corrected = world.client("bsp1").post(
        f"/market/measurements/batches/{batch['id']}/corrections", json=fix
    )
    assert flows.done(world, "bsp1", corrected)["status"] == "succeeded"
    v2 = (
        world.client("bsp1")
        .get(f"/market/measurements/batches/{corrected.json()['batch']['id']}")
        .json()
    )
    assert (v2["version"], v2["supersedes"], v2["readingCount"], v2["gaps"]) == (
        2,
        batch["id"],
        90,
        {},
    )
    assert v2["root"] != batch["root"]
    assert [v["version"] for v in v2["versions"]] == [1, 2]
    v1 = world.client("bsp1").get(f"/market/measurements/batches/{batch['id']}").json()
    assert v1["supersededBy"] == v2["id"]
    assert v1["status"] == "committed"
    chained = world.chain.read("MeasurementLedger", "batch", to_bytes32(batch["chainKey"]))
    assert "0x" + chained["supersededBy"].hex() == v2["chainKey"]
    assert _verify_on_chain(world, proof)  # the old version's proof still holds against v1
    new_proof = (
        world.client("bsp1")
        .get(
            f"/market/measurements/batches/{v2['id']}/proof",
            params={"resourceId": device, "timestamp": start + 600},
        )
        .json()
    )
    assert new_proof["valueW"] == 5555
    assert _verify_on_chain(world, new_proof)
    # reads come from the latest version
    readings = (
        world.client("bsp1")
        .get(
            "/market/measurements/readings",
            params={"resourceId": device, "from": flows.iso(start), "to": flows.iso(start + 3600)},
        )
        .json()
    )
    assert readings["count"] == 60
    values = {r["timestamp"]: r["powerW"] for r in readings["data"]}
    assert values[flows.iso(start + 600)] == 5555
    assert values[flows.iso(start + 1200)] == 5200
    # a superseded version cannot be corrected again
    flows.refused(
        world.client("bsp1").post(
            f"/market/measurements/batches/{batch['id']}/corrections", json=fix
        ),
        409,
        "conflict",
        "batchId",
    )


def test_dso_uploads_pod_readings_in_json(market: Market) -> None:
    world = market.world
    pod = market.pods["a"][0]  # on dso1's grid
    start = _hour_ago(world) - _hour_ago(world) % 900
    body = {
        "kind": "pod",
        "resolutionSeconds": 900,
        "series": [{"resourceId": pod, "start": start, "values": [12000, 11800, None, 12500]}],
    }
    response = world.client("dso1").post("/market/measurements", json=body)
    assert flows.done(world, "dso1", response)["status"] == "succeeded"
    batch = response.json()["batch"]
    assert batch["readingCount"] == 3
    assert batch["gaps"] == {pod: [{"from": start + 1800, "to": start + 2700, "missing": 1}]}
    proof = (
        world.client("dso1")
        .get(
            f"/market/measurements/batches/{batch['id']}/proof",
            params={"resourceId": pod, "timestamp": flows.iso(start + 2700)},
        )
        .json()
    )
    assert proof["valueW"] == 12500
    assert _verify_on_chain(world, proof)
    # the BSP cannot read the DSO's batch
    assert (
        world.client("bsp1").get(f"/market/measurements/batches/{batch['id']}").status_code == 404
    )


def test_measurement_refusals(market: Market) -> None:
    world = market.world
    device, pod = market.devices["a"][0], market.pods["a"][0]  # bsp1's device, dso1's POD
    start = _hour_ago(world)
    # someone else's resource: bsp2 uploads for bsp1's device; dso2 for a POD of dso1's grid
    error = flows.refused(
        _upload_csv(world, "bsp2", _csv([(device, start, 100)])), 403, "not_entitled", "resourceId"
    )
    assert error["details"]["problems"][0]["kind"] == "not_entitled"
    body = {
        "kind": "pod",
        "resolutionSeconds": 900,
        "readings": [{"resourceId": pod, "timestamp": start - start % 900, "powerW": 100}],
    }
    flows.refused(
        world.client("dso2").post("/market/measurements", json=body),
        403,
        "not_entitled",
        "resourceId",
    )
    # the wrong kind of uploader
    flows.refused(
        _upload_csv(world, "dso1", _csv([(device, start, 100)])), 403, "forbidden", "kind"
    )
    # duplicate readings
    error = flows.refused(
        _upload_csv(
            world,
            "bsp1",
            _csv([(device, start, 100), (device, start + 60, 110), (device, start, 120)]),
        ),
        422,
        "invalid_readings",
        "readings",
    )
    [problem] = error["details"]["problems"]
    assert problem["kind"] == "duplicate"
    assert problem["row"] == 4
    assert problem["timestamp"] == start
    # not aligned, in the future, implausible (22 kW device: beyond 26.4 kW), unknown, malformed
    future = flows.now(world) - flows.now(world) % 60 + 60
    error = flows.refused(
        _upload_csv(
            world,
            "bsp1",
            _csv(
                [
                    (device, start + 30, 1),
                    (device, future, 1),
                    (device, start + 120, 30_000),
                    ("no-such-device", start, 1),
                ]
            )
            + b"x,y\n",
        ),
        422,
        "invalid_readings",
        "readings",
    )
    kinds = sorted(p["kind"] for p in error["details"]["problems"])
    assert kinds == ["future", "implausible", "malformed", "not_aligned", "unknown_resource"]
    # a resolution the kind does not allow
    flows.refused(
        _upload_csv(world, "bsp1", _csv([(device, start, 1)]), resolution=900),
        422,
        "invalid_input",
        "resolutionSeconds",
    )
    # nothing was stored by any of these
    listed = world.client("bsp2").get("/market/measurements/batches").json()
    assert listed["count"] == 0
