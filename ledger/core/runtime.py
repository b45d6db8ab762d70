"""What a running process needs: settings, the clock, the database, the chain, signers, a
dispatcher.

The API process and each worker build one :class:`Runtime` at start-up and pass it to the
services. A session it opens carries it (:func:`runtime_of`), for the code that is handed a
session only (an operation's handler). Nothing here connects at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import Session

from ledger.core.chain.client import ChainClient, Deployment
from ledger.core.chain.nonces import LocalNonceCounters, NonceCounters
from ledger.core.chain.signer import Signer, load_account
from ledger.core.clock import Clock, clock_for
from ledger.core.db.engine import session_scope
from ledger.core.db.models import Organisation
from ledger.core.errors import Unavailable
from ledger.core.handler import Capabilities
from ledger.core.settings import Settings

#: Key of the runtime in the ``info`` of the sessions it opens.
SESSION_RUNTIME = "cbp_runtime"


class DispatchFailed(Exception):
    """The task queue could not take a task (its broker is unreachable)."""


class Dispatcher(Protocol):
    """Runs a named background task later (Celery in production, a list in unit tests);
    raises :class:`DispatchFailed` when the task cannot be queued."""

    def enqueue(self, task: str, **kwargs: Any) -> None: ...


class AccountLocks(Protocol):
    """Serialises signing per account across processes, so nonces never collide."""

    def hold(self, address: str) -> AbstractContextManager[None]: ...

    def try_hold(self, names: Sequence[str]) -> AbstractContextManager[set[str]]:
        """Hold those of the locks ``names`` that are free; yields the names held (never
        waits)."""
        ...


class ThreadLocks:
    """Per-account locks within one process (tests, single-process tools)."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, address: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(address.lower(), threading.Lock())
        with lock:
            yield

    @contextmanager
    def try_hold(self, names: Sequence[str]) -> Iterator[set[str]]:
        with self._guard:
            locks = {name: self._locks.setdefault(name.lower(), threading.Lock()) for name in names}
        held = {name for name, lock in locks.items() if lock.acquire(blocking=False)}
        try:
            yield held
        finally:
            for name in held:
                locks[name].release()


@dataclass
class Runtime:
    settings: Settings
    rpc_url: str
    dispatcher: Dispatcher
    #: The operation kinds' handlers and what else the capabilities give the core
    #: (``ledger.capabilities.CAPABILITIES``).
    capabilities: Capabilities
    locks: AccountLocks = field(default_factory=ThreadLocks)
    nonces: NonceCounters = field(default_factory=LocalNonceCounters)
    #: The platform's clock, made from the settings (a test may set another).
    clock: Clock = field(init=False, repr=False)
    _chain: ChainClient | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.clock = clock_for(self.settings)

    @property
    def database_url(self) -> str:
        return self.settings.sqlalchemy_url

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.database_url) as session:
            yield self.bind(session)

    def bind(self, session: Session) -> Session:
        """Have ``session`` carry this runtime (:func:`runtime_of`)."""
        session.info[SESSION_RUNTIME] = self
        return session

    def connect(self) -> ChainClient:
        """A new chain client configured by the settings (confirmations, answer timeout)."""
        return ChainClient(
            self.rpc_url,
            confirmations=self.settings.chain_confirmations,
            timeout_s=self.settings.chain_rpc_timeout_s,
        )

    @property
    def chain(self) -> ChainClient:
        if self._chain is None:
            client = self.connect()
            client.deployment = Deployment.load(self.settings.deployments_dir, client.chain_id)
            self._chain = client
        if self._chain.deployment is None:
            self._chain.deployment = Deployment.load(
                self.settings.deployments_dir, self._chain.chain_id
            )
            if self._chain.deployment is None:
                raise Unavailable("the platform contracts are not deployed: run `cbp init`")
        return self._chain

    def signer_for(self, organisation: Organisation) -> Signer:
        path = self.settings.keystores_dir / f"{organisation.id}.json"
        account = load_account(path, self.settings.keystore_password)
        return Signer(account, self.chain.chain_id)


def runtime_of(session: Session) -> Runtime:
    """The runtime whose :meth:`Runtime.session` opened ``session``."""
    runtime = session.info.get(SESSION_RUNTIME)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("this session was not opened by a Runtime (Runtime.session())")
    return runtime


class RecordingDispatcher:
    """Keeps enqueued tasks in a list (service-level tests run them by hand)."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, dict[str, Any]]] = []

    def enqueue(self, task: str, **kwargs: Any) -> None:
        self.tasks.append((task, kwargs))
