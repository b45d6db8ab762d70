"""A database value that disagrees with the chain."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


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
