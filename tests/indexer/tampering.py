"""Change a served column with SQL, as someone with database access would, and run
``cbp audit verify`` to see whether it names the row and the column."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def cli_env(world: Any) -> dict[str, str]:
    """The environment that points ``cbp`` at ``world``'s chain, database and data folder."""
    settings = world.runtime.settings
    return {
        "CBP_DATA_DIR": str(settings.data_dir),
        "CBP_RPC_URL": world.runtime.rpc_url,
        "CBP_DATABASE_URL": settings.sqlalchemy_url,
        "CBP_KEYSTORE_PASSWORD": settings.keystore_password,
        "COLUMNS": "250",
    }


@contextmanager
def sql_update(
    world: Any, table: str, column: str, value: Any, *, key: str = "id", row_id: Any
) -> Iterator[None]:
    """``UPDATE table SET column = value WHERE key = row_id``; the old value is put back after."""
    read = text(f"SELECT {column} FROM {table} WHERE {key} = :id")
    write = text(f"UPDATE {table} SET {column} = :value WHERE {key} = :id")
    with world.runtime.session() as session:
        connection = session.connection()
        original = connection.execute(read, {"id": row_id}).scalar_one()
        if isinstance(original, dict | list):  # a JSON column read back decoded (PostgreSQL)
            original = json.dumps(original)
        assert connection.execute(write, {"id": row_id, "value": value}).rowcount == 1
        session.commit()
    try:
        yield
    finally:
        with world.runtime.session() as session:
            session.connection().execute(write, {"id": row_id, "value": original})
            session.commit()


def verify(env: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
    """Exit code and mismatches of ``cbp audit verify --format json``."""
    result = runner.invoke(app, ["audit", "verify", "--format", "json"], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in {0, 1}, result.output
    return result.exit_code, json.loads(result.stdout)


def verify_names(env: dict[str, str], table: str, row_id: Any) -> dict[str, dict[str, Any]]:
    """Run ``cbp audit verify``; it must fail; the mismatches of that row, by column."""
    code, mismatches = verify(env)
    assert code == 1, mismatches
    return {m["field"]: m for m in mismatches if (m["table"], m["row_id"]) == (table, str(row_id))}


def named_column(found: dict[str, dict[str, Any]], column: str) -> dict[str, Any]:
    """The mismatch naming ``column``: alone, or among the hashed columns of a ``terms`` field."""
    for field, mismatch in found.items():
        if field == column or (field.endswith(")") and column in field.split("(")[1]):
            return mismatch
    raise AssertionError(f"no mismatch names {column}: {found}")
