"""Request bodies the fault suite sends: PODs the platform accepts as they are."""

from __future__ import annotations

from typing import Any

from cli.flows import START, pod_code
from cli.world import TSO_EIC

#: A POD code (``IT001E`` + 8 digits) not handed out before in this process: one generator for
#: the tests, the fault suite and the load generator, so their codes never collide.
metering_point_id = pod_code


def pod_body(bsp_eic: str, dso_eic: str) -> dict[str, Any]:
    code = metering_point_id()
    return {
        "registrationPeriod": 1_735_686_000,
        "receiverId": TSO_EIC,
        "receiverCodingSchemeType": "A01",
        "flexibilityServiceProviderId": bsp_eic,
        "flexibilityServiceProviderCodingSchemeType": "A01",
        "meteringPointId": code,
        "locationId": "Milano Nord",
        "brpContractId": "DC-2025-001",
        "resourceName": f"Site {code}",
        "direction": "mixed",
        "contractedPower": 80,
        "maximumFlexUp": 30,
        "maximumFlexDown": 40,
        "gridVoltageLevel": "LV",
        "distributionGridOperatorName": dso_eic,
        "startDateTime": START,
    }
