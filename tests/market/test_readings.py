"""Measurement parsing and checks (pure)."""

from __future__ import annotations

from ledger.measurements.readings import (
    INT32_MAX,
    MAX_READING_W,
    ReadingProblemKind,
    Resource,
    Series,
    check,
    parse_csv,
    parse_json,
    parse_timestamp,
)

NOW = 1_700_010_000
START = 1_700_000_040  # a multiple of 60
KEY = b"\x01" * 32
RESOURCES = {
    "dev": Resource("dev", KEY, 26_400, entitled=True),
    "foreign": Resource("foreign", b"\x02" * 32, 26_400, entitled=False),
}


def kinds(batch) -> list[str]:
    return sorted(p.kind for p in batch.problems)


def test_csv_rows_become_series_with_gaps() -> None:
    data = "resourceId,timestamp,powerW\n" + "".join(
        f"dev,{START + 60 * i},{1000 + i}\n" for i in range(10) if i not in (3, 4, 7)
    )
    raw = parse_csv(("\ufeff" + data).encode())
    batch = check(raw, resources=RESOURCES, resolution_s=60, now=NOW)
    assert batch.problems == []
    assert batch.reading_count == 7
    [series] = batch.series
    assert series.start == START
    assert len(series.values) == 10
    assert batch.gaps == {
        "dev": [
            {"from": START + 180, "to": START + 300, "missing": 2},
            {"from": START + 420, "to": START + 480, "missing": 1},
        ]
    }


def test_every_check() -> None:
    data = (
        "resourceId,timestamp,powerW\n"
        f"dev,{START},1\n"
        f"dev,{START},2\n"  # duplicate
        f"dev,{START + 30},1\n"  # not aligned
        f"dev,{NOW},1\n"  # future (its interval has not ended)
        f"dev,{START + 60},26401\n"  # implausible
        f"unknown,{START},1\n"  # unknown resource
        f"foreign,{START},1\n"  # not the uploader's
        "dev,yesterday,1\n"  # malformed
    )
    batch = check(parse_csv(data.encode()), resources=RESOURCES, resolution_s=60, now=NOW)
    assert kinds(batch) == sorted(
        [
            ReadingProblemKind.DUPLICATE,
            ReadingProblemKind.NOT_ALIGNED,
            ReadingProblemKind.FUTURE,
            ReadingProblemKind.IMPLAUSIBLE,
            ReadingProblemKind.UNKNOWN,
            ReadingProblemKind.FORBIDDEN,
            ReadingProblemKind.MALFORMED,
        ]
    )
    duplicate = next(p for p in batch.problems if p.kind == ReadingProblemKind.DUPLICATE)
    assert (duplicate.row, duplicate.timestamp) == (3, START)
    assert batch.series == []


def test_bad_header_and_json_forms() -> None:
    assert parse_csv(b"a,b,c\n").problems[0].kind == ReadingProblemKind.MALFORMED
    raw = parse_json(
        [{"resourceId": "dev", "timestamp": "2023-11-14T22:14:00Z", "powerW": 5}],
        [{"resourceId": "dev", "start": START, "values": [1, None, 3]}],
        60,
    )
    assert raw.count == 3
    assert raw.problems == []
    assert parse_timestamp("2023-11-14T22:14:00+01:00") == 1_699_996_440
    assert parse_json([{"resourceId": "dev", "timestamp": 1, "powerW": 1.5}], None, 60).problems


def test_pack_unpack_and_overlay() -> None:
    series = Series("dev", START, 60, [1, None, -3, 2**31 - 1])
    again = Series.unpack("dev", START, 60, series.pack())
    assert again.values == series.values
    assert len(series.pack()) == 16
    fixed = series.overlay(Series("dev", START + 60, 60, [7]))
    assert fixed.values == [1, 7, -3, 2**31 - 1]
    assert fixed.gaps() == []
    assert fixed.root(KEY) != series.root(KEY)


def test_no_reading_beyond_the_platforms_largest_whatever_the_contracted_power() -> None:
    """A resource contracted for 1 TW still has its readings bounded by ``MAX_READING_W``, so a
    15-minute period of them on the 60 s grid sums exactly in ``int32`` (the settlement's
    aggregation relies on it); the refusal names the field and the bound."""
    assert 15 * MAX_READING_W <= INT32_MAX < 15 * (MAX_READING_W + 1)
    huge = {"plant": Resource("plant", KEY, 10**12, entitled=True)}
    values = [MAX_READING_W, -MAX_READING_W, MAX_READING_W + 1, -MAX_READING_W - 1]
    data = "resourceId,timestamp,powerW\n" + "".join(
        f"plant,{START + 60 * i},{value}\n" for i, value in enumerate(values)
    )
    batch = check(parse_csv(data.encode()), resources=huge, resolution_s=60, now=NOW)
    assert [(p.kind, p.row) for p in batch.problems] == [
        (ReadingProblemKind.IMPLAUSIBLE, 4),
        (ReadingProblemKind.IMPLAUSIBLE, 5),
    ]
    assert batch.problems[0].message == (
        f"powerW {MAX_READING_W + 1} W is beyond the plausible +/-{MAX_READING_W} W for plant"
        " (the largest reading the platform accepts)"
    )
