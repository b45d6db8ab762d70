"""UFTP's time, power and price units against the platform's.

- **ISPs.** A UFTP message names a day (``Period``, in the market's time zone) and ISPs numbered
  from 1 at that day's local midnight, ``ISP-Duration`` PT15M. The platform's periods are the
  same 15 minutes, identified by their start in unix seconds.
- **Power.** UFTP powers are W, positive for more consumption (or less generation). The
  platform's ``up`` (less consumption / more generation) is negative in UFTP, ``down``
  positive; the platform's quantities are whole kW.
- **Price.** A UFTP offer, order or settlement carries the *amount* for all its ISPs (EUR); the
  platform's bid price is EUR/MWh. amount = sum over periods of kW x 0.25 h / 1000 x EUR/MWh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledger.core.periods import PERIOD_SECONDS
from ledger.market.terms import Direction
from ledger.uftp.rejections import (
    InvalidMessage,
    IspConflict,
    IspDurationRejected,
    TimeZoneRejected,
)

ISP_DURATION = "PT15M"
#: UFTP amounts have at most 4 decimals (``fraction_digits`` 4 in the schema).
AMOUNT_QUANTUM = Decimal("0.0001")
WATTS_PER_KW = 1000
#: kW x this = MWh of one 15-minute period.
MWH_PER_KW_PERIOD = Decimal(PERIOD_SECONDS) / Decimal(3600 * 1000)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TimeZoneRejected(f"unknown time zone {name!r}") from exc


def day_start(day: date, time_zone: str) -> int:
    """Unix seconds of the local midnight that starts ``day``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=zone(time_zone)).timestamp())


def isp_start(day: date, number: int, time_zone: str) -> int:
    return day_start(day, time_zone) + (number - 1) * PERIOD_SECONDS


def isps_in(day: date, time_zone: str) -> int:
    """ISPs of a day: 96, or 92/100 on the days the clocks change."""
    return (day_start(day + timedelta(days=1), time_zone) - day_start(day, time_zone)) // (
        PERIOD_SECONDS
    )


def isp_of(timestamp: int, time_zone: str) -> tuple[date, int]:
    """The local day and ISP number of the period starting at ``timestamp``."""
    day = datetime.fromtimestamp(timestamp, zone(time_zone)).date()
    return day, (timestamp - day_start(day, time_zone)) // PERIOD_SECONDS + 1


def check_frame(*, isp_duration: str, time_zone: str, day: date, market_zone: str) -> None:
    """The market-wide constants every Flex* message restates: ISP duration and UTC offset."""
    if isp_duration != ISP_DURATION:
        raise IspDurationRejected(f"ISP-Duration is {isp_duration}; this market uses PT15M")
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    if zone(time_zone).utcoffset(noon) != zone(market_zone).utcoffset(noon):
        raise TimeZoneRejected(f"{time_zone} is not at the UTC offset of {market_zone} on {day}")


@dataclass(frozen=True)
class IspPower:
    start: int
    duration: int
    power_w: int


def expand(isps: Iterable[IspPower], *, day: date, time_zone: str) -> dict[int, int]:
    """ISP number -> W, each ISP once; numbers outside the day are refused."""
    last = isps_in(day, time_zone)
    powers: dict[int, int] = {}
    for isp in isps:
        if isp.duration < 1 or isp.start < 1 or isp.start + isp.duration - 1 > last:
            raise InvalidMessage(
                f"ISP {isp.start} (duration {isp.duration}) is outside the {last} ISPs of {day}"
            )
        for number in range(isp.start, isp.start + isp.duration):
            if number in powers:
                raise IspConflict(f"ISP {number} is given more than once")
            powers[number] = isp.power_w
    return powers


def watts(kw: int, direction: Direction) -> int:
    """The platform's kW in a direction as a UFTP flex power."""
    return -kw * WATTS_PER_KW if direction is Direction.UP else kw * WATTS_PER_KW


def kilowatts(power_w: int, direction: Direction, *, isp: int) -> int:
    """A UFTP flex power as whole kW in ``direction``; the other sign or a fraction is refused."""
    if power_w == 0:
        return 0
    if (power_w < 0) != (direction is Direction.UP):
        sign = "negative" if direction is Direction.UP else "positive"
        raise InvalidMessage(
            f"ISP {isp}: {power_w} W is not {sign}, as flexibility {direction.value} must be"
        )
    if power_w % WATTS_PER_KW:
        raise InvalidMessage(f"ISP {isp}: {power_w} W is not a whole number of kW")
    return abs(power_w) // WATTS_PER_KW


def price_per_mwh(amount: Decimal, quantities_kw: Sequence[int]) -> Decimal:
    """EUR/MWh of an offer's amount over its quantities, exact to 6 decimals or refused."""
    mwh = sum(quantities_kw) * MWH_PER_KW_PERIOD
    if mwh == 0:
        raise InvalidMessage("the offer offers no energy")
    price = amount / mwh
    if price != price.quantize(Decimal("0.000001")):
        raise InvalidMessage(
            f"the price {amount} for {mwh} MWh is not a whole number of micro-EUR/MWh"
        )
    return price.quantize(Decimal("0.000001"))


def amount(quantities_kw: Sequence[int], prices_micro: Sequence[int]) -> Decimal:
    """EUR for per-period kW at per-period micro-EUR/MWh, rounded half to even to 4 decimals."""
    total = sum(
        (kw * MWH_PER_KW_PERIOD * Decimal(price) / Decimal(1_000_000))
        for kw, price in zip(quantities_kw, prices_micro, strict=True)
    )
    return Decimal(total).quantize(AMOUNT_QUANTUM, rounding=ROUND_HALF_EVEN)


def iso_with_zone(timestamp: int, time_zone: str) -> str:
    return datetime.fromtimestamp(timestamp, zone(time_zone)).isoformat()


def parse_instant(text: str, *, what: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidMessage(f"{what} {text!r} is not an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        raise InvalidMessage(f"{what} {text!r} has no time zone")
    return int(moment.timestamp())
