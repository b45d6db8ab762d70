"""Benchmark: settlement throughput for a day of 60 s readings, beside a plain NumPy sum.

Synthetic data, one run, one process:

* ``pods`` PODs in UVAMs of 100, each UVAM activated once for two hours (eight periods) at a
  staggered start, upward, and delivering about 30 % of its load;
* the event day: DSO POD meter readings and BSP device readings (one device per POD), both at
  60 s, ``int32`` W, a few readings missing, read as the platform reads stored readings (checked
  within the upload bound, untimed);
* ``days_history`` weekdays of DSO readings at 60 s for the X-of-Y baseline (CAISO 10-of-10
  preset, same-day adjustment on), some of them event days of some UVAMs.

Timed (wall clock, ``time.perf_counter``; the process's CPU time with ``--cpu-time``):
aggregating every 60 s array to period energies (history days one at a time, so only one day
of readings is in memory), the vectorised
settlement (baselines, delivered energy, meter comparison, delivery check on the 60 s
readings), and the records with their hashes. Beside it, in the same run and over the same
arrays: ``numpy.sum`` of each array, and its per-period reshape-sum.

Run: ``.venv/bin/python -m cli.settlement_bench [--pods N] [--days-history D] [--repeat R]
[--cpu-time] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ledger.core.domain.canonical import canonical_json, rfc8785_json
from ledger.market.terms import Direction
from ledger.settlement import (
    CAISO_10_OF_10,
    GAP,
    Activation,
    History,
    PeriodEnergy,
    PowerSeries,
    SettlementDay,
    build_records,
    compute,
    devices_to_pods,
    within_reading_bound,
)

__all__ = ["run_settlement_benchmark"]

RESOLUTION_S: Final = 60
STEPS_PER_DAY: Final = 86_400 // RESOLUTION_S
PERIODS_PER_DAY: Final = 96
PODS_PER_UVAM: Final = 100
ACTIVATION_PERIODS: Final = 8
EVENT_DAY: Final = date(2025, 3, 5)
EVENT_DAY_START: Final = 1_741_132_800
MISSING_SHARE: Final = 1e-5
THROUGHPUT_FLOOR: Final = 0.2
"""Issue 14: the settlement keeps at least this share of a plain ``numpy.sum``'s throughput
over the same arrays (printed beside the measured share; not a timed test)."""


class _Generator:
    """Deterministic synthetic readings: a daily shape times a per-POD level, plus noise."""

    def __init__(self, pods: int, seed: int) -> None:
        self.pods = pods
        self.seed = seed
        rng = np.random.default_rng(seed)
        self.level_w = rng.integers(500, 6000, size=pods, dtype=np.int64)
        minutes = np.arange(STEPS_PER_DAY)
        # Per mille of the level: low at night, two peaks in the day.
        shape = (
            600
            + 250 * np.exp(-(((minutes - 8 * 60) / 90.0) ** 2))
            + 400 * np.exp(-(((minutes - 19 * 60) / 120.0) ** 2))
        )
        self.shape_permille = np.rint(shape).astype(np.int64)

    def day(
        self, index: int, change: Callable[[NDArray[np.int32]], None] | None = None
    ) -> NDArray[np.int32]:
        rng = np.random.default_rng((self.seed, index))
        readings = (self.level_w[:, None] * self.shape_permille[None, :] // 1000).astype(np.int32)
        readings += rng.integers(-80, 81, size=readings.shape, dtype=np.int32)
        if change is not None:
            change(readings)
        holes = rng.binomial(readings.size, MISSING_SHARE)
        readings.reshape(-1)[rng.integers(0, readings.size, size=holes)] = GAP
        return np.asarray(readings, dtype=np.int32)


@dataclass(frozen=True)
class _Timer:
    """Best time over ``repeat`` runs (the run least disturbed by other processes), by
    ``clock``: wall clock, or the process's CPU time (``--cpu-time``) on a loaded machine."""

    repeat: int
    clock: Callable[[], float] = time.perf_counter

    def __call__(self, action: Callable[[], Any]) -> tuple[Any, float]:
        """The result of ``action`` and its best time."""
        best = float("inf")
        result: Any = None
        for _ in range(self.repeat):
            started = self.clock()
            result = action()
            best = min(best, self.clock() - started)
        return result, best


