"""An activation over midnight UTC, 23:30-00:30 from a Friday to a Saturday, settled on the
real stack: X-of-Y with the Friday periods against weekday history and the Saturday periods
against weekend history, then (disputed, re-settled) meter-before across midnight; both audited.

Runs last in the package (it moves the platform's clock days ahead, to the next Friday
evening with no public holiday around it). Every figure is worked by hand from the readings.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cli.main import app
from ledger.core import clock
from ledger.core.calendar import holidays_between
from ledger.core.periods import iso
from tests.indexer.tampering import cli_env, runner
from tests.market import flows
from tests.settlement_ledger.conftest import advance_past, readings, upload

GATE_S = 300
P = 900
X_OF_Y = {"name": "xOfY", "x": 1, "y": 1, "minDays": 1}
METER_BEFORE = {"name": "meterBefore", "windowPeriods": 2, "gapPeriods": 0}


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _quiet_friday_after(today: date) -> date:
    """The first Friday from ``today + 2`` with no Italian holiday from the Saturday eight days
    before it to the Saturday after it (so every day keeps its plain weekday/weekend type)."""
    for offset in range(2, 400):
        day = today + timedelta(days=offset)
        if day.weekday() == 4 and not holidays_between(
            "IT", day - timedelta(days=8), day + timedelta(days=1)
        ):
            return day
    raise AssertionError("no Friday without holidays in a year")


def _done(world: Any, slug: str, response: Any) -> dict[str, Any]:
    operation = flows.done(world, slug, response)
    assert operation["status"] == "succeeded", operation
    return operation


def _view(world: Any, operation: dict[str, Any]) -> dict[str, Any]:
    path = f"/settlements/{operation['result']['settlementId']}"
    view: dict[str, Any] = world.client("tso").get(path).json()
    return view


def _figures(view: dict[str, Any], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(period[name] for name in names) for period in view["periods"]]


def _audited(world: Any, view: dict[str, Any]) -> None:
    """The API's audit and ``cbp audit settlement`` recompute the record from the stored inputs
    and readings and find the hash on chain; ``cbp audit verify`` finds nothing about it."""
    audit = world.client("auditor").get(f"/settlements/{view['id']}/audit").json()
    assert audit["matches"] is True, audit
    env = cli_env(world)
    result = runner.invoke(app, ["audit", "settlement", view["id"]], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["audit", "verify", "--format", "json"], env=env)
    assert view["id"] not in result.stdout, result.stdout


def test_an_activation_from_friday_2330_to_saturday_0030_is_settled_and_audited(
    world: Any,
) -> None:
    """One POD of dso1, 10 kW up over four periods (2,500 Wh ordered each) at 50 EUR/MWh,
    sanction 120 EUR/MWh. The DSO meter reads (kW, 15 min = kW x 250 Wh):

    * Thursday 23:30-00:00 at 20 kW and Friday 00:00-00:30 at 22 kW (the weekday history);
    * the Saturday before, 23:30-00:00 at 24 kW, and that Sunday 00:00-00:30 at 16 kW (the
      weekend history);
    * Friday 23:00-23:30 at 15 kW, 23:30-00:00 at 12 kW, Saturday 00:00-00:30 at 9 kW.

    X-of-Y 1 of 1: the Friday periods' baseline is Thursday's same period, 5,000 Wh; the
    Saturday periods' is the previous Sunday's, 4,000 Wh (not Friday's 5,500: Friday is a
    weekday). Measured 3,000 and 2,250 Wh: delivered 2,000 and 1,750 Wh; remunerated as
    much; short 500 and 750 Wh. Money per period, to the cent half to even: 2,000 x 50 / 10^6
    = 0.10, 1,750 x 50 / 10^6 = 0.0875 -> 0.09; penalties 500 x 120 / 10^6 = 0.06, 750 x 120 /
    10^6 = 0.09. Totals: 0.38 paid, 0.30 penalty, 0.08 net, 7,500 Wh delivered.

    Meter-before (2 periods, no gap): the mean of Friday 23:00-23:30, 3,750 Wh, held through
    midnight. Delivered 750 and 1,500 Wh; paid 0.0375 -> 0.04 and 0.075 -> 0.08; short 1,750
    and 1,000 Wh: 0.21 and 0.12. Totals 0.24 paid, 0.66 penalty, -0.42 net."""
    now = clock.clock_for(world.platform.settings).now()
    friday = _quiet_friday_after(datetime.fromtimestamp(now, UTC).date())
    saturday = friday + timedelta(days=1)
    t1 = _midnight(friday) + 23 * 3600 + 1800  # Friday 23:30 UTC

    uvam_id, [pod] = flows.qualified_uvam(
        world, "bsp1", [("dso1", 30, 30, f"ZM-{uuid.uuid4().hex[:6]}")], up_kw=30, down_kw=30
    )
    flows.succeeded(world, "tso", world.client("tso").post(f"/market/admissions/{uvam_id}"))
    product = flows.product(
        world, flows.unique_product("MIDNIGHT"), gate_closure_s=GATE_S, notice_s=60, ack_s=120
    )
    bid_id, _ = flows.selected_bid(
        world,
        "bsp1",
        uvam_id,
        product,
        t1,
        [10] * 4,
        settlement={"method": X_OF_Y, "sanctionEurMwh": "120"},
        gate_closure_s=GATE_S,
    )
    tso = world.client("tso")
    activated = tso.post(
        "/market/activations",
        json={"bidId": bid_id, "firstPeriod": iso(t1), "setPointsKw": [10] * 4},
    )
    activation = _done(world, "tso", activated)["result"]["activationId"]
    ack = world.client("bsp1").post(
        f"/market/activations/{activation}/acknowledgement", json={"accept": True}
    )
    _done(world, "bsp1", ack)

    advance_past(world, t1 + 4 * P)
    thursday_2330 = t1 - 86_400
    saturday_before_2330 = t1 - 6 * 86_400
    rows = (
        readings(pod, thursday_2330, [(30, 20_000), (30, 22_000)])
        + readings(pod, saturday_before_2330, [(30, 24_000), (30, 16_000)])
        + readings(pod, t1 - 1800, [(30, 15_000), (30, 12_000), (30, 9_000)])
    )
    upload(world, "dso1", "pod", rows)

    v1 = _view(world, _done(world, "tso", tso.post(f"/market/activations/{activation}/settlement")))
    record = v1["record"]
    assert record["schema"] == "cbp.settlement/5"
    assert record["day"] == friday.isoformat()
    assert [p["start"] for p in v1["periods"]] == [t1 + i * P for i in range(4)]
    assert _figures(v1, "baselineWh", "measuredWh", "orderedWh", "deliveredWh") == [
        (5_000, 3_000, 2_500, 2_000),
        (5_000, 3_000, 2_500, 2_000),
        (4_000, 2_250, 2_500, 1_750),
        (4_000, 2_250, 2_500, 1_750),
    ]
    assert _figures(v1, "remuneratedWh", "deficiencyWh", "remunerationEur", "penaltyEur") == [
        (2_000, 500, "0.1", "0.06"),
        (2_000, 500, "0.1", "0.06"),
        (1_750, 750, "0.09", "0.09"),
        (1_750, 750, "0.09", "0.09"),
    ]
    totals = v1["totals"]
    assert (totals["deliveredWh"], totals["orderedWh"]) == (7_500, 10_000)
    assert (totals["remunerationEur"], totals["penaltyEur"], totals["netEur"]) == (
        "0.38",
        "0.3",
        "0.08",
    )
    assert totals["assessedPeriods"] == 4
    assert record["dayParts"] == [
        {
            "day": friday.isoformat(),
            "periods": 2,
            "baselineDays": [[(friday - timedelta(days=1)).isoformat()]],
        },
        {
            "day": saturday.isoformat(),
            "periods": 2,
            "baselineDays": [[(saturday - timedelta(days=6)).isoformat()]],
        },
    ]
    assert "baselineDays" not in record["pods"]
    assert record["pods"]["measuredWh"] == [[3_000, 3_000, 2_250, 2_250]]
    _audited(world, v1)

    # the BSP disputes; the TSO re-settles with meter-before, read across midnight
    dispute = world.client("bsp1").post(
        f"/settlements/{v1['id']}/dispute", json={"reason": "wrong baseline"}
    )
    _done(world, "bsp1", dispute)
    resolved = tso.post(
        f"/settlements/{v1['id']}/resolve", json={"decision": "resettle", "method": METER_BEFORE}
    )
    v2 = _view(world, _done(world, "tso", resolved))
    assert v2["version"] == 2
    assert _figures(v2, "baselineWh", "deliveredWh", "remuneratedWh", "deficiencyWh") == [
        (3_750, 750, 750, 1_750),
        (3_750, 750, 750, 1_750),
        (3_750, 1_500, 1_500, 1_000),
        (3_750, 1_500, 1_500, 1_000),
    ]
    assert _figures(v2, "remunerationEur", "penaltyEur") == [
        ("0.04", "0.21"),
        ("0.04", "0.21"),
        ("0.08", "0.12"),
        ("0.08", "0.12"),
    ]
    assert (v2["totals"]["remunerationEur"], v2["totals"]["penaltyEur"]) == ("0.24", "0.66")
    assert v2["totals"]["netEur"] == "-0.42"
    assert v2["record"]["dayParts"] == [
        {"day": friday.isoformat(), "periods": 2},
        {"day": saturday.isoformat(), "periods": 2},
    ]
    _audited(world, v2)
