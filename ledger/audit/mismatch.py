"""A database value that disagrees with the chain."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ledger.core.domain.canonical import record_hash

COPY = "copy of the verified record's {}"


@dataclass(frozen=True)
class Mismatch:
    """``table``/``row_id``/``field`` name the row; the values are as each side holds them."""

    table: str
    row_id: str
    field: str
    db_value: str | None
    chain_value: str | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def hex_or_none(value: bytes | None) -> str | None:
    """``0x`` hex of a ``bytes32``; ``None`` for the zero value the chain gives for "unset"."""
    if value is None or not any(value):
        return None
    return "0x" + value.hex()


class RowCheck:
    """Collects the mismatches of one database row, field by field."""

    def __init__(self, table: str, row_id: str, found: list[Mismatch]) -> None:
        self.table, self.row_id, self.found = table, row_id, found

    def expect(self, field: str, db_value: Any, chain_value: Any, note: str = "") -> None:
        db_text = None if db_value is None else str(db_value)
        chain_text = None if chain_value is None else str(chain_value)
        if db_text != chain_text:
            self.found.append(Mismatch(self.table, self.row_id, field, db_text, chain_text, note))

    def copies(self, row: Any, record: dict[str, Any], columns: dict[str, str]) -> None:
        """Each column named in ``columns`` holds the record's field of that name."""
        for column, field in columns.items():
            self.expect(column, getattr(row, column), record.get(field), COPY.format(field))

    def recomputed(self, field: str, record: Any, salt: str, chain_hash: str | None) -> None:
        """The hash of ``record`` with ``salt`` must be the one committed on chain."""
        try:
            value = "0x" + record_hash(record, salt=bytes.fromhex(salt)).hex()
        except (TypeError, ValueError) as exc:
            self.expect(field, f"unhashable: {exc}", chain_hash)
            return
        self.expect(field, value, chain_hash, "hash of the stored record and salt")
