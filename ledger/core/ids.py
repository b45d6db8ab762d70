"""Identifiers: UUIDs off chain, and the bytes32 key each record has on chain.

The chain key is a hash of the record's kind and UUID: it reveals nothing about the record
(a POD code never appears on chain), yet anyone holding the database row can recompute it.
"""

from __future__ import annotations

import uuid

from eth_utils import keccak


def new_id() -> str:
    return str(uuid.uuid4())


def chain_key(kind: str, record_id: str) -> str:
    """``0x``-prefixed hex of keccak256("cbp:<kind>:<uuid>")."""
    return "0x" + keccak(text=f"cbp:{kind}:{record_id}").hex()


def to_bytes32(hex_value: str) -> bytes:
    raw = bytes.fromhex(hex_value.removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes, got {len(raw)}")
    return raw


def to_hex(raw: bytes) -> str:
    return "0x" + raw.hex()
