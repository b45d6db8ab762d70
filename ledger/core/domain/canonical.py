"""Canonical JSON and salted record hashes: what goes on chain instead of the record.

"No personal data on the chain [...] Put only hashes (salted where the input is guessable, like
a POD code) and commitments on chain; keep the documents off chain" (DOMAIN.md section 7).
Anyone holding the record and its salt can recompute the hash and compare it with the chain.

Canonical form: the JSON Canonicalization Scheme of RFC 8785, as the maintained ``rfc8785``
library writes it: keys sorted by their UTF-16 code units, no whitespace, UTF-8 (not
ASCII-escaped), strings escaped as ECMAScript does, integers as plain digits. Values:

* ``None``, ``bool``, ``str`` as themselves; lists and tuples as arrays; mappings with string
  keys as objects;
* ``int`` within +-(2**53 - 1), where RFC 8785's numbers (IEEE doubles) are exact, as a number;
  a larger one (only an absurd int64 price can be one) as its decimal string, as I-JSON (RFC
  7493 section 2.2) advises and as a ``Decimal`` is;
* enums by value (``StrEnum`` as its string, ``IntEnum`` as its integer);
* ``Decimal`` as a string in plain notation without trailing zeros (``Decimal("12.50")`` ->
  ``"12.5"``), so equal amounts hash equally;
* aware ``datetime`` converted to UTC, ISO 8601 with ``Z`` (naive datetimes are refused);
  ``date`` as ISO 8601; ``bytes`` as ``0x``-prefixed lowercase hex; ``UUID`` as its string;
* pydantic models as ``model_dump(by_alias=True)``.

Floats are refused with ``TypeError``: "never floats for anything that is settled".

Speed: the library is pure Python, about 5x slower than the standard ``json`` module on
settlement records (``python -m cli.settlement_bench`` prints both). Once reduced to the values
above, a value whose JSON text has no character from U+D800 up is written alike by both (the
same separators and escapes; below U+D800 the order of keys by code point, ``json``'s, is their
order by UTF-16 code unit; integers are exact in both), so ``json`` writes it; any other goes
to the library. tests/unit/domain/test_canonical_rfc8785.py holds the two to the same bytes on
generated values and on a settlement record; the records' bytes, so every hash recorded before
the switch, are unchanged.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from itertools import chain
from typing import Any, Final
from uuid import UUID

import numpy as np
import rfc8785
from eth_utils.crypto import keccak
from numpy.typing import NDArray
from pydantic import BaseModel

__all__ = [
    "MIN_SALT_BYTES",
    "CheckedTable",
    "bool_table",
    "canonical_json",
    "date_table",
    "int_table",
    "new_salt",
    "record_hash",
    "within_safe_integers",
]

#: The largest integer an RFC 8785 number holds exactly (2**53 - 1).
SAFE_INTEGER: Final = 2**53 - 1

#: Characters whose order by UTF-16 code unit (RFC 8785) may differ from their order by code
#: point (``json``), and lone surrogates: a text holding one is written by the library.
_UTF16_MAY_DIFFER: Final = re.compile(r"[\ud800-\U0010ffff]")

#: Salts shorter than this are refused: 128 bits make brute-forcing a guessable record useless.
MIN_SALT_BYTES: Final = 16


def canonical_json(value: object) -> bytes:
    """The canonical UTF-8 JSON encoding of ``value`` (RFC 8785; see the module docstring)."""
    plain = _plain(value)
    # No cycle reaches json: _plain rebuilds every container that holds a container (a cycle
    # never ends there) and passes on only rows of scalars and checked tables of them.
    text = json.dumps(
        plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
    )
    if text.isascii() or _UTF16_MAY_DIFFER.search(text) is None:
        return text.encode("utf-8")
    return rfc8785.dumps(plain)


def rfc8785_json(value: object) -> bytes:
    """``value`` reduced as :func:`canonical_json` does, then written by the ``rfc8785``
    library alone (the reference the tests and the settlement benchmark compare with)."""
    return rfc8785.dumps(_plain(value))


def record_hash(record: Mapping[str, Any], *, salt: bytes) -> bytes:
    """``keccak256(salt + canonical_json(record))``: the 32-byte commitment put on chain."""
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"salt must be at least {MIN_SALT_BYTES} bytes, got {len(salt)}")
    return keccak(bytes(salt) + canonical_json(record))


def new_salt() -> bytes:
    """A fresh random 16-byte salt; keep it off chain, next to the record."""
    return secrets.token_bytes(MIN_SALT_BYTES)


class CheckedTable(tuple[tuple[Any, ...], ...]):
    """Rows of JSON scalars checked on the NumPy array they come from (:func:`int_table`,
    :func:`bool_table`): :func:`canonical_json` writes them as they are, without looking at each
    value again. Build one only with those functions; a plain tuple or list of rows is checked
    value by value, with the same bytes."""

    __slots__ = ()


def within_safe_integers(values: NDArray[np.integer]) -> bool:
    """Every value of the integer array lies within +-:data:`SAFE_INTEGER` (by NumPy, once)."""
    return not values.size or (
        int(values.min()) >= -SAFE_INTEGER and int(values.max()) <= SAFE_INTEGER
    )


def int_table(
    values: NDArray[np.integer],
    present: NDArray[np.bool_] | None = None,
    *,
    checked: bool = False,
) -> tuple[tuple[Any, ...], ...]:
    """The rows of the 2-D integer array ``values`` as tuples of ``int``, ``None`` where
    ``present`` is false: a :class:`CheckedTable` when every value lies within
    +-:data:`SAFE_INTEGER` (checked here by NumPy, once for the array, unless ``checked``: the
    caller found :func:`within_safe_integers` true for the array ``values`` is cut from), else
    plain rows that canonical JSON checks value by value (and writes the larger ones as
    digits)."""
    if values.ndim != 2 or values.dtype.kind not in "iu":  # signed or unsigned integers
        raise TypeError(
            f"an integer table is a 2-D integer array, got {values.dtype} {values.shape}"
        )
    if present is not None and (present.shape != values.shape or present.dtype != np.bool_):
        raise TypeError(f"present must be a bool array of shape {values.shape}")
    rows = values.tolist()
    table: Iterable[tuple[Any, ...]]
    if present is None or present.all():
        table = map(tuple, rows)
    else:
        complete: list[bool] = np.asarray(present.all(axis=1)).tolist()
        table = (
            tuple(row)
            if whole
            else tuple(v if p else None for v, p in zip(row, flags, strict=True))
            for row, flags, whole in zip(rows, present.tolist(), complete, strict=True)
        )
    exact = checked or within_safe_integers(values)
    return CheckedTable(table) if exact else tuple(table)


def bool_table(flags: NDArray[np.bool_]) -> CheckedTable:
    """The rows of the 2-D bool array ``flags`` as tuples of ``bool``."""
    if flags.ndim != 2 or flags.dtype != np.bool_:
        raise TypeError(f"a flag table is a 2-D bool array, got {flags.dtype} {flags.shape}")
    return CheckedTable(map(tuple, flags.tolist()))


def date_table(rows: Iterable[Iterable[date]]) -> tuple[tuple[Any, ...], ...]:
    """The rows of dates as their ISO 8601 text (``date.isoformat``), each distinct date and
    each distinct row written once: a :class:`CheckedTable` of ``str``."""
    table = [tuple(row) for row in rows]
    written: dict[tuple[Any, ...], tuple[Any, ...]] = dict.fromkeys(table, ())
    iso = {day: day.isoformat() for day in set(chain.from_iterable(written))}
    if not all(type(text) is str for text in iso.values()):
        return tuple(tuple(iso[day] for day in row) for row in table)
    for row in written:
        written[row] = tuple(map(iso.__getitem__, row))
    return CheckedTable(map(written.__getitem__, table))


_AS_IS: Final = frozenset({int, str, bool, type(None)})
"""Exact types that are already JSON's (their subclasses, e.g. enums, take the long way)."""
_ROWS: Final = frozenset({list, tuple})


