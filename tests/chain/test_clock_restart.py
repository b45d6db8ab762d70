"""The platform's clock and a local chain restarted from its state file (issue 12, item 12).

A demo moves the chain's and the platform's clocks ahead together (``ledger.core.clock.advance``);
the chain's state file does not keep that offset, so a chain restarted by ``make up`` fell back
to the wall clock while the platform kept its offset: a new activation's acknowledgement
deadline (block time + the window) had passed at once. The local stack now moves a restarted
chain forward to the platform's clock.
"""

from __future__ import annotations

from pathlib import Path

from ledger.core import clock
from ledger.core.chain.rpc import RpcClient
from ledger.core.settings import Settings
from ledger.local_stack import LocalStack

AHEAD_S = 7200


def _block_time(rpc_url: str) -> int:
    rpc = RpcClient(rpc_url)
    try:
        rpc.call("evm_mine", [])
        return int(rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    finally:
        rpc.close()


def test_a_restarted_local_chain_follows_the_moved_platform_clock(tmp_path: Path) -> None:
    # a Redis URL of its own keeps the stack from starting a broker this test does not need
    settings = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0")
    with LocalStack(settings) as stack:
        clock.advance(settings, stack.rpc_url, AHEAD_S)
        assert _block_time(stack.rpc_url) >= clock.clock_for(settings).now() - 60
    with LocalStack(settings) as stack:  # restarted from its state file
        # the chain's clock is the platform's again, not the wall clock two hours behind it
        assert abs(_block_time(stack.rpc_url) - clock.clock_for(settings).now()) < AHEAD_S // 2
