"""Statements and BRP perimeter correction reports against ``StatementLedger``: each stored
document hashes to the hash on chain, and recomputing it from what it was built from (the
settlements' stored records, the awards and their frozen availability price, the PODs' BRPs)
gives that hash again."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from eth_utils import keccak
from sqlmodel import Session, col, select

from ledger.audit.accounts import OrganisationAccounts
from ledger.audit.mismatch import Mismatch, RowCheck, hex_or_none
from ledger.audit.reads import read_many
from ledger.core.chain.client import ChainClient
from ledger.core.ids import to_bytes32
from ledger.settlement.statements.perimeter import build_corrections
from ledger.settlement.statements.period import parse_period
from ledger.settlement.statements.statement import build_statement, document_hash
from ledger.settlement.statements.stored_inputs import (
    awards_of,
    brp_of_pods,
    document_of,
    settled_by_ids,
    settled_of,
)
from ledger.settlement.tables import PerimeterCorrection, Settlement, Statement

LEDGER = "StatementLedger"
STATEMENT_STATUS = {1: "recorded", 2: "accepted", 3: "disputed"}
DISPUTED, SUPERSEDED = "disputed", "superseded"
RECOMPUTED = "recomputed from the settlements, awards and registrations it was built from"


def _recomputed(check: RowCheck, compute: Callable[[], bytes], committed: str | None) -> None:
    try:
        value = "0x" + compute().hex()
    except (TypeError, ValueError, KeyError) as exc:
        value = f"not recomputable: {exc}"
    check.expect("document_json (recomputed)", value, committed, RECOMPUTED)


def _period(document: dict[str, Any]) -> Any:
    return parse_period(f"{document['period']['start']}/{document['period']['end']}")


def _statement_again(session: Session, document: dict[str, Any]) -> bytes:
    period = _period(document)
    ids = [a["settlementId"] for a in document["activations"]]
    bids = [a["bidId"] for a in document["availability"]]
    again = build_statement(
        bsp=document["bsp"],
        period=period,
        settled=settled_by_ids(session, ids),
        awards=awards_of(session, document["bsp"], period, bid_ids=bids),
        outstanding=document["outstanding"],
        supersedes=document.get("supersedes"),
    )
    return document_hash(again)


def check_statements(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    accounts = OrganisationAccounts(session, chain)
    rows = session.exec(
        select(Statement)
        .where(col(Statement.transaction_hash).is_not(None))
        .order_by(col(Statement.id))
    ).all()
    views = read_many(chain, LEDGER, "statement", [(to_bytes32(r.chain_key),) for r in rows])
    for statement, view in zip(rows, views, strict=True):
        row = RowCheck("statements", statement.id, found)
        on_chain = hex_or_none(view["statementHash"])
        row.expect("statement_hash", statement.statement_hash.lower(), on_chain)
        row.expect(
            "document_json",
            "0x" + keccak(text=statement.document_json).hex(),
            on_chain,
            "hash of the stored document",
        )
        # a disputed statement issued again stays Disputed on chain; the new one names it
        status = DISPUTED if statement.status == SUPERSEDED else statement.status
        row.expect("status", status, STATEMENT_STATUS.get(view["status"]))
        row.expect("bsp_id", accounts.expected(statement.bsp_id, view["bsp"]), view["bsp"])
        document = document_of(statement.document_json)
        _recomputed(row, partial(_statement_again, session, document), on_chain)
    return found


def _correction_again(session: Session, document: dict[str, Any]) -> bytes:
    column = document["lines"]["columns"].index("settlementHash")
    hashes = sorted({row[column] for row in document["lines"]["rows"]})
    rows = session.exec(select(Settlement).where(col(Settlement.settlement_hash).in_(hashes))).all()
    settled = [settled_of(r) for r in rows]
    reports = build_corrections(
        period=_period(document), settled=settled, brp_of_pod=brp_of_pods(session, settled)
    )
    return document_hash(reports[document["brp"]])


def check_corrections(session: Session, chain: ChainClient) -> list[Mismatch]:
    found: list[Mismatch] = []
    rows = session.exec(
        select(PerimeterCorrection)
        .where(col(PerimeterCorrection.transaction_hash).is_not(None))
        .order_by(col(PerimeterCorrection.id))
    ).all()
    hashes = read_many(
        chain, LEDGER, "correctionHashOf", [(to_bytes32(r.chain_key),) for r in rows]
    )
    for report, committed in zip(rows, hashes, strict=True):
        row = RowCheck("perimeter_corrections", report.id, found)
        on_chain = hex_or_none(committed)
        row.expect("report_hash", report.report_hash.lower(), on_chain)
        row.expect(
            "document_json",
            "0x" + keccak(text=report.document_json).hex(),
            on_chain,
            "hash of the stored document",
        )
        document = document_of(report.document_json)
        _recomputed(row, partial(_correction_again, session, document), on_chain)
    return found


STATEMENT_CHECKS = (check_statements, check_corrections)