def _plain(value: object) -> Any:
    """Reduce ``value`` to JSON's own types, deterministically."""
    if type(value) is int:
        return value if -SAFE_INTEGER <= value <= SAFE_INTEGER else str(value)
    if type(value) in _AS_IS:
        return value
    # Exact types first, no isinstance chain (Mapping's is an ABC check).
    if type(value) is CheckedTable:
        return value
    if type(value) is dict:
        return _plain_mapping(value)
    if type(value) is tuple or type(value) is list:
        return _plain_rows(value)
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
    if isinstance(value, int):
        return _plain(int(value))
    if isinstance(value, str):
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
        return _plain_rows(value)
    raise TypeError(f"cannot serialise {type(value).__name__} canonically")


def _plain_rows(value: list[Any] | tuple[Any, ...]) -> Any:
    """A list or tuple reduced. Settlement records hold long lists and tables of plain ints:
    checked in one sweep (a table over its rows' items chained) and passed on as they are
    (json encodes a tuple as an array), nothing copied."""
    if _is_plain_row(value):
        return value
    if set(map(type, value)) <= _ROWS and _is_plain_row(list(chain.from_iterable(value))):
        return value
    return [_plain(item) for item in value]


def _is_plain_row(row: list[Any] | tuple[Any, ...]) -> bool:
    """Whether ``row`` holds only JSON's own scalars, its integers within the exact range."""
    types = set(map(type, row))
    if not types <= _AS_IS:
        return False
    if int not in types:
        return True
    if types != {int}:
        row = [item for item in row if type(item) is int]
    return bool(min(row) >= -SAFE_INTEGER and max(row) <= SAFE_INTEGER)


def _plain_mapping(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, item in mapping.items():
        name = key if type(key) is str else _key_text(key)
        if name in plain:
            raise ValueError(f"duplicate key {name!r}")
        plain[name] = _plain(item)
    return plain


def _key_text(key: object) -> str:
    name = key.value if isinstance(key, Enum) else key
    if not isinstance(name, str):
        raise TypeError(f"mapping keys must be str, got {type(key).__name__}")
    return str.__str__(name)


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
