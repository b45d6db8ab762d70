"""The platform on Ganache 7.9 (instamine), reached as an external node: CBP_RPC_URL and
CBP_FUNDER_KEY, as a deployment reaches its network."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cli.world import World, build_external_world
from ledger.chain.ganache import GANACHE_CHAIN_ID, GANACHE_FUNDER_KEY, GanacheNode
from tests.chains.journey import run_registration_journey


@pytest.fixture(scope="module")
def ganache_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("ganache")
    with GanacheNode(log_file=tmp / "ganache.log") as node:
        yield from build_external_world(tmp / "platform", node.rpc_url, GANACHE_FUNDER_KEY)


def test_registration_journey_on_ganache(ganache_world: World) -> None:
    assert ganache_world.chain.chain_id == GANACHE_CHAIN_ID
    run_registration_journey(ganache_world)
