"""From power readings to energy per period, in integer Wh.

A reading is the average active power in W over ``[t, t + resolution)``, positive for import
(consumption) and negative for export (generation), as the market stores it
(``ledger.measurements.readings``); a missing reading is the sentinel :data:`GAP`. The energy of a
period is the exact sum of ``power x resolution`` in W.s, turned into Wh by one division rounded
half to even (:func:`ledger.settlement.rounding.div_round_half_even`).

A period counts as **measured** only when every reading in it is present: a partial period is
not extrapolated (the settlement flags it as missing instead, see ``docs/settlement.md``).

Behind-the-meter device readings are summed per POD in W.s before the single rounding, so a POD
made of many devices is not rounded once per device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ledger.measurements.readings import MAX_READING_W
from ledger.settlement.rounding import div_round_half_even, int_div_round_half_even

__all__ = [
    "GAP",
    "PERIOD_SECONDS",
    "SECONDS_PER_HOUR",
    "PeriodEnergy",
    "PowerSeries",
    "devices_to_pods",
    "ordered_wh_from_kw",
    "within_reading_bound",
]

#: The market's missing-reading sentinel (``ledger.measurements.readings.GAP``).
GAP: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1
#: Settlement periods of 15 minutes (``ledger.core.periods.PERIOD_SECONDS``).
PERIOD_SECONDS: Final = 900
SECONDS_PER_HOUR: Final = 3600


@dataclass(frozen=True, eq=False)
class PeriodEnergy:
    """Energy per period in Wh, shape ``[..., periods]`` (e.g. ``[pods, periods]`` for a day or
    ``[days, pods, periods]`` for a history), and whether each value was measured.

    Where ``present`` is false, ``wh`` holds 0 and must not be used.
    """

    wh: NDArray[np.int64]
    present: NDArray[np.bool_]

    def __post_init__(self) -> None:
        if self.wh.shape != self.present.shape:
            raise ValueError(f"wh {self.wh.shape} and present {self.present.shape} differ")
        if self.wh.dtype != np.int64:
            raise TypeError(f"wh must be int64, got {self.wh.dtype}")
        if self.present.dtype != np.bool_:
            raise TypeError(f"present must be bool, got {self.present.dtype}")

    @classmethod
    def complete(cls, wh: NDArray[np.integer]) -> PeriodEnergy:
        """Every period measured."""
        values = np.asarray(wh, dtype=np.int64)
        return cls(values, np.ones(values.shape, dtype=np.bool_))

    @classmethod
    def with_gaps(cls, wh: NDArray[np.integer], present: NDArray[np.bool_]) -> PeriodEnergy:
        """``wh`` with the values where ``present`` is false replaced by 0."""
        mask = np.asarray(present, dtype=np.bool_)
        return cls(np.where(mask, np.asarray(wh, dtype=np.int64), 0), mask)

    @property
    def periods(self) -> int:
        return int(self.wh.shape[-1])

    def rows(self, index: NDArray[np.intp]) -> PeriodEnergy:
        """The rows ``index`` of the POD axis (the one before the period axis)."""
        rows = self.wh.shape[-2]
        if len(index) == rows and np.array_equal(index, np.arange(rows)):
            return self  # every row once, in order: no copy (arrays are never modified)
        return PeriodEnergy(np.take(self.wh, index, axis=-2), np.take(self.present, index, axis=-2))


_Sums = NDArray[np.int32] | NDArray[np.int64]

_BLOCK_BYTES: Final = 1 << 20
"""Readings aggregated per block of rows (1 MiB): the sums and their rounding are small arrays
reused from block to block (no fresh pages for full-size temporaries, which cost as much as the
rounding itself), and a reading beyond the int32 bound sends only its block to int64."""


@dataclass(frozen=True)
class _Gapped:
    """The rows that miss a reading, their per-period sums without the gaps and gap counts."""

    rows: NDArray[np.intp]
    sums: NDArray[np.int64]
    gaps: NDArray[np.int64]


def within_reading_bound(power_w: NDArray[np.integer]) -> bool:
    """Whether every reading of ``power_w`` but :data:`GAP` lies within +-``MAX_READING_W``
    (``ledger.measurements.readings``), the bound every upload is checked against."""
    readings = power_w[power_w != GAP]
    return not readings.size or bool(
        readings.min() >= -MAX_READING_W and readings.max() <= MAX_READING_W
    )


def _rows(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape[:-1], dtype=np.int64))


@dataclass(frozen=True, eq=False)
class PowerSeries:
    """Average power readings in W, shape ``[..., steps]``, at ``resolution_s`` seconds per step;
    the first step starts a period. ``int32`` keeps a day of 60 s readings for 10,000 PODs at
    58 MB; :data:`GAP` marks a missing reading."""

    power_w: NDArray[np.int32] | NDArray[np.int64]
    resolution_s: int
    bounded: bool = False
    """Every reading but :data:`GAP` is known to lie within +-``MAX_READING_W``: read from
    storage (uploads are refused beyond it) and checked there (:func:`within_reading_bound`,
    ``ledger.settlement.stored_inputs``). A period's ``int32`` sum is then exact without
    looking for the largest reading; otherwise (the default) each block is checked."""

    def __post_init__(self) -> None:
        if self.resolution_s <= 0 or PERIOD_SECONDS % self.resolution_s:
            raise ValueError(f"resolution {self.resolution_s} s does not divide a period")
        if self.power_w.shape[-1] % self.steps_per_period:
            raise ValueError("the readings do not cover whole periods")
        if not np.issubdtype(self.power_w.dtype, np.integer):
            raise TypeError("power readings must be integers (W)")

    @property
    def steps_per_period(self) -> int:
        return PERIOD_SECONDS // self.resolution_s

    @property
    def periods(self) -> int:
        return int(self.power_w.shape[-1]) // self.steps_per_period

    def _period_sums(self, write: Callable[[slice, _Sums], None]) -> _Gapped:
        """Per-period sums of the readings in W, exact, handed to ``write(rows, sums)`` one block
        of rows at a time (``[rows, periods]``, valid until the next block); returns the rows
        that miss a reading, whose values in the blocks are not meaningful, with their sums
        without the gaps and their gap counts.

        Per block (about :data:`_BLOCK_BYTES` of readings): its row minimum finds the few rows
        with a gap; the block is summed in ``int32`` (SIMD, about as fast as a plain
        ``numpy.sum``) when none of its period sums can overflow - every reading of its
        gap-free rows within ``INT32_MAX // steps`` W in magnitude (minimum and maximum), 143 MW
        at 60 s, known for readings :attr:`bounded` and checked otherwise - and in ``int64``
        otherwise. The rows with a gap are summed apart in
        ``int64``."""
        steps, periods = self.steps_per_period, self.periods
        rows = self.power_w.reshape(-1, self.power_w.shape[-1])
        count = rows.shape[0]
        row_min = np.zeros(count, dtype=rows.dtype)
        bound = _INT32_MAX // steps
        known = self.bounded and bound >= MAX_READING_W
        block = max(1, _BLOCK_BYTES // max(1, rows.shape[1] * rows.itemsize))
        scratch = np.empty((min(block, count), periods), dtype=np.int32)
        for first in range(0, count, block):
            part = rows[first : first + block]
            where = slice(first, first + len(part))
            low = part.min(axis=-1, out=row_min[where]) if part.size else row_min[where]
            whole = low[low != GAP]
            grouped = part.reshape(len(part), periods, steps)
            if (
                rows.dtype == np.int32
                and part.size
                and (known or not whole.size or int(whole.min()) >= -bound)
                and (known or int(part.max()) <= bound)
            ):
                write(where, np.einsum("ijk->ij", grouped, out=scratch[: len(part)]))
            else:
                write(where, grouped.sum(axis=-1, dtype=np.int64))
        lacking = np.flatnonzero(row_min == GAP)
        gapped = rows[lacking].reshape(len(lacking), periods, steps)  # a copy: gaps become 0
        is_gap = gapped == GAP
        gapped[is_gap] = 0
        return _Gapped(
            lacking,
            np.einsum("ijk->ij", gapped, dtype=np.int64),
            np.einsum("ijk->ij", is_gap, dtype=np.int64),
        )

    def energy_ws(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Exact energy per period in W.s (missing readings count as 0), and the number of
        missing readings per period."""
        shape = (*self.power_w.shape[:-1], self.periods)
        total_w = np.empty((_rows(shape), self.periods), dtype=np.int64)

        def keep(where: slice, sums: _Sums) -> None:
            total_w[where] = sums

        gapped = self._period_sums(keep)
        total_w[gapped.rows] = gapped.sums
        missing = np.zeros(total_w.shape, dtype=np.int64)
        missing[gapped.rows] = gapped.gaps
        return total_w.reshape(shape) * self.resolution_s, missing.reshape(shape)

    def period_energy(self) -> PeriodEnergy:
        """Energy per period in Wh (rounded half to even); measured when no reading is missing.

        ``sum(W) x resolution / 3600`` is ``sum(W) / (3600 / resolution)`` when the resolution
        divides an hour (60 s: ``sum(W) / 60``), the same rational, rounded once, computed in
        the sums' own dtype, block by block."""
        shape = (*self.power_w.shape[:-1], self.periods)
        if SECONDS_PER_HOUR % self.resolution_s:
            energy_ws, missing = self.energy_ws()
            present = missing == 0
            wh = div_round_half_even(energy_ws, SECONDS_PER_HOUR)
            return PeriodEnergy(np.where(present, wh, 0), present)
        per_wh = SECONDS_PER_HOUR // self.resolution_s
        wh = np.empty((_rows(shape), self.periods), dtype=np.int64)

        def rounded(where: slice, sums: _Sums) -> None:
            wh[where] = div_round_half_even(sums, per_wh)

        gapped = self._period_sums(rounded)
        present = np.ones(wh.shape, dtype=np.bool_)
        if gapped.rows.size:
            complete = gapped.gaps == 0
            present[gapped.rows] = complete
            wh[gapped.rows] = np.where(complete, div_round_half_even(gapped.sums, per_wh), 0)
        return PeriodEnergy(wh.reshape(shape), present.reshape(shape))

    def steps(
        self, rows: NDArray[np.intp], first_step: NDArray[np.intp], count: int
    ) -> NDArray[np.int64]:
        """``count`` readings of each row from its own ``first_step`` on (``[rows, count]``);
        steps past the end read as :data:`GAP`."""
        if self.power_w.ndim != 2:
            raise ValueError("steps() needs a [pods, steps] series")
        offsets = first_step[:, None] + np.arange(count)[None, :]
        inside = offsets < self.power_w.shape[-1]
        values = self.power_w[rows[:, None], np.minimum(offsets, self.power_w.shape[-1] - 1)]
        return np.where(inside, values.astype(np.int64), GAP)


