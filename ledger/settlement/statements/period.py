"""The period a statement or a correction report covers: a calendar month by default."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ledger.core.errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class StatementPeriod:
    """UTC days ``[first, end)``: ``end`` is the first day after the period."""

    first: date
    end: date

    @property
    def start_ts(self) -> int:
        return int(
            datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC).timestamp()
        )

    @property
    def end_ts(self) -> int:
        return int(datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC).timestamp())

    def contains(self, timestamp: int) -> bool:
        return self.start_ts <= timestamp < self.end_ts

    def as_dict(self) -> dict[str, str]:
        return {"start": self.first.isoformat(), "end": self.end.isoformat()}

    @property
    def label(self) -> str:
        return f"{self.first.isoformat()}/{self.end.isoformat()}"


def parse_period(text: object, *, field: str = "period") -> StatementPeriod:
    """``"2026-12"`` (a calendar month, the default form) or ``"2026-12-01/2026-12-16"`` (UTC
    days, the end excluded); anything else is refused naming ``field``."""
    if not isinstance(text, str):
        raise InvalidInput(
            'the period is a month "YYYY-MM" or days "YYYY-MM-DD/YYYY-MM-DD"', field=field
        )
    try:
        month = _MONTH.match(text)
        if month:
            year, number = int(month[1]), int(month[2])
            first = date(year, number, 1)
            end = date(year + number // 12, number % 12 + 1, 1)
            return StatementPeriod(first, end)
        days = _RANGE.match(text)
        if days:
            first, end = date.fromisoformat(days[1]), date.fromisoformat(days[2])
            if end <= first:
                raise InvalidInput("the period ends after it starts", field=field)
            if (end - first).days > 366:
                raise InvalidInput("a period is at most 366 days", field=field)
            return StatementPeriod(first, end)
    except ValueError as exc:
        raise InvalidInput(f"bad period {text!r}: {exc}", field=field) from exc
    raise InvalidInput(
        f'bad period {text!r}: a month "YYYY-MM" or days "YYYY-MM-DD/YYYY-MM-DD"', field=field
    )
