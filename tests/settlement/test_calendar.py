"""Public holidays in the X-of-Y day types (issue 14, item 5): the Italian calendar of the
``holidays`` library by default; a holiday counts as a weekend day (``docs/settlement.md``).
Real Italian dates of 2025, worked by hand in the comments."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import ValidationError

from ledger.core.calendar import holidays_between, parse_calendar
from ledger.core.settings import Settings
from ledger.settlement import XOfYBaseline, settle
from tests.settlement.builders import activation, energy, history, settlement_day
from tests.settlement.test_baselines import baseline_of

LATEST = XOfYBaseline(x=1, y=1, min_days=1)
"""The most recent eligible day alone: which day it is shows the rule at work."""


def _italian(first: date, last: date) -> frozenset[date]:
    return frozenset(holidays_between("IT", first, last))


def test_the_italian_calendar_has_the_national_holidays() -> None:
    year = set(holidays_between("IT", date(2025, 1, 1), date(2025, 12, 31)))
    liberation, republic, ferragosto = date(2025, 4, 25), date(2025, 6, 2), date(2025, 8, 15)
    easter_monday = date(2025, 4, 21)
    assert {liberation, republic, ferragosto, easter_monday} <= year
    assert date(2025, 6, 3) not in year
    assert holidays_between("IT", date(2025, 6, 1), date(2025, 6, 30)) == (republic,)
    # a subdivision adds its own: South Tyrol's Whit Monday (9 June 2025)
    assert date(2025, 6, 9) in holidays_between("IT-BZ", date(2025, 6, 1), date(2025, 6, 30))
    assert date(2025, 6, 9) not in year


def test_the_day_after_festa_della_repubblica_skips_it() -> None:
    """Settled: Tuesday 3 June 2025. History: Fri 30 May (100 Wh), Sat 31 May, Sun 1 June,
    Mon 2 June (Festa della Repubblica, 900 Wh). Without the calendar the most recent weekday
    is 2 June (900); with it 2 June is a weekend day and 30 May (100) is taken."""
    dates = (date(2025, 5, 30), date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 2))
    days = [[[0, 0, 0, 0, wh, wh]] for wh in (100, 500, 500, 900)]
    settled = date(2025, 6, 3)
    plain = history(days, dates)
    italian = history(days, dates, holidays=_italian(dates[0], settled))
    assert baseline_of(LATEST, [0] * 6, history=plain, day=settled) == [900, 900]
    assert baseline_of(LATEST, [0] * 6, history=italian, day=settled) == [100, 100]


def test_ferragosto_is_settled_against_weekend_days() -> None:
    """Settled: Friday 15 August 2025 (Ferragosto), a weekend day by the calendar. History:
    Sun 10 August (300 Wh), Mon 11 - Thu 14 August (700 Wh each): the most recent day of the
    same type is Sunday 10 August; without the calendar it would be Thursday 14 August."""
    dates = tuple(date(2025, 8, d) for d in (10, 11, 12, 13, 14))
    days = [[[0, 0, 0, 0, wh, wh]] for wh in (300, 700, 700, 700, 700)]
    settled = date(2025, 8, 15)
    italian = history(days, dates, holidays=_italian(dates[0], settled))
    assert baseline_of(LATEST, [0] * 6, history=italian, day=settled) == [300, 300]
    assert baseline_of(LATEST, [0] * 6, history=history(days, dates), day=settled) == [700, 700]


def test_the_record_lists_the_holidays_it_applied() -> None:
    """Settled Monday 28 April 2025; history Thu 24 (200 Wh) and Fri 25 April (Liberation Day,
    800 Wh): the baseline is Thursday's, and the record lists 25 April (Easter Monday, 21 April,
    lies outside the window and is not listed)."""
    dates = (date(2025, 4, 24), date(2025, 4, 25))
    days = [[[0, 0, 0, 0, wh, wh]] for wh in (200, 800)]
    settled = date(2025, 4, 28)
    data = history(days, dates, holidays=_italian(date(2025, 4, 20), settled))
    [record] = settle(
        day=settlement_day(energy([[0] * 6]), history=data, day=settled),
        activations=[activation(first=4, ordered=[10, 10])],
        method=LATEST,
    )
    body = json.loads(record.canonical_json())
    assert body["holidays"] == ["2025-04-25"]
    assert body["pods"]["baselineWh"] == [[200, 200]]
    assert body["pods"]["baselineDays"] == [["2025-04-24"]]
    [without] = settle(
        day=settlement_day(energy([[0] * 6]), history=history(days, dates), day=settled),
        activations=[activation(first=4, ordered=[10, 10])],
        method=LATEST,
    )
    assert "holidays" not in json.loads(without.canonical_json())


@pytest.mark.parametrize(
    ("text", "parsed"), [("IT", ("IT", None)), ("it-bz", ("IT", "BZ")), ("DE-BY", ("DE", "BY"))]
)
def test_calendars_are_country_codes_with_an_optional_subdivision(
    text: str, parsed: tuple[str, str | None]
) -> None:
    assert parse_calendar(text) == parsed


def test_an_unknown_calendar_is_refused_at_start_naming_the_setting() -> None:
    assert Settings().holiday_calendar == "IT"
    assert Settings(holiday_calendar="it-bz").holiday_calendar == "IT-BZ"
    for bad in ("XX", "IT-ZZ"):
        with pytest.raises(ValidationError, match="holiday_calendar"):
            Settings(holiday_calendar=bad)
