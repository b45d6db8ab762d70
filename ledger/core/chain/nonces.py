"""Per-signer nonce counters: many transactions of one account in flight at once.

The counter of an account is seeded from the node's ``eth_getTransactionCount(pending)`` and
then advances locally, so an organisation's next transaction is signed while its previous ones
are still unmined, without asking the node. It is trusted over a node whose pending count lags
(a node behind a load balancer may not have seen the last transactions yet), and forgotten,
so that the next reservation reseeds from the node, whenever the node refuses a nonce or a
reserved nonce could not be stored. Callers hold the account's signing lock.
"""

from __future__ import annotations

import threading
from typing import Protocol


class NonceCounters(Protocol):
    """Where the next nonce of each account is kept (Redis across processes)."""

    def get(self, address: str) -> int | None: ...

    def set(self, address: str, next_nonce: int) -> None: ...

    def forget(self, address: str) -> None: ...


class LocalNonceCounters:
    """Counters within one process (tests, single-process tools)."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._guard = threading.Lock()

    def get(self, address: str) -> int | None:
        with self._guard:
            return self._next.get(address.lower())

    def set(self, address: str, next_nonce: int) -> None:
        with self._guard:
            self._next[address.lower()] = next_nonce

    def forget(self, address: str) -> None:
        with self._guard:
            self._next.pop(address.lower(), None)


def reserve(counters: NonceCounters, address: str, *, pending_count: int, count: int) -> int:
    """Reserve ``count`` consecutive nonces of ``address``; return the first.

    ``pending_count`` is the node's view: a counter behind it (another tool sent from the
    account) moves up to it.
    """
    stored = counters.get(address)
    first = pending_count if stored is None else max(stored, pending_count)
    counters.set(address, first + count)
    return first
