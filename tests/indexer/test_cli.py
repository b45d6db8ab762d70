"""``cbp audit`` commands on the known scenario, through typer's test runner."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.indexer.scenario import Scenario

pytestmark = pytest.mark.stack


runner = CliRunner()


@pytest.fixture
def env(world) -> dict[str, str]:
    settings = world.runtime.settings
    return {
        "CBP_DATA_DIR": str(settings.data_dir),
        "CBP_RPC_URL": world.runtime.rpc_url,
        "CBP_DATABASE_URL": settings.sqlalchemy_url,
        "CBP_KEYSTORE_PASSWORD": settings.keystore_password,
        "COLUMNS": "250",
    }


def audit(env: dict[str, str], *args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, ["audit", *args], env=env)
    assert result.exit_code == code, result.output
    return result.stdout, result.stderr


def test_index_reports_progress(env, scenario: Scenario):
    _, err = audit(env, "index")
    assert "indexed" in err
    assert "events in blocks" in err


def test_history_in_each_format(env, world, scenario: Scenario):
    out, _ = audit(env, "history", scenario.pod_id, "--format", "json")
    entries = json.loads(out)
    expected = [(event, actor) for event, _, _, actor in Scenario.POD_EVENTS]
    assert [(e["event"], e["actor"]) for e in entries] == expected
    assert entries[-3]["summary"].startswith("Verified -> Validated")
    assert all(e["time"].endswith("Z") and e["transactionHash"].startswith("0x") for e in entries)
    assert [e["blockNumber"] for e in entries] == sorted(e["blockNumber"] for e in entries)

    out, _ = audit(env, "history", scenario.pod_id, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["transactionHash"] for row in rows] == [e["transactionHash"] for e in entries]
    assert json.loads(rows[0]["args"])["bsp"] == world.organisations["bsp1"].address

    out, _ = audit(env, "history", scenario.pod_id)
    assert f"History of {scenario.pod_id}" in out
    assert "PodRegistered" in out
    assert "Open -> UnderReview" in out

    _, err = audit(env, "history", "no-such-record", code=1)
    assert "no indexed event" in err


def test_verify_passes_on_the_scenario(env, scenario: Scenario):
    out, _ = audit(env, "verify")
    assert "no mismatches" in out
    out, _ = audit(env, "verify", "--format", "json")
    assert json.loads(out) == []


def test_export_filters_by_organisation_kind_and_time(env, scenario: Scenario):
    out, _ = audit(env, "export", "--org", "dso1", "--kind", "pod", "--format", "json")
    rows = json.loads(out)
    assert rows
    assert {row["actor"] for row in rows} == {"dso1"}
    assert {row["event"] for row in rows} == {"PodStatusChanged"}
    assert all(row["summary"].startswith("Verified -> ") for row in rows)

    out, _ = audit(env, "export", "--kind", "relation", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {"RelationStarted", "RelationEnded"} <= {row["event"] for row in rows}

    out, _ = audit(env, "export", "--since", "2999-01-01", "--format", "json")
    assert json.loads(out) == []
    out, _ = audit(env, "export", "--until", "2000-01-01T00:00:00+00:00", "--format", "json")
    assert json.loads(out) == []
    out, _ = audit(env, "export", "--org", "bsp1", "--since", "2000-01-01", "--kind", "uvam")
    assert "UvamRegistered" in out

    _, err = audit(env, "export", "--kind", "nonsense", code=2)
    assert "unknown kind" in err


def test_prove_needs_batch_resource_and_time(env):
    _, err = audit(env, "prove", "batch-1", code=2)
    assert "Missing argument" in err


def test_bench_runs_small():
    result = runner.invoke(app, ["audit", "bench", "--events", "400"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "events/s" in result.stdout
    assert "raw eth_getLogs scan" in result.stdout
    assert "3 events" in result.stdout  # the POD's registration, first status and opening
