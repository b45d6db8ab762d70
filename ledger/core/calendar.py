"""Public holidays for the X-of-Y day types (issue 14, item 5).

The source documents say nothing about holidays in X-of-Y baselines (FLOW D5.5, Interflex,
FLEXGRID, InterConnect and EV4EU were searched for it); DOMAIN.md §4 names CAISO's 10-of-10,
whose weekday baseline takes non-holiday weekdays and whose holidays are settled with weekend
days. The project follows that: **a public holiday counts as a weekend day**, both as the
settled day and as a history day (:func:`ledger.settlement.baselines.day_type`).

The calendar is a country code of the maintained ``holidays`` library, optionally with a
subdivision: ``IT`` (the default, Italy's national holidays), ``IT-BZ`` (plus South Tyrol's),
``DE-BY``. The dates a settlement used are stored with its inputs and listed in its record,
so a later release of the library (a holiday added or moved) cannot change a recomputation.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import holidays

DEFAULT_CALENDAR: Final = "IT"


def parse_calendar(text: str) -> tuple[str, str | None]:
    """``"IT"`` -> ``("IT", None)``, ``"IT-BZ"`` -> ``("IT", "BZ")``; ValueError naming what
    the library does not know."""
    country, _, subdivision = text.strip().upper().partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f"unknown holiday calendar country {country!r} (e.g. IT, DE, FR)")
    if subdivision and subdivision not in supported[country]:
        raise ValueError(
            f"unknown subdivision {subdivision!r} of {country} (e.g. {supported[country][0]})"
        )
    return country, subdivision or None


def holidays_between(calendar: str, first: date, last: date) -> tuple[date, ...]:
    """The calendar's public holidays from ``first`` to ``last`` (both included), in order."""
    if last < first:
        return ()
    country, subdivision = parse_calendar(calendar)
    days = holidays.country_holidays(
        country, subdiv=subdivision, years=range(first.year, last.year + 1)
    )
    return tuple(sorted(day for day in days if first <= day <= last))
