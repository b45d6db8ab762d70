"""The platform's clock, in unix seconds: the wall clock, plus the simulated offset of a local
development chain.

On a real network the platform's clock is the wall clock, which the chain's block time follows.
A demo or a test on the local Anvil (or on a Ganache) may need time to pass (an activation's
delivery to end, an answer window to lapse) without waiting for it: :func:`advance` moves the
chain's block time (``evm_increaseTime``) and the platform's clock together by the same number of
seconds, so the
contracts and every platform process (API, workers, the indexer) keep agreeing on the time.
The offset is kept in ``<data dir>/clock-offset-s``, where every process of the platform sees
it. Each process builds one :class:`Clock` at start-up (:func:`clock_for`, in its
:class:`ledger.core.runtime.Runtime`); a :class:`SimulatedClock` looks at the file's status on each
call and reads it again only when the file changed, so running processes follow an advance at
once without reading a file for every ``now()``. Moving it is refused on any chain but a
development one (Anvil's chain id 31337, Ganache's 1337). A local chain restarted from its state
file forgets its time offset (its blocks fall back to the wall clock, behind the
platform's: a new activation's acknowledgement deadline, taken from the block time, would have
passed already); :func:`align_chain` moves it forward again when the local stack starts.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Protocol

from ledger.core.chain.rpc import RpcClient
from ledger.core.settings import Settings

OFFSET_FILE = "clock-offset-s"
#: Development chains whose block time can be moved (``evm_increaseTime``): Anvil's, Ganache's.
LOCAL_CHAIN_IDS = frozenset({31337, 1337})


class Clock(Protocol):
    def now(self) -> int:
        """The platform's clock in unix seconds."""
        ...


class WallClock:
    """The wall clock alone (``CBP_SIMULATED_TIME=false``)."""

    def now(self) -> int:
        return int(time.time())


class SimulatedClock:
    """The wall clock plus the offset in ``<data_dir>/clock-offset-s`` (0 without the file).

    The file is replaced, never rewritten in place (:func:`advance`), so a new inode, size or
    modification time tells that it changed: one ``stat`` per call, one read per change.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / OFFSET_FILE
        self._seen: tuple[tuple[int, int, int], int] | None = None

    def offset_s(self) -> int:
        """Seconds the platform's clock runs ahead of the wall clock (0 unless advanced)."""
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return 0
        version = (status.st_ino, status.st_size, status.st_mtime_ns)
        seen = self._seen
        if seen is None or seen[0] != version:
            try:
                seen = (version, int(self.path.read_text().strip() or 0))
            except FileNotFoundError:
                return 0
            self._seen = seen
        return seen[1]

    def now(self) -> int:
        return int(time.time()) + self.offset_s()

    def set_offset(self, offset_s: int) -> None:
        """Replace the offset file (for every process of the platform); :func:`advance` moves
        the chain along with it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(str(offset_s))
        temporary.replace(self.path)


def clock_for(settings: Settings) -> Clock:
    """The clock of a process configured by ``settings``."""
    return SimulatedClock(settings.data_dir) if settings.simulated_time else WallClock()


def advance(settings: Settings, rpc_url: str, seconds: int) -> int:
    """Move the local chain's block time and the platform's clock ahead by ``seconds``; return
    the new offset. A block is mined so that the chain's latest time shows it at once."""
    if seconds <= 0:
        raise ValueError("the clock only moves forward")
    if not settings.simulated_time:
        raise RuntimeError("simulated time is off (CBP_SIMULATED_TIME=false)")
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
    clock = SimulatedClock(settings.data_dir)
    offset = clock.offset_s() + seconds
    clock.set_offset(offset)
    return offset


def advance_past(settings: Settings, rpc_url: str, moment: int, *, margin_s: int = 5) -> int:
    """Move the local chain's and the platform's clocks to ``margin_s`` past ``moment`` (a gate
    closure, the end of a delivery), unless they are there already; return the offset."""
    clock = SimulatedClock(settings.data_dir)
    behind = moment + margin_s - clock.now()
    if behind > 0:
        return advance(settings, rpc_url, behind)
    return clock.offset_s()


def align_chain(settings: Settings, rpc_url: str) -> int:
    """Move a local chain whose block time lags the platform's clock (restarted from its state
    file, which does not keep ``evm_increaseTime``) forward to it; return the seconds moved.
    Nothing happens without an offset, or on any chain but the local one."""
    clock = SimulatedClock(settings.data_dir)
    if not settings.simulated_time or clock.offset_s() <= 0:
        return 0
    rpc = RpcClient(rpc_url)
    try:
        if int(rpc.call("eth_chainId"), 16) not in LOCAL_CHAIN_IDS:
            return 0
        rpc.call("evm_mine", [])
        latest = int(rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        behind = clock.now() - latest
        if behind <= 1:
            return 0
        rpc.call("evm_increaseTime", [behind])
        rpc.call("evm_mine", [])
        return behind
    finally:
        rpc.close()
