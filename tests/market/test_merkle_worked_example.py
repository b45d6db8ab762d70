"""The Merkle worked example of ``docs/merkle.md`` (issue 12, item 4): recomputed from the
documented encoding with plain ``eth_hash`` code (independent of ``ledger/market/merkle.py``),
then checked against the platform's code and against ``MeasurementLedger`` on the real chain.
The example is read from the page itself, so the docs, the code and the contract cannot drift
apart."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from ledger.core.chain.client import Call
from ledger.market import merkle
from ledger.measurements.readings import Series, batch_root

DOC = Path(__file__).resolve().parents[2] / "docs" / "merkle.md"


def worked_example() -> dict[str, Any]:
    """The JSON block under "## Worked example" in docs/merkle.md."""
    text = DOC.read_text(encoding="utf-8").split("## Worked example", 1)[1]
    match = re.search(r"```json\n(.*?)\n```", text, re.DOTALL)
    assert match is not None, "docs/merkle.md has no worked example"
    example: dict[str, Any] = json.loads(match.group(1))
    return example


def h(value: bytes) -> str:
    return "0x" + value.hex()


def b(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


# ------------------------------------------------- the documented rules, written out again


def documented_leaf(resource_key: bytes, timestamp: int, value_w: int) -> bytes:
    """0x00 || resourceKey (32) || uint40 big-endian (5) || int64 big-endian (8): 46 bytes."""
    return (
        b"\x00"
        + resource_key
        + timestamp.to_bytes(5, "big")
        + value_w.to_bytes(8, "big", signed=True)
    )


def documented_node(a: bytes, c: bytes) -> bytes:
    """0x01 || smaller hash || larger hash: 65 bytes."""
    return b"\x01" + min(a, c) + max(a, c)


def documented_root(hashes: list[bytes], visit: Callable[[bytes, bytes, bytes], None]) -> bytes:
    """Fold a level left to right in pairs, an odd last hash moving up unchanged."""
    level = hashes
    while len(level) > 1:
        upper = []
        for i in range(0, len(level) - 1, 2):
            data = documented_node(level[i], level[i + 1])
            visit(level[i], level[i + 1], data)
            upper.append(keccak(data))
        if len(level) % 2:
            upper.append(level[-1])
        level = upper
    return level[0]


def test_the_worked_example_follows_the_documented_encoding() -> None:
    example = worked_example()
    by_resource: dict[bytes, list[tuple[int, bytes]]] = {}
    for reading in example["readings"]:
        key = b(reading["resourceKey"])
        data = documented_leaf(key, reading["timestamp"], reading["valueW"])
        assert len(data) == 46
        assert reading["bytes"] == h(data)
        assert reading["hash"] == h(keccak(data))
        by_resource.setdefault(key, []).append((reading["timestamp"], keccak(data)))

    nodes: list[dict[str, Any]] = []

    def visit(left: bytes, right: bytes, data: bytes) -> None:
        assert len(data) == 65
        nodes.append({"children": [h(left), h(right)], "bytes": h(data), "hash": h(keccak(data))})

    roots = sorted(
        (key, documented_root([leaf for _, leaf in sorted(leaves)], visit))
        for key, leaves in by_resource.items()
    )
    root = documented_root([r for _, r in roots], visit)

    documented = [{k: n[k] for k in ("children", "bytes", "hash")} for n in example["nodes"]]
    assert sorted(nodes, key=lambda n: n["hash"]) == sorted(documented, key=lambda n: n["hash"])
    assert [(r["resourceKey"], r["root"]) for r in example["resourceRoots"]] == [
        (h(key), h(r)) for key, r in roots
    ]
    assert example["root"] == h(root)

    # the proof folds into the root with the documented node rule
    proof = example["proof"]
    node = b(proof["leaf"])
    for sibling in proof["siblings"]:
        node = keccak(documented_node(node, b(sibling)))
    assert h(node) == example["root"]
    # sorting the pairs without the 0x01 prefix does not give the root (the old docs' rule)
    bare = b(proof["leaf"])
    for sibling in proof["siblings"]:
        bare = keccak(min(bare, b(sibling)) + max(bare, b(sibling)))
    assert h(bare) != example["root"]


def _series(example: dict[str, Any]) -> list[tuple[bytes, Series]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for reading in example["readings"]:
        grouped.setdefault(reading["resourceKey"], []).append(reading)
    return [
        (
            b(key),
            Series(rows[0]["resource"], rows[0]["timestamp"], 60, [r["valueW"] for r in rows]),
        )
        for key, rows in grouped.items()
    ]


def test_the_platform_code_gives_the_worked_example() -> None:
    example = worked_example()
    for reading in example["readings"]:
        leaf = merkle.reading_leaf(
            b(reading["resourceKey"]), reading["timestamp"], reading["valueW"]
        )
        assert h(leaf) == reading["hash"]
    series = _series(example)
    assert h(batch_root([(key, s.root(key)) for key, s in series])) == example["root"]
    # the proof as the proof endpoint builds it: the resource's path, then the top path
    proof = example["proof"]
    key, resource = next((k, s) for k, s in series if s.resource_id == proof["resource"])
    leaves = resource.leaves(key)
    index = [t for t, _ in resource.readings()].index(proof["timestamp"])
    top = sorted((k, s.root(k)) for k, s in series)
    path = merkle.merkle_proof(merkle.tree_levels(leaves), index) + merkle.merkle_proof(
        merkle.tree_levels([r for _, r in top]), [k for k, _ in top].index(key)
    )
    assert [h(p) for p in path] == proof["siblings"]
    assert merkle.verify(b(proof["leaf"]), path, b(example["root"]))


def test_the_contract_verifies_the_worked_example(world: Any) -> None:
    example = worked_example()
    chain = world.chain
    for reading in example["readings"]:
        leaf = chain.read(
            "MeasurementLedger",
            "readingLeaf",
            b(reading["resourceKey"]),
            reading["timestamp"],
            reading["valueW"],
        )
        assert h(leaf) == reading["hash"]
    # commit the example's root as a DSO's POD batch, then verify the documented proof on chain
    batch_key = keccak(f"merkle worked example {id(world)}".encode())
    signer = world.runtime.signer_for(world.organisations["dso1"])
    [receipt] = chain.transact(
        signer,
        [
            Call(
                "MeasurementLedger",
                "commitBatch",
                (batch_key, 1, b(example["root"]), len(example["readings"]), bytes(32)),
            )
        ],
    )
    assert receipt.succeeded
    proof = example["proof"]
    siblings = [b(s) for s in proof["siblings"]]
    assert chain.read("MeasurementLedger", "verifyReading", batch_key, b(proof["leaf"]), siblings)
    other = b(example["readings"][0]["hash"])  # another reading with this proof: refused
    assert not chain.read("MeasurementLedger", "verifyReading", batch_key, other, siblings)
