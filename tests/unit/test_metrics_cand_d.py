"""Custom metrics of probes_cand_d on hand-made fake trial runs (no model run)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from abscopal.validation.probes_cand_d import (
    fraction_below,
    median_day_to_lesion_response,
    os_hazard_ratio_below_vs_above_threshold,
    spearman,
    spearman_records,
)


def _run(records, series=None, time=None, every=28.0):
    return SimpleNamespace(records={"a": records}, lesion_series={"a": series or {}},
                           time_days=time if time is not None else [0.0],
                           design=SimpleNamespace(endpoints=SimpleNamespace(assessments=every)))


def test_spearman_perfect_and_ties():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3, 4], [9, 100, 101, 1000]) == pytest.approx(1.0)  # monotone, not linear
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    # ties: ranks of [1, 2, 2, 3] are [1, 2.5, 2.5, 4]
    r = spearman([1, 2, 2, 3], [1, 2, 3, 4])
    assert r == pytest.approx(np.corrcoef([1, 2.5, 2.5, 4], [1, 2, 3, 4])[0, 1])


def test_spearman_records_reads_keys_and_skips_failed():
    recs = [{"status": "ok", "size": s, "alc_nadir": 1000 - 10 * s} for s in range(10)]
    recs.append({"status": "failed", "size": 99, "alc_nadir": 5000})
    assert spearman_records({"arm": "a", "x": "size", "y": "alc_nadir"}, _run(recs), None) == pytest.approx(-1.0)


def test_fraction_below_absolute_and_relative():
    recs = [{"status": "ok", "alc_nadir": v, "baseline_alc": 1000.0} for v in (100, 300, 500, 700)]
    assert fraction_below({"arm": "a", "threshold": 400}, _run(recs), None) == pytest.approx(0.5)
    assert fraction_below({"arm": "a", "threshold": 0.2, "relative": True}, _run(recs), None) == pytest.approx(0.25)
    assert fraction_below({"arm": "a", "threshold": 100}, _run(recs), None) == pytest.approx(0.0)


def test_os_hazard_ratio_threshold_direction():
    rng = np.random.default_rng(0)
    recs = []
    for k in range(200):
        low = k % 2 == 0
        t = rng.exponential(100.0 if low else 300.0)
        recs.append({"status": "ok", "alc_nadir": 100.0 if low else 900.0, "os_day": min(t, 1000.0), "os_event": t < 1000.0})
    hr = os_hazard_ratio_below_vs_above_threshold({"arm": "a", "covariate": "alc_nadir", "threshold": 500}, _run(recs), None)
    assert 2.0 < hr < 4.5  # true ratio 3
    none = [{"status": "ok", "alc_nadir": 900.0, "os_day": 10.0, "os_event": True}] * 3
    assert os_hazard_ratio_below_vs_above_threshold({"arm": "a", "covariate": "alc_nadir", "threshold": 500}, _run(none), None) is None


def test_median_day_to_lesion_response():
    t = np.arange(0.0, 113.0, 1.0)
    v0 = math.pi / 6 * 20.0 ** 3  # 20 mm sphere

    def shrinking(day):  # diameter falls to 60% at `day`, from then on
        d = np.where(t >= day, 12.0, 20.0)
        return math.pi / 6 * d ** 3

    series = {"out": [shrinking(30), shrinking(60), shrinking(90), np.full_like(t, v0)],
              "in": [np.full_like(t, v0)] * 4}
    recs = [{"status": "ok"}] * 4
    run = _run(recs, series, t, every=28.0)
    # scans at 28, 56, 84, 112: first responding scans 56, 84, 112; the fourth subject never responds
    assert median_day_to_lesion_response({"arm": "a", "lesions": ["out"]}, run, None) == pytest.approx(84.0)
    assert median_day_to_lesion_response({"arm": "a", "lesions": ["in"]}, run, None) is None
    with pytest.raises(KeyError):
        median_day_to_lesion_response({"arm": "a", "lesions": ["nope"]}, run, None)
