"""Operations' targets named for people (``ui_names.operation_target_names``), on an in-memory
database: each kind of target by its own name, and a page of any size in the same number of
queries (no query per operation)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from ledger.core.db import models  # noqa: F401
from ledger.core.db.models import Operation, Organisation
from ledger.dashboard.names import operation_target_names, period_label
from ledger.market import tables as market_models  # noqa: F401
from ledger.market.tables import MarketActivation, MarketBid
from ledger.p2p import tables as p2p_models  # noqa: F401
from ledger.p2p.tables import P2PTrade, P2PWindow
from ledger.registry.tables import Pod, Uvam
from ledger.settlement import tables as settlement_models  # noqa: F401
from ledger.settlement.tables import Settlement, Statement

SIX_DEC_13H = int(datetime(2026, 12, 6, 13, 0, tzinfo=UTC).timestamp())
HASH = "0x" + "00" * 32


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(
            Organisation(id="bsp", name="Energia Verde", role="BSP", eic="21X1", address="0x1")
        )
        session.add(
            Organisation(id="op", name="Operator", role="OPERATOR", eic="21X2", address="0x2")
        )
        session.add(
            Pod(
                id="pod",
                chain_key="0xp",
                bsp_id="bsp",
                dso_eic="26X",
                metering_point_id="IT001E12345678",
                resource_name="Cascina",
                status="Registered",
                record={},
                salt="s",
                record_hash=HASH,
            )
        )
        session.add(
            Uvam(
                id="uvam",
                chain_key="0xu",
                bsp_id="bsp",
                name="UVAM Nord 3",
                status="Registered",
                record={},
                salt="s",
                record_hash=HASH,
            )
        )
        session.add(
            MarketBid(
                id="bid",
                chain_key="0xb",
                bsp_id="bsp",
                uvam_id="uvam",
                product_id="P",
                direction="up",
                delivery_start=SIX_DEC_13H,
                period_count=4,
                valid_until=SIX_DEC_13H,
                gate_closes_at=SIX_DEC_13H,
                price_micro=1,
                offered_kw=[1] * 4,
                quantities_kw=[1] * 4,
                status="Active",
                terms_hash=HASH,
                priority_block=1,
                priority_log=0,
            )
        )
        session.add(
            MarketActivation(
                id="act",
                chain_key="0xa",
                bid_id="bid",
                uvam_id="uvam",
                bsp_id="bsp",
                first_period=SIX_DEC_13H,
                set_points_kw=[20, 15],
                status="Sent",
                ack_deadline=SIX_DEC_13H,
                dso_eics=[],
                sent_block=1,
            )
        )
        session.add(
            Settlement(
                id="set",
                activation_id="act",
                version=2,
                bsp_id="bsp",
                status="recorded",
                record_json=json.dumps({}),
                settlement_hash=HASH,
                inputs={},
                answer_window_s=3600,
            )
        )
        session.add(
            Statement(
                id="stm",
                chain_key="0xs",
                bsp_id="bsp",
                period_start="2026-11-01",
                period_end="2026-12-01",
                slot="",
                status="recorded",
                document_json="{}",
                statement_hash=HASH,
            )
        )
        session.add(
            P2PWindow(
                id="win",
                chain_key="0xw",
                operator_id="op",
                price_micro_eur_per_kwh=1,
                buyer_threshold_bp=1,
                seller_threshold_bp=1,
                record={},
                salt="s",
                record_hash=HASH,
                created_at=datetime(2026, 12, 6, 9, 15, tzinfo=UTC),
            )
        )
        session.add(
            P2PTrade(
                id="trade",
                chain_key="0xt",
                window_id="win",
                buyer_ev_id="e1",
                seller_ev_id="e2",
                agent_id="bsp",
                operator_id="op",
                energy_wh=1,
                cost_cents=1,
                status="Pending",
            )
        )
        session.commit()
        yield session


def _operations(pairs: list[tuple[str, str | None]], copies: int = 1) -> list[Operation]:
    return [
        Operation(id=f"op{n}-{i}", organisation_id="bsp", kind=kind, target_id=target, payload={})
        for n in range(copies)
        for i, (kind, target) in enumerate(pairs)
    ]


EXPECTED: list[tuple[str, str | None, str | None]] = [
    ("pod.register", "pod", "IT001E12345678"),
    ("pod.decision", "pod", "IT001E12345678"),
    ("uvam.update", "uvam", "UVAM Nord 3"),
    ("market.admit", "uvam", "UVAM Nord 3"),
    ("market.bids.submit", "bid", "UVAM Nord 3, 6 Dec 13:00-14:00"),
    ("market.activation.ack", "act", "UVAM Nord 3, 6 Dec 13:00-13:30"),
    ("settlement.record", "act", "UVAM Nord 3, 6 Dec 13:00-13:30"),
    ("settlement.accept", "set", "UVAM Nord 3, 6 Dec 13:00-13:30, v2"),
    ("statement.accept", "stm", "Energia Verde, Nov 2026"),
    ("p2p.window.close", "win", "P2P window of 6 Dec 09:15"),
    ("p2p.trades.add", "win", "P2P window of 6 Dec 09:15"),
    ("p2p.trades.confirm", "trade", "Trade in P2P window of 6 Dec 09:15"),
    ("device.register", "dev", None),  # a kind the platform does not name
    ("pod.update", "gone", None),  # a target no longer found
    ("market.product", None, None),  # no target
]


def test_each_kind_of_target_has_its_own_name(session: Session) -> None:
    operations = _operations([(kind, target) for kind, target, _ in EXPECTED])

    names = operation_target_names(session, operations)

    assert [names[o.id] for o in operations] == [name for _, _, name in EXPECTED]


def test_a_page_is_named_in_the_same_queries_whatever_its_size(session: Session) -> None:
    statements: list[Any] = []

    def count(*_: Any) -> None:
        statements.append(1)

    pairs = [(kind, target) for kind, target, _ in EXPECTED]
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        operation_target_names(session, _operations(pairs))
        one = len(statements)
        statements.clear()
        names = operation_target_names(session, _operations(pairs, copies=20))
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(names) == 20 * len(EXPECTED)
    assert len(statements) == one <= 10


def test_periods_read_as_people_say_them() -> None:
    assert period_label(SIX_DEC_13H, 2) == "6 Dec 13:00-13:30"
    assert period_label(SIX_DEC_13H + 10 * 3600 + 1800, 2) == "6 Dec 23:30-00:00"
    assert period_label(SIX_DEC_13H, 96) == "6 Dec 13:00-7 Dec 13:00"
