"""Payloads of the statement operations (a BSP's statement recorded, accepted or disputed) and
of the BRP perimeter correction reports recorded on chain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field, StringConstraints

from ledger.payloads.base import Hex32, OperationPayload

#: A checksummed or lower-case account address as the payload keeps it.
Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$")]


class StatementAnswer(OperationPayload):
    """The BSP accepts a recorded statement (as a whole)."""

    statement_id: str
    statement_key: Hex32


class StatementRecord(StatementAnswer):
    """The TSO records a statement for the BSP at ``bsp``, replacing the disputed one it
    ``supersedes`` if any."""

    bsp: Address
    supersedes: str | None


class StatementDispute(StatementAnswer):
    """The BSP disputes a statement; the reason stays off chain, its hash goes on chain."""

    reason: str
    reason_hash: Hex32


class CorrectionsRecord(OperationPayload):
    """The TSO records the BRP perimeter correction reports of one period."""

    report_ids: Annotated[list[str], Field(min_length=1)]


STATEMENT_PAYLOADS: Mapping[str, type[OperationPayload]] = {
    "statement.record": StatementRecord,
    "statement.accept": StatementAnswer,
    "statement.dispute": StatementDispute,
    "correction.record": CorrectionsRecord,
}