def _stored(array: NDArray[np.int32]) -> PowerSeries:
    """The readings as the platform reads them from storage: ``bounded`` when all lie within
    the upload bound, checked as they are read (untimed, like the platform's check beside the
    Merkle roots it recomputes from the same readings, ``ledger.settlement.stored_inputs``)."""
    return PowerSeries(array, RESOLUTION_S, bounded=within_reading_bound(array))


def _weekdays_before(day: date, count: int) -> tuple[date, ...]:
    found: list[date] = []
    current = day
    while len(found) < count:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            found.append(current)
    return tuple(reversed(found))


@dataclass
class _Clock:
    """Accumulated best times of the settlement steps and of the plain NumPy sums."""

    timed: _Timer
    aggregate_s: float = 0.0
    numpy_sum_s: float = 0.0
    numpy_period_sum_s: float = 0.0
    readings: int = 0

    def aggregate(
        self, array: NDArray[np.int32], aggregate: Callable[[], PeriodEnergy]
    ) -> PeriodEnergy:
        energy, spent = self.timed(aggregate)
        self.aggregate_s += spent
        self.numpy_sum_s += self.timed(lambda: np.sum(array))[1]
        self.numpy_period_sum_s += self.timed(
            lambda: array.reshape(array.shape[0], PERIODS_PER_DAY, -1).sum(axis=2)
        )[1]
        self.readings += int(array.size)
        return PeriodEnergy(energy.wh, energy.present)


