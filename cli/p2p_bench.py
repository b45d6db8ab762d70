"""Benchmark: P2P trades matched and recorded on chain per second, beside the raw Anvil ceiling.

One run on a fresh local chain and database:

1. setup (not timed): a fresh Anvil (no state file), an SQLite database, the platform, an
   infrastructure operator and a BSP; ``evs`` EVs
   registered, the buyers funded, one charging session reported per EV;
2. **match**: the operator opens one trading window over all sessions - Eqs. 1-5 for every EV,
   the window committed on chain, the matched trades written to the database;
3. **record**: the BSP submits all matched trades (Add Batch), created Pending on chain in
   batched transactions, and mirrored in the database;
4. **confirm**: the operator confirms all of them;
5. **ceiling**: the same Anvil, fed pre-signed plain ether transfers in JSON-RPC batches over
   one HTTP session until every receipt is in - once on the fresh chain before the setup, and
   once after phase 4, on the chain the phases ran on (Anvil gets slower per block as its
   state grows, so both figures are shown).

Phases 2-4 run the platform's own services and operation executor (``operations.run``)
in process: everything a Celery worker does, without the broker hop.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from eth_account import Account
from sqlmodel import Session, select

from ledger.capabilities import CAPABILITIES
from ledger.core import operations
from ledger.core.chain.anvil import ANVIL_FUNDER_KEY, AnvilNode
from ledger.core.chain.client import ChainClient
from ledger.core.chain.signer import Signer
from ledger.core.db.models import Operation, Organisation
from ledger.core.domain.enums import Role
from ledger.core.domain.identifiers import make_eic
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.core.settings import Settings
from ledger.p2p import service as p2p
from ledger.p2p.case_study import CAPACITIES_KWH
from ledger.p2p.schemas import MAX_TRADES, DepositItem, EvCreate, SessionReportIn, WindowCreate
from ledger.p2p.tables import P2PTrade
from ledger.registry import organisations
from ledger.schema.migrate import upgrade

__all__ = ["BenchResult", "raw_ceiling", "run_p2p_benchmark"]

RAW_BATCH = 500


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float
    records: int
    transactions: int
    gas: int

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class BenchResult:
    evs: int
    buyers: int
    sellers: int
    trades: int
    setup_seconds: float
    match: Phase
    record: Phase
    confirm: Phase
    raw_transactions: int
    raw_seconds_fresh: float
    raw_seconds: float

    @property
    def matched_and_recorded_per_second(self) -> float:
        return self.trades / (self.match.seconds + self.record.seconds)

    @property
    def end_to_end_per_second(self) -> float:
        return self.trades / (self.match.seconds + self.record.seconds + self.confirm.seconds)

    @property
    def raw_per_second(self) -> float:
        """The ceiling on the chain as the phases found it (its state grown by the setup)."""
        return self.raw_transactions / self.raw_seconds

    @property
    def raw_per_second_fresh(self) -> float:
        """The ceiling on the fresh chain, before the setup."""
        return self.raw_transactions / self.raw_seconds_fresh


def run_p2p_benchmark(
    *,
    evs: int,
    raw_transactions: int,
    data_dir: Path,
    seed: int = 2024,
    progress: Callable[[str], None] = lambda _: None,
    node_guard: Callable[[str], AbstractContextManager[object]] = lambda _: nullcontext(),
) -> BenchResult:
    """Run the benchmark on a fresh local stack in ``data_dir``. ``node_guard`` is entered with
    the node's URL around everything: the CLI uses it to tune the local Anvil, which only
    development tooling may do."""
    # A node of its own, without a state file: dumping a growing state every few seconds
    # would be measured too. No broker either: operations run in process.
    with AnvilNode(state_file=None, log_file=data_dir / "anvil.log") as node:
        settings = Settings(
            data_dir=data_dir,
            keystore_password="bench-password",
            rpc_url=node.rpc_url,
            funder_key=ANVIL_FUNDER_KEY,
        )
        upgrade(settings.sqlalchemy_url)
        with node_guard(node.rpc_url):
            runtime = Runtime(
                settings=settings,
                rpc_url=node.rpc_url,
                dispatcher=RecordingDispatcher(),
                capabilities=CAPABILITIES,
            )
            progress(f"ceiling on the fresh chain: {raw_transactions} pre-signed transfers")
            raw_seconds_fresh = raw_ceiling(ChainClient(node.rpc_url), raw_transactions)
            started = time.perf_counter()
            operator, agent, buyers = _setup(runtime, evs, seed, progress)
            setup_seconds = time.perf_counter() - started

            progress("match: one window over every session")
            match, [window_op] = _timed(
                runtime,
                "match",
                _once(
                    lambda session: p2p.open_window(
                        runtime,
                        session,
                        operator=_org(session, operator),
                        request=WindowCreate(price_eur_per_kwh=Decimal("0.15")),
                    )
                ),
                records=lambda op: len(op.payload["trades"]),
            )
            window_id = window_op.target_id or ""
            progress(f"record: {match.records} matched trades, Add Batch")
            record, _ = _timed(
                runtime,
                "record",
                _until_none_remain(
                    lambda session: p2p.submit_matched(
                        runtime,
                        session,
                        agent=_org(session, agent),
                        window_id=window_id,
                    )
                ),
                records=lambda op: len((op.result or {}).get("tradeIds", [])),
            )
            with runtime.session() as session:
                trade_ids = list(
                    session.exec(select(P2PTrade.id).where(P2PTrade.window_id == window_id)).all()
                )
            progress(f"confirm: {len(trade_ids)} trades")
            batches = iter(
                [trade_ids[i : i + MAX_TRADES] for i in range(0, len(trade_ids), MAX_TRADES)]
            )
            confirm, _ = _timed(
                runtime,
                "confirm",
                lambda session: (
                    None
                    if (ids := next(batches, None)) is None
                    else p2p.confirm_trades(
                        runtime, session, operator=_org(session, operator), trade_ids=ids
                    )
                ),
                records=lambda op: len((op.result or {}).get("tradeIds", [])),
            )
            progress(f"ceiling after the run: {raw_transactions} pre-signed transfers")
            raw_seconds = raw_ceiling(runtime.chain, raw_transactions)
            return BenchResult(
                evs=evs,
                buyers=len(buyers),
                sellers=evs - len(buyers),
                trades=record.records,
                setup_seconds=setup_seconds,
                match=match,
                record=record,
                confirm=confirm,
                raw_transactions=raw_transactions,
                raw_seconds_fresh=raw_seconds_fresh,
                raw_seconds=raw_seconds,
            )


def _org(session: Session, slug: str) -> Organisation:
    organisation = session.get(Organisation, slug)
    assert organisation is not None
    return organisation


NextOperation = Callable[[Session], Operation | None]


def _once(accept: Callable[[Session], Operation]) -> NextOperation:
    calls = iter([accept])
    return lambda session: None if (f := next(calls, None)) is None else f(session)


def _until_none_remain(accept: Callable[[Session], Operation]) -> NextOperation:
    """Add Batch again while the last answer said matched trades remain."""
    remaining: list[int] = []

    def next_operation(session: Session) -> Operation | None:
        if remaining and remaining[-1] == 0:
            return None
        operation = accept(session)
        remaining.append(operation.payload["remainingMatched"])
        return operation

    return next_operation


def _timed(
    runtime: Runtime,
    name: str,
    next_operation: NextOperation,
    *,
    records: Callable[[Operation], int],
) -> tuple[Phase, list[Operation]]:
    """Accept operations (validation, simulation) and execute each to its end, until
    ``next_operation`` has none left; time it all."""
    started = time.perf_counter()
    done: list[Operation] = []
    while True:
        with runtime.session() as session:
            operation = next_operation(session)
            if operation is None:
                break
            session.commit()
            operation_id = operation.id
        finished = operations.run(runtime, operation_id)
        if finished.status != operations.OperationStatus.SUCCEEDED:
            raise RuntimeError(f"{name} failed: {finished.error}")
        done.append(finished)
    seconds = time.perf_counter() - started
    phase = Phase(
        name,
        seconds,
        sum(records(op) for op in done),
        sum(len(op.transaction_hashes or []) for op in done),
        sum(op.gas_used or 0 for op in done),
    )
    return phase, done


def _setup(
    runtime: Runtime, evs: int, seed: int, progress: Callable[[str], None]
) -> tuple[str, str, list[str]]:
    rng = random.Random(seed)
    settings = runtime.settings
    progress("setup: platform, operator and BSP")
    with runtime.session() as session:
        organisations.init_platform(
            settings,
            session,
            ChainClient(runtime.rpc_url),
            slug="tso",
            name="TSO",
            eic="10X1001A1001A345",
            funder_key=settings.funder_key,
        )
        session.commit()
        for slug, role, prefix in (
            ("cpo", Role.OPERATOR, "10XCPO-BENCH---"),
            ("bsp", Role.BSP, "21XBSP-BENCH---"),
        ):
            organisations.add_organisation(
                runtime,
                session,
                slug=slug,
                name=slug.upper(),
                role=role,
                eic=make_eic(prefix),
                funder_key=settings.funder_key,
            )
        session.commit()
    progress(f"setup: {evs} EVs")
    _run(
        runtime,
        lambda session: p2p.register_evs(
            runtime,
            session,
            agent=_org(session, "bsp"),
            evs=[EvCreate(capacity_kwh=Decimal(CAPACITIES_KWH[i % 4])) for i in range(evs)],
            operator_id="cpo",
        ),
    )
    with runtime.session() as session:
        op = session.exec(select(Operation).where(Operation.kind == "p2p.ev.register")).one()
        ev_ids = list(op.result["evIds"])  # type: ignore[index]
    sellers = evs // 2
    buyers = ev_ids[sellers:]
    progress(f"setup: deposits for {len(buyers)} buyers, {evs} sessions")
    _run(
        runtime,
        lambda session: p2p.deposit(
            runtime,
            session,
            actor=_org(session, "cpo"),
            deposits=[DepositItem(ev_id=ev_id, amount_eur=Decimal(100)) for ev_id in buyers],
        ),
    )
    start = datetime(2024, 9, 27, 17, tzinfo=UTC)
    reports = []
    for index, ev_id in enumerate(ev_ids):
        soc = rng.randint(801, 950) if index < sellers else rng.randint(300, 600)
        reports.append(
            SessionReportIn(
                ev_id=ev_id,
                charge_point_id=f"CP-{index % 500:03d}",
                soc_percent=Decimal(soc) / 10,
                reported_at=start + timedelta(seconds=rng.randint(0, 7200)),
            )
        )
    with runtime.session() as session:
        p2p.report_sessions(session, operator=_org(session, "cpo"), sessions=reports)
    return "cpo", "bsp", buyers


def _run(runtime: Runtime, accept: Callable[..., Operation]) -> None:
    with runtime.session() as session:
        operation = accept(session)
        session.commit()
        operation_id = operation.id
    done = operations.run(runtime, operation_id)
    if done.status != operations.OperationStatus.SUCCEEDED:
        raise RuntimeError(f"{done.kind} failed: {done.error}")


def raw_ceiling(chain: ChainClient, count: int) -> float:
    """Seconds Anvil takes to accept and mine ``count`` pre-signed transfers sent in JSON-RPC
    batches of ``RAW_BATCH``, each batch's receipts collected in bulk before the next is sent
    (thousands of transactions pending from one account slow Anvil's pool down to a crawl).
    Signing is done before the clock starts."""
    funder = Signer(Account.from_key(ANVIL_FUNDER_KEY), chain.chain_id)
    sender = Signer(Account.create(), chain.chain_id)
    chain.transfer(funder, sender.address, 10**21)
    sender.reset_nonce(0)
    max_fee, priority = chain.fees()
    receiver = Account.create().address
    signed = [
        sender.sign(
            to=receiver, data=b"", gas=21_000, max_fee=max_fee, priority_fee=priority, value=1
        )
        for _ in range(count)
    ]
    started = time.perf_counter()
    receipts = []
    for start in range(0, count, RAW_BATCH):
        batch = signed[start : start + RAW_BATCH]
        chain.send(batch)
        receipts += chain.wait([tx.tx_hash for tx in batch], timeout_s=120)
    seconds = time.perf_counter() - started
    if not all(receipt.succeeded for receipt in receipts):
        raise RuntimeError("a raw transfer failed")
    return seconds
