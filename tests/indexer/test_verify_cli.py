"""``cbp audit verify`` names the row and the column of every value changed behind its back.

Each case changes one served or searched column with SQL, as someone with database access
would, and expects the command to exit 1 naming ``table``/``row_id``/``field``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.indexer.scenario import Scenario
from tests.indexer.tampering import cli_env, sql_update, verify, verify_names

pytestmark = pytest.mark.stack


@pytest.fixture
def env(world: Any) -> dict[str, str]:
    return cli_env(world)


def test_a_consistent_platform_verifies(env, scenario: Scenario):
    assert verify(env) == (0, [])


def test_a_tampered_pod_name_that_search_finds_is_named(world, env, scenario: Scenario):
    """The issue's case: search finds the tampered name, the detail shows the original."""
    with sql_update(world, "pods", "resource_name", "X TAMPERED", row_id=scenario.pod_id):
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
    with sql_update(world, table, column, value, row_id=row_id):
        named = verify_names(env, table, row_id)
    assert column in named, named
    assert str(named[column]["db_value"]) != str(named[column]["chain_value"])


def test_a_tampered_organisation_eic_is_named(world, env, scenario: Scenario):
    with sql_update(world, "organisations", "eic", "21XBSP-TAMPER--9", row_id="bsp1"):
        named = verify_names(env, "organisations", "bsp1")
    assert named["eic"]["db_value"] == "21XBSP-TAMPER--9"
    assert named["eic"]["chain_value"] == world.eic("bsp1")
