"""Settlement errors, under the platform's exception root."""

from __future__ import annotations

from ledger.core.errors import InvalidInput

__all__ = ["SettlementInputError"]


class SettlementInputError(InvalidInput):
    """The data handed to settlement is inconsistent (shapes, indices, calendar, prices)."""

    code = "invalid_settlement_input"
