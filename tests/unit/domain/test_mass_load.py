"""CSV mass loading of PODs."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from ledger.core.domain.errors import FieldError
from ledger.registry.mass_load import (
    MassLoadReport,
    parse_pod_csv,
    pod_csv_header,
    pods_to_csv,
)
from ledger.registry.schemas import PodCreate

TSO = "10X1001A1001A345"
DSO = "26X00000105128-9"
BSP = "21Z000000000163R"
REQUIRED = [
    "receiverId",
    "flexibilityServiceProviderId",
    "meteringPointId",
    "resourceName",
    "direction",
    "contractedPower",
    "maximumFlexUp",
    "maximumFlexDown",
    "gridVoltageLevel",
    "distributionGridOperatorName",
    "startDateTime",
]


def row(metering_point: str = "IT001E00000001", **changes: Any) -> dict[str, str]:
    values = {
        "receiverId": TSO,
        "flexibilityServiceProviderId": BSP,
        "meteringPointId": metering_point,
        "resourceName": f"Site {metering_point}",
        "direction": "consumption",
        "contractedPower": "60",
        "maximumFlexUp": "20",
        "maximumFlexDown": "30",
        "gridVoltageLevel": "LV",
        "distributionGridOperatorName": DSO,
        "startDateTime": "2024-06-01T00:00:00+02:00",
    }
    values.update(changes)
    return values


def csv_bytes(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    columns = header or list(rows[0])
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values.get(column, "") for column in columns])
    return buffer.getvalue().encode("utf-8")


def errors_by_row(report: MassLoadReport) -> dict[int, set[str]]:
    return {result.row: {error.field for error in result.errors} for result in report.rows}


def test_header_lists_podcreate_fields_in_order() -> None:
    header = pod_csv_header()
    assert header[:3] == ["registrationPeriod", "receiverId", "receiverCodingSchemeType"]
    assert "contractedPowerSecondaryPOD" in header
    assert set(REQUIRED) <= set(header)
    assert len(header) == len(PodCreate.model_fields)


def test_good_and_bad_rows_are_reported_one_by_one() -> None:
    data = csv_bytes(
        [
            row("IT001E00000001"),
            row("IT001E00000002", contractedPower="-5"),
            row("IT001E00000003", maximumFlexUp="61", direction="sideways"),
            row("IT001E00000004", receiverId="10X1001A1001A346", startDateTime=""),
            row("IT001E00000005", contractedPowerSecondaryPOD="10"),
        ],
        header=[*REQUIRED, "contractedPowerSecondaryPOD"],
    )
    report = parse_pod_csv(data)
    assert report.file_errors == []
    assert [result.row for result in report.rows] == [1, 2, 3, 4, 5]
    assert [result.accepted for result in report.rows] == [True, False, False, False, True]
    assert report.accepted_count == 2
    assert report.rejected_count == 3
    assert errors_by_row(report) == {
        1: set(),
        2: {"contractedPower"},
        3: {"direction"},  # the flex check runs once every field is valid
        4: {"receiverId", "startDateTime"},
        5: set(),
    }
    rejected = report.rows[3]
    assert rejected.pod is None
    assert FieldError("startDateTime", "Field required") in rejected.errors
    accepted = report.rows[4]
    assert accepted.pod is not None
    assert accepted.pod.contracted_power_secondary_pod == 10
    assert [pod.metering_point_id for pod in report.accepted_pods] == [
        "IT001E00000001",
        "IT001E00000005",
    ]


def test_cross_field_error_is_located() -> None:
    report = parse_pod_csv(csv_bytes([row(maximumFlexUp="61")]))
    assert report.rows[0].errors == [
        FieldError("maximumFlexUp", "maximumFlexUp 61 kW exceeds contractedPower 60 kW")
    ]


def test_duplicate_metering_point_rejects_the_later_row() -> None:
    data = csv_bytes(
        [row("IT001E00000001"), row("IT001E00000002"), row("IT001E00000001", resourceName="B")]
    )
    report = parse_pod_csv(data)
    assert [result.accepted for result in report.rows] == [True, True, False]
    assert report.rows[2].errors == [
        FieldError("meteringPointId", "IT001E00000001 already given in row 1")
    ]


def test_blank_lines_are_skipped_but_counted() -> None:
    header = ",".join(REQUIRED)
    line = ",".join(row().values())
    data = f"{header}\r\n\r\n{line}\r\n,,,\r\n".encode()
    report = parse_pod_csv(data)
    assert [result.row for result in report.rows] == [2]
    assert report.rows[0].accepted


def test_cells_are_trimmed_and_empty_cells_are_not_given() -> None:
    values = row(locationId="  ", resourceName="  Padded  ")
    report = parse_pod_csv(csv_bytes([values]))
    pod = report.rows[0].pod
    assert pod is not None
    assert pod.location_id is None
    assert pod.resource_name == "Padded"


def test_row_with_too_many_cells() -> None:
    header = ",".join(REQUIRED)
    line = ",".join([*row().values(), "extra"])
    report = parse_pod_csv(f"{header}\n{line}\n".encode())
    assert not report.rows[0].accepted
    assert report.rows[0].errors[0].field == "row"


def test_unknown_columns_reject_the_file() -> None:
    data = csv_bytes([row(status="Open", colour="red")])
    report = parse_pod_csv(data)
    assert report.rows == []
    assert report.file_errors == ["unknown columns: 'status', 'colour'"]


def test_missing_required_columns_reject_the_file() -> None:
    values = row()
    del values["contractedPower"]
    del values["startDateTime"]
    report = parse_pod_csv(csv_bytes([values]))
    assert report.rows == []
    assert report.file_errors == ["missing required columns: contractedPower, startDateTime"]


def test_duplicated_column_rejects_the_file() -> None:
    report = parse_pod_csv(csv_bytes([row()], header=[*REQUIRED, "resourceName"]))
    assert report.file_errors == ["duplicated columns: resourceName"]


@pytest.mark.parametrize("data", [b"", b"\r\n", b"\xef\xbb\xbf"])
def test_empty_file(data: bytes) -> None:
    assert parse_pod_csv(data).file_errors == ["file is empty: expected a header row"]


def test_non_utf8_file_is_refused() -> None:
    data = csv_bytes([row(resourceName="Caffè")]).decode().encode("latin-1")
    report = parse_pod_csv(data)
    assert report.rows == []
    assert len(report.file_errors) == 1
    assert report.file_errors[0].startswith("file is not UTF-8 text")


def test_utf8_with_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + csv_bytes([row(resourceName="Caffè")])
    report = parse_pod_csv(data)
    assert report.file_errors == []
    pod = report.rows[0].pod
    assert pod is not None
    assert pod.resource_name == "Caffè"


def test_too_many_rows_reject_the_file() -> None:
    rows = [row(f"IT001E{number:08d}") for number in range(4)]
    report = parse_pod_csv(csv_bytes(rows), max_rows=3)
    assert report.rows == []
    assert report.file_errors == ["too many rows: 4, at most 3 per file"]
    assert parse_pod_csv(csv_bytes(rows), max_rows=4).accepted_count == 4


def test_round_trip_through_pods_to_csv() -> None:
    pods = [
        PodCreate.model_validate(row(f"IT001E{number:08d}", locationId="NORD"))
        for number in range(1, 4)
    ]
    data = pods_to_csv(pods)
    assert data.startswith(b"registrationPeriod,receiverId,")
    report = parse_pod_csv(data)
    assert report.file_errors == []
    assert report.accepted_pods == pods
