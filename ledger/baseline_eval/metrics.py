"""Goodness of fit of a baseline: CV(RMSE) and NMBE as CalTRACK and ASHRAE Guideline 14 define
them (``docs/baselines.md``, "Metrics").

With ``y`` the metered energy, ``b`` the baseline, ``n`` the number of periods, ``p`` the
number of parameters fitted to the evaluated data and ``mean = sum(|y|) / n``::

    CV(RMSE) = sqrt(sum((b - y)^2) / (n - p)) / mean
    NMBE     = sum(b - y) / ((n - p) x mean)

The sign is CalTRACK's (predicted minus observed): a positive NMBE is a baseline above the
meter, which overpays an upward activation. ASHRAE Guideline 14 writes ``y - b`` (the opposite
sign) and the same magnitudes. A baseline method fits nothing to the periods it is judged on,
so the evaluation uses ``p = 0``, where ASHRAE's ``n - p`` and CalTRACK's ``n`` coincide.

Sums are exact (integers); only the final division and square root are floating point, so the
figures are the same on every machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Accuracy", "accuracy", "cv_rmse", "nmbe"]


@dataclass(frozen=True)
class Accuracy:
    """Both metrics as fractions (0.25 is 25 %) over ``periods`` values."""

    cv_rmse: float
    nmbe: float
    periods: int


def _checked(
    baseline: NDArray[np.integer], metered: NDArray[np.integer], parameters: int
) -> tuple[list[int], list[int], int]:
    b = [int(v) for v in np.asarray(baseline).ravel()]
    y = [int(v) for v in np.asarray(metered).ravel()]
    if len(b) != len(y):
        raise ValueError(f"baseline has {len(b)} values, the meter {len(y)}")
    if parameters < 0:
        raise ValueError("parameters must be 0 or more")
    if len(y) <= parameters:
        raise ValueError(f"{len(y)} values leave no degree of freedom with {parameters} parameters")
    if not any(y):
        raise ValueError("the metered energy is zero throughout: the metrics are undefined")
    return b, y, len(y) - parameters


def cv_rmse(
    baseline: NDArray[np.integer], metered: NDArray[np.integer], *, parameters: int = 0
) -> float:
    """Coefficient of variation of the root mean squared error, as a fraction."""
    b, y, freedom = _checked(baseline, metered, parameters)
    squares = sum((bi - yi) ** 2 for bi, yi in zip(b, y, strict=True))
    mean = sum(abs(v) for v in y) / len(y)
    return math.sqrt(squares / freedom) / mean


def nmbe(
    baseline: NDArray[np.integer], metered: NDArray[np.integer], *, parameters: int = 0
) -> float:
    """Normalised mean bias error, as a fraction (positive: the baseline is too high)."""
    b, y, freedom = _checked(baseline, metered, parameters)
    bias = sum(b) - sum(y)
    mean = sum(abs(v) for v in y) / len(y)
    return bias / freedom / mean


def accuracy(
    baseline: NDArray[np.integer], metered: NDArray[np.integer], *, parameters: int = 0
) -> Accuracy:
    return Accuracy(
        cv_rmse=cv_rmse(baseline, metered, parameters=parameters),
        nmbe=nmbe(baseline, metered, parameters=parameters),
        periods=int(np.asarray(metered).size),
    )
