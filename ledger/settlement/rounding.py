"""Exact integer and decimal rounding: the only two rounding rules settlement uses.

* **Energy** is kept in integers. Whenever a quotient of integers has to become an integer
  number of Wh (power readings to period energy, the mean of X days, a same-day adjustment),
  the exact rational quotient is rounded **half to even** once, at the end:
  :func:`div_round_half_even`. Nothing passes through a float, so the result is the same bit
  for bit on every machine.
* **Money** is ``Decimal``: the exact amount of a period (Wh x EUR/MWh / 10^6) is rounded
  **half to even to the cent** (:func:`round_cents`); totals are the sums of the rounded period
  amounts, so the lines of a settlement always add up to its totals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CENT",
    "MONEY_CONTEXT",
    "div_round_half_even",
    "fraction_of",
    "int_div_round_half_even",
    "round_cents",
]

CENT: Final = Decimal("0.01")
#: Wide enough for any product of a 64-bit energy and a price with 6 decimals: no inexact step.
MONEY_CONTEXT: Final = Context(prec=60, rounding=ROUND_HALF_EVEN)


def div_round_half_even(
    numerator: NDArray[Any] | int, denominator: NDArray[Any] | int
) -> NDArray[Any]:
    """``numerator / denominator`` rounded half to even, element-wise.

    ``denominator`` must be positive. Integer arrays are computed in int64 (exact while the
    inputs fit); arrays of ``dtype=object`` holding Python ints are computed with unbounded
    integers. Floor division leaves a remainder ``0 <= r < d``; the quotient moves up when
    ``2r > d``, or when ``2r == d`` and the floor is odd: when ``2r + (q & 1) > d``.
    """
    if isinstance(denominator, int) and isinstance(numerator, np.ndarray):
        if denominator <= 0:
            raise ValueError("denominator must be positive")
        if numerator.dtype == np.int32 and numerator.ndim and denominator <= 2**30:
            return _int32_div_round_half_even(numerator, denominator)
    num = _integers(numerator)
    den = _integers(denominator)
    if np.any(den <= 0):
        raise ValueError("denominator must be positive")
    if num.dtype == object or den.dtype == object:
        quotient, remainder = num // den, num % den
    else:
        quotient, remainder = np.divmod(num, den)
    # 2r + (q & 1) > d: 2r > d, or 2r == d and q odd (the parity by a bit test, not a second
    # division, the slowest step on int64 arrays).
    up = remainder * 2 + (quotient & 1) > den
    return np.asarray(quotient + up.astype(np.int64), dtype=quotient.dtype)


def _int32_div_round_half_even(numerator: NDArray[np.int32], denominator: int) -> NDArray[Any]:
    """:func:`div_round_half_even` of an ``int32`` array by ``0 < denominator <= 2**30``, in
    ``int32`` (half the memory traffic of ``int64``).

    ``floor_divide`` by a scalar is a multiplication (about 10x faster than ``divmod``); the
    remainder ``n - q d`` is exact in ``int32`` even when ``q d`` wraps, as it lies in
    ``[0, d)``. The quotient moves up when ``2r + (q & 1) > d``: ``2r > d``, or ``2r == d`` and
    ``q`` odd - one comparison, no overflow as ``2r + 1 < 2**31``."""
    divisor = np.int32(denominator)
    quotient = np.floor_divide(numerator, divisor)
    twice = quotient * divisor
    np.subtract(numerator, twice, out=twice)
    np.add(twice, twice, out=twice)
    twice += quotient & 1
    quotient += twice > divisor
    return quotient


def _integers(value: NDArray[Any] | int) -> NDArray[Any]:
    array = np.asarray(value)
    if array.dtype == object:
        return array
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"integers expected, got {array.dtype}")
    return array.astype(np.int64, copy=False)


def int_div_round_half_even(numerator: int, denominator: int) -> int:
    """The scalar, arbitrary-precision twin of :func:`div_round_half_even`."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder > denominator or (2 * remainder == denominator and quotient % 2):
        quotient += 1
    return quotient


def round_cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half to even to the cent (``Decimal("0.125")`` -> ``0.12``)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN, context=MONEY_CONTEXT)


def fraction_of(value: Decimal | int | str) -> Fraction:
    """An exact fraction of a decimal parameter (``Decimal("0.9")`` -> ``9/10``)."""
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    return Fraction(value)
