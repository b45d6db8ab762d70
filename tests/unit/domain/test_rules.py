"""DSO validation and TSO qualification rules."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.core.domain.enums import GridVoltageLevel, PodStatus
from ledger.core.domain.identifiers import make_eic
from ledger.registry.rules import (
    ITALIAN_UVAM_MINIMUM_KW,
    LV_MAX_CONTRACTED_KW,
    MV_MAX_CONTRACTED_KW,
    pod_validation_reasons,
    uvam_qualification_reasons,
)
from ledger.registry.schemas import PodCreate, UvamCreate

TSO = "10X1001A1001A345"
DSO = "26X00000105128-9"
OTHER_DSO = make_eic("26X000000001234")
BSP = "21Z000000000163R"


def pod(**changes: Any) -> PodCreate:
    data: dict[str, Any] = {
        "receiverId": TSO,
        "flexibilityServiceProviderId": BSP,
        "meteringPointId": "IT001E12345678",
        "resourceName": "Warehouse",
        "direction": "mixed",
        "contractedPower": 400,
        "maximumFlexUp": 150,
        "maximumFlexDown": 200,
        "gridVoltageLevel": "MV",
        "distributionGridOperatorName": DSO,
        "startDateTime": "2024-06-01T00:00:00Z",
    }
    data.update(changes)
    return PodCreate.model_validate(data)


def unchecked(base: PodCreate, **changes: Any) -> PodCreate:
    """A POD as it might come back from storage, bypassing the input model's checks."""
    return base.model_copy(update=changes)


def uvam(maximum: int = 300, minimum: int = 200) -> UvamCreate:
    return UvamCreate.model_validate(
        {
            "flexibilityServiceProviderId": BSP,
            "receiverId": TSO,
            "name": "UVAM Nord",
            "perimeter": "NORD",
            "maximumQualifiedPower": maximum,
            "minimumQualifiedPower": minimum,
            "marketType": "MSD",
            "startDateTime": "2024-07-01T00:00:00Z",
        }
    )


VALIDATED_MEMBERS = [
    ("IT001E00000001", PodStatus.VALIDATED, 200, 100),
    ("IT001E00000002", PodStatus.VALIDATED, 150, 150),
]


# --- POD --------------------------------------------------------------------------------------


def test_consistent_pod_passes() -> None:
    assert pod_validation_reasons(pod(), dso_eic=DSO) == []


def test_pod_of_another_dso() -> None:
    reasons = pod_validation_reasons(pod(distributionGridOperatorName=OTHER_DSO), dso_eic=DSO)
    assert reasons == [f"the POD is declared on the grid of DSO {OTHER_DSO}, not on that of {DSO}"]


@pytest.mark.parametrize(
    ("changes", "reason_start"),
    [
        (
            {"flexibility_service_provider_id": "21Z000000000164R"},
            "flexibilityServiceProviderId '21Z000000000164R' is not a valid EIC code",
        ),
        ({"metering_point_id": "IT001"}, "meteringPointId 'IT001' is not a valid POD code"),
        ({"maximum_flex_up": 401}, "maximumFlexUp 401 kW exceeds contractedPower 400 kW"),
        ({"maximum_flex_down": 500}, "maximumFlexDown 500 kW exceeds contractedPower 400 kW"),
    ],
)
def test_reasons_for_stored_pods(changes: dict[str, Any], reason_start: str) -> None:
    reasons = pod_validation_reasons(unchecked(pod(), **changes), dso_eic=DSO)
    assert len(reasons) == 1
    assert reasons[0].startswith(reason_start)


def test_invalid_dso_eic_on_the_pod_gives_two_reasons() -> None:
    stored = unchecked(pod(), distribution_grid_operator_name="26X00000105128-8")
    reasons = pod_validation_reasons(stored, dso_eic=DSO)
    assert len(reasons) == 2
    assert "check character mismatch" in reasons[0]
    assert "not on that of" in reasons[1]


