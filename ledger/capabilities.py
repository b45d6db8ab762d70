"""The composition root: what the capabilities give the core, built once at start-up and
carried by the ``Runtime`` (the core imports no capability)."""

from __future__ import annotations

from ledger.core.handler import Capabilities, Handler
from ledger.dashboard.names import operation_target_names
from ledger.market import activations
from ledger.market import kinds as market_kinds
from ledger.measurements import service as measurements
from ledger.p2p import service as p2p
from ledger.registry import kinds as registry_kinds
from ledger.registry.common import not_editable_context
from ledger.settlement import service as settlement
from ledger.settlement.statements import corrections as perimeter
from ledger.settlement.statements import service as statements

#: Which handler executes which kind of operation: the kinds each capability registers.
HANDLERS: dict[str, Handler] = {
    **registry_kinds.handlers(),
    **p2p.handlers(),
    **market_kinds.handlers(),
    **measurements.handlers(),
    **settlement.handlers(),
    **statements.handlers(),
    **perimeter.handlers(),
}

CAPABILITIES = Capabilities(
    handlers=HANDLERS,
    target_names=operation_target_names,
    callback_outcomes={"activation": activations.show_callback_outcome},
    refusal_contexts={"RegistryNotEditable": not_editable_context},
)
