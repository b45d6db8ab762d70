"""Delivery periods: the first period after a moment, and one whose delivery stays on its UTC day
(settlement takes an activation within one UTC day)."""

from datetime import UTC, datetime

from ledger.core.periods import next_period, next_period_within_day


def _at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_next_period_starts_strictly_after_the_moment() -> None:
    assert next_period(_at("2026-12-06 10:00:00")) == _at("2026-12-06 10:15:00")
    assert next_period(_at("2026-12-06 10:14:59")) == _at("2026-12-06 10:15:00")


def test_a_delivery_that_fits_before_midnight_keeps_its_start() -> None:
    assert next_period_within_day(_at("2026-12-06 23:14:00"), 3) == _at("2026-12-06 23:15:00")
    assert next_period_within_day(_at("2026-12-06 23:29:00"), 2) == _at("2026-12-06 23:30:00")


def test_a_delivery_that_would_cross_midnight_starts_at_midnight() -> None:
    assert next_period_within_day(_at("2026-12-06 23:29:00"), 3) == _at("2026-12-07 00:00:00")
    assert next_period_within_day(_at("2026-12-06 23:50:00"), 1) == _at("2026-12-07 00:00:00")
