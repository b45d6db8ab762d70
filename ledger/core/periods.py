"""Delivery periods of 15 minutes, identified by their start as a unix timestamp (UTC seconds).

"Settlement periods of 15 min are the norm (96 per day)" (DOMAIN.md §3). The contracts use the
same convention (``FlexMarket.PERIOD_SECONDS``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

PERIOD_SECONDS: Final = 900
MAX_PERIODS: Final = 96
DAY_SECONDS: Final = 86_400


def is_aligned(timestamp: int, step: int = PERIOD_SECONDS) -> bool:
    return timestamp % step == 0


def period_floor(timestamp: int) -> int:
    """Start of the period containing ``timestamp``."""
    return timestamp - timestamp % PERIOD_SECONDS


def next_period(timestamp: int) -> int:
    """Start of the first period beginning strictly after ``timestamp``."""
    return period_floor(timestamp) + PERIOD_SECONDS


def next_period_within_day(timestamp: int, count: int) -> int:
    """Start of the first period after ``timestamp`` from which ``count`` periods end on the same
    UTC day, so a delivery that would cross midnight starts at the next midnight instead: for
    tests and the demo whose history days assume one day (settlement itself takes an activation
    over midnight UTC, ``docs/settlement.md``)."""
    first = next_period(timestamp)
    midnight = first - first % DAY_SECONDS + DAY_SECONDS
    return first if first + count * PERIOD_SECONDS <= midnight else midnight


def period_starts(first: int, count: int) -> list[int]:
    return [first + index * PERIOD_SECONDS for index in range(count)]


def delivery_end(first: int, count: int) -> int:
    return first + count * PERIOD_SECONDS


def gate_closes_at(delivery_start: int, gate_closure_s: int) -> int:
    """The gate of a bid closes ``gate_closure_s`` before its first period starts; the contract
    accepts submissions, updates and withdrawals strictly before that instant."""
    return max(0, delivery_start - gate_closure_s)


def to_unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give it a timezone")
    return int(moment.timestamp())


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
