"""Compile the project's Solidity contracts through py-solc-x.

The compiler is solcjs from ``local_chain/node_modules`` (pinned by the npm lockfile) behind the
``local_chain/solcjs`` shim, or a native ``solc`` when ``CBP_SOLC`` names one. The artifacts
(ABI, bytecode, compiler version and settings) are committed under ``contracts/artifacts`` and a
test checks that a fresh compile reproduces them byte for byte.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx

from ledger.core.settings import PROJECT_ROOT

CONTRACTS_DIR = PROJECT_ROOT / "contracts"
ARTIFACTS_DIR = CONTRACTS_DIR / "artifacts"
SOLCJS_SHIM = PROJECT_ROOT / "local_chain" / "solcjs"
CONTRACT_NAMES = (
    "CbpRoles",
    "ResourceRegistry",
    "P2PTrading",
    "FlexMarket",
    "MeasurementLedger",
    "SettlementLedger",
    "StatementLedger",
)

#: The newest EVM both local nodes run: Ganache 7.9 stops at Shanghai (PUSH0) and answers
#: "invalid opcode" to Cancun's MCOPY; Anvil and Besu run Shanghai code unchanged.
EVM_VERSION = "shanghai"
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": EVM_VERSION,
    "metadata": {"bytecodeHash": "none"},
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}


class CompilerError(RuntimeError):
    """The Solidity compiler is missing or reported errors."""


@dataclass(frozen=True)
class Artifact:
    """One compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler_version: str

    def to_json(self) -> str:
        document = {
            "contractName": self.name,
            "abi": self.abi,
            "bytecode": self.bytecode,
            "deployedBytecode": self.deployed_bytecode,
            "compiler": {"version": self.compiler_version, "settings": COMPILER_SETTINGS},
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"


def solc_binary(configured: Path | None) -> Path:
    """The compiler to use: ``configured`` (``CBP_SOLC``) when set, else the solcjs shim."""
    binary = configured or SOLCJS_SHIM
    if not configured and not (PROJECT_ROOT / "local_chain/node_modules/solc/solc.js").exists():
        raise CompilerError("solcjs is not installed: run `npm ci` in local_chain/ (make setup)")
    return binary


def compile_contracts(solc: Path | None = None) -> dict[str, Artifact]:
    """Compile every ``contracts/*.sol`` file (with ``solc``, by default the solcjs shim) and
    return the project's contracts by name."""
    sources = {
        path.name: {"content": path.read_text(encoding="utf-8")}
        for path in sorted(CONTRACTS_DIR.glob("*.sol"))
    }
    binary = solc_binary(solc)
    standard_input = {"language": "Solidity", "sources": sources, "settings": COMPILER_SETTINGS}
    try:
        output = solcx.compile_standard(standard_input, solc_binary=binary)
    except solcx.exceptions.SolcError as exc:
        raise CompilerError(str(exc)) from exc
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompilerError("\n".join(e["formattedMessage"] for e in errors))
    version = _compiler_version(binary)
    artifacts: dict[str, Artifact] = {}
    for file_contracts in output["contracts"].values():
        for name, compiled in file_contracts.items():
            if name not in CONTRACT_NAMES:
                continue
            artifacts[name] = Artifact(
                name=name,
                abi=compiled["abi"],
                bytecode="0x" + compiled["evm"]["bytecode"]["object"],
                deployed_bytecode="0x" + compiled["evm"]["deployedBytecode"]["object"],
                compiler_version=version,
            )
    return artifacts


def _compiler_version(binary: Path) -> str:
    completed = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    return lines[-1].removeprefix("Version: ").strip()


def write_artifacts(artifacts: dict[str, Artifact], directory: Path = ARTIFACTS_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for artifact in artifacts.values():
        (directory / f"{artifact.name}.json").write_text(artifact.to_json(), encoding="utf-8")


def load_artifact(name: str, directory: Path = ARTIFACTS_DIR) -> dict[str, Any]:
    """The committed artifact of ``name`` as a dict (``abi``, ``bytecode``, ...)."""
    document: dict[str, Any] = json.loads((directory / f"{name}.json").read_text("utf-8"))
    return document
