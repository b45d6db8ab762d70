"""``cbp audit verify`` names the row and the column of every value changed behind its back.

Each case changes one served or searched column with SQL, as someone with database access
would, and expects the command to exit 1 naming ``table``/``row_id``/``field``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app
from tests.indexer.scenario import Scenario

pytestmark = pytest.mark.stack

runner = CliRunner()


@pytest.fixture
def env(world: Any) -> dict[str, str]:
    settings = world.runtime.settings
    return {
        "CBP_DATA_DIR": str(settings.data_dir),
        "CBP_RPC_URL": world.runtime.rpc_url,
        "CBP_DATABASE_URL": settings.sqlalchemy_url,
        "CBP_KEYSTORE_PASSWORD": settings.keystore_password,
        "COLUMNS": "250",
    }


@contextmanager
def sql_update(world: Any, table: str, row_id: Any, column: str, value: Any) -> Iterator[None]:
    """``UPDATE table SET column = value WHERE id = row_id``; the old value is put back after."""
    with world.runtime.session() as session:
        connection = session.connection()
        select = text(f"SELECT {column} FROM {table} WHERE id = :id")
        original = connection.execute(select, {"id": row_id}).scalar_one()
        update = text(f"UPDATE {table} SET {column} = :value WHERE id = :id")
        assert connection.execute(update, {"id": row_id, "value": value}).rowcount == 1
        session.commit()
    try:
        yield
    finally:
        with world.runtime.session() as session:
            session.connection().execute(update, {"id": row_id, "value": original})
            session.commit()


def verify_names(env: dict[str, str], table: str, row_id: str) -> dict[str, dict[str, Any]]:
    """Run ``cbp audit verify``; it must fail; the mismatches of that row, by column."""
    result = runner.invoke(app, ["audit", "verify", "--format", "json"], env=env)
    assert result.exit_code == 1, result.output
    mismatches = json.loads(result.stdout)
    return {m["field"]: m for m in mismatches if (m["table"], m["row_id"]) == (table, str(row_id))}


def test_a_tampered_pod_name_that_search_finds_is_named(world, env, scenario: Scenario):
    """The issue's case: search finds the tampered name, the detail shows the original."""
    with sql_update(world, "pods", scenario.pod_id, "resource_name", "X TAMPERED"):
        found = world.client("bsp1").get("/pods", params={"q": "X TAMPERED"}).json()
        assert [pod["id"] for pod in found["data"]] == [scenario.pod_id]
        named = verify_names(env, "pods", scenario.pod_id)
    assert set(named) == {"resource_name"}
    assert named["resource_name"]["db_value"] == "X TAMPERED"
    assert named["resource_name"]["chain_value"].startswith("Indexed site IT002E")


@pytest.mark.parametrize(
    ("table", "attribute", "column", "value"),
    [
        ("pods", "pod_id", "metering_point_id", "IT999E000000001"),
        ("pods", "pod_id", "constraints", '{"maxImportKw": 1, "maxExportKw": 1}'),
        ("uvams", "uvam_id", "name", "Renamed UVAM"),
        ("flex_devices", "device_id", "record", '{"resourceName": "Battery"}'),
        ("memberships", "relation_id", "active", True),
        ("attachments", "attachment_id", "mime_type", "text/html"),
    ],
)
def test_a_tampered_registration_column_is_named(
    world, env, scenario: Scenario, table: str, attribute: str, column: str, value: Any
):
    row_id = getattr(scenario, attribute)
    with sql_update(world, table, row_id, column, value):
        named = verify_names(env, table, row_id)
    assert column in named, named
    assert str(named[column]["db_value"]) != str(named[column]["chain_value"])


def test_a_tampered_organisation_eic_is_named(world, env, scenario: Scenario):
    with sql_update(world, "organisations", "bsp1", "eic", "21XBSP-TAMPER--9"):
        named = verify_names(env, "organisations", "bsp1")
    assert named["eic"]["db_value"] == "21XBSP-TAMPER--9"
    assert named["eic"]["chain_value"] == world.eic("bsp1")
