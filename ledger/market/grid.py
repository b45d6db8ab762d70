"""The DSO's check of a bid against the grid constraints it declared (a traffic light).

A DSO declares constraints per POD or per grid zone (the POD's ``locationId``), for a time
window and optionally one direction:

* **green**: no limit;
* **amber**: each POD concerned may provide at most ``limitKw`` of flexibility;
* **red**: the PODs concerned may provide none (congestion, works, emergency).

For every period of a bid, each member POD of the UVAM contributes its flexibility for the bid's
direction (``maximumFlexUp`` / ``maximumFlexDown``), reduced by the strictest constraint of this
DSO that covers it; PODs on other DSOs' grids count in full (their own DSO checks them). The
quantity the DSO allows is the bid's quantity, capped at the sum of the contributions. The
verdict: **cleared** when nothing is reduced, **blocked** when nothing is left in any period,
**capped** otherwise, with the reasons (which POD, which constraint, which period).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from ledger.core.domain.enums import DsoOutcome
from ledger.core.periods import iso, period_starts
from ledger.market.terms import Direction


class Light(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class ReasonCode(IntEnum):
    """Why a DSO reduced a bid; recorded on chain with the hash of the full reasons."""

    NONE = 0
    CONGESTION = 1
    VOLTAGE = 2
    MAINTENANCE = 3
    OTHER = 4


@dataclass(frozen=True)
class Constraint:
    constraint_id: str
    scope: str  # "pod" or "zone"
    target: str  # POD id, or zone (the PODs' locationId)
    start: int
    end: int  # exclusive
    light: Light
    limit_kw: int | None = None
    direction: Direction | None = None
    reason_code: ReasonCode = ReasonCode.CONGESTION
    reason: str = ""

    def covers(self, pod: MemberPod, period_start: int, direction: Direction) -> bool:
        if not self.start <= period_start < self.end:
            return False
        if self.direction is not None and self.direction is not direction:
            return False
        return self.target == (pod.pod_id if self.scope == "pod" else pod.zone)

    def allowance(self, flexibility_kw: int) -> int:
        if self.light is Light.RED:
            return 0
        if self.light is Light.AMBER and self.limit_kw is not None:
            return min(flexibility_kw, self.limit_kw)
        return flexibility_kw


@dataclass(frozen=True)
class MemberPod:
    pod_id: str
    dso_eic: str
    zone: str | None
    flex_up_kw: int
    flex_down_kw: int

    def flexibility(self, direction: Direction) -> int:
        return self.flex_up_kw if direction is Direction.UP else self.flex_down_kw


@dataclass(frozen=True)
class Verdict:
    outcome: DsoOutcome
    allowed_kw: tuple[int, ...]
    reasons: tuple[str, ...]
    reason_code: ReasonCode


def check_bid(
    *,
    dso_eic: str,
    direction: Direction,
    delivery_start: int,
    quantities_kw: Sequence[int],
    members: Sequence[MemberPod],
    constraints: Sequence[Constraint],
) -> Verdict:
    """The verdict of DSO ``dso_eic`` on one bid (see the module docstring)."""
    allowed: list[int] = []
    reasons: list[str] = []
    codes: list[ReasonCode] = []
    for start, quantity in zip(
        period_starts(delivery_start, len(quantities_kw)), quantities_kw, strict=True
    ):
        capacity = 0
        for pod in members:
            flexibility = pod.flexibility(direction)
            if pod.dso_eic != dso_eic:
                capacity += flexibility
                continue
            applicable = [c for c in constraints if c.covers(pod, start, direction)]
            strictest = min(applicable, key=lambda c: c.allowance(flexibility), default=None)
            if strictest is None or strictest.allowance(flexibility) >= flexibility:
                capacity += flexibility
                continue
            capacity += strictest.allowance(flexibility)
            if quantity:
                what = f"{strictest.light.value} {strictest.scope} {strictest.target}"
                limit = (
                    f" (limit {strictest.limit_kw} kW)" if strictest.light is Light.AMBER else ""
                )
                detail = f": {strictest.reason}" if strictest.reason else ""
                reasons.append(f"{iso(start)} POD {pod.pod_id}: {what}{limit}{detail}")
                codes.append(strictest.reason_code)
        allowed.append(min(quantity, capacity))
    if allowed == list(quantities_kw):
        return Verdict(DsoOutcome.CLEARED, tuple(allowed), (), ReasonCode.NONE)
    outcome = DsoOutcome.BLOCKED if not any(allowed) else DsoOutcome.CAPPED
    return Verdict(outcome, tuple(allowed), tuple(reasons), codes[0] if codes else ReasonCode.OTHER)
