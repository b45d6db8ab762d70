"""The platform's clock, in unix seconds: the wall clock, plus the simulated offset of a local
development chain.

On a real network the platform's clock is the wall clock, which the chain's block time follows.
A demo or a test on the local Anvil (or on a Ganache) may need time to pass (an activation's
delivery to end, an answer window to lapse) without waiting for it: :func:`advance` moves the
chain's block time (``evm_increaseTime``) and the platform's clock together by the same number of
seconds, so the
contracts and every platform process (API, workers, the indexer) keep agreeing on the time.
The offset is kept in ``<data dir>/clock-offset-s``, read on every call, so running processes
follow it at once. It is refused on any chain but a development one (Anvil's chain id 31337,
Ganache's 1337). A local chain restarted from
its state file forgets its time offset (its blocks fall back to the wall clock, behind the
platform's: a new activation's acknowledgement deadline, taken from the block time, would have
passed already); :func:`align_chain` moves it forward again when the local stack starts.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ledger.core.chain.rpc import RpcClient
from ledger.core.settings import Settings, get_settings

OFFSET_FILE = "clock-offset-s"
#: Development chains whose block time can be moved (``evm_increaseTime``): Anvil's, Ganache's.
LOCAL_CHAIN_IDS = frozenset({31337, 1337})


def _offset_path(data_dir: Path | None = None) -> Path:
    if data_dir is None:
        configured = os.environ.get("CBP_DATA_DIR")
        data_dir = Path(configured) if configured else get_settings().data_dir
    return data_dir / OFFSET_FILE


def offset_s(data_dir: Path | None = None) -> int:
    """Seconds the platform's clock runs ahead of the wall clock (0 unless advanced)."""
    try:
        return int(_offset_path(data_dir).read_text().strip() or 0)
    except FileNotFoundError:
        return 0


def now(data_dir: Path | None = None) -> int:
    """The platform's clock in unix seconds (of the platform whose data folder is ``data_dir``,
    by default this process's)."""
    return int(time.time()) + offset_s(data_dir)


def advance(settings: Settings, rpc_url: str, seconds: int) -> int:
    """Move the local chain's block time and the platform's clock ahead by ``seconds``; return
    the new offset. A block is mined so that the chain's latest time shows it at once."""
    if seconds <= 0:
        raise ValueError("the clock only moves forward")
    rpc = RpcClient(rpc_url)
    try:
        chain_id = int(rpc.call("eth_chainId"), 16)
        if chain_id not in LOCAL_CHAIN_IDS:
            raise RuntimeError(
                f"simulated time is for a development chain only (Anvil, Ganache), not chain"
                f" {chain_id}"
            )
        rpc.call("evm_increaseTime", [seconds])
        rpc.call("evm_mine", [])
    finally:
        rpc.close()
    offset = offset_s(settings.data_dir) + seconds
    path = _offset_path(settings.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(str(offset))
    temporary.replace(path)
    return offset


def advance_past(settings: Settings, rpc_url: str, moment: int, *, margin_s: int = 5) -> int:
    """Move the local chain's and the platform's clocks to ``margin_s`` past ``moment`` (a gate
    closure, the end of a delivery), unless they are there already; return the offset."""
    behind = moment + margin_s - now(settings.data_dir)
    if behind > 0:
        return advance(settings, rpc_url, behind)
    return offset_s(settings.data_dir)


def align_chain(settings: Settings, rpc_url: str) -> int:
    """Move a local chain whose block time lags the platform's clock (restarted from its state
    file, which does not keep ``evm_increaseTime``) forward to it; return the seconds moved.
    Nothing happens without an offset, or on any chain but the local one."""
    if offset_s(settings.data_dir) <= 0:
        return 0
    rpc = RpcClient(rpc_url)
    try:
        if int(rpc.call("eth_chainId"), 16) not in LOCAL_CHAIN_IDS:
            return 0
        rpc.call("evm_mine", [])
        latest = int(rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        behind = now(settings.data_dir) - latest
        if behind <= 1:
            return 0
        rpc.call("evm_increaseTime", [behind])
        rpc.call("evm_mine", [])
        return behind
    finally:
        rpc.close()
