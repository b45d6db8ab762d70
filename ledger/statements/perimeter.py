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

from ledger.statements.period import StatementPeriod
from ledger.statements.statement import SettledActivation

CORRECTION_SCHEMA: Final = "cbp.perimeterCorrection/1"
UNASSIGNED: Final = "unassigned"
"""The BRP of a POD whose registration names no dispatching contract (``brpContractId``)."""


def correction_wh(delivered_wh: int, direction: str) -> int:
    """The net-import correction of one POD period (sign rule above)."""
    return delivered_wh if direction == "up" else -delivered_wh


def build_corrections(
    *,
    period: StatementPeriod,
    settled: Sequence[SettledActivation],
    brp_of_pod: Mapping[str, str | None],
) -> dict[str, dict[str, Any]]:
    """One report per BRP (key: its dispatching contract id, or ``unassigned``) over the
    activations in ``settled`` (final settlements whose first period is in ``period``)."""
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in settled:
        record = item.record
        pods = record["pods"]
        starts = [period_["start"] for period_ in record["periods"]]
        for pod_id, delivered in zip(pods["podIds"], pods["deliveredWh"], strict=True):
            brp = brp_of_pod.get(pod_id) or UNASSIGNED
            for start, wh in zip(starts, delivered, strict=True):
                lines[brp].append(
                    {
                        "start": start,
                        "activationId": record["activationId"],
                        "settlementHash": item.settlement_hash,
                        "podId": pod_id,
                        "direction": record["direction"],
                        "deliveredWh": wh,
                        "correctionWh": correction_wh(wh, record["direction"]),
                    }
                )
    return {brp: _report(brp, period, rows) for brp, rows in sorted(lines.items())}


def _report(brp: str, period: StatementPeriod, rows: list[dict[str, Any]]) -> dict[str, Any]:
    rows.sort(key=lambda r: (r["start"], r["activationId"], r["podId"]))
    per_isp: dict[int, int] = defaultdict(int)
    for row in rows:
        per_isp[row["start"]] += row["correctionWh"]
    return {
        "schema": CORRECTION_SCHEMA,
        "brp": brp,
        "period": period.as_dict(),
        "lines": rows,
        "isps": [{"start": start, "correctionWh": wh} for start, wh in sorted(per_isp.items())],
        "totals": {"correctionWh": sum(per_isp.values()), "lines": len(rows)},
    }
