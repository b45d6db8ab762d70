"""The platform on an Anvil that mines a block every second, reached as an external node, with
one confirmation before a result counts: nothing may assume a transaction is mined (or final)
the moment it is sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cli.world import World, build_external_world
from ledger.chain.anvil import ANVIL_FUNDER_KEY, AnvilNode
from tests.chains.journey import run_registration_journey


@pytest.fixture(scope="module")
def block_time_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("anvil-block-time")
    with AnvilNode(state_file=None, block_time_s=1, log_file=tmp / "anvil.log") as node:
        yield from build_external_world(
            tmp / "platform", node.rpc_url, ANVIL_FUNDER_KEY, chain_confirmations=1
        )


def test_registration_journey_on_anvil_with_one_second_blocks(block_time_world: World) -> None:
    chain = block_time_world.chain
    assert chain.confirmations == 1
    run_registration_journey(block_time_world)
