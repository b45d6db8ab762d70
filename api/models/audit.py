"""Answers of the audit routes: indexed chain events and the database rows the chain
contradicts."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from api.models.common import JsonObject
from api.models.common import PublicModel as _Public


class _Event(_Public):
    block_number: int
    time: str | None
    """The block's time, ISO 8601 in UTC (``...Z``)."""
    transaction_hash: str
    log_index: int
    contract: str
    event: str
    label: str
    """The event's name as a person reads it: ``POD registered``."""
    change: str | None
    """A status change in words; null for other events."""


class HistoryEntryPublic(_Event):
    as_: str = Field(alias="as")
    """The role the sender acted in."""
    actor: str
    summary: str
    args: JsonObject


class EventRow(_Event):
    actor: str | None
    """The organisation that sent the transaction, when the platform knows it."""
    sender: str
    summary: str
    args: JsonObject


class MismatchPublic(_Public):
    """A database value the chain contradicts (snake_case keys, as the CLI prints them)."""

    model_config = ConfigDict(alias_generator=None)

    table: str
    row_id: str
    field: str
    db_value: str | None
    chain_value: str | None
    note: str
