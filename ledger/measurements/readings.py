"""Measurement uploads: parsing (CSV, JSON), checks, gap reports, compact series.

"BSPs upload behind-the-meter measurements per flex device (60 s resolution); DSOs upload POD
meter data (1 min or 15 min). Bulk upload (CSV and JSON), checked: aligned timestamps, no
duplicates, no future data, plausible values, known resources, the uploader entitled to that
resource; gaps reported." (issue 3)

A reading is the average active power in W (integer; positive = import/consumption) over the
interval ``[timestamp, timestamp + resolution)``. It is in the future when that interval has not
ended yet, except in a declared baseline, which is about periods to come (``future_allowed``). A
series is the readings of one resource in one batch, stored as one packed array of
``int32`` from its first to its last timestamp, with a sentinel where a reading is missing.
"""

from __future__ import annotations

import csv
import io
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from ledger.market.merkle import merkle_root, reading_leaf

GAP: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1
MAX_READING_W: Final = INT32_MAX // 15
"""The largest reading accepted, in magnitude, whatever the resource's contracted power:
143,165,576 W. The 15 readings of a 15-minute period on the settlement's 60 s grid (a 900 s
reading fills its 15 steps) then sum exactly in ``int32``, which the settlement relies on
(``ledger.settlement.energy.PowerSeries.bounded``)."""
_LARGEST: Final = " (the largest reading the platform accepts)"
CSV_COLUMNS: Final = ("resourceId", "timestamp", "powerW")
MAX_PROBLEMS: Final = 50


class ReadingProblemKind:
    UNKNOWN = "unknown_resource"
    FORBIDDEN = "not_entitled"
    MALFORMED = "malformed"
    NOT_ALIGNED = "not_aligned"
    DUPLICATE = "duplicate"
    FUTURE = "future"
    IMPLAUSIBLE = "implausible"


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    resource_id: str | None = None
    timestamp: int | None = None
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": self.kind, "message": self.message}
        for key, value in (
            ("resourceId", self.resource_id),
            ("timestamp", self.timestamp),
            ("row", self.row),
        ):
            if value is not None:
                body[key] = value
        return body


@dataclass(frozen=True)
class Resource:
    """What the checks need to know about one resource the uploader names."""

    resource_id: str
    key: bytes
    """The resource's 32-byte chain key (what the Merkle leaves carry instead of its code)."""
    max_abs_w: int
    """Plausibility bound: readings beyond +/- this are refused."""
    entitled: bool


@dataclass
class Series:
    resource_id: str
    start: int
    resolution_s: int
    values: list[int | None]

    @property
    def count(self) -> int:
        return sum(1 for value in self.values if value is not None)

    def readings(self) -> Iterable[tuple[int, int]]:
        for index, value in enumerate(self.values):
            if value is not None:
                yield self.start + index * self.resolution_s, value

    def pack(self) -> bytes:
        return array("i", (GAP if value is None else value for value in self.values)).tobytes()

    @classmethod
    def unpack(cls, resource_id: str, start: int, resolution_s: int, packed: bytes) -> Series:
        values = array("i")
        values.frombytes(packed)
        return cls(resource_id, start, resolution_s, [None if v == GAP else v for v in values])

    def leaves(self, key: bytes) -> list[bytes]:
        return [reading_leaf(key, timestamp, value) for timestamp, value in self.readings()]

    def root(self, key: bytes) -> bytes:
        return merkle_root(self.leaves(key))

    def gaps(self) -> list[dict[str, int]]:
        """Runs of missing readings between the first and the last one."""
        runs: list[dict[str, int]] = []
        run_start: int | None = None
        for index, value in enumerate(self.values):
            if value is None and run_start is None:
                run_start = index
            elif value is not None and run_start is not None:
                runs.append(
                    {
                        "from": self.start + run_start * self.resolution_s,
                        "to": self.start + index * self.resolution_s,
                        "missing": index - run_start,
                    }
                )
                run_start = None
        return runs

    def overlay(self, other: Series) -> Series:
        """This series with ``other``'s readings written over it (a correction)."""
        if other.resolution_s != self.resolution_s:
            raise ValueError("a correction must keep the resolution")
        merged = dict(self.readings())
        merged.update(other.readings())
        return build_series(self.resource_id, self.resolution_s, merged)


