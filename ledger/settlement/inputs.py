"""The data a settlement is computed from: plain arrays and frozen dataclasses.

Rows of every POD array follow :attr:`SettlementDay.pod_ids`; columns are the day's periods,
period 0 starting at :attr:`SettlementDay.day_start`. The market layer fills these from the
committed measurement batches (whose Merkle roots it passes in :attr:`SettlementDay.data_roots`)
and from the activations on chain; settlement itself reads nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from ledger.market.terms import Direction
from ledger.settlement.energy import PERIOD_SECONDS, PeriodEnergy, PowerSeries
from ledger.settlement.errors import SettlementInputError

__all__ = ["Activation", "History", "SettlementDay"]


@dataclass(frozen=True)
class Activation:
    """One activation of a UVAM: set points as ordered energy per period, and its prices."""

    activation_id: str
    uvam_id: str
    direction: Direction
    first_period: int
    """Index in the day of the first activated period."""
    ordered_wh: tuple[int, ...]
    """Ordered energy per period from ``first_period`` on (``ordered_wh_from_kw``: 1 kW for a
    15-minute period is 250 Wh)."""
    price_eur_mwh: tuple[Decimal, ...]
    """Awarded price per period (pay-as-bid: the bid's; pay-as-clear: the period's)."""
    sanction_eur_mwh: tuple[Decimal, ...]
    """What the BSP pays per MWh not delivered, per period (Interflex sanction price)."""
    pod_rows: tuple[int, ...]
    """Rows of the day's arrays that are the UVAM's member PODs during the activation."""

    @property
    def periods(self) -> int:
        return len(self.ordered_wh)

    def validate(self, *, pods: int, periods: int) -> None:
        def refuse(message: str) -> SettlementInputError:
            return SettlementInputError(
                f"activation {self.activation_id}: {message}", field="activations"
            )

        if not isinstance(self.direction, Direction):
            raise refuse("direction must be a Direction")
        if not self.ordered_wh:
            raise refuse("no period ordered")
        if self.first_period < 0 or self.first_period + self.periods > periods:
            raise refuse("periods outside the settled day")
        if any(value < 0 for value in self.ordered_wh):
            raise refuse("ordered energy cannot be negative")
        if len(self.price_eur_mwh) != self.periods or len(self.sanction_eur_mwh) != self.periods:
            raise refuse("one price and one sanction price per ordered period")
        if any(not price.is_finite() for price in self.price_eur_mwh):
            raise refuse("prices must be finite")
        if any(not price.is_finite() or price < 0 for price in self.sanction_eur_mwh):
            raise refuse("sanction prices must be finite and not negative")
        if not self.pod_rows:
            raise refuse("no POD")
        if len(set(self.pod_rows)) != len(self.pod_rows):
            raise refuse("a POD is listed twice")
        if min(self.pod_rows) < 0 or max(self.pod_rows) >= pods:
            raise refuse("POD row out of range")


@dataclass(frozen=True, eq=False)
class History:
    """The authoritative meter on earlier days, for X-of-Y baselines."""

    energy: PeriodEnergy
    """``[days, pods, periods]``, oldest day first."""
    dates: tuple[date, ...]
    event_days: NDArray[np.bool_]
    """``[days, pods]``: the POD was activated (or otherwise excluded) on that day."""
    holidays: frozenset[date] = frozenset()
    """Holidays count as weekend days."""

    def validate(self, *, day: date, pods: int, periods: int) -> None:
        shape = self.energy.wh.shape
        if shape != (len(self.dates), pods, periods):
            raise SettlementInputError(
                f"history is {shape}, expected {(len(self.dates), pods, periods)}",
                field="history",
            )
        if self.event_days.shape != (len(self.dates), pods):
            raise SettlementInputError("event_days must be [days, pods]", field="history")
        if any(a >= b for a, b in zip(self.dates, self.dates[1:], strict=False)):
            raise SettlementInputError("history dates must increase", field="history")
        if self.dates and self.dates[-1] >= day:
            raise SettlementInputError("history must precede the settled day", field="history")


@dataclass(frozen=True, eq=False)
class SettlementDay:
    """One day of data for the PODs being settled."""

    day: date
    day_start: int
    """Unix time of the start of period 0."""
    pod_ids: tuple[str, ...]
    dso: PeriodEnergy | None
    """The DSO's POD meter, ``[pods, periods]``."""
    bsp: PeriodEnergy | None = None
    """The BSP's device readings summed per POD (``devices_to_pods``), ``[pods, periods]``."""
    check_series: PowerSeries | None = None
    """The authoritative meter's readings finer than a period (``[pods, steps]``), for the
    delivery check; without them the check uses period energies."""
    history: History | None = None
    declared: PeriodEnergy | None = None
    """The BSP's declared baseline, ``[pods, periods]``."""
    data_roots: Mapping[str, bytes] = field(default_factory=dict)
    """Merkle roots of the committed data used, by name (e.g. ``dsoPodMeter``,
    ``bspDevices``, ``history``, ``declared``); recorded in every settlement."""

    @property
    def pods(self) -> int:
        return len(self.pod_ids)

    def validate(self, periods: int) -> None:
        if self.day_start % PERIOD_SECONDS:
            raise SettlementInputError("day_start must start a period", field="dayStart")
        if len(set(self.pod_ids)) != len(self.pod_ids):
            raise SettlementInputError("POD ids must be unique", field="podIds")
        expected = (self.pods, periods)
        for name, energy in (("dso", self.dso), ("bsp", self.bsp), ("declared", self.declared)):
            if energy is not None and energy.wh.shape != expected:
                raise SettlementInputError(
                    f"{name} is {energy.wh.shape}, expected {expected}", field=name
                )
        if self.check_series is not None and (
            self.check_series.power_w.ndim != 2
            or self.check_series.power_w.shape[0] != self.pods
            or self.check_series.periods != periods
        ):
            raise SettlementInputError("check_series must be [pods, steps] over the day")
        if self.history is not None:
            self.history.validate(day=self.day, pods=self.pods, periods=periods)
        for name, root in self.data_roots.items():
            if len(root) != 32:
                raise SettlementInputError(f"data root {name} is not 32 bytes", field="dataRoots")
