"""Storable argument values, the ids events mention, and the migration of the index tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from ledger.core.chain.abi import ContractAbi
from ledger.core.db.engine import engine_for
from ledger.indexer import tables as index_models
from ledger.indexer.encoding import id_arguments, json_value
from ledger.schema.migrate import upgrade


def test_json_value_keeps_what_json_can_carry_exactly():
    value = {
        "id": b"\x01" * 32,
        "eic": b"26X00000105128-9",
        "small": 2**63 - 1,
        "negative": -(2**63),
        "big": 2**63,
        "huge_negative": -(2**63) - 1,
        "flag": True,
        "list": [b"\xff", 1, (2, "x")],
        "nested": {"amount": 10**30},
    }
    assert json_value(value) == {
        "id": "0x" + "01" * 32,
        "eic": "0x" + b"26X00000105128-9".hex(),
        "small": 2**63 - 1,
        "negative": -(2**63),
        "big": str(2**63),
        "huge_negative": str(-(2**63) - 1),
        "flag": True,
        "list": ["0xff", 1, [2, "x"]],
        "nested": {"amount": str(10**30)},
    }
    with pytest.raises(TypeError):
        json_value({"x": 1.5})


def test_ids_are_the_indexed_bytes32_arguments():
    found = id_arguments([ContractAbi.load("ResourceRegistry"), ContractAbi.load("CbpRoles")])
    assert found[("ResourceRegistry", "PodRegistered")] == ("podId",)
    assert found[("ResourceRegistry", "FlexDeviceRegistered")] == ("deviceId", "podId")
    assert found[("ResourceRegistry", "RelationStarted")] == ("relationId", "uvamId", "podId")
    assert found[("ResourceRegistry", "AttachmentCreated")] == ("attachmentId", "ownerId")
    assert found[("ResourceRegistry", "PodUpdated")] == ("podId",)  # recordHash is not an id
    assert found[("CbpRoles", "RoleGranted")] == ("role",)


def test_migration_creates_the_index_tables_as_modelled(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'schema.sqlite3'}"
    upgrade(url)
    ours = {
        table.name
        for table in SQLModel.metadata.sorted_tables
        if table.name in {"chain_events", "chain_event_refs", "indexed_blocks", "indexer_cursors"}
    }
    assert ours == {"chain_events", "chain_event_refs", "indexed_blocks", "indexer_cursors"}
    assert index_models.ChainEvent.__tablename__ in ours
    with engine_for(url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in differences if any(name in repr(d) for name in ours)] == []
