"""The UFTP units against the platform's (no platform needed): ISP numbers on ordinary and
clock-change days, W <-> kW with the direction's sign, amounts <-> EUR/MWh; keys; and the
migration of the UFTP tables as modelled."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from ledger.core.db.engine import engine_for
from ledger.core.errors import InvalidInput
from ledger.market.terms import Direction
from ledger.schema.migrate import upgrade
from ledger.uftp import isp, keys
from ledger.uftp import tables as uftp_models
from ledger.uftp.rejections import (
    InvalidMessage,
    IspConflict,
    IspDurationRejected,
    TimeZoneRejected,
)

ROME = "Europe/Rome"


def test_isp_numbers_count_from_local_midnight() -> None:
    # 6 December 2026, CET (UTC+1): ISP 1 starts 2026-12-05T23:00Z = 1796511600
    assert isp.isp_start(date(2026, 12, 6), 1, ROME) == 1_796_511_600
    assert isp.isp_of(1_796_511_600 + 4 * 900, ROME) == (date(2026, 12, 6), 5)
    assert isp.isps_in(date(2026, 12, 6), ROME) == 96
    assert isp.isps_in(date(2026, 3, 29), ROME) == 92  # clocks forward
    assert isp.isps_in(date(2026, 10, 25), ROME) == 100  # clocks back


def test_an_activation_over_midnight_utc_is_within_one_local_day() -> None:
    """5 December 2026 23:30Z to 6 December 00:30Z (a settlement over midnight UTC) is 00:30 to
    01:30 in Rome: ISPs 3 to 6 of 6 December, one FlexOrderSettlement ``Period``."""
    starts = [1_796_511_600 + 1800 + i * 900 for i in range(4)]
    assert [isp.isp_of(start, ROME) for start in starts] == [
        (date(2026, 12, 6), number) for number in (3, 4, 5, 6)
    ]


def test_frame_checks() -> None:
    isp.check_frame(
        isp_duration="PT15M", time_zone="Europe/Amsterdam", day=date(2026, 12, 6), market_zone=ROME
    )  # same UTC offset: accepted
    with pytest.raises(IspDurationRejected):
        isp.check_frame(
            isp_duration="PT5M", time_zone=ROME, day=date(2026, 12, 6), market_zone=ROME
        )
    with pytest.raises(TimeZoneRejected):
        isp.check_frame(
            isp_duration="PT15M", time_zone="Europe/London", day=date(2026, 12, 6), market_zone=ROME
        )
    with pytest.raises(TimeZoneRejected):
        isp.check_frame(
            isp_duration="PT15M", time_zone="Mars/Olympus", day=date(2026, 12, 6), market_zone=ROME
        )


def test_powers_and_amounts() -> None:
    assert isp.watts(40, Direction.UP) == -40_000
    assert isp.watts(40, Direction.DOWN) == 40_000
    assert isp.kilowatts(-40_000, Direction.UP, isp=1) == 40
    with pytest.raises(InvalidMessage):
        isp.kilowatts(40_000, Direction.UP, isp=1)
    with pytest.raises(InvalidMessage):
        isp.kilowatts(-40_500, Direction.UP, isp=1)
    # 40 kW over one ISP = 0.01 MWh; 0.5 EUR for it = 50 EUR/MWh, and back
    assert isp.price_per_mwh(Decimal("0.5"), [40]) == Decimal("50")
    assert isp.amount([40], [50_000_000]) == Decimal("0.5000")
    # 1 kW over one ISP = 0.00025 MWh: 0.0001 EUR is 0.4 EUR/MWh exactly; 0.00001 is refused
    assert isp.price_per_mwh(Decimal("0.0001"), [1]) == Decimal("0.4")
    with pytest.raises(InvalidMessage):
        isp.price_per_mwh(Decimal("0.0001"), [3])
    # amounts round half to even at 4 decimals: 1 kW at 0.2 EUR/MWh = 0.00005 EUR -> 0.0000
    assert isp.amount([1], [200_000]) == Decimal("0.0000")
    assert isp.amount([3], [200_000]) == Decimal("0.0002")  # 0.00015 -> 0.0002


def test_isps_given_twice_conflict() -> None:
    with pytest.raises(IspConflict):
        isp.expand(
            [isp.IspPower(1, 2, -1000), isp.IspPower(2, 1, -1000)],
            day=date(2026, 12, 6),
            time_zone=ROME,
        )
    with pytest.raises(InvalidMessage):
        isp.expand([isp.IspPower(96, 2, -1000)], day=date(2026, 12, 6), time_zone=ROME)


def test_keys(tmp_path: Path) -> None:
    pair = keys.load_or_create(tmp_path / "uftp" / "signing-key")
    assert keys.load_or_create(tmp_path / "uftp" / "signing-key") == pair
    assert (tmp_path / "uftp" / "signing-key").stat().st_mode & 0o777 == 0o600
    assert keys.public_key(pair.dns_record) == pair.public_key
    with pytest.raises(InvalidInput) as refused:
        keys.public_key("c2hvcnQ=")
    assert refused.value.field == "publicKey"


def test_migration_creates_the_uftp_tables_as_modelled(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.sqlite3'}"
    upgrade(url)
    ours = {uftp_models.UftpParticipant.__tablename__, uftp_models.UftpMessage.__tablename__}
    with engine_for(url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in differences if any(name in repr(d) for name in ours)] == []
