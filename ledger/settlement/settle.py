"""The entry point: settle a day's activations into hashed records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ledger.settlement.baselines import BaselineMethod
from ledger.settlement.engine import compute
from ledger.settlement.inputs import Activation, SettlementDay
from ledger.settlement.record import SettlementRecord, build_records
from ledger.settlement.rules import SettlementRules

__all__ = ["settle", "settlement_hashes"]


def settle(
    *,
    day: SettlementDay,
    activations: Sequence[Activation],
    method: BaselineMethod,
    rules: SettlementRules | None = None,
    version: int = 1,
    terms: Mapping[str, Any] | None = None,
) -> list[SettlementRecord]:
    """Settle ``activations`` against ``day``'s data: one record per activation, in order.

    Pure and deterministic: the same inputs give records with the same
    :meth:`~SettlementRecord.settlement_hash`, which is how an audit recomputes a settlement
    and compares it with the hash on chain. ``terms``, the settlement terms fixed for the
    activations, are recorded as given (``docs/settlement_ledger.md``).
    """
    results = compute(day=day, activations=activations, method=method, rules=rules)
    return build_records(results, version=version, terms=terms)


def settlement_hashes(records: Sequence[SettlementRecord]) -> dict[str, bytes]:
    """Activation id -> settlement hash."""
    return {record.activation_id: record.settlement_hash() for record in records}