def test_secondary_contracted_power_above_contracted_power() -> None:
    reasons = pod_validation_reasons(pod(contractedPowerSecondaryPOD=401), dso_eic=DSO)
    assert reasons == ["contractedPowerSecondaryPOD 401 kW exceeds contractedPower 400 kW"]
    assert pod_validation_reasons(pod(contractedPowerSecondaryPOD=400), dso_eic=DSO) == []


@pytest.mark.parametrize(
    ("level", "limit"),
    [(GridVoltageLevel.LV, LV_MAX_CONTRACTED_KW), (GridVoltageLevel.MV, MV_MAX_CONTRACTED_KW)],
)
def test_voltage_level_bounds(level: GridVoltageLevel, limit: int) -> None:
    at_limit = pod(
        gridVoltageLevel=level, contractedPower=limit, maximumFlexUp=0, maximumFlexDown=0
    )
    assert pod_validation_reasons(at_limit, dso_eic=DSO) == []
    above = pod(
        gridVoltageLevel=level, contractedPower=limit + 1, maximumFlexUp=0, maximumFlexDown=0
    )
    assert pod_validation_reasons(above, dso_eic=DSO) == [
        f"contractedPower {limit + 1} kW is inconsistent with gridVoltageLevel {level.value}"
        f" (at most {limit} kW)"
    ]


def test_high_voltage_has_no_upper_bound() -> None:
    big = pod(gridVoltageLevel="HV", contractedPower=250_000)
    assert pod_validation_reasons(big, dso_eic=DSO) == []


def test_bounds_are_the_documented_ones() -> None:
    assert (LV_MAX_CONTRACTED_KW, MV_MAX_CONTRACTED_KW) == (100, 10_000)


def test_invalid_dso_eic_argument_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="dso_eic"):
        pod_validation_reasons(pod(), dso_eic="26X00000105128-8")


# --- UVAM -------------------------------------------------------------------------------------


def test_uvam_with_validated_members_covering_its_powers_qualifies() -> None:
    assert uvam_qualification_reasons(uvam=uvam(350, 250), members=VALIDATED_MEMBERS) == []


def test_uvam_without_members() -> None:
    assert uvam_qualification_reasons(uvam=uvam(), members=[]) == ["the UVAM has no member PODs"]


@pytest.mark.parametrize(
    "status",
    [status for status in PodStatus if status is not PodStatus.VALIDATED],
)
def test_every_member_must_be_validated(status: PodStatus) -> None:
    members = [*VALIDATED_MEMBERS, ("IT001E00000003", status, 10, 10)]
    assert uvam_qualification_reasons(uvam=uvam(), members=members) == [
        f"POD IT001E00000003 is {status.label}, not Validated"
    ]


def test_qualified_powers_must_be_covered_by_members() -> None:
    reasons = uvam_qualification_reasons(uvam=uvam(351, 251), members=VALIDATED_MEMBERS)
    assert reasons == [
        "maximumQualifiedPower 351 kW exceeds the members' total maximumFlexUp 350 kW",
        "minimumQualifiedPower 251 kW exceeds the members' total maximumFlexDown 250 kW",
    ]


def test_member_listed_twice() -> None:
    members = [*VALIDATED_MEMBERS, VALIDATED_MEMBERS[0]]
    assert uvam_qualification_reasons(uvam=uvam(), members=members) == [
        "POD IT001E00000001 is listed 2 times"
    ]


def test_minimum_size_is_a_parameter() -> None:
    small = uvam(350, 250)
    assert uvam_qualification_reasons(uvam=small, members=VALIDATED_MEMBERS) == []
    reasons = uvam_qualification_reasons(
        uvam=small, members=VALIDATED_MEMBERS, minimum_qualified_kw=ITALIAN_UVAM_MINIMUM_KW
    )
    assert reasons == [
        "neither maximumQualifiedPower 350 kW nor minimumQualifiedPower 250 kW reaches the"
        " minimum of 1000 kW"
    ]
    assert (
        uvam_qualification_reasons(uvam=small, members=VALIDATED_MEMBERS, minimum_qualified_kw=350)
        == []
    )
    with pytest.raises(ValueError, match="negative"):
        uvam_qualification_reasons(uvam=small, members=VALIDATED_MEMBERS, minimum_qualified_kw=-1)
