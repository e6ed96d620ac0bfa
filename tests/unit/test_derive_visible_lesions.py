"""calibration/derive_visible_lesions.py (V, docs/calibration.md): the negative binomial of visible non-measurable
NSCLC lesions is derived from the published PET bins (Andraos 2021) by minimum chi-square."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "calibration"))
from derive_visible_lesions import COUNTS, binned, derive, total_pmf  # noqa: E402


def test_derivation_reproduces_the_registered_values():
    d = derive()
    assert (d["mu"], d["k"]) == pytest.approx((6.661, 0.477), abs=2e-3)
    assert d["model_median_total"] == 6  # published median 6
    assert sum(d["fitted_bins"]) == pytest.approx(1.0, abs=2e-3)
    assert d["published_bins"] == pytest.approx(list(COUNTS / COUNTS.sum()), abs=1e-3)


def test_total_is_measurable_plus_small_and_can_fail():
    pmf = total_pmf(6.661, 0.477, 1, 5)
    assert pmf[0] == 0.0 and pmf.sum() == pytest.approx(1.0, abs=1e-6)  # at least one measurable lesion
    # with no small lesions the total is uniform on 1..5: all mass in the first two bins, far from the published ones
    bins = binned(total_pmf(1e-9, 0.477, 1, 5))
    assert bins[2] + bins[3] < 1e-6
    assert np.abs(bins - COUNTS / COUNTS.sum()).sum() > 0.9
