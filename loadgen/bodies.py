"""Request bodies of the mix, each made unique by the request's sequence number. Pure."""

from __future__ import annotations

from typing import Any, Final

from ledger.core.periods import PERIOD_SECONDS, iso, next_period
from ledger.registry.mass_load import pods_to_csv
from ledger.registry.schemas import PodCreate
from loadgen.plan import BspAssets, Plan

START: Final = "2025-01-01T00:00:00+01:00"
#: POD codes of the load: ``IT007E`` and 9 digits, ``sequence * CODES_PER_REQUEST + row``;
#: other POD codes of the platform's helpers use ``IT001E`` and 8 digits.
CODES_PER_REQUEST: Final = 1000
READING_STEP_S: Final = 60
BID_PERIODS: Final = 48


def pod_code(sequence: int, row: int = 0) -> str:
    return f"IT007E{sequence * CODES_PER_REQUEST + row:09d}"


def bsp_for(plan: Plan, sequence: int) -> BspAssets:
    return plan.bsps[sequence % len(plan.bsps)]


def pod_body(plan: Plan, bsp: BspAssets, sequence: int, row: int = 0) -> dict[str, Any]:
    contracted = 10 + (sequence * 7 + row) % 91  # 10-100 kW, low voltage
    code = pod_code(sequence, row)
    return {
        "registrationPeriod": 1_735_686_000,
        "receiverId": plan.tso_eic,
        "flexibilityServiceProviderId": bsp.eic,
        "meteringPointId": code,
        "locationId": "NORD",
        "resourceName": f"load site {code}",
        "direction": "consumption",
        "contractedPower": contracted,
        "maximumFlexUp": contracted // 2,
        "maximumFlexDown": contracted // 4,
        "gridVoltageLevel": "LV",
        "distributionGridOperatorName": plan.dso_eics[(sequence + row) % len(plan.dso_eics)],
        "startDateTime": START,
    }


def mass_load_csv(plan: Plan, bsp: BspAssets, sequence: int, rows: int) -> bytes:
    return pods_to_csv(
        PodCreate.model_validate(pod_body(plan, bsp, sequence, row)) for row in range(rows)
    )


def bids_body(plan: Plan, bsp: BspAssets, sequence: int, now: int) -> dict[str, Any]:
    """One to five bids of the BSP's UVAM, delivery an hour ahead or later."""
    first = next_period(now + 3600)
    bids = []
    for index in range(1 + sequence % 5):
        number = sequence * 5 + index
        kw = bsp.uvam_kw
        bids.append(
            {
                "uvamId": bsp.uvam_id,
                "productId": plan.product_id,
                "direction": "up" if number % 2 else "down",
                "deliveryStart": iso(first + PERIOD_SECONDS * (number % BID_PERIODS)),
                "quantitiesKw": [max(1, kw - number % kw), max(1, kw // 2), kw // 4],
                "price": f"{40 + (number % 997) / 100:.2f}",
            }
        )
    return {"bids": bids}


def _reading_window(plan: Plan, sequence: int, now: int) -> int:
    """First timestamp of an hour of readings that ended before ``now``."""
    span = plan.readings_per_device * READING_STEP_S
    return now - now % READING_STEP_S - span * (1 + sequence % 24)


def _power(device_number: int, step: int) -> int:
    return 3000 + 7 * device_number + (step * 37) % 4000


def measurements_json(plan: Plan, bsp: BspAssets, sequence: int, now: int) -> dict[str, Any]:
    first = _reading_window(plan, sequence, now)
    series = [
        {
            "resourceId": device,
            "start": first,
            "values": [_power(number, i) for i in range(plan.readings_per_device)],
        }
        for number, device in enumerate(bsp.device_ids)
    ]
    return {"kind": "device", "resolutionSeconds": READING_STEP_S, "series": series}


def measurements_csv(plan: Plan, bsp: BspAssets, sequence: int, now: int) -> bytes:
    first = _reading_window(plan, sequence, now)
    lines = ["resourceId,timestamp,powerW"]
    for number, device in enumerate(bsp.device_ids):
        lines.extend(
            f"{device},{first + READING_STEP_S * i},{_power(number, i)}"
            for i in range(plan.readings_per_device)
        )
    return ("\n".join(lines) + "\n").encode()
