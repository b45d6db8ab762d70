"""Mass loading of PODs from a CSV file: "The source plans mass loading of PODs from a file."

The header row holds the camelCase field names of :class:`~ledger.registry.schemas.PodCreate`, in
any order; optional columns may be left out. An empty cell means "not given". Each data row is
validated on its own and reported on its own, so one bad row does not sink the file; only
problems with the file as a whole (encoding, header, size) reject every row.

Rows are numbered from 1 for the first record after the header; blank lines count, so the number
matches what a person counting lines after the header sees (unless a quoted cell spans lines).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from pydantic import ValidationError

from ledger.core.domain.errors import FieldError, field_errors_from_validation
from ledger.registry.schemas import PodCreate

__all__ = [
    "DEFAULT_MAX_ROWS",
    "MassLoadReport",
    "RowResult",
    "parse_pod_csv",
    "pod_csv_header",
    "pods_to_csv",
]

DEFAULT_MAX_ROWS: Final = 10_000
_ROW_FIELD: Final = "row"  # FieldError.field for a problem with the row's shape


@dataclass(frozen=True, slots=True)
class RowResult:
    """The outcome for one data row: the validated POD, or the reasons it was rejected."""

    row: int
    accepted: bool
    pod: PodCreate | None
    errors: list[FieldError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MassLoadReport:
    """Per-row results, and problems that reject the file as a whole."""

    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def accepted_count(self) -> int:
        """Rows that passed validation."""
        return sum(1 for result in self.rows if result.accepted)

    @property
    def rejected_count(self) -> int:
        """Rows that failed validation."""
        return sum(1 for result in self.rows if not result.accepted)

    @property
    def accepted_pods(self) -> list[PodCreate]:
        """The validated PODs, in file order."""
        return [result.pod for result in self.rows if result.pod is not None]


def pod_csv_header() -> list[str]:
    """The column names of a POD file: PodCreate's camelCase fields in declaration order."""
    return [info.alias or name for name, info in PodCreate.model_fields.items()]


def _required_columns() -> list[str]:
    return [
        info.alias or name for name, info in PodCreate.model_fields.items() if info.is_required()
    ]


def pods_to_csv(pods: Iterable[PodCreate]) -> bytes:
    """A CSV file (UTF-8, no BOM, CRLF line ends) that :func:`parse_pod_csv` reads back."""
    header = pod_csv_header()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for pod in pods:
        values = pod.model_dump(mode="json", by_alias=True)
        writer.writerow(["" if values[column] is None else values[column] for column in header])
    return buffer.getvalue().encode("utf-8")


def parse_pod_csv(data: bytes, *, max_rows: int = DEFAULT_MAX_ROWS) -> MassLoadReport:
    """Validate every row of a POD CSV file (UTF-8, with or without BOM)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return MassLoadReport(file_errors=[f"file is not UTF-8 text (byte {exc.start})"])
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return MassLoadReport(file_errors=[f"file is not valid CSV: {exc}"])
    if not records or not any(cell.strip() for cell in records[0]):
        return MassLoadReport(file_errors=["file is empty: expected a header row"])
    header = [cell.strip() for cell in records[0]]
    header_errors = _header_errors(header)
    if header_errors:
        return MassLoadReport(file_errors=header_errors)
    non_blank = [
        (number, cells)
        for number, cells in enumerate(records[1:], start=1)
        if any(cell.strip() for cell in cells)
    ]
    if len(non_blank) > max_rows:
        return MassLoadReport(
            file_errors=[f"too many rows: {len(non_blank)}, at most {max_rows} per file"]
        )
    first_row_of_pod: dict[str, int] = {}
    results = [_parse_row(number, header, cells, first_row_of_pod) for number, cells in non_blank]
    return MassLoadReport(rows=results)


def _header_errors(header: list[str]) -> list[str]:
    known = pod_csv_header()
    errors: list[str] = []
    unknown = [column for column in header if column not in known]
    if unknown:
        errors.append(f"unknown columns: {', '.join(repr(column) for column in unknown)}")
    duplicated = sorted({column for column in header if header.count(column) > 1})
    if duplicated:
        errors.append(f"duplicated columns: {', '.join(duplicated)}")
    missing = [column for column in _required_columns() if column not in header]
    if missing:
        errors.append(f"missing required columns: {', '.join(missing)}")
    return errors


def _parse_row(
    number: int, header: list[str], cells: list[str], first_row_of_pod: dict[str, int]
) -> RowResult:
    if len(cells) > len(header):
        message = f"row has {len(cells)} cells but the header has {len(header)} columns"
        return RowResult(
            row=number, accepted=False, pod=None, errors=[FieldError(_ROW_FIELD, message)]
        )
    given = {
        column: cell.strip() for column, cell in zip(header, cells, strict=False) if cell.strip()
    }
    errors: list[FieldError] = []
    pod: PodCreate | None = None
    try:
        pod = PodCreate.model_validate(given)
    except ValidationError as exc:
        errors = field_errors_from_validation(exc)
    metering_point = given.get("meteringPointId")
    if metering_point is not None:
        first = first_row_of_pod.setdefault(metering_point, number)
        if first != number:
            errors.append(
                FieldError("meteringPointId", f"{metering_point} already given in row {first}")
            )
            pod = None
    return RowResult(row=number, accepted=pod is not None, pod=pod, errors=errors)
