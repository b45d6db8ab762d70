"""What needs attention (``ledger.dashboard.attention``), on an in-memory database: each role
gets its own items, only those still actionable at the given instant, most urgent first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from ledger.capabilities import CAPABILITIES
from ledger.core.db import models  # noqa: F401  (the tables)
from ledger.core.db.models import Organisation
from ledger.core.runtime import RecordingDispatcher, Runtime
from ledger.core.settings import Settings
from ledger.dashboard.attention import attention
from ledger.market import tables as market_models  # noqa: F401  (the tables)
from ledger.market.tables import GridConstraint, MarketActivation, MarketBid, MarketNeed
from ledger.settlement import tables as settlement_models  # noqa: F401  (the tables)
from ledger.settlement.tables import Settlement

NOW = 1_800_000_000  # a period start (multiple of 900)
ORGS = {
    "bsp1": ("BSP", "21XBSP1"),
    "bsp2": ("BSP", "21XBSP2"),
    "dso1": ("DSO", "26XDSO1"),
    "tso": ("TSO", "10XTSO"),
}


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine)
    runtime = Runtime(
        settings=Settings(data_dir=tmp_path),
        rpc_url="http://127.0.0.1:1",
        dispatcher=RecordingDispatcher(),
        capabilities=CAPABILITIES,
    )
    with runtime.bind(Session(engine)) as session:
        for number, (slug, (role, eic)) in enumerate(ORGS.items()):
            address = f"0x{number:040x}"
            session.add(Organisation(id=slug, name=slug, role=role, eic=eic, address=address))
        session.commit()
        yield session


def _bid(session: Session, bid_id: str, bsp: str, status: str, gate_in_s: int) -> None:
    session.add(
        MarketBid(
            id=bid_id,
            chain_key=f"0x{bid_id}",
            bsp_id=bsp,
            uvam_id="u",
            product_id="P",
            direction="up",
            delivery_start=NOW + gate_in_s + 900,
            period_count=1,
            valid_until=NOW + gate_in_s + 1800,
            gate_closes_at=NOW + gate_in_s,
            price_micro=80_000_000,
            offered_kw=[20],
            quantities_kw=[20],
            status=status,
            terms_hash="0x",
            priority_block=1,
            priority_log=0,
        )
    )


def _activation(
    session: Session, activation_id: str, bsp: str, status: str, deadline_in_s: int
) -> None:
    session.add(
        MarketActivation(
            id=activation_id,
            chain_key=f"0x{activation_id}",
            bid_id="b",
            uvam_id="u",
            bsp_id=bsp,
            first_period=NOW + 900,
            set_points_kw=[20, 15],
            status=status,
            ack_deadline=NOW + deadline_in_s,
            dso_eics=["26XDSO1"],
            sent_block=1,
        )
    )


def _settlement(
    session: Session, settlement_id: str, bsp: str, status: str, deadline_in_s: int
) -> None:
    record = {"method": {}, "rules": {}, "dataRoots": {}, "totals": {}, "complete": True}
    session.add(
        Settlement(
            id=settlement_id,
            activation_id=f"a-{settlement_id}",
            version=1,
            bsp_id=bsp,
            status=status,
            record_json=json.dumps(record),
            settlement_hash="0x",
            inputs={},
            answer_window_s=3600,
            answer_deadline=NOW + deadline_in_s,
        )
    )


def _ids(view: dict[str, Any], group: str) -> list[str]:
    return [item["id"] for item in view["groups"][group]["items"]]


def _for(session: Session, slug: str) -> dict[str, Any]:
    org = session.get(Organisation, slug)
    assert org is not None
    return attention(session, org, at=NOW)


def test_bsp_sees_its_own_actionable_items_most_urgent_first(session: Session) -> None:
    _bid(session, "soon", "bsp1", "Active", 600)
    _bid(session, "sooner", "bsp1", "Received", 120)
    _bid(session, "later", "bsp1", "Active", 7200)  # beyond the hour
    _bid(session, "closed", "bsp1", "Active", -60)  # gate already closed
    _bid(session, "selected", "bsp1", "Selected", 600)  # no longer open to changes
    _bid(session, "theirs", "bsp2", "Active", 600)
    _activation(session, "a-late", "bsp1", "Sent", 600)
    _activation(session, "a-first", "bsp1", "Sent", 60)
    _activation(session, "a-past", "bsp1", "Sent", -1)  # lapses
    _activation(session, "a-done", "bsp1", "Accepted", 600)
    _activation(session, "a-theirs", "bsp2", "Sent", 600)
    _settlement(session, "s-open", "bsp1", "recorded", 86_400)
    _settlement(session, "s-late", "bsp1", "recorded", -5)  # the window has ended
    _settlement(session, "s-final", "bsp1", "final", 86_400)
    _settlement(session, "s-theirs", "bsp2", "recorded", 86_400)
    session.commit()

    view = _for(session, "bsp1")
    assert view["role"] == "BSP"
    assert _ids(view, "bidsClosingSoon") == ["sooner", "soon"]
    assert _ids(view, "activationsToAcknowledge") == ["a-first", "a-late"]
    assert _ids(view, "settlementsToAnswer") == ["s-open"]
    assert view["groups"]["activationsToAcknowledge"]["count"] == 2
    assert _ids(_for(session, "bsp2"), "activationsToAcknowledge") == ["a-theirs"]
    wider = attention(session, session.get(Organisation, "bsp1"), at=NOW, gate_horizon_s=8000)  # type: ignore[arg-type]
    assert _ids(wider, "bidsClosingSoon") == ["sooner", "soon", "later"]


def test_groups_are_capped_but_counted(session: Session) -> None:
    for number in range(14):
        _activation(session, f"a{number:02d}", "bsp1", "Sent", 60 + number)
    session.commit()
    group = _for(session, "bsp1")["groups"]["activationsToAcknowledge"]
    assert group["count"] == 14
    assert [item["id"] for item in group["items"]] == [f"a{n:02d}" for n in range(10)]


def test_dso_and_tso(session: Session) -> None:
    _activation(session, "in-grid", "bsp1", "Accepted", 600)
    _activation(session, "cancelled", "bsp1", "Cancelled", 600)
    session.add(
        MarketActivation(
            id="elsewhere",
            chain_key="0xelsewhere",
            bid_id="b",
            uvam_id="u",
            bsp_id="bsp2",
            first_period=NOW + 900,
            set_points_kw=[5],
            status="Sent",
            ack_deadline=NOW + 600,
            dso_eics=["26XOTHER"],
            sent_block=1,
        )
    )
    for constraint_id, end in (("c-now", NOW + 3600), ("c-over", NOW - 1)):
        session.add(
            GridConstraint(
                id=constraint_id,
                dso_id="dso1",
                scope="zone",
                target="Z",
                start=NOW - 3600,
                end=end,
                light="red",
            )
        )
    _settlement(session, "s-disputed", "bsp1", "disputed", 86_400)
    _settlement(session, "s-recorded", "bsp1", "recorded", 86_400)
    for need_id, status in (("n-open", "Open"), ("n-cleared", "Cleared")):
        session.add(
            MarketNeed(
                id=need_id,
                chain_key=f"0x{need_id}",
                product_id="P",
                direction="up",
                delivery_start=NOW + 3600,
                quantities_kw=[20],
                pricing="payAsBid",
                clearing="manual",
                status=status,
                terms_hash="0x",
            )
        )
    session.commit()

    dso = _for(session, "dso1")
    assert _ids(dso, "activationsInGrid") == ["in-grid"]
    assert _ids(dso, "constraints") == ["c-now"]
    assert dso["groups"]["podsToValidate"] == {"count": 0, "items": []}

    tso = _for(session, "tso")
    assert _ids(tso, "disputes") == ["s-disputed"]
    assert _ids(tso, "needsOpen") == ["n-open"]
