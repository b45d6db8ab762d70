"""Merkle commitments of measurement batches, with proofs for single readings.

The scheme is the one ``MeasurementLedger`` verifies on chain:

* leaf of a reading: ``keccak256(0x00 || resourceKey (32 bytes) || timestamp (uint40, 5 bytes)
  || valueW (int64, 8 bytes))``;
* inner node: ``keccak256(0x01 || min(a, b) || max(a, b))`` - sorting the pair makes a proof a
  plain list of sibling hashes; the distinct prefixes and lengths keep leaves and nodes apart;
* an odd node at the end of a level moves up unchanged (no sibling, nothing in the proof).

A batch's tree has two tiers that fold into one: a subtree per resource over its readings in
time order, then a tree over the subtrees' roots ordered by resource key. The proof of a reading
is its path in its resource's subtree followed by that subtree's path in the top tree; verifying
it is the same fold either way. Storing the per-resource roots lets the platform answer a proof
by rehashing one resource's readings instead of the whole batch.

``docs/merkle.md`` documents the encoding byte by byte with a worked example, which
``tests/market/test_merkle_worked_example.py`` checks against this module and the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

try:  # safe-pysha3's C Keccak: about 8x pycryptodome's per call on short inputs (leaves, nodes)
    from sha3 import keccak_256 as _keccak_256

    def keccak256(data: bytes) -> bytes:
        return bytes(_keccak_256(data).digest())

except ImportError:  # pragma: no cover - the same hash, slower
    try:  # pycryptodome's Keccak is about 40 % faster than going through eth-hash
        from Crypto.Hash import keccak as _keccak

        def keccak256(data: bytes) -> bytes:
            return bytes(_keccak.new(data=data, digest_bits=256).digest())

    except ImportError:  # eth-hash picks whatever backend is installed
        from eth_utils import keccak as _eth_keccak

        def keccak256(data: bytes) -> bytes:
            return bytes(_eth_keccak(data))


LEAF_PREFIX: Final = b"\x00"
NODE_PREFIX: Final = b"\x01"
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def reading_leaf(resource_key: bytes, timestamp: int, value_w: int) -> bytes:
    """The leaf of one reading, as ``MeasurementLedger.readingLeaf`` computes it."""
    if len(resource_key) != 32:
        raise ValueError("resource key must be 32 bytes")
    if not 0 <= timestamp < 2**40:
        raise ValueError("timestamp out of uint40 range")
    if not _INT64_MIN <= value_w <= _INT64_MAX:
        raise ValueError("value out of int64 range")
    return keccak256(
        LEAF_PREFIX
        + resource_key
        + timestamp.to_bytes(5, "big")
        + value_w.to_bytes(8, "big", signed=True)
    )


def node_hash(a: bytes, b: bytes) -> bytes:
    return keccak256(NODE_PREFIX + a + b if a < b else NODE_PREFIX + b + a)


def tree_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """All levels of the tree, leaves first, root last (a one-element list)."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    levels = [list(leaves)]
    level = levels[0]
    while len(level) > 1:
        upper = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            upper.append(level[-1])
        levels.append(upper)
        level = upper
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    return tree_levels(leaves)[-1][0]


def merkle_proof(levels: Sequence[Sequence[bytes]], index: int) -> list[bytes]:
    """Sibling hashes from leaf ``index`` up to (not including) the root."""
    if not 0 <= index < len(levels[0]):
        raise IndexError("leaf index out of range")
    proof = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        index //= 2
    return proof


def fold(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    node = leaf
    for sibling in proof:
        node = node_hash(node, sibling)
    return node


def verify(leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """What ``MeasurementLedger.verifyReading`` answers, computed locally."""
    return fold(leaf, proof) == root
