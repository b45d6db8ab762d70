"""BRP perimeter correction, transfer of energy (issue 14, item 3): each POD's activated energy
is attributed to that POD's BRP, so that the BRP is not held imbalanced for flexibility it did
not trade. Per BRP and period, one report: per ISP the sum over its PODs of

    correctionWh = +deliveredWh  (direction up: the POD drew less or injected more)
                   -deliveredWh  (direction down)

in the net-import sign of the meters (docs/settlement.md): the energy to add to the BRP's
metered offtake so that its perimeter shows what it would have been without the activation.
``deliveredWh`` is the POD's delivered energy of the final settlement record (0 where the POD
had no data). ``docs/statements.md``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ledger.settlement.statements.period import StatementPeriod
from ledger.settlement.statements.statement import SettledActivation

CORRECTION_SCHEMA: Final = "cbp.perimeterCorrection/1"
UNASSIGNED: Final = "unassigned"
"""The BRP of a POD whose registration names no dispatching contract (``brpContractId``)."""


def correction_wh(delivered_wh: int, direction: str) -> int:
    """The net-import correction of one POD period (sign rule above)."""
    return delivered_wh if direction == "up" else -delivered_wh


LINE_COLUMNS: Final = (
    "start",
    "activationId",
    "settlementHash",
    "podId",
    "direction",
    "deliveredWh",
    "correctionWh",
)
"""The columns of a report's ``lines.rows`` (a table of plain values: compact, and hashed in
one sweep by :func:`ledger.core.domain.canonical.canonical_json`)."""


def build_corrections(
    *,
    period: StatementPeriod,
    settled: Sequence[SettledActivation],
    brp_of_pod: Mapping[str, str | None],
) -> dict[str, dict[str, Any]]:
    """One report per BRP (key: its dispatching contract id, or ``unassigned``) over the
    activations in ``settled`` (final settlements whose first period is in ``period``)."""
    rows: dict[str, list[list[Any]]] = defaultdict(list)
    for item in settled:
        record = item.record
        pods = record["pods"]
        direction = record["direction"]
        activation = record["activationId"]
        starts = [period_["start"] for period_ in record["periods"]]
        for pod_id, delivered in zip(pods["podIds"], pods["deliveredWh"], strict=True):
            brp = brp_of_pod.get(pod_id) or UNASSIGNED
            rows[brp].extend(
                [
                    start,
                    activation,
                    item.settlement_hash,
                    pod_id,
                    direction,
                    wh,
                    correction_wh(wh, direction),
                ]
                for start, wh in zip(starts, delivered, strict=True)
            )
    return {brp: _report(brp, period, table) for brp, table in sorted(rows.items())}


def _report(brp: str, period: StatementPeriod, rows: list[list[Any]]) -> dict[str, Any]:
    rows.sort(key=lambda r: (r[0], r[1], r[3]))  # start, activation, POD
    per_isp: dict[int, int] = defaultdict(int)
    for row in rows:
        per_isp[row[0]] += row[6]
    return {
        "schema": CORRECTION_SCHEMA,
        "brp": brp,
        "period": period.as_dict(),
        "lines": {"columns": list(LINE_COLUMNS), "rows": rows},
        "isps": [{"start": start, "correctionWh": wh} for start, wh in sorted(per_isp.items())],
        "totals": {"correctionWh": sum(per_isp.values()), "lines": len(rows)},
    }