def build_series(resource_id: str, resolution_s: int, readings: Mapping[int, int]) -> Series:
    start, end = min(readings), max(readings)
    values: list[int | None] = [None] * ((end - start) // resolution_s + 1)
    for timestamp, value in readings.items():
        values[(timestamp - start) // resolution_s] = value
    return Series(resource_id, start, resolution_s, values)


@dataclass
class RawReadings:
    """Readings as uploaded, before the checks: per resource, (row, timestamp, value)."""

    by_resource: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    count: int = 0

    def add(self, row: int, resource_id: str, timestamp: int, value: int) -> None:
        self.by_resource.setdefault(resource_id, []).append((row, timestamp, value))
        self.count += 1


@dataclass
class CheckedBatch:
    series: list[Series]
    reading_count: int
    problems: list[Problem]
    gaps: dict[str, list[dict[str, int]]]


def parse_timestamp(value: Any) -> int:
    """Unix seconds (int or digits) or ISO 8601 with an offset; ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError("not a timestamp")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("timestamp without a UTC offset")
    if moment.microsecond:
        raise ValueError("timestamp with fractions of a second")
    return int(moment.timestamp())


def parse_power(value: Any) -> int:
    if isinstance(value, bool | float):
        raise ValueError("power must be an integer number of W")
    if isinstance(value, int):
        return value
    return int(str(value).strip())


def parse_csv(data: bytes) -> RawReadings:
    """Rows ``resourceId,timestamp,powerW`` (header required; UTF-8, optional BOM)."""
    raw = RawReadings()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raw.problems.append(Problem(ReadingProblemKind.MALFORMED, "the file is not UTF-8 text"))
        return raw
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(column.strip() for column in header) != CSV_COLUMNS:
        raw.problems.append(
            Problem(
                ReadingProblemKind.MALFORMED, f"the header must be {','.join(CSV_COLUMNS)}", row=1
            )
        )
        return raw
    add = raw.add
    for row_number, row in enumerate(reader, start=2):
        if not row:
            continue
        try:
            resource_id, timestamp, power = row
            add(row_number, resource_id.strip(), parse_timestamp(timestamp), parse_power(power))
        except ValueError as exc:
            raw.problems.append(
                Problem(ReadingProblemKind.MALFORMED, f"row {row_number}: {exc}", row=row_number)
            )
    return raw


def parse_json(
    readings: Sequence[Mapping[str, Any]] | None,
    series: Sequence[Mapping[str, Any]] | None,
    resolution_s: int,
) -> RawReadings:
    """``readings``: ``[{resourceId, timestamp, powerW}]``; ``series``: ``[{resourceId, start,
    values}]`` with one value per resolution step (``null`` for a missing reading)."""
    raw = RawReadings()
    row = 0
    for item in readings or ():
        row += 1
        try:
            raw.add(
                row,
                str(item["resourceId"]),
                parse_timestamp(item["timestamp"]),
                parse_power(item["powerW"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raw.problems.append(
                Problem(ReadingProblemKind.MALFORMED, f"reading {row}: {exc}", row=row)
            )
    for item in series or ():
        try:
            resource_id = str(item["resourceId"])
            start = parse_timestamp(item["start"])
            values = list(item["values"])
        except (KeyError, ValueError, TypeError) as exc:
            raw.problems.append(Problem(ReadingProblemKind.MALFORMED, f"series: {exc}"))
            continue
        for index, value in enumerate(values):
            row += 1
            if value is None:
                continue
            try:
                raw.add(row, resource_id, start + index * resolution_s, parse_power(value))
            except (ValueError, TypeError) as exc:
                raw.problems.append(
                    Problem(ReadingProblemKind.MALFORMED, f"{resource_id}[{index}]: {exc}", row=row)
                )
    return raw


def check(
    raw: RawReadings,
    *,
    resources: Mapping[str, Resource],
    resolution_s: int,
    now: int,
    future_allowed: bool = False,
) -> CheckedBatch:
    """Apply the checks; every problem is listed (up to :data:`MAX_PROBLEMS`), gaps reported.
    ``future_allowed``: readings of intervals not ended yet are accepted (declared baselines)."""
    problems = list(raw.problems)
    series: list[Series] = []
    gaps: dict[str, list[dict[str, int]]] = {}

    def report(problem: Problem) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(problem)

    for resource_id, rows in raw.by_resource.items():
        resource = resources.get(resource_id)
        if resource is None:
            report(
                Problem(
                    ReadingProblemKind.UNKNOWN,
                    f"no resource {resource_id}",
                    resource_id=resource_id,
                )
            )
            continue
        if not resource.entitled:
            report(
                Problem(
                    ReadingProblemKind.FORBIDDEN,
                    f"resource {resource_id} is not yours to upload",
                    resource_id=resource_id,
                )
            )
            continue
        seen: dict[int, int] = {}
        bound = min(resource.max_abs_w, MAX_READING_W)
        for row, timestamp, value in rows:
            if timestamp % resolution_s:
                report(
                    Problem(
                        ReadingProblemKind.NOT_ALIGNED,
                        f"timestamp {timestamp} is not aligned to {resolution_s} s",
                        resource_id=resource_id,
                        timestamp=timestamp,
                        row=row,
                    )
                )
            elif timestamp in seen:
                report(
                    Problem(
                        ReadingProblemKind.DUPLICATE,
                        f"second reading for {resource_id} at {timestamp}"
                        f" (first in row {seen[timestamp]})",
                        resource_id=resource_id,
                        timestamp=timestamp,
                        row=row,
                    )
                )
            elif timestamp + resolution_s > now and not future_allowed:
                report(
                    Problem(
                        ReadingProblemKind.FUTURE,
                        f"the interval starting at {timestamp} has not ended yet",
                        resource_id=resource_id,
                        timestamp=timestamp,
                        row=row,
                    )
                )
            elif not -bound <= value <= bound:
                report(
                    Problem(
                        ReadingProblemKind.IMPLAUSIBLE,
                        f"powerW {value} W is beyond the plausible +/-{bound} W for"
                        f" {resource_id}{_LARGEST if bound == MAX_READING_W else ''}",
                        resource_id=resource_id,
                        timestamp=timestamp,
                        row=row,
                    )
                )
            else:
                seen[timestamp] = row
        if seen and not problems:
            values = {timestamp: value for _, timestamp, value in rows}
            built = build_series(resource_id, resolution_s, {t: values[t] for t in seen})
            series.append(built)
            found = built.gaps()
            if found:
                gaps[resource_id] = found
    count = sum(s.count for s in series)
    return CheckedBatch(series=series, reading_count=count, problems=problems, gaps=gaps)


def batch_root(series_roots: Sequence[tuple[bytes, bytes]]) -> bytes:
    """The batch root over ``(resource key, series root)`` pairs, ordered by resource key."""
    return merkle_root([root for _, root in sorted(series_roots)])
