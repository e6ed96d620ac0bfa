"""Unit tests of the cand_c custom validation metrics on hand-made fake runs (no model run)."""

from types import SimpleNamespace

import numpy as np
import pytest

from abscopal.validation.probes_cand_c import (
    METRICS,
    _km_median,
    os_hazard_ratio_lowest_fraction,
    subgroup_hazard_ratio,
    subgroup_median,
)


def _rec(k, tumour, pfs, event=True, os_day=None, os_event=True, **extra):
    return {"subject": k, "status": "ok", "tumour": tumour, "pfs_day": float(pfs), "pfs_event": event,
            "os_day": float(os_day if os_day is not None else pfs), "os_event": os_event, **extra}


def _run(records, duration=365.0):
    return SimpleNamespace(records=records, design=SimpleNamespace(duration=duration))


def test_registered():
    assert set(METRICS) == {"subgroup_hazard_ratio", "subgroup_median", "os_hazard_ratio_lowest_fraction"}


def test_km_median_simple_and_not_reached():
    t = np.array([10.0, 20.0, 30.0, 40.0])
    e = np.array([True, True, True, True])
    assert _km_median(t, e) == 20.0
    assert _km_median(t, np.array([True, False, False, False])) is None


def test_subgroup_hazard_ratio_separates_subgroups():
    rng = np.random.default_rng(1)
    control, treated = [], []
    for k in range(200):
        tumour = "nsclc" if k % 2 == 0 else "breast"
        base = rng.exponential(60.0)
        control.append(_rec(k, tumour, base))
        # treatment quadruples PFS in nsclc only; breast unchanged
        treated.append(_rec(k, tumour, base * (4.0 if tumour == "nsclc" else 1.0)))
    run = _run({"soc": control, "sbrt": treated})
    hr_nsclc = subgroup_hazard_ratio({"arms": ["soc", "sbrt"], "value": "nsclc"}, run, None)
    hr_breast = subgroup_hazard_ratio({"arms": ["soc", "sbrt"], "value": "breast"}, run, None)
    assert hr_nsclc < 0.5
    assert 0.75 < hr_breast < 1.33
    # reversed arms invert the ratio
    hr_rev = subgroup_hazard_ratio({"arms": ["sbrt", "soc"], "value": "nsclc"}, run, None)
    assert hr_rev > 2.0


def test_subgroup_median_reads_only_the_subgroup_and_censors_to_duration():
    records = [_rec(0, "nsclc", 10), _rec(1, "nsclc", 20), _rec(2, "nsclc", 30),
               _rec(3, "breast", 300, event=False), _rec(4, "breast", 300, event=False)]
    run = _run({"a": records}, duration=300.0)
    assert subgroup_median({"arm": "a", "value": "nsclc"}, run, None) == 20.0
    assert subgroup_median({"arm": "a", "value": "breast"}, run, None) == 300.0
    assert subgroup_median({"arm": "a", "value": "melanoma"}, run, None) is None


def test_os_hazard_ratio_lowest_fraction_detects_worse_low_group():
    rng = np.random.default_rng(2)
    records = []
    for k in range(400):
        alc = 200.0 + 10.0 * k  # increasing
        low = k < 160  # the lowest 40%
        records.append(_rec(k, "gbm", 1, os_day=rng.exponential(200.0 if low else 500.0), alc_nadir=alc))
    run = _run({"a": records})
    hr = os_hazard_ratio_lowest_fraction({"arm": "a", "covariate": "alc_nadir", "fraction": 0.4}, run, None)
    assert hr > 1.8
    # no association -> near 1
    flat = [dict(r, os_day=float(rng.exponential(300.0))) for r in records]
    hr0 = os_hazard_ratio_lowest_fraction({"arm": "a", "covariate": "alc_nadir", "fraction": 0.4}, _run({"a": flat}), None)
    assert 0.7 < hr0 < 1.4


def test_os_hazard_ratio_lowest_fraction_pools_arms_by_weight():
    # arm "long": low-ALC subjects die early; arm "short": no association. Weights pick which arm each subject comes from.
    n = 300
    rng = np.random.default_rng(3)
    long_arm, short_arm = [], []
    for k in range(n):
        alc = float(rng.uniform(100, 1500))
        long_arm.append(_rec(k, "gbm", 1, os_day=rng.exponential(100.0 if alc < 500 else 600.0), alc_nadir=alc))
        short_arm.append(_rec(k, "gbm", 1, os_day=rng.exponential(300.0), alc_nadir=alc))
    run = _run({"long": long_arm, "short": short_arm})
    spec = {"arms": ["long", "short"], "covariate": "alc_nadir", "fraction": 0.3}
    hr_mostly_long = os_hazard_ratio_lowest_fraction(dict(spec, weights=[0.95, 0.05]), run, None)
    hr_mostly_short = os_hazard_ratio_lowest_fraction(dict(spec, weights=[0.05, 0.95]), run, None)
    assert hr_mostly_long > hr_mostly_short


def test_bad_endpoint_raises():
    run = _run({"a": [_rec(0, "nsclc", 10)], "b": [_rec(0, "nsclc", 10)]})
    with pytest.raises(ValueError):
        subgroup_hazard_ratio({"arms": ["a", "b"], "value": "nsclc", "endpoint": "efs"}, run, None)
