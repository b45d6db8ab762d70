"""Issue 14, item 5, at the API: an X-of-Y settlement on the day after an Italian public
holiday takes the weekday before the holiday, not the holiday, and says so in its record.

Runs last in the package (it moves the platform's clock days ahead, to the day after the next
weekday holiday of the default ``IT`` calendar)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ledger.core import clock
from ledger.core.calendar import holidays_between
from tests.market import flows
from tests.settlement_ledger.conftest import accepted_activation, advance_past, readings, upload

GATE_S = 300  # the need is cleared at its gate, 5 min before delivery: time for notice
P = 900
X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}


def _weekday_holiday_after(today: date) -> date:
    """The first Italian holiday from ``today + 2`` that falls Tuesday to Thursday with plain
    weekdays either side (8 December, 25 April, 2 June, ... depending on the year)."""
    known = set(holidays_between("IT", today, today + timedelta(days=800)))
    for offset in range(2, 800):
        day = today + timedelta(days=offset)
        before, after = day - timedelta(days=1), day + timedelta(days=1)
        if day in known and 1 <= day.weekday() <= 3 and not {before, after} & known:
            return day
    raise AssertionError("no weekday holiday in two years")


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def test_the_day_after_a_holiday_is_settled_against_the_weekday_before_it(world: Any) -> None:
    """One POD; the DSO meter reads 20 kW on the weekday before the holiday, 30 kW on the
    holiday and 12 kW during the activation of 10 kW the day after. X-of-Y 1 of 1: the holiday
    counts as a weekend day, so the baseline is 20 kW x 15 min = 5,000 Wh (not 7,500 Wh),
    measured 3,000 Wh, delivered 2,000 Wh of the 2,500 Wh ordered."""
    now = clock.clock_for(world.platform.settings).now()
    holiday = _weekday_holiday_after(datetime.fromtimestamp(now, UTC).date())
    before = holiday - timedelta(days=1)
    t1 = _midnight(holiday + timedelta(days=1)) + 10 * 3600

    uvam_id, [pod] = flows.qualified_uvam(
        world, "bsp1", [("dso1", 30, 30, f"ZH-{uuid.uuid4().hex[:6]}")], up_kw=30, down_kw=30
    )
    flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    product = flows.product(
        world, flows.unique_product("HOLIDAY"), gate_closure_s=GATE_S, notice_s=60, ack_s=120
    )
    bid_id, _ = flows.selected_bid(
        world,
        "bsp1",
        uvam_id,
        product,
        t1,
        [10],
        settlement={"method": X_OF_Y},
        gate_closure_s=GATE_S,
    )
    activation = accepted_activation(world, bid_id, t1, 10)

    advance_past(world, t1 + P)
    period = t1 % 86_400
    rows = (
        readings(pod, _midnight(before) + period, [(15, 20_000)])
        + readings(pod, _midnight(holiday) + period, [(15, 30_000)])
        + readings(pod, t1, [(15, 12_000)])
    )
    upload(world, "dso1", "pod", rows)

    operation = flows.done(
        world, "tso", world.client("tso").post(f"/market/activations/{activation}/settlement")
    )
    assert operation["status"] == "succeeded", operation
    view = world.client("tso").get(f"/settlements/{operation['result']['settlementId']}").json()
    record = view["record"]
    assert record["terms"]["holidayCalendar"] == "IT"
    assert holiday.isoformat() in record["holidays"]
    assert record["pods"]["baselineDays"] == [[before.isoformat()]]
    [row] = view["periods"]
    assert (row["baselineWh"], row["measuredWh"]) == (5_000, 3_000)
    assert (row["orderedWh"], row["deliveredWh"]) == (2_500, 2_000)
    audit = world.client("auditor").get(f"/settlements/{view['id']}/audit").json()
    assert audit["matches"] is True, audit
