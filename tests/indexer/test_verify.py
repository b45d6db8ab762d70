"""``verify`` finds nothing on a consistent database and names each row altered behind its back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlmodel import select

from ledger.audit import Mismatch, verify
from ledger.registry import files
from ledger.registry.tables import Attachment, Membership, Pod, StatusChange, Uvam
from tests.indexer.scenario import Scenario

pytestmark = pytest.mark.stack


@contextmanager
def altered(world, model: type[Any], row_id: Any, **changes: Any) -> Iterator[None]:
    """Change a row directly in the database; put it back afterwards."""
    with world.runtime.session() as session:
        row = session.get(model, row_id)
        original = {name: getattr(row, name) for name in changes}
        for name, value in changes.items():
            setattr(row, name, value)
    try:
        yield
    finally:
        with world.runtime.session() as session:
            row = session.get(model, row_id)
            for name, value in original.items():
                setattr(row, name, value)


def about(mismatches: list[Mismatch], table: str, row_id: str) -> dict[str, Mismatch]:
    return {m.field: m for m in mismatches if m.table == table and m.row_id == row_id}


def test_a_consistent_database_has_no_mismatch(world, scenario: Scenario):
    assert verify(world.runtime) == []


def test_altered_pod_status_and_record_are_named(world, scenario: Scenario):
    with world.runtime.session() as session:
        pod = session.get(Pod, scenario.pod_id)
        record = {**pod.record, "contractedPower": 9000}

    with altered(world, Pod, scenario.pod_id, status="Rejected", record=record):
        found = about(verify(world.runtime), "pods", scenario.pod_id)

    assert set(found) == {"status", "record"}
    assert (found["status"].db_value, found["status"].chain_value) == ("Rejected", "Validated")
    assert found["record"].chain_value == pod.record_hash
    assert found["record"].db_value != pod.record_hash
    assert verify(world.runtime, index_first=False) == []


def test_altered_hashes_memberships_and_history_are_named(world, scenario: Scenario):
    zero = "0x" + "11" * 32
    with world.runtime.session() as session:
        change = session.exec(
            select(StatusChange).where(StatusChange.resource_id == scenario.pod_id)
        ).first()
        attachment = session.get(Attachment, scenario.attachment_id)
        metadata = {**attachment.metadata_record, "documentType": "Contract"}

    with (
        altered(world, Uvam, scenario.uvam_id, record_hash=zero),
        altered(world, Membership, scenario.relation_id, active=True),
        altered(world, Attachment, scenario.attachment_id, metadata_record=metadata),
        altered(world, StatusChange, change.id, transaction_hash=zero),
    ):
        found = verify(world.runtime, index_first=False)

    # the record still hashes to the committed value: only the stored hash is wrong
    assert set(about(found, "uvams", scenario.uvam_id)) == {"record_hash"}
    relation = about(found, "memberships", scenario.relation_id)["active"]
    assert (relation.db_value, relation.chain_value) == ("True", "False")
    attachment_fields = set(about(found, "attachments", scenario.attachment_id))
    assert attachment_fields == {"metadata_record"}
    assert set(about(found, "status_changes", str(change.id))) == {"to_status"}


def test_a_replaced_attachment_file_is_named(world, scenario: Scenario):
    with world.runtime.session() as session:
        attachment = session.get(Attachment, scenario.attachment_id)
    path = files.path_of(world.runtime.settings.attachments_dir, attachment.content_sha256)
    original = path.read_bytes()
    path.write_bytes(original + b"% tampered\n")
    try:
        found = about(verify(world.runtime, index_first=False), "attachments", attachment.id)
    finally:
        path.write_bytes(original)
    assert set(found) == {"file"}
    assert found["file"].chain_value == attachment.content_sha256
