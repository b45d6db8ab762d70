"""Sign convention, the two meter sources and the delivery check, by hand."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from ledger.market.terms import Direction
from ledger.settlement import (
    DeclaredBaseline,
    DeliveryCheck,
    MeterSource,
    MeterTolerance,
    SettlementInputError,
    SettlementRules,
    compute,
    settle,
)
from tests.settlement.builders import activation, energy, series, settlement_day

# -------------------------------------------------------------------------- sign convention


@pytest.mark.parametrize(
    ("case", "direction", "baseline", "measured", "delivered"),
    [
        # Consumer asked up (consume less): 1,000 expected, 700 consumed.
        ("consumption up", Direction.UP, 1000, 700, 300),
        # Consumer asked down (consume more): 1,000 expected, 1,200 consumed.
        ("consumption down", Direction.DOWN, 1000, 1200, 200),
        # Generator asked up (export more): 500 expected out, 800 out. Net import is negative.
        ("generation up", Direction.UP, -500, -800, 300),
        # Generator asked down (export less): 500 expected out, 300 out.
        ("generation down", Direction.DOWN, -500, -300, 200),
        # Consumer asked up that consumed more: negative delivery.
        ("consumption up, wrong way", Direction.UP, 1000, 1100, -100),
        # Generator asked down that exported more: negative delivery.
        ("generation down, wrong way", Direction.DOWN, -500, -650, -150),
    ],
)
def test_delivered_is_counted_in_the_ordered_direction(
    case: str, direction: Direction, baseline: int, measured: int, delivered: int
) -> None:
    day = settlement_day(energy([[measured]]), declared=energy([[baseline]]))
    act = activation(first=0, ordered=[300], direction=direction)
    (record,) = settle(day=day, activations=[act], method=DeclaredBaseline())
    assert record.pods.delivered_wh == ((delivered,),), case
    assert record.periods[0].delivered_wh == delivered
    assert record.periods[0].baseline_wh == baseline
    assert record.periods[0].measured_wh == measured


def test_uvam_delivery_is_the_sum_of_its_pods() -> None:
    # A consumer (+300) and a generator (+200 up) in one UVAM; a third POD not in the UVAM.
    day = settlement_day(
        energy([[700, 700], [-700, -700], [5, 5]]),
        declared=energy([[1000, 1000], [-500, -500], [0, 0]]),
    )
    act = activation(first=0, ordered=[400, 600], rows=(0, 1))
    (record,) = settle(day=day, activations=[act], method=DeclaredBaseline())
    assert record.pods.delivered_wh == ((300, 300), (200, 200))
    assert [p.delivered_wh for p in record.periods] == [500, 500]
    assert [p.baseline_wh for p in record.periods] == [500, 500]
    assert [p.measured_wh for p in record.periods] == [0, 0]


def test_a_pod_activated_twice_in_a_day_is_settled_in_each_activation() -> None:
    day = settlement_day(energy([[700, 900, 600]]), declared=energy([[1000, 1000, 1000]]))
    first = activation(first=0, ordered=[300], activation_id="a")
    second = activation(first=2, ordered=[300], activation_id="b")
    records = settle(day=day, activations=[first, second], method=DeclaredBaseline())
    assert [r.pods.delivered_wh for r in records] == [((300,),), ((400,),)]


# ----------------------------------------------------------------------------- meter sources


def test_dso_meter_is_authoritative_and_bsp_disagreement_is_flagged() -> None:
    # Tolerance: 1 % of the DSO value + 10 Wh = 20 Wh at 1,000 Wh.
    dso = energy([[1000, 1000, 1000, 1000]])
    bsp = energy([[1015, 1020, 1021, None]])
    day = settlement_day(dso, bsp=bsp, declared=energy([[1500] * 4]))
    (record,) = settle(
        day=day,
        activations=[activation(first=0, ordered=[500] * 4)],
        method=DeclaredBaseline(),
    )
    assert record.pods.disagreement == ((False, False, True, False),)
    assert record.pods.other_source_wh == ((1015, 1020, 1021, None),)
    assert [p.disagreeing_pods for p in record.periods] == [0, 0, 1, 0]
    assert record.totals.disagreements == 1
    # Money follows the DSO meter only: 500 Wh delivered each period.
    assert [p.delivered_wh for p in record.periods] == [500] * 4
    assert record.complete


def test_the_tolerance_is_configurable() -> None:
    dso = energy([[1000]])
    bsp = energy([[1021]])
    day = settlement_day(dso, bsp=bsp, declared=energy([[1500]]))
    loose = SettlementRules(tolerance=MeterTolerance(relative=Decimal("0.02"), absolute_wh=5))
    (record,) = settle(
        day=day,
        activations=[activation(first=0, ordered=[500])],
        method=DeclaredBaseline(),
        rules=loose,
    )
    assert record.pods.disagreement == ((False,),)  # 21 <= 20 + 5


def test_the_bsp_devices_can_be_made_authoritative() -> None:
    day = settlement_day(energy([[1000]]), bsp=energy([[900]]), declared=energy([[1500]]))
    rules = SettlementRules(authoritative=MeterSource.BSP_DEVICES)
    (record,) = settle(
        day=day,
        activations=[activation(first=0, ordered=[500])],
        method=DeclaredBaseline(),
        rules=rules,
    )
    assert record.periods[0].delivered_wh == 600
    assert record.pods.other_source_wh == ((1000,),)
    assert record.rules["authoritative"] == "bspDevices"


def test_settling_needs_the_authoritative_source() -> None:
    day = settlement_day(None, bsp=energy([[900]]), declared=energy([[1500]]))
    with pytest.raises(SettlementInputError, match="dsoPodMeter"):
        settle(day=day, activations=[activation(first=0, ordered=[1])], method=DeclaredBaseline())


# ----------------------------------------------------------------------------- delivery check

# Baseline 1,000 Wh per period = 4,000 W. Ordered 500 Wh = 2,000 W; 90 % is 1,800 W, reached
# when the measured power is at most 2,200 W.
RAMP = [4000] * 5 + [3000, 2500, 2200] + [2000] * 7
SLOW = [4000] * 10 + [2500] * 5 + [2000] * 15


def test_delivery_check_on_sixty_second_readings() -> None:
    readings = series([RAMP + [2000] * 15])
    day = settlement_day(
        readings.period_energy(), check_series=readings, declared=energy([[1000, 1000]])
    )
    (record,) = settle(
        day=day, activations=[activation(first=0, ordered=[500, 500])], method=DeclaredBaseline()
    )
    # The 8th minute (ending 480 s after the start) is the first at 1,800 W delivered.
    assert record.delivery_check.passed
    assert record.delivery_check.reached_after_s == 480
    assert record.delivery_check.resolution_s == 60
    # First period: 5 x 4000 + 3000 + 2500 + 2200 + 7 x 2000 W for a minute each -> 41,700
    # W.min = 695 Wh; delivered 305 of 500: not met. Second period: 500 of 500, met.
    assert [p.delivered_wh for p in record.periods] == [305, 500]
    assert [p.met for p in record.periods] == [False, True]


def test_delivery_check_fails_when_the_threshold_comes_too_late() -> None:
    readings = series([SLOW])
    day = settlement_day(
        readings.period_energy(), check_series=readings, declared=energy([[1000, 1000]])
    )
    act = activation(first=0, ordered=[500, 500])
    (record,) = settle(day=day, activations=[act], method=DeclaredBaseline())
    assert not record.delivery_check.passed
    assert record.delivery_check.reached_after_s is None
    # With 25 minutes (a DSO's window) the 16th minute counts.
    rules = SettlementRules(delivery_check=DeliveryCheck(within_s=1500))
    (late,) = settle(day=day, activations=[act], method=DeclaredBaseline(), rules=rules)
    assert late.delivery_check.reached_after_s == 960


def test_failed_delivery_check_can_forfeit_the_remuneration() -> None:
    readings = series([SLOW])
    day = settlement_day(
        readings.period_energy(), check_series=readings, declared=energy([[1000, 1000]])
    )
    act = activation(first=0, ordered=[500, 500])
    rules = SettlementRules(delivery_check=DeliveryCheck(forfeit_remuneration=True))
    (record,) = settle(day=day, activations=[act], method=DeclaredBaseline(), rules=rules)
    # Second period fully delivered, yet unpaid; the first period's shortfall is penalised:
    # (10 x 0 + 5 x 1500) W.min = 125 Wh delivered, 375 Wh short x 200 EUR/MWh = 0.075 -> 0.08.
    assert [p.remuneration_eur for p in record.periods] == [Decimal(0), Decimal(0)]
    assert [p.penalty_eur for p in record.periods] == [Decimal("0.08"), Decimal("0.00")]


def test_delivery_check_on_period_energies_when_no_finer_readings() -> None:
    day = settlement_day(energy([[540, 500]]), declared=energy([[1000, 1000]]))
    act = activation(first=0, ordered=[500, 500])
    (record,) = settle(day=day, activations=[act], method=DeclaredBaseline())
    # 460 >= 0.9 x 500 = 450 in the first period.
    assert record.delivery_check.passed
    assert record.delivery_check.reached_after_s == 900
    assert record.delivery_check.resolution_s == 900
    day = settlement_day(energy([[560, 500]]), declared=energy([[1000, 1000]]))
    (record,) = settle(day=day, activations=[act], method=DeclaredBaseline())
    assert not record.delivery_check.passed


def test_delivery_check_threshold_is_configurable() -> None:
    day = settlement_day(energy([[560]]), declared=energy([[1000]]))
    rules = SettlementRules(delivery_check=DeliveryCheck(threshold=Decimal("0.8")))
    results = compute(
        day=day,
        activations=[activation(first=0, ordered=[500])],
        method=DeclaredBaseline(),
        rules=rules,
    )
    assert results.reached_after_s.tolist() == [900]
    assert results.met.tolist() == [[True]]


def test_delivery_check_sums_the_uvam_before_comparing() -> None:
    # Two PODs, each delivering half of the set point from the first minute.
    readings = series([[3000] * 15, [3000] * 15])
    day = settlement_day(
        readings.period_energy(), check_series=readings, declared=energy([[1000], [1000]])
    )
    (record,) = settle(
        day=day,
        activations=[activation(first=0, ordered=[500], rows=(0, 1))],
        method=DeclaredBaseline(),
    )
    assert record.delivery_check.reached_after_s == 60
    assert np.array_equal(np.array(record.pods.delivered_wh), [[250], [250]])
