"""The DSO's traffic light on a bid (pure)."""

from __future__ import annotations

from ledger.core.domain.enums import DsoOutcome
from ledger.market.grid import Constraint, Light, MemberPod, ReasonCode, check_bid
from ledger.market.terms import Direction

T = 1_800_000_000 - 1_800_000_000 % 900
DSO, OTHER = "26X00000105128-9", "26XDSO-SECOND-7"
PODS = [
    MemberPod("p1", DSO, "NORD", flex_up_kw=30, flex_down_kw=10),
    MemberPod("p2", DSO, "SUD", flex_up_kw=20, flex_down_kw=10),
    MemberPod("p3", OTHER, "NORD", flex_up_kw=10, flex_down_kw=10),
]


def verdict(constraints, quantities=(50, 50), direction=Direction.UP):
    return check_bid(
        dso_eic=DSO,
        direction=direction,
        delivery_start=T,
        quantities_kw=quantities,
        members=PODS,
        constraints=constraints,
    )


def test_green_when_nothing_applies() -> None:
    result = verdict([Constraint("c", "zone", "NORD", T + 7200, T + 8100, Light.RED)])
    assert (result.outcome, result.allowed_kw, result.reasons) == (DsoOutcome.CLEARED, (50, 50), ())


def test_amber_caps_and_red_blocks_per_period() -> None:
    # T: zone NORD amber 5 kW -> p1 gives 5 instead of 30: 5 + 20 + 10 (other DSO) = 35
    # T+1: POD p2 red -> 30 + 0 + 10 = 40
    result = verdict(
        [
            Constraint(
                "a",
                "zone",
                "NORD",
                T,
                T + 900,
                Light.AMBER,
                limit_kw=5,
                reason_code=ReasonCode.VOLTAGE,
            ),
            Constraint("r", "pod", "p2", T + 900, T + 1800, Light.RED, reason="works"),
        ]
    )
    assert result.outcome is DsoOutcome.CAPPED
    assert result.allowed_kw == (35, 40)
    assert result.reason_code is ReasonCode.VOLTAGE
    assert any("p2: red pod p2: works" in r for r in result.reasons)


def test_blocked_when_nothing_is_left_and_direction_filters() -> None:
    reds = [Constraint(p, "pod", p, T, T + 1800, Light.RED) for p in ("p1", "p2")]
    pods_only_here = [p for p in PODS if p.dso_eic == DSO]
    result = check_bid(
        dso_eic=DSO,
        direction=Direction.UP,
        delivery_start=T,
        quantities_kw=(10, 0),
        members=pods_only_here,
        constraints=reds,
    )
    assert result.outcome is DsoOutcome.BLOCKED
    assert result.allowed_kw == (0, 0)
    down_only = [Constraint("d", "zone", "NORD", T, T + 1800, Light.RED, direction=Direction.DOWN)]
    assert verdict(down_only).outcome is DsoOutcome.CLEARED
    assert verdict(down_only, quantities=(30, 30), direction=Direction.DOWN).allowed_kw == (20, 20)
