"""Which handler executes which kind of operation: the table built at start-up from the kinds
each capability registers, and handed to the operations engine through the ``Runtime``."""

from __future__ import annotations

from ledger.core.handler import Handler
from ledger.services import (
    market_kinds,
    measurements,
    p2p,
    perimeter,
    registry_kinds,
    settlement,
    statements,
)

HANDLERS: dict[str, Handler] = {
    **registry_kinds.handlers(),
    **p2p.HANDLERS,
    **market_kinds.handlers(),
    **measurements.handlers(),
    **settlement.handlers(),
    **statements.handlers(),
    **perimeter.handlers(),
}
