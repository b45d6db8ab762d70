"""Request bodies the fault suite sends: PODs the platform accepts as they are."""

from __future__ import annotations

import random
from typing import Any

TSO_EIC = "10X1001A1001A345"
START = "2025-01-01T00:00:00+01:00"

_issued: set[str] = set()
_random = random.Random()


def metering_point_id() -> str:
    """A POD code (``IT001E`` + 8 digits) not handed out before in this run."""
    while True:
        code = f"IT001E{_random.randrange(10**8):08d}"
        if code not in _issued:
            _issued.add(code)
            return code


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
