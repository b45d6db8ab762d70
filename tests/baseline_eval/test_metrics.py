"""CV(RMSE) and NMBE against values worked out by hand (docs/baselines.md, "Metrics")."""

import math

import numpy as np
import pytest

from ledger.baseline_eval.metrics import accuracy, cv_rmse, nmbe

BASELINE = np.array([110, 90, 100, 120])
METERED = np.array([100, 100, 100, 100])
# Residuals (baseline - meter): 10, -10, 0, 20; squares sum to 600; bias 20; mean |y| 100.


def test_cv_rmse_by_hand() -> None:
    assert cv_rmse(BASELINE, METERED) == pytest.approx(math.sqrt(600 / 4) / 100)  # 0.12247
    assert cv_rmse(BASELINE, METERED) == pytest.approx(0.1224744871)


def test_nmbe_by_hand_and_its_sign() -> None:
    assert nmbe(BASELINE, METERED) == pytest.approx(20 / (4 * 100))  # +0.05: baseline too high
    assert nmbe(METERED, BASELINE) < 0


def test_degrees_of_freedom_n_minus_p() -> None:
    assert cv_rmse(BASELINE, METERED, parameters=1) == pytest.approx(math.sqrt(600 / 3) / 100)
    assert nmbe(BASELINE, METERED, parameters=1) == pytest.approx(20 / (3 * 100))


def test_perfect_baseline_scores_zero() -> None:
    result = accuracy(METERED, METERED)
    assert (result.cv_rmse, result.nmbe, result.periods) == (0.0, 0.0, 4)


def test_generation_is_normalised_by_the_mean_magnitude() -> None:
    # Net export: residuals 10, -10; mean |y| = 100.
    assert cv_rmse(np.array([-90, -110]), np.array([-100, -100])) == pytest.approx(0.1)
    assert nmbe(np.array([-90, -110]), np.array([-100, -100])) == 0.0


def test_exact_sums_on_large_values() -> None:
    # Squares beyond int64 would overflow a NumPy sum; the metrics sum Python integers.
    big = np.array([4 * 10**9, 4 * 10**9], dtype=np.int64)
    assert cv_rmse(big * 2, big) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("baseline", "metered", "parameters", "message"),
    [
        ([1, 2], [1, 2, 3], 0, "baseline has 2 values, the meter 3"),
        ([1, 2], [0, 0], 0, "metered energy is zero"),
        ([1, 2], [1, 2], 2, "no degree of freedom"),
        ([1, 2], [1, 2], -1, "parameters must be 0 or more"),
    ],
)
def test_refusals_say_why(
    baseline: list[int], metered: list[int], parameters: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cv_rmse(np.array(baseline), np.array(metered), parameters=parameters)
