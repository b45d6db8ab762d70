"""One statement per BSP and period, held by the database: the migration's unique ``slot``
refuses a second first statement (two requests at once), and a failed one frees its slot."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ledger.core.db.engine import engine_for
from ledger.core.db.models import Organisation
from ledger.schema.migrate import upgrade
from ledger.settlement.tables import Statement


def _statement(number: int, slot: str) -> Statement:
    return Statement(
        id=f"s{number}",
        chain_key=f"0x{number:064x}",
        bsp_id="bsp",
        period_start="2026-12-01",
        period_end="2027-01-01",
        slot=slot,
        status="pending",
        document_json="{}",
        statement_hash="0x" + "00" * 32,
    )


def test_the_slot_admits_one_statement_per_bsp_and_period(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'slot.db'}"
    upgrade(url)
    engine = engine_for(url)
    with Session(engine) as session:
        session.add(Organisation(id="bsp", name="BSP", role="BSP", eic="10X-BSP", address="0x1"))
        session.add(_statement(1, ""))
        session.commit()
        session.add(_statement(2, ""))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        first = session.get(Statement, "s1")
        assert first is not None
        first.slot = "failed:s1"  # what a failed statement's release does
        session.add(_statement(3, ""))
        session.commit()
        session.add(_statement(4, "s3"))  # issued again after s3 was disputed
        session.commit()
    engine.dispose()
