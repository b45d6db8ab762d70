"""Canonical JSON and salted record hashes: what goes on chain instead of the record.

"No personal data on the chain [...] Put only hashes (salted where the input is guessable, like
a POD code) and commitments on chain; keep the documents off chain" (DOMAIN.md section 7).
Anyone holding the record and its salt can recompute the hash and compare it with the chain.

Canonical form: JSON with keys sorted, no whitespace, UTF-8 (not ASCII-escaped). Values:

* ``None``, ``bool``, ``int``, ``str`` as themselves; lists and tuples as arrays; mappings with
  string keys as objects;
* enums by value (``StrEnum`` as its string, ``IntEnum`` as its integer);
* ``Decimal`` as a string in plain notation without trailing zeros (``Decimal("12.50")`` ->
  ``"12.5"``), so equal amounts hash equally;
* aware ``datetime`` converted to UTC, ISO 8601 with ``Z`` (naive datetimes are refused);
  ``date`` as ISO 8601; ``bytes`` as ``0x``-prefixed lowercase hex; ``UUID`` as its string;
* pydantic models as ``model_dump(by_alias=True)``.

Floats are refused with ``TypeError``: "never floats for anything that is settled".
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Final
from uuid import UUID

from eth_utils.crypto import keccak
from pydantic import BaseModel

__all__ = ["MIN_SALT_BYTES", "canonical_json", "new_salt", "record_hash"]

#: Salts shorter than this are refused: 128 bits make brute-forcing a guessable record useless.
MIN_SALT_BYTES: Final = 16


def canonical_json(value: object) -> bytes:
    """The canonical UTF-8 JSON encoding of ``value`` (see the module docstring)."""
    text = json.dumps(
        _plain(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode("utf-8")


def record_hash(record: Mapping[str, Any], *, salt: bytes) -> bytes:
    """``keccak256(salt + canonical_json(record))``: the 32-byte commitment put on chain."""
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"salt must be at least {MIN_SALT_BYTES} bytes, got {len(salt)}")
    return keccak(bytes(salt) + canonical_json(record))


def new_salt() -> bytes:
    """A fresh random 16-byte salt; keep it off chain, next to the record."""
    return secrets.token_bytes(MIN_SALT_BYTES)


_AS_IS: Final = frozenset({int, str, bool, type(None)})
"""Exact types that are already JSON's (their subclasses, e.g. enums, take the long way)."""
_ROWS: Final = frozenset({list, tuple})


def _plain(value: object) -> Any:
    """Reduce ``value`` to JSON's own types, deterministically."""
    if type(value) in _AS_IS:
        return value
    if type(value) is date:  # exactly a date (a datetime is one too, and takes the long way)
        return value.isoformat()
    if type(value) is Decimal:
        return _decimal_text(value)
    # Order matters: bool before int, enums before str and int (StrEnum is a str), datetime
    # before date (datetime is a date).
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, int | str):
        return value
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical JSON; use int or Decimal")
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime):
        return _datetime_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(by_alias=True))
    if isinstance(value, Mapping):
        return _plain_mapping(value)
    if isinstance(value, list | tuple):
        # Settlement records hold long lists and tables of plain ints: checked in one sweep
        # and passed on as they are (json encodes a tuple as an array), nothing copied.
        types = set(map(type, value))
        if types <= _AS_IS:
            return value
        if types <= _ROWS and all(set(map(type, row)) <= _AS_IS for row in value):
            return value
        return [_plain(item) for item in value]
    raise TypeError(f"cannot serialise {type(value).__name__} canonically")


def _plain_mapping(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, item in mapping.items():
        name = key.value if isinstance(key, Enum) else key
        if not isinstance(name, str):
            raise TypeError(f"mapping keys must be str, got {type(key).__name__}")
        if name in plain:
            raise ValueError(f"duplicate key {name!r}")
        plain[str.__str__(name)] = _plain(item)
    return plain


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"non-finite Decimal {value} has no canonical form")
    if value.is_zero():
        return "0"
    return format(value.normalize(), "f")


def _datetime_text(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime has no canonical form; give it a timezone")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