def run_settlement_benchmark(
    pods: int = 10_000, days_history: int = 10, *, repeat: int = 3, cpu_time: bool = False
) -> dict[str, Any]:
    """Settle ``pods`` PODs for one day of 60 s readings with ``days_history`` days of history;
    return the figures (times in seconds, throughputs in readings per second)."""
    if pods < PODS_PER_UVAM or pods % PODS_PER_UVAM:
        raise ValueError(f"pods must be a positive multiple of {PODS_PER_UVAM}")
    if days_history < 1 or repeat < 1:
        raise ValueError("days_history and repeat must be at least 1")
    generator = _Generator(pods, seed=20250305)
    uvams = pods // PODS_PER_UVAM
    first_periods = 36 + (np.arange(uvams) % 8) * 4
    rows = np.arange(pods).reshape(uvams, PODS_PER_UVAM)
    timed = _Timer(repeat, time.process_time if cpu_time else time.perf_counter)
    clock = _Clock(timed)

    # History: one day of readings in memory at a time, aggregated to periods at once.
    dates = _weekdays_before(EVENT_DAY, days_history)
    history_wh = np.empty((days_history, pods, PERIODS_PER_DAY), dtype=np.int64)
    history_present = np.empty((days_history, pods, PERIODS_PER_DAY), dtype=np.bool_)
    for index in range(days_history):
        array = generator.day(index)
        energy = clock.aggregate(array, _stored(array).period_energy)
        history_wh[index], history_present[index] = energy.wh, energy.present
        del array
    history_readings, history_aggregate_s = clock.readings, clock.aggregate_s
    event_days = np.repeat(
        np.random.default_rng(7).random((days_history, uvams)) < 0.1, PODS_PER_UVAM, axis=1
    )

    def activate(power: NDArray[np.int32]) -> None:
        """Each UVAM cuts 30 % of its load during its activation."""
        for uvam, first in enumerate(first_periods):
            steps = slice(int(first) * 15, (int(first) + ACTIVATION_PERIODS) * 15)
            power[rows[uvam], steps] = power[rows[uvam], steps] * 7 // 10

    def devices(power: NDArray[np.int32]) -> None:
        """The BSP's devices: the same load, except 1 % of PODs whose device misses 10 %."""
        activate(power)
        partial = np.arange(0, pods, 100)
        power[partial] = power[partial] * 9 // 10

    dso_array = generator.day(days_history, activate)
    dso_series = _stored(dso_array)
    dso = clock.aggregate(dso_array, dso_series.period_energy)
    bsp_array = generator.day(days_history + 1, devices)
    bsp_series = _stored(bsp_array)
    device_pod = np.arange(pods)
    bsp = clock.aggregate(bsp_array, lambda: devices_to_pods(bsp_series, device_pod, pods))

    # Ordered: 20 % of the UVAM's level for each 15-minute period (W x 0.25 h).
    ordered_wh = generator.level_w[rows].sum(axis=1) * 2 // 10 // 4
    activations = [
        Activation(
            activation_id=f"ACT-{uvam:05d}",
            uvam_id=f"UVAM-{uvam:05d}",
            direction=Direction.UP,
            first_period=int(first_periods[uvam]),
            ordered_wh=(int(ordered_wh[uvam]),) * ACTIVATION_PERIODS,
            price_eur_mwh=(Decimal("142.35"),) * ACTIVATION_PERIODS,
            sanction_eur_mwh=(Decimal("213.50"),) * ACTIVATION_PERIODS,
            pod_rows=tuple(int(r) for r in rows[uvam]),
        )
        for uvam in range(uvams)
    ]
    day = SettlementDay(
        day=EVENT_DAY,
        day_start=EVENT_DAY_START,
        pod_ids=tuple(f"IT001E{index:08d}" for index in range(pods)),
        dso=dso,
        bsp=bsp,
        check_series=dso_series,
        history=History(PeriodEnergy(history_wh, history_present), dates, event_days),
        data_roots={
            "dsoPodMeter": bytes([1]) * 32,
            "bspDevices": bytes([2]) * 32,
            "history": bytes([3]) * 32,
        },
    )
    results, compute_s = timed(
        lambda: compute(day=day, activations=activations, method=CAISO_10_OF_10)
    )
    records, records_s = timed(lambda: build_records(results))
    hashes, hash_s = timed(lambda: [record.settlement_hash() for record in records])
    # the records' canonical JSON (RFC 8785): the platform's path, and the rfc8785 library
    # writing every record itself (the same bytes), over the same values
    values = [json.loads(record.canonical_json()) for record in records]
    canonical, canonical_s = timed(lambda: [canonical_json(v) for v in values])
    library, library_s = timed(lambda: [rfc8785_json(v) for v in values])
    if canonical != library:
        raise AssertionError("canonical_json and the rfc8785 library disagree on a record")

    readings = clock.readings
    settle_s = clock.aggregate_s + compute_s + records_s + hash_s
    event_settle_s = settle_s - history_aggregate_s
    return {
        "pods": pods,
        "uvams": uvams,
        "daysHistory": days_history,
        "method": "xOfY (CAISO 10-of-10 preset, same-day adjustment)",
        "readings": {
            "total": readings,
            "eventDay": readings - history_readings,
            "history": history_readings,
        },
        "seconds": {
            "aggregate": round(clock.aggregate_s, 4),
            "aggregateHistory": round(history_aggregate_s, 4),
            "compute": round(compute_s, 4),
            "records": round(records_s, 4),
            "hashes": round(hash_s, 4),
            "canonicalJson": round(canonical_s, 4),
            "canonicalJsonLibraryAlone": round(library_s, 4),
            "settlement": round(settle_s, 4),
            "settlementEventDay": round(event_settle_s, 4),
            "numpySum": round(clock.numpy_sum_s, 4),
            "numpyPeriodSum": round(clock.numpy_period_sum_s, 4),
        },
        "readingsPerSecond": {
            "settlement": round(readings / settle_s),
            "settlementEventDay": round((readings - history_readings) / event_settle_s),
            "numpySum": round(readings / clock.numpy_sum_s),
            "numpyPeriodSum": round(readings / clock.numpy_period_sum_s),
        },
        "settlementOverNumpySum": round(settle_s / clock.numpy_sum_s, 1),
        "throughputShareOfNumpySum": round(clock.numpy_sum_s / settle_s, 3),
        "throughputShareFloor": THROUGHPUT_FLOOR,
        "records": len(records),
        "distinctHashes": len(set(hashes)),
        "deliveryCheckPassed": sum(1 for record in records if record.delivery_check.passed),
        "flaggedPeriods": sum(record.totals.flagged_periods for record in records),
        "disagreements": sum(record.totals.disagreements for record in records),
        "netEur": str(sum((record.totals.net_eur for record in records), Decimal(0))),
        "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "timing": f"best of {repeat} runs per step, {'CPU time' if cpu_time else 'wall clock'}",
        "loadAverage": [round(value, 1) for value in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def _print(figures: dict[str, Any]) -> None:
    seconds, rates, count = figures["seconds"], figures["readingsPerSecond"], figures["readings"]
    print(
        f"Settlement of {figures['pods']:,} PODs ({figures['uvams']} UVAMs, one activation each)"
        f" x one day of 60 s readings, {figures['daysHistory']} days of history"
    )
    print(f"  method: {figures['method']}")
    print(
        f"  readings: {count['total']:,} = {count['eventDay']:,} event day (DSO + BSP)"
        f" + {count['history']:,} history"
    )
    print(
        f"  settlement: {seconds['settlement']:.3f} s  ="
        f" aggregate {seconds['aggregate']:.3f} + compute {seconds['compute']:.3f}"
        f" + records {seconds['records']:.3f} + hashes {seconds['hashes']:.3f}"
    )
    print(f"  settlement throughput: {rates['settlement']:>14,} readings/s")
    print(
        f"  canonical JSON of the records (RFC 8785): {seconds['canonicalJson']:.3f} s;"
        f" the rfc8785 library alone: {seconds['canonicalJsonLibraryAlone']:.3f} s (same bytes)"
    )
    print(
        f"  event day alone (history already aggregated): {seconds['settlementEventDay']:.3f} s,"
        f" {rates['settlementEventDay']:,} readings/s"
    )
    print(
        f"  numpy.sum, same arrays: {seconds['numpySum']:.3f} s,"
        f" {rates['numpySum']:,} readings/s (settlement is"
        f" {figures['settlementOverNumpySum']}x a plain sum)"
    )
    share, floor = figures["throughputShareOfNumpySum"], figures["throughputShareFloor"]
    print(
        f"  settlement {seconds['settlement']:.3f} s vs numpy.sum {seconds['numpySum']:.3f} s"
        f" over the same arrays in this run: {share:.2f}x its throughput"
        f" (floor {floor}x: {'met' if share >= floor else 'NOT met'})"
    )
    print(
        f"  numpy per-period sum:   {seconds['numpyPeriodSum']:.3f} s,"
        f" {rates['numpyPeriodSum']:,} readings/s"
    )
    print(
        f"  records {figures['records']}, distinct hashes {figures['distinctHashes']},"
        f" delivery check passed {figures['deliveryCheckPassed']},"
        f" flagged periods {figures['flaggedPeriods']}, disagreements"
        f" {figures['disagreements']}, net {figures['netEur']} EUR"
    )
    print(
        f"  {figures['timing']}; peak RSS {figures['peakRssMb']} MB; {figures['cpus']} CPUs,"
        f" load average {figures['loadAverage']}; Python {figures['python']},"
        f" NumPy {figures['numpy']}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--days-history", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timed step (best kept)")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time by the process's CPU time instead of the wall clock (a loaded machine)",
    )
    args = parser.parse_args(argv)
    figures = run_settlement_benchmark(
        pods=args.pods, days_history=args.days_history, repeat=args.repeat, cpu_time=args.cpu_time
    )
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _print(figures)


if __name__ == "__main__":
    main()