def devices_to_pods(devices: PowerSeries, device_pod: NDArray[np.intp], pods: int) -> PeriodEnergy:
    """Behind-the-meter device readings summed per POD and period, in Wh.

    ``device_pod[i]`` is the POD row of device ``i``. A POD period is measured when the POD has
    at least one device and none of its devices misses a reading in that period.
    """
    if devices.power_w.ndim != 2:
        raise ValueError("device readings must be [devices, steps]")
    owner = np.asarray(device_pod, dtype=np.intp)
    if owner.shape != (devices.power_w.shape[0],):
        raise ValueError("device_pod needs one POD row per device")
    if owner.size and (owner.min() < 0 or owner.max() >= pods):
        raise ValueError("device_pod names a POD row out of range")
    devices_per_pod = np.bincount(owner, minlength=pods)
    has_device = devices_per_pod > 0
    if owner.size and devices_per_pod.max() == 1:
        # At most one device per POD: its own rounded energy is the POD's (same single
        # rounding of the same sum), placed on the POD's row.
        own = devices.period_energy()
        if pods == owner.size and np.array_equal(owner, np.arange(pods)):
            return own  # device i is POD i: already the POD rows, in order
        wh = np.zeros((pods, devices.periods), dtype=np.int64)
        present = np.zeros((pods, devices.periods), dtype=np.bool_)
        wh[owner], present[owner] = own.wh, own.present
        return PeriodEnergy(wh, present)
    energy_ws, missing = devices.energy_ws()
    pod_ws = np.zeros((pods, devices.periods), dtype=np.int64)
    pod_missing = np.zeros((pods, devices.periods), dtype=np.int64)
    if owner.size:
        # Devices grouped by POD (stable sort), each group summed in one reduceat: exact int64
        # sums, much faster than np.add.at's element-wise scatter.
        order = np.argsort(owner, kind="stable")
        grouped = owner[order]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        targets = grouped[starts]
        pod_ws[targets] = np.add.reduceat(energy_ws[order], starts, axis=0)
        pod_missing[targets] = np.add.reduceat(missing[order], starts, axis=0)
    present = (pod_missing == 0) & has_device[:, None]
    wh = div_round_half_even(pod_ws, SECONDS_PER_HOUR)
    return PeriodEnergy(np.where(present, wh, 0), present)


def ordered_wh_from_kw(set_points_kw: tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """Set points (kW held for a 15-minute period) as ordered energy in Wh: 1 kW -> 250 Wh."""
    return tuple(
        int_div_round_half_even(kw * 1000 * PERIOD_SECONDS, SECONDS_PER_HOUR)
        for kw in set_points_kw
    )
