"""The fault suite's chain, worker and broker faults on each kind of chain node (``chain``
fixture): a batch of registrations is hurt in flight, and every accepted one ends on chain
exactly once. They run before the journeys, on the same platform, which must still work after.

The worker and broker faults run on the block-time Anvil only: on Ganache, which mines each
transaction at once, they take the same path as on the instant Anvil of tests/faults."""

from __future__ import annotations

import pytest

from faults.scenarios import Result, chain_node_killed_on, redis_restarted_on, worker_killed_on
from tests.chains.conftest import ChainWorld


def _nothing_lost_nothing_duplicated(result: Result) -> None:
    figures = result.figures
    print(f"{result.name}: {figures}")  # shown by pytest -rP: the figures of the run
    assert (figures["lost"], figures["duplicated"]) == (0, 0), figures
    assert figures["succeeded"] == figures["accepted"] > 0, figures
    assert figures["operationsStoredButNeverRun"] == 0, figures
    assert result.passed, figures


def test_chain_node_killed_and_restarted(chain: ChainWorld) -> None:
    _nothing_lost_nothing_duplicated(chain_node_killed_on(chain.world, chain.node))


ON_BLOCKS = pytest.mark.parametrize("chain", ["anvil-1s-blocks"], indirect=True)


@ON_BLOCKS
def test_worker_killed_and_replaced(chain: ChainWorld) -> None:
    _nothing_lost_nothing_duplicated(worker_killed_on(chain.world))


@ON_BLOCKS
def test_broker_restarted(chain: ChainWorld) -> None:
    result = redis_restarted_on(chain.world, chain.broker)
    _nothing_lost_nothing_duplicated(result)
    assert result.figures["postsWhileDownStatuses"] == ["503"], result.figures
