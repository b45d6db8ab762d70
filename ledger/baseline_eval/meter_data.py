"""Real metered electricity data that a PyPI package ships offline: the UK household samples
of OpenEEmeter (``eemeter``; the same files are in its successor ``opendsm``).

Of the package's samples only the three ``uk-electricity-*`` series are metered; its loader says
the ``il-*`` series are simulated, and they are left out. Samples 1 and 2 are half-hourly
(2012-2014; the file names say hourly), sample 0 hourly (2020-2022, UTC). The files are read
straight from the installed distribution: nothing of the package is imported, so none of its
heavy dependencies is needed (``pip install --no-deps eemeter==4.1.1`` suffices; ``make setup``
does it).

A day is cut into 96 periods of 15 minutes, as the settlement's baselines expect. An interval
of 30 or 60 minutes is spread evenly over its 2 or 4 periods; values are kept exact by working
in mWh: the files give kWh with three decimals (whole Wh), and 1 Wh over 2 or 4 periods is a
whole number of mWh. Timestamps are taken as the files give them (a calendar day is the day
of the timestamp). A duplicated timestamp with two different values makes that interval
missing, as does an interval the file lacks.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["PERIODS_PER_DAY", "REAL_SAMPLES", "MeterDay", "SampleMissing", "load_sample"]

PERIODS_PER_DAY: Final = 96
PERIOD_MINUTES: Final = 15
REAL_SAMPLES: Final = (
    "uk-electricity-hdd-only-hourly-sample-0",
    "uk-electricity-hdd-only-hourly-sample-1",
    "uk-electricity-hdd-only-hourly-sample-2",
)
"""The metered series; the ``il-*`` ones are simulated (the package's loader says so)."""
_PACKAGES: Final = (("eemeter", "eemeter/eemeter/samples"), ("opendsm", "opendsm/eemeter/samples"))
INSTALL_HINT: Final = "pip install --no-deps eemeter==4.1.1 (make setup installs it)"


class SampleMissing(LookupError):
    """The sample file is not installed."""


@dataclass(frozen=True, eq=False)
class MeterDay:
    """One meter's energy per 15-minute period and calendar day, in mWh (``[days, 96]``), and
    whether each period was metered."""

    name: str
    first_day: date
    interval_minutes: int
    mwh: NDArray[np.int64]
    present: NDArray[np.bool_]
    duplicates_dropped: int

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.first_day + timedelta(days=i) for i in range(self.mwh.shape[0]))


def sample_path(name: str) -> Path:
    """The installed file of sample ``name``, from ``eemeter`` or else ``opendsm``."""
    for package, folder in _PACKAGES:
        try:
            distribution = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            continue
        path = Path(str(distribution.locate_file(f"{folder}/{name}.csv.gz")))
        if path.is_file():
            return path
    raise SampleMissing(f"sample {name!r} is not installed: {INSTALL_HINT}")


def _readings(text: str) -> list[tuple[datetime, int]]:
    """``(start, Wh)`` rows of a ``start,value`` file with values in kWh."""
    rows = csv.DictReader(io.StringIO(text))
    if rows.fieldnames is None or not {"start", "value"} <= set(rows.fieldnames):
        raise ValueError("a meter sample needs the columns start and value")
    readings = []
    for row in rows:
        if not row["value"]:
            continue
        wh = (Decimal(row["value"]) * 1000).to_integral_value()  # half even
        readings.append((datetime.fromisoformat(row["start"]).replace(tzinfo=None), int(wh)))
    return readings


def meter_days(name: str, readings: list[tuple[datetime, int]]) -> MeterDay:
    """Readings ``(interval start, Wh)`` as whole days of 15-minute periods (the first and last
    calendar day of the file included, missing where not metered)."""
    if len(readings) < 2:
        raise ValueError(f"{name}: too few readings")
    readings = sorted(readings, key=lambda reading: reading[0])
    steps = Counter(
        int((b[0] - a[0]).total_seconds()) // 60
        for a, b in itertools.pairwise(readings)
        if b[0] != a[0]
    )
    interval = steps.most_common(1)[0][0]
    if interval not in (15, 30, 60):
        raise ValueError(f"{name}: an interval of {interval} minutes is not supported")
    per = interval // PERIOD_MINUTES
    first, last = readings[0][0].date(), readings[-1][0].date()
    days = (last - first).days + 1
    mwh = np.zeros((days, PERIODS_PER_DAY), dtype=np.int64)
    present = np.zeros((days, PERIODS_PER_DAY), dtype=np.bool_)
    seen: dict[datetime, int] = {}
    conflicting: set[datetime] = set()
    for start, wh in readings:
        if start.minute % interval or start.second:
            continue  # off the grid of the series' interval
        if start in seen:
            if seen[start] != wh:
                conflicting.add(start)
            continue
        seen[start] = wh
    for start, wh in seen.items():
        day = (start.date() - first).days
        period = (start.hour * 60 + start.minute) // PERIOD_MINUTES
        ok = start not in conflicting
        mwh[day, period : period + per] = wh * 1000 // per if ok else 0
        present[day, period : period + per] = ok
    dropped = sum(count - 1 for count in Counter(s for s, _ in readings).values() if count > 1)
    return MeterDay(name, first, interval, mwh, present, dropped)


def load_sample(name: str) -> MeterDay:
    """One of :data:`REAL_SAMPLES` as :class:`MeterDay`."""
    if name not in REAL_SAMPLES:
        raise ValueError(f"{name!r} is not a metered sample (one of {', '.join(REAL_SAMPLES)})")
    with gzip.open(sample_path(name), "rt", encoding="utf-8") as handle:
        return meter_days(name, _readings(handle.read()))
