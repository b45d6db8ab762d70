"""The committed artifacts are exactly what the pinned compiler makes of the sources."""

from __future__ import annotations

from ledger.core.chain.compiler import (
    ARTIFACTS_DIR,
    CONTRACT_NAMES,
    compile_contracts,
    load_artifact,
)
from ledger.core.settings import Settings


def test_fresh_compile_reproduces_committed_artifacts() -> None:
    artifacts = compile_contracts(Settings().solc)
    assert sorted(artifacts) == sorted(CONTRACT_NAMES)
    committed = sorted(path.stem for path in ARTIFACTS_DIR.glob("*.json"))
    assert committed == sorted(CONTRACT_NAMES)
    for name, artifact in artifacts.items():
        text = (ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8")
        assert artifact.to_json() == text, f"{name}.json is stale: recompile and commit it"
        assert artifact.bytecode.startswith("0x")
        assert len(artifact.bytecode) > 2
        assert artifact.deployed_bytecode.startswith("0x")
        assert len(artifact.deployed_bytecode) > 2


# Opcodes that came after Shanghai (Cancun): Ganache 7.9 answers "invalid opcode" to them.
AFTER_SHANGHAI = {
    0x49: "BLOBHASH",
    0x4A: "BLOBBASEFEE",
    0x5C: "TLOAD",
    0x5D: "TSTORE",
    0x5E: "MCOPY",
}


def _opcodes(code: bytes) -> set[int]:
    """The opcodes of ``code``, skipping PUSH data (the metadata tail is disabled)."""
    seen: set[int] = set()
    position = 0
    while position < len(code):
        opcode = code[position]
        seen.add(opcode)
        position += 1 + (opcode - 0x5F if 0x60 <= opcode <= 0x7F else 0)
    return seen


def test_committed_artifacts_run_on_shanghai_nodes_such_as_ganache() -> None:
    for name in CONTRACT_NAMES:
        artifact = load_artifact(name)
        assert artifact["compiler"]["settings"]["evmVersion"] == "shanghai"
        for field in ("bytecode", "deployedBytecode"):
            used = _opcodes(bytes.fromhex(artifact[field][2:]))
            assert not used & AFTER_SHANGHAI.keys(), (
                f"{name}.{field} uses {[AFTER_SHANGHAI[op] for op in used & AFTER_SHANGHAI.keys()]}"
            )
