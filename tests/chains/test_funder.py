"""`cbp init` and `cbp org add` on an external node where nobody pays gas: the error names
CBP_FUNDER_KEY (and the account and amount), and nothing is created."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from ledger.core.chain.anvil import AnvilNode
from ledger.core.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def fresh_anvil() -> Iterator[AnvilNode]:
    with AnvilNode(state_file=None) as node:
        yield node


def _cbp(
    data_dir: Path, rpc_url: str, *args: str, funder_key: str | None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBP_")}
    env.update({"CBP_DATA_DIR": str(data_dir), "CBP_RPC_URL": rpc_url, "COLUMNS": "200"})
    if funder_key is not None:
        env["CBP_FUNDER_KEY"] = funder_key
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _nothing_created(data_dir: Path) -> None:
    keystores = data_dir / "keystores"
    assert not keystores.exists() or not any(keystores.iterdir())
    assert not (data_dir / "deployments").exists()


def test_init_without_a_funder_names_the_setting(tmp_path: Path, fresh_anvil: AnvilNode) -> None:
    done = _cbp(tmp_path, fresh_anvil.rpc_url, "init", funder_key=None)
    assert done.returncode == 2, done.stdout + done.stderr
    output = " ".join(done.stdout.split())
    assert "error (CBP_FUNDER_KEY)" in output
    assert "no account pays it" in output
    assert "Insufficient funds" not in output
    _nothing_created(tmp_path)


def test_init_with_a_funder_that_holds_nothing_names_it_and_the_amount(
    tmp_path: Path, fresh_anvil: AnvilNode
) -> None:
    broke = Account.create()
    done = _cbp(tmp_path, fresh_anvil.rpc_url, "init", funder_key=broke.key.hex())
    assert done.returncode == 2, done.stdout + done.stderr
    output = " ".join(done.stdout.split())
    assert "error (CBP_FUNDER_KEY)" in output
    assert f"the funder {broke.address}" in output
    assert "holds 0 wei and cannot pay" in output
    _nothing_created(tmp_path)
