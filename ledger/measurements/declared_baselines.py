"""The gate-closure rule of declared baselines (issue 4, method ``declared``).

A BSP declares the baseline of its PODs as a measurement batch of kind ``baseline``: one value
per POD and 15-minute period, the average power in W the POD would draw without activation
(:mod:`ledger.measurements.service` stores and commits it like readings). A declaration is only
worth something if it is fixed before the BSP can know whether it will be activated, so every
period it covers must still be open (:func:`check_before_gate`): the declaration comes strictly
before the period starts and strictly before the gate of every bid of the POD's UVAM that
covers the period closes (``gate_closes_at(bid start, product gate closure)``). A bid submitted
later has a gate after its own submission, so the rule holds for every bid that ever covers the
period. A later declaration of the same POD and period supersedes the earlier one (settlement
lays later batches over earlier ones), which this rule also confines to before gate closure.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from ledger.core.errors import InvalidInput
from ledger.core.periods import PERIOD_SECONDS, gate_closes_at, iso
from ledger.market.tables import MarketBid, MarketProduct
from ledger.measurements import readings
from ledger.registry.tables import Membership

RESOLUTION_S = PERIOD_SECONDS
"""A declared baseline has one value per 15-minute period."""


class PastGateClosure(InvalidInput):
    code = "past_gate_closure"


def _bid_gates(session: Session, pod_ids: Iterable[str]) -> dict[str, list[tuple[int, int, int]]]:
    """Per POD: ``(first period, end, gate closure)`` of every bid of its UVAMs."""
    pairs = session.exec(
        select(Membership.pod_id, MarketBid, MarketProduct)
        .join(MarketBid, MarketBid.uvam_id == Membership.uvam_id)  # type: ignore[arg-type]
        .join(MarketProduct, MarketProduct.id == MarketBid.product_id)  # type: ignore[arg-type]
        .where(col(Membership.pod_id).in_(list(pod_ids)), col(Membership.active).is_(True))
    ).all()
    gates: dict[str, list[tuple[int, int, int]]] = {}
    for pod_id, bid, product in pairs:
        end = bid.delivery_start + len(bid.quantities_kw) * PERIOD_SECONDS
        gate = gate_closes_at(bid.delivery_start, product.gate_closure_s)
        gates.setdefault(pod_id, []).append((bid.delivery_start, end, gate))
    return gates


def check_before_gate(session: Session, raw: readings.RawReadings, at: int) -> None:
    """Refuse (422, nothing stored) a declaration of which a period is no longer open at ``at``;
    the field names the first such reading, ``readings.N.timestamp`` with N its position in the
    upload from 0 (readings first, then series values)."""
    gates = _bid_gates(session, raw.by_resource)
    late: list[tuple[int, str, int, int]] = []
    for pod_id, rows in raw.by_resource.items():
        for row, timestamp, _ in rows:
            deadline = min(
                [timestamp]
                + [gate for start, end, gate in gates.get(pod_id, []) if start <= timestamp < end]
            )
            if at >= deadline:
                late.append((row, pod_id, timestamp, deadline))
    if late:
        row, pod_id, timestamp, deadline = min(late)
        raise PastGateClosure(
            f"the baseline of {pod_id} for the period at {iso(timestamp)} had to be declared"
            f" before {iso(deadline)} (its gate closure); it is {iso(at)}",
            field=f"readings.{row - 1}.timestamp",
            latePeriods=len(late),
        )
