"""The settlement rules besides the baseline: recorded with (and hashed into) every settlement.

* **Authoritative meter**: the DSO's POD meter by default. Money is computed from it alone; the
  other source (the BSP's behind-the-meter devices summed per POD) is compared with it and each
  POD period beyond :class:`MeterTolerance` is flagged, never used to change an amount.
* **Delivery check** (:class:`DeliveryCheck`): at least ``threshold`` of the set point reached
  within ``within_s`` of the activation start (FLEXGRID: 90 % within 15 min for a TSO).
* **Missing data** (:class:`MissingDataPolicy`): what a period without measurements does.
* **Rounding**: fixed, named in :data:`ROUNDING` so that a record says which rule it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from ledger.settlement.rounding import fraction_of

__all__ = [
    "ROUNDING",
    "DeliveryCheck",
    "MeterSource",
    "MeterTolerance",
    "MissingDataPolicy",
    "SettlementRules",
]

ROUNDING: Final = {
    "energy": "exact rational, rounded half to even to the Wh once per value",
    "money": "per period, half to even to the cent; totals are sums of period amounts",
}


class MeterSource(StrEnum):
    DSO_POD_METER = "dsoPodMeter"
    """The DSO's fiscal POD meter (1 or 15 min)."""
    BSP_DEVICES = "bspDevices"
    """The BSP's behind-the-meter device readings (60 s), summed per POD."""


class MissingDataPolicy(StrEnum):
    """What a period does when a POD of the UVAM lacks an authoritative measurement or a
    baseline value. Either way the POD delivers 0 Wh in that period and the period is flagged."""

    INCOMPLETE = "incomplete"
    """The period is not assessed (no remuneration, no penalty) and the settlement is marked
    incomplete: it cannot become final until the data arrive and it is settled again."""
    ZERO_DELIVERY = "zeroDelivery"
    """The period is assessed with those PODs at 0 Wh delivered: the BSP bears the risk of its
    data (the deficiency is penalised)."""


@dataclass(frozen=True)
class MeterTolerance:
    """Two sources disagree in a period when ``|a - b| > relative x |a| + absolute_wh``, with
    ``a`` the authoritative value (meter class 1 % plus a small absolute term for rounding
    and the few W.s the two clocks may differ by)."""

    relative: Decimal = Decimal("0.01")
    absolute_wh: int = 10

    def __post_init__(self) -> None:
        if fraction_of(self.relative) < 0 or self.absolute_wh < 0:
            raise ValueError("tolerances cannot be negative")


@dataclass(frozen=True)
class DeliveryCheck:
    """Delivery is proven when the UVAM's delivered power reaches ``threshold`` times the set
    point within ``within_s`` seconds of the activation start.

    With readings finer than a period (``check_series``) every reading interval that ends by
    ``within_s`` is tested; with period energies only, the periods that end by ``within_s``
    (at least the first one) are tested on their average power, which is stricter. A period is
    also marked ``met`` when its delivered energy is at least ``threshold`` times the ordered.
    """

    threshold: Decimal = Decimal("0.9")
    within_s: int = 900
    forfeit_remuneration: bool = False
    """When true, a failed check voids the remuneration of the whole activation (penalties for
    the deficiency still apply); when false it is recorded only."""

    def __post_init__(self) -> None:
        if not 0 < fraction_of(self.threshold) <= 1:
            raise ValueError("threshold must be in (0, 1]")
        if self.within_s <= 0:
            raise ValueError("within_s must be positive")


@dataclass(frozen=True)
class SettlementRules:
    authoritative: MeterSource = MeterSource.DSO_POD_METER
    tolerance: MeterTolerance = field(default_factory=MeterTolerance)
    delivery_check: DeliveryCheck = field(default_factory=DeliveryCheck)
    missing_data: MissingDataPolicy = MissingDataPolicy.INCOMPLETE

    def describe(self) -> dict[str, Any]:
        return {
            "authoritative": self.authoritative,
            "tolerance": {
                "relative": self.tolerance.relative,
                "absoluteWh": self.tolerance.absolute_wh,
            },
            "deliveryCheck": {
                "threshold": self.delivery_check.threshold,
                "withinS": self.delivery_check.within_s,
                "forfeitRemuneration": self.delivery_check.forfeit_remuneration,
            },
            "missingData": self.missing_data,
            "rounding": dict(ROUNDING),
        }
