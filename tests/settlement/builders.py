"""Small settlement inputs for the worked examples and the property tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from ledger.market.terms import Direction
from ledger.settlement import (
    Activation,
    History,
    PeriodEnergy,
    PowerSeries,
    SettlementDay,
)

#: A Wednesday; its period 0 starts at 2025-03-05T00:00Z.
DAY = date(2025, 3, 5)
DAY_START = 1_741_132_800
ROOT = bytes.fromhex("ab" * 32)


def energy(rows: Sequence[Sequence[int | None]]) -> PeriodEnergy:
    """Energies with ``None`` for a missing value."""
    present = np.array([[v is not None for v in row] for row in rows], dtype=np.bool_)
    wh = np.array([[0 if v is None else v for v in row] for row in rows], dtype=np.int64)
    return PeriodEnergy.with_gaps(wh, present)


def history(
    days: Sequence[Sequence[Sequence[int | None]]],
    dates: Sequence[date],
    *,
    event_days: Sequence[Sequence[bool]] | None = None,
    holidays: frozenset[date] = frozenset(),
) -> History:
    """``days[d][pod][period]``."""
    present = np.array(
        [[[v is not None for v in row] for row in day] for day in days], dtype=np.bool_
    )
    wh = np.array(
        [[[0 if v is None else v for v in row] for row in day] for day in days], dtype=np.int64
    )
    pods = wh.shape[1]
    events = (
        np.zeros((len(dates), pods), dtype=np.bool_)
        if event_days is None
        else np.array(event_days, dtype=np.bool_)
    )
    return History(PeriodEnergy.with_gaps(wh, present), tuple(dates), events, holidays)


def settlement_day(
    dso: PeriodEnergy | None,
    *,
    pods: Sequence[str] | None = None,
    **extra: Any,
) -> SettlementDay:
    count = (dso.wh.shape[0]) if dso is not None else extra["bsp"].wh.shape[0]
    return SettlementDay(
        day=extra.pop("day", DAY),
        day_start=DAY_START,
        pod_ids=tuple(pods or [f"IT001E{index:08d}" for index in range(count)]),
        dso=dso,
        data_roots=extra.pop("data_roots", {"dsoPodMeter": ROOT}),
        **extra,
    )


def activation(
    *,
    first: int,
    ordered: Sequence[int],
    rows: Sequence[int] = (0,),
    direction: Direction = Direction.UP,
    price: str = "120",
    sanction: str = "200",
    activation_id: str = "act-1",
    uvam_id: str = "UVAM-1",
) -> Activation:
    return Activation(
        activation_id=activation_id,
        uvam_id=uvam_id,
        direction=direction,
        first_period=first,
        ordered_wh=tuple(ordered),
        price_eur_mwh=(Decimal(price),) * len(ordered),
        sanction_eur_mwh=(Decimal(sanction),) * len(ordered),
        pod_rows=tuple(rows),
    )


def series(rows: Sequence[Sequence[int]], resolution_s: int = 60) -> PowerSeries:
    return PowerSeries(np.array(rows, dtype=np.int32), resolution_s)
