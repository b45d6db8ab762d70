"""A platform on a chain that mines a block every second, as production chains do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.world import World, build_world
from ledger.core.chain.anvil import ANVIL_FUNDER_KEY, LOCAL_BLOCK_GAS_LIMIT, AnvilNode

BLOCK_TIME_S = 1


@pytest.fixture(scope="module")
def block_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    folder: Path = tmp_path_factory.mktemp("block-chain")
    node = AnvilNode(
        state_file=folder / "anvil-state.json",
        log_file=folder / "anvil.log",
        block_time_s=BLOCK_TIME_S,
    )
    assert LOCAL_BLOCK_GAS_LIMIT  # the helper's own gas limit holds here too
    with node:
        yield node


@pytest.fixture(scope="module")
def block_world(block_node: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The tests' platform, on the block-time node, applying receipts one block deep."""
    yield from build_world(
        tmp_path_factory.mktemp("block-platform"),
        "sqlite",
        None,
        rpc_url=block_node.rpc_url,
        funder_key=ANVIL_FUNDER_KEY,
        chain_confirmations=1,
        stuck_after_blocks=3,
    )
