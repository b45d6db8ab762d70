"""Canonical JSON is RFC 8785 (JCS) as the ``rfc8785`` library writes it (``json`` writes the
values on which the two agree, for speed), and the switch changed no hash: for the records the
platform hashes (ASCII keys, integers below 2**53, text) the bytes are those of the encoding
used before, the pinned settlement hash stands, and the only hashes docs/ shows are the Merkle
worked example's, which hash ABI-packed bytes, not JSON
(tests/market/test_merkle_worked_example.py recomputes each of them)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.chain.ganache import GANACHE_FUNDER_KEY
from ledger.core.domain.canonical import (
    SAFE_INTEGER,
    CheckedTable,
    bool_table,
    canonical_json,
    date_table,
    int_table,
    rfc8785_json,
)
from ledger.core.settings import PROJECT_ROOT
from tests.settlement.test_record import PINNED_HASH, sample_record

DOCS = PROJECT_ROOT / "docs"
HASH = re.compile(r"0x[0-9a-f]{64}\b")


def before(value: Any) -> bytes:
    """The encoding the platform used before RFC 8785 (for plain JSON values)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


# keys below U+D800: there code-point order (json.dumps) and UTF-16 order (RFC 8785) agree
keys = st.text(st.characters(max_codepoint=0xD7FF), min_size=1, max_size=8)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-SAFE_INTEGER, SAFE_INTEGER)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)


any_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(keys, values, max_size=8))
def test_records_keep_the_bytes_they_had_before(record: dict[str, Any]) -> None:
    assert canonical_json(record) == before(record)


@given(any_values)
def test_every_value_has_the_rfc8785_librarys_bytes(value: Any) -> None:
    """Whichever writer the value takes, the bytes are the library's (any key, any integer)."""
    assert canonical_json(value) == rfc8785_json(value)


def test_control_characters_and_separators_are_escaped_as_ecmascript_does() -> None:
    value = {"text": 'tab\t nl\n cr\r bs\b ff\f nul\x00 us\x1f del\x7f quote" slash\\ \u2028 é'}
    expected = (
        '{"text":"tab\\t nl\\n cr\\r bs\\b ff\\f nul\\u0000 us\\u001f'
        ' del\x7f quote\\" slash\\\\ \u2028 é"}'
    )
    assert canonical_json(value) == expected.encode("utf-8") == before(value)


def test_keys_sort_by_utf16_code_units_as_rfc_8785_section_3_2_3_shows() -> None:
    """The RFC's own sorting example: the emoji (a surrogate pair, D83D DE00) sorts before
    U+FB33, where code-point order (json.dumps) put it after: the one place the two differ,
    and no key the platform hashes has such characters."""
    record = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    order = list(json.loads(canonical_json(record)))
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert canonical_json(record) != before(record)


def test_integers_beyond_the_exact_range_are_written_as_digits() -> None:
    edge = {"max": SAFE_INTEGER, "min": -SAFE_INTEGER, "over": [SAFE_INTEGER + 1, -(2**63)]}
    assert canonical_json(edge) == (
        b'{"max":9007199254740991,"min":-9007199254740991,'
        b'"over":["9007199254740992","-9223372036854775808"]}'
    )


tables = st.integers(0, 5).flatmap(
    lambda rows: st.integers(0, 5).flatmap(
        lambda columns: st.tuples(
            st.lists(
                st.integers(-(2**63), 2**63 - 1), min_size=rows * columns, max_size=rows * columns
            ),
            st.lists(st.booleans(), min_size=rows * columns, max_size=rows * columns),
            st.just((rows, columns)),
        )
    )
)


@given(tables)
def test_checked_tables_have_the_bytes_of_the_values_they_hold(
    table: tuple[list[int], list[bool], tuple[int, int]],
) -> None:
    """Tables the records build from NumPy arrays (checked there, written as they are) give the
    bytes of the same rows given as plain values, checked one by one: integers of any int64,
    ``None`` where absent, flags."""
    numbers, flags, shape = table
    values = np.array(numbers, dtype=np.int64).reshape(shape)
    present = np.array(flags, dtype=np.bool_).reshape(shape)
    rows = [
        [v if p else None for v, p in zip(row, mask, strict=True)]
        for row, mask in zip(values.tolist(), present.tolist(), strict=True)
    ]
    for built, plain in (
        (int_table(values, present), rows),
        (int_table(values), values.tolist()),
        (bool_table(present), present.tolist()),
    ):
        assert [list(row) for row in built] == plain
        assert (
            canonical_json({"t": built})
            == canonical_json({"t": plain})
            == rfc8785_json({"t": plain})
        )


@given(st.lists(st.lists(st.dates(), max_size=4), max_size=4))
def test_date_tables_have_the_bytes_of_their_iso_text(rows: list[list[date]]) -> None:
    table = date_table(rows)
    assert type(table) is CheckedTable
    iso = [[day.isoformat() for day in row] for row in rows]
    assert canonical_json(table) == canonical_json(iso) == rfc8785_json(iso)


def test_only_tables_checked_within_the_exact_range_are_trusted() -> None:
    """A value beyond +-(2**53 - 1) leaves the table to the value-by-value check, which writes
    it as digits; the checked table is passed through as it is."""
    inside = int_table(np.array([[SAFE_INTEGER, -SAFE_INTEGER]], dtype=np.int64))
    beyond = int_table(np.array([[SAFE_INTEGER + 1, 0]], dtype=np.int64))
    assert type(inside) is CheckedTable
    assert type(beyond) is not CheckedTable
    assert canonical_json(beyond) == b'[["9007199254740992",0]]'
    assert canonical_json(inside) == b"[[9007199254740991,-9007199254740991]]"
    with pytest.raises(TypeError, match="integer table"):
        int_table(np.zeros((2, 2), dtype=np.float64))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="flag table"):
        bool_table(np.zeros((2, 2), dtype=np.int64))  # type: ignore[arg-type]


def test_the_pinned_settlement_hash_is_unchanged() -> None:
    record = sample_record()
    assert canonical_json(record.as_dict()) == rfc8785_json(record.as_dict())
    assert canonical_json(record.as_dict()) == before(json.loads(record.canonical_json()))
    assert record.settlement_hash().hex() == PINNED_HASH


@pytest.mark.parametrize("page", sorted(DOCS.glob("**/*.md")), ids=lambda p: p.name)
def test_docs_show_no_hash_of_canonical_json_but_the_merkle_example(page: Path) -> None:
    """A hash shown in docs/ outside the Merkle worked example would need a test recomputing
    it through canonical_json: there is none today (a well-known development key is no hash)."""
    text = page.read_text("utf-8").replace(GANACHE_FUNDER_KEY, "the well-known Ganache key")
    if HASH.search(text):
        assert page.name == "merkle.md", f"{page} shows a hash: recompute it in a test"


def test_a_cycle_is_refused_before_json_writes_anything() -> None:
    """json writes without its own cycle check: _plain meets every cycle first."""
    mapping: dict[str, Any] = {"x": 1}
    mapping["self"] = mapping
    rows: list[Any] = [1]
    rows.append(rows)
    for value in (mapping, rows, {"table": [rows]}):
        with pytest.raises(RecursionError):
            canonical_json(value)
