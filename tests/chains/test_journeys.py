"""The main journeys on each kind of chain node (``chain`` fixture): registration, the market
with its settlement, and a P2P trading window. Nothing may assume a transaction is mined the
moment it is sent: on the Anvil every result waits for a block and one confirmation."""

from __future__ import annotations

from rich.console import Console

from cli.market_demo import run_market_journey
from cli.p2p import run_window_demo
from ledger.core.chain.ganache import GANACHE_CHAIN_ID
from tests.chains.conftest import ChainWorld
from tests.chains.journey import demo_api, run_registration_journey
from tests.p2p.conftest import add_operators


def test_registration_journey(chain: ChainWorld) -> None:
    client = chain.world.chain
    if chain.kind == "ganache":
        assert client.chain_id == GANACHE_CHAIN_ID
    else:
        assert client.confirmations == 1
    run_registration_journey(chain.world)


def test_market_journey_to_its_settlement(chain: ChainWorld) -> None:
    """Bids, a DSO block, clearing, activation and acknowledgement, measurements with a proof
    checked on chain, settlement and the BSP's acceptance: the steps of ``cbp market demo``."""
    outcomes: list[tuple[str, bool, str]] = []
    run_market_journey(
        chain.world.platform,
        demo_api(chain.world),
        lambda what, ok, detail: outcomes.append((what, ok, detail)),
        Console(width=120),
    )
    assert len(outcomes) >= 8, outcomes
    assert [o for o in outcomes if not o[1]] == []


def test_p2p_window_journey(chain: ChainWorld) -> None:
    """EVs, deposits, sessions, a window and its matching, trades added, confirmed and
    rejected: the steps of the demo's P2P window."""
    world = chain.world
    add_operators(world)
    finished = run_window_demo(
        api_url=world.api_url,
        operator_token=world.tokens["p2p-cpo"],
        bsp_token=world.tokens["bsp1"],
        out=Console(width=120),
    )
    assert finished == 0
