"""DSO and TSO validation rules, as pure functions returning reasons (empty list = passes).

"the DSO is notified, analyses, records static constraints per POD, and the POD becomes
`Validated` (or is rejected, with reasons)"; for a UVAM, "only PODs already validated may join;
after review the TSO qualifies it for the market" (FLOW D5.5 section 3).

The rules re-check what the input models already enforce (EICs, powers): the records they judge
may come from storage rather than straight from a request, and a verdict must stand on its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Final

from ledger.core.domain.enums import GridVoltageLevel, PodStatus
from ledger.core.domain.identifiers import eic_problem, pod_code_problem
from ledger.registry.schemas import PodCreate, UvamCreate

__all__ = [
    "ITALIAN_UVAM_MINIMUM_KW",
    "LV_MAX_CONTRACTED_KW",
    "MV_MAX_CONTRACTED_KW",
    "pod_validation_reasons",
    "uvam_qualification_reasons",
]

# Plausibility bounds of contracted power per voltage level, a project decision. Italian
# connection rules (ARERA TICA) connect requests up to 100 kW at low voltage and larger ones
# at medium voltage, where DSOs accept a few MW and exceptionally up to about 10 MW; beyond
# that a connection is at high voltage. A POD declared above these bounds for its level is
# inconsistent data, not a legal breach, and goes back to the BSP.
LV_MAX_CONTRACTED_KW: Final = 100
MV_MAX_CONTRACTED_KW: Final = 10_000
_MAX_CONTRACTED_KW_BY_LEVEL: Final = {
    GridVoltageLevel.LV: LV_MAX_CONTRACTED_KW,
    GridVoltageLevel.MV: MV_MAX_CONTRACTED_KW,
}

#: Terna's UVAM pilot asks for at least 1 MW; the demo relaxes it ("aggregates under 1 MW
#: admitted"), hence a parameter of :func:`uvam_qualification_reasons` defaulting to 0.
ITALIAN_UVAM_MINIMUM_KW: Final = 1_000


def pod_validation_reasons(pod: PodCreate, *, dso_eic: str) -> list[str]:
    """Why the DSO ``dso_eic`` cannot validate ``pod``; an empty list when it can.

    Raises ``ValueError`` if ``dso_eic`` itself is not a valid EIC (a caller error).
    """
    problem = eic_problem(dso_eic)
    if problem is not None:
        raise ValueError(f"dso_eic {dso_eic!r} is {problem}")
    reasons: list[str] = []
    reasons += _identifier_reasons(pod)
    if pod.distribution_grid_operator_name != dso_eic:
        reasons.append(
            f"the POD is declared on the grid of DSO {pod.distribution_grid_operator_name},"
            f" not on that of {dso_eic}"
        )
    reasons += _power_reasons(pod)
    return reasons


def _identifier_reasons(pod: PodCreate) -> list[str]:
    reasons: list[str] = []
    for field, code in (
        ("flexibilityServiceProviderId", pod.flexibility_service_provider_id),
        ("distributionGridOperatorName", pod.distribution_grid_operator_name),
    ):
        problem = eic_problem(code)
        if problem is not None:
            reasons.append(f"{field} {code!r} is {problem}")
    problem = pod_code_problem(pod.metering_point_id)
    if problem is not None:
        reasons.append(f"meteringPointId {pod.metering_point_id!r} is {problem}")
    return reasons


def _power_reasons(pod: PodCreate) -> list[str]:
    contracted = pod.contracted_power
    reasons: list[str] = []
    for field, value in (
        ("maximumFlexUp", pod.maximum_flex_up),
        ("maximumFlexDown", pod.maximum_flex_down),
        ("contractedPowerSecondaryPOD", pod.contracted_power_secondary_pod),
    ):
        if value is not None and value > contracted:
            reasons.append(f"{field} {value} kW exceeds contractedPower {contracted} kW")
    level_maximum = _MAX_CONTRACTED_KW_BY_LEVEL.get(pod.grid_voltage_level)
    if level_maximum is not None and contracted > level_maximum:
        reasons.append(
            f"contractedPower {contracted} kW is inconsistent with gridVoltageLevel"
            f" {pod.grid_voltage_level.value} (at most {level_maximum} kW)"
        )
    return reasons


def uvam_qualification_reasons(
    *,
    uvam: UvamCreate,
    members: Sequence[tuple[str, PodStatus, int, int]],
    minimum_qualified_kw: int = 0,
) -> list[str]:
    """Why the TSO cannot qualify ``uvam``; an empty list when it can.

    ``members`` are ``(meteringPointId, status, maximumFlexUp, maximumFlexDown)`` of its PODs.
    The UVAM qualifies when it has members, all of them ``Validated``, its qualified powers are
    covered by the members' flexibility, and its upward or downward qualified power reaches
    ``minimum_qualified_kw`` (Terna: :data:`ITALIAN_UVAM_MINIMUM_KW`; the demo: 0).
    """
    if minimum_qualified_kw < 0:
        raise ValueError("minimum_qualified_kw must not be negative")
    if not members:
        return ["the UVAM has no member PODs"]
    reasons: list[str] = []
    counts = Counter(metering_point for metering_point, *_ in members)
    reasons += [f"POD {code} is listed {n} times" for code, n in counts.items() if n > 1]
    reasons += [
        f"POD {metering_point} is {PodStatus(status).label}, not Validated"
        for metering_point, status, _, _ in members
        if status != PodStatus.VALIDATED
    ]
    total_up = sum(flex_up for _, _, flex_up, _ in members)
    total_down = sum(flex_down for _, _, _, flex_down in members)
    if uvam.maximum_qualified_power > total_up:
        reasons.append(
            f"maximumQualifiedPower {uvam.maximum_qualified_power} kW exceeds the members'"
            f" total maximumFlexUp {total_up} kW"
        )
    if uvam.minimum_qualified_power > total_down:
        reasons.append(
            f"minimumQualifiedPower {uvam.minimum_qualified_power} kW exceeds the members'"
            f" total maximumFlexDown {total_down} kW"
        )
    if max(uvam.maximum_qualified_power, uvam.minimum_qualified_power) < minimum_qualified_kw:
        reasons.append(
            f"neither maximumQualifiedPower {uvam.maximum_qualified_power} kW nor"
            f" minimumQualifiedPower {uvam.minimum_qualified_power} kW reaches the minimum"
            f" of {minimum_qualified_kw} kW"
        )
    return reasons
