"""Decoded event arguments as JSON, and the ids an event mentions.

JSON has no bytes and many JSON readers lose integers beyond 2**53; the index stores bytes as
``0x`` hex and integers outside the signed 64-bit range as decimal strings, so every database
backend and every client reads the same values back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ledger.core.chain.abi import ContractAbi

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def json_value(value: Any) -> Any:
    """``value`` with bytes as ``0x`` hex and huge integers as strings, recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if INT64_MIN <= value <= INT64_MAX else str(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    raise TypeError(f"cannot store {type(value).__name__} in an event's arguments")


def id_arguments(abis: Iterable[ContractAbi]) -> dict[tuple[str, str], tuple[str, ...]]:
    """Per (contract, event): the names of its indexed ``bytes32`` arguments.

    Indexed ``bytes32`` arguments are the ids of records (PODs, UVAMs, relations, later bids
    and trades); hashes of contents are never indexed, so they are not taken for ids.
    """
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for abi in abis:
        for entry in abi.abi:
            if entry["type"] != "event":
                continue
            names = tuple(
                p["name"] for p in entry["inputs"] if p["indexed"] and p["type"] == "bytes32"
            )
            found[(abi.name, entry["name"])] = names
    return found
