"""Canonical JSON and salted record hashes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.domain.canonical import (
    MIN_SALT_BYTES,
    SAFE_INTEGER,
    canonical_json,
    new_salt,
    record_hash,
)
from ledger.core.domain.enums import Direction, PodStatus
from ledger.registry.schemas import EndRelation

SALT = bytes(range(16))

json_keys = st.text(min_size=1, max_size=8)
json_values = st.recursive(
    # integers RFC 8785 holds exactly (beyond them: tests/unit/domain/test_canonical_rfc8785.py)
    st.none() | st.booleans() | st.integers(-SAFE_INTEGER, SAFE_INTEGER) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_keys, children, max_size=4)
    ),
    max_leaves=20,
)


def test_compact_sorted_utf8() -> None:
    value = {"b": 1, "a": [True, None, "è"], "c": {"z": 0, "y": -1}}
    assert canonical_json(value) == '{"a":[true,null,"è"],"b":1,"c":{"y":-1,"z":0}}'.encode()


@given(st.dictionaries(json_keys, json_values, max_size=8))
def test_key_order_does_not_matter(record: dict[str, Any]) -> None:
    reversed_record = dict(reversed(list(record.items())))
    assert canonical_json(reversed_record) == canonical_json(record)
    assert record_hash(reversed_record, salt=SALT) == record_hash(record, salt=SALT)
    assert json.loads(canonical_json(record)) == record


@pytest.mark.parametrize(
    "value",
    [1.0, {"power": 0.5}, [1, 2.5], {"nested": {"deep": [float("nan")]}}],
)
def test_floats_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="float"):
        canonical_json(value)


def test_special_types_are_deterministic() -> None:
    value = {
        "amount": Decimal("12.50"),
        "zero": Decimal("-0.00"),
        "big": Decimal("1E+3"),
        "at": datetime(2024, 6, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))),
        "day": date(2024, 6, 1),
        "direction": Direction.GENERATION,
        "status": PodStatus.VALIDATED,
        "hash": b"\x00\xab",
        "id": UUID("12345678-1234-5678-1234-567812345678"),
        "model": EndRelation.model_validate({"relationId": "rel-1"}),
        "tuple": (1, 2),
        Direction.MIXED: "enum key",
    }
    assert json.loads(canonical_json(value)) == {
        "amount": "12.5",
        "zero": "0",
        "big": "1000",
        "at": "2024-06-01T00:00:00Z",
        "day": "2024-06-01",
        "direction": "generation",
        "status": 5,
        "hash": "0x00ab",
        "id": "12345678-1234-5678-1234-567812345678",
        "model": {"relationId": "rel-1", "receiverId": None},
        "tuple": [1, 2],
        "mixed": "enum key",
    }


def test_equal_values_hash_equally() -> None:
    paris = datetime(2024, 6, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    utc = datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
    assert canonical_json({"at": paris, "x": Decimal("1.0")}) == canonical_json(
        {"at": utc, "x": Decimal("1")}
    )


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"at": datetime(2024, 6, 1)}, ValueError),  # naive
        ({"x": Decimal("NaN")}, ValueError),
        ({"x": Decimal("Infinity")}, ValueError),
        ({1: "int key"}, TypeError),
        ({"s": {1, 2}}, TypeError),
        ({"o": object()}, TypeError),
    ],
)
def test_values_without_canonical_form_are_refused(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        canonical_json(value)


def test_record_hash_is_keccak_of_salt_and_canonical_json() -> None:
    record = {"meteringPointId": "IT001E12345678", "contractedPower": 400}
    digest = record_hash(record, salt=SALT)
    assert len(digest) == 32
    assert digest == keccak(SALT + canonical_json(record))


def test_salt_changes_the_hash() -> None:
    record = {"meteringPointId": "IT001E12345678"}
    other_salt = bytes(range(1, 17))
    assert record_hash(record, salt=SALT) != record_hash(record, salt=other_salt)
    assert record_hash(record, salt=new_salt()) != record_hash(record, salt=new_salt())


def test_short_salt_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        record_hash({"a": 1}, salt=b"x" * (MIN_SALT_BYTES - 1))


def test_new_salt() -> None:
    salts = {new_salt() for _ in range(100)}
    assert len(salts) == 100
    assert all(len(salt) == MIN_SALT_BYTES for salt in salts)
