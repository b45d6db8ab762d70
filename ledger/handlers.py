"""Which handler executes which kind of operation: the table built at start-up from the kinds
each capability registers, and handed to the operations engine through the ``Runtime``."""

from __future__ import annotations

from ledger.core.handler import Handler
from ledger.market import kinds as market_kinds
from ledger.measurements import service as measurements
from ledger.p2p import service as p2p
from ledger.registry import kinds as registry_kinds
from ledger.settlement import service as settlement
from ledger.settlement.statements import corrections as perimeter
from ledger.settlement.statements import service as statements

HANDLERS: dict[str, Handler] = {
    **registry_kinds.handlers(),
    **p2p.HANDLERS,
    **market_kinds.handlers(),
    **measurements.handlers(),
    **settlement.handlers(),
    **statements.handlers(),
    **perimeter.handlers(),
}
