"""Audit queries over the event index and the chain: history, verify, export."""

from ledger.audit.export import EVENT_KINDS, export
from ledger.audit.history import HistoryEntry, history, raw_history
from ledger.audit.mismatch import Mismatch
from ledger.audit.verify import verify

__all__ = [
    "EVENT_KINDS",
    "HistoryEntry",
    "Mismatch",
    "export",
    "history",
    "raw_history",
    "verify",
]
