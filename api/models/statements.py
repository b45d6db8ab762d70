"""Answers of statements and BRP perimeter correction reports (docs/statements.md): the stored
document as it is hashed on chain, and what the lists show of it."""

from __future__ import annotations

from api.models.common import Hex32, Instant, JsonObject
from api.models.common import PublicModel as _Public


class StatementPeriod(_Public):
    start: str
    """First UTC day (ISO date)."""
    end: str
    """First UTC day after the period (ISO date)."""


class StatementSummary(_Public):
    """A BSP's statement for a period; its hash is on ``StatementLedger``."""

    id: str
    bsp: str
    period: StatementPeriod
    status: str
    """``pending``, ``recorded``, ``accepted``, ``disputed``, ``superseded``."""
    statement_hash: Hex32
    chain_key: Hex32
    totals: JsonObject
    """The netting: remuneration, penalties, energy net, availability, net (EUR, as text)."""
    dispute_reason: str | None
    history: list[JsonObject]
    transaction_hash: str | None
    created_at: Instant


class StatementDetail(StatementSummary):
    document: JsonObject
    """The statement whose canonical JSON is hashed on chain: activations per ISP (UFTP
    FlexSettlement columns), availability, outstanding activations, totals."""


class CorrectionSummary(_Public):
    """One BRP's perimeter correction report for a period; its hash is on chain."""

    id: str
    brp: str
    """The PODs' dispatching contract (``brpContractId``), or ``unassigned``."""
    period: StatementPeriod
    status: str
    report_hash: Hex32
    chain_key: Hex32
    totals: JsonObject
    transaction_hash: str | None


class CorrectionDetail(CorrectionSummary):
    document: JsonObject
    """The report whose canonical JSON is hashed on chain: a line per POD and ISP, the sum per
    ISP, totals."""
