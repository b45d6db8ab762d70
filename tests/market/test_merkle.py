"""Merkle trees of measurement batches (pure): proofs for every leaf, tampering detected."""

from __future__ import annotations

import pytest

from ledger.market.merkle import (
    fold,
    merkle_proof,
    merkle_root,
    node_hash,
    reading_leaf,
    tree_levels,
    verify,
)
from ledger.measurements.readings import Series, batch_root

KEY = bytes(range(32))


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100])
def test_every_leaf_has_a_proof(count: int) -> None:
    leaves = [reading_leaf(KEY, 1_700_000_000 + 60 * i, i * 7 - 50) for i in range(count)]
    levels = tree_levels(leaves)
    root = levels[-1][0]
    assert root == merkle_root(leaves)
    for index, leaf in enumerate(leaves):
        proof = merkle_proof(levels, index)
        assert verify(leaf, proof, root)
        assert not verify(
            reading_leaf(KEY, 1_700_000_000 + 60 * index, index * 7 - 49), proof, root
        )


def test_single_leaf_is_its_own_root_and_pairs_are_sorted() -> None:
    leaf = reading_leaf(KEY, 0, 0)
    assert merkle_root([leaf]) == leaf
    assert merkle_proof(tree_levels([leaf]), 0) == []
    a, b = reading_leaf(KEY, 60, 1), reading_leaf(KEY, 120, 2)
    assert node_hash(a, b) == node_hash(b, a) == merkle_root([a, b]) == merkle_root([b, a])


def test_two_tier_batch_proofs_fold_into_the_batch_root() -> None:
    keys = [bytes([k]) * 32 for k in (9, 3, 5)]
    series = [Series(f"r{i}", 1_700_000_040, 60, [100 + i, None, 102, 103 + i]) for i in range(3)]
    roots = [(key, s.root(key)) for key, s in zip(keys, series, strict=True)]
    root = batch_root(roots)
    ordered = sorted(roots)
    top = tree_levels([r for _, r in ordered])
    for key, s in zip(keys, series, strict=True):
        leaves = s.leaves(key)
        position = [k for k, _ in ordered].index(key)
        for index, leaf in enumerate(leaves):
            path = merkle_proof(tree_levels(leaves), index) + merkle_proof(top, position)
            assert fold(leaf, path) == root


def test_leaf_encoding_bounds() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        reading_leaf(b"short", 0, 0)
    with pytest.raises(ValueError, match="uint40"):
        reading_leaf(KEY, 2**40, 0)
    with pytest.raises(ValueError, match="int64"):
        reading_leaf(KEY, 0, 2**63)
    with pytest.raises(ValueError, match="at least one leaf"):
        tree_levels([])
    assert reading_leaf(KEY, 0, -1) != reading_leaf(KEY, 0, 1)
