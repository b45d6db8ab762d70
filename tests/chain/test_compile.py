"""The committed artifacts are exactly what the pinned compiler makes of the sources."""

from __future__ import annotations

from ledger.chain.compiler import ARTIFACTS_DIR, CONTRACT_NAMES, compile_contracts


def test_fresh_compile_reproduces_committed_artifacts() -> None:
    artifacts = compile_contracts()
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
