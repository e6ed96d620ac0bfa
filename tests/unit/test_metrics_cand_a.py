"""Unit tests of the cand_a custom validation metrics on hand-made fake runs (no model run)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from abscopal.validation.probes_cand_a import landmark_survival_rate, lesion_set_control_rate


def _volume(d_mm):
    return math.pi * np.asarray(d_mm, float) ** 3 / 6.0


def _run(records, series=None, duration=100.0, assessments=10.0, times=None):
    design = SimpleNamespace(duration=duration, endpoints=SimpleNamespace(assessments=assessments))
    t = np.arange(0.0, duration + 1e-9, 1.0) if times is None else np.asarray(times, float)
    return SimpleNamespace(design=design, records={"a": records}, lesion_series={"a": series or {}}, time_days=t)


def test_landmark_survival_rate_counts_events_on_or_before_the_day():
    records = [
        {"status": "ok", "pfs_day": 30.0, "pfs_event": True, "os_day": 100.0, "os_event": False},
        {"status": "ok", "pfs_day": 60.0, "pfs_event": True, "os_day": 80.0, "os_event": True},
        {"status": "ok", "pfs_day": 100.0, "pfs_event": False, "os_day": 100.0, "os_event": False},
        {"status": "ok", "pfs_day": 50.0, "pfs_event": True, "os_day": 100.0, "os_event": False},
        {"status": "failed", "pfs_day": 1.0, "pfs_event": True, "os_day": 1.0, "os_event": True},
    ]
    run = _run(records)
    assert landmark_survival_rate({"arm": "a", "day": 50}, run, None) == pytest.approx(0.5)
    assert landmark_survival_rate({"arm": "a", "day": 59}, run, None) == pytest.approx(0.5)
    assert landmark_survival_rate({"arm": "a", "day": 60}, run, None) == pytest.approx(0.25)
    assert landmark_survival_rate({"arm": "a", "endpoint": "os", "day": 90}, run, None) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        landmark_survival_rate({"arm": "a", "day": 150}, run, None)
    with pytest.raises(ValueError):
        landmark_survival_rate({"arm": "a", "endpoint": "dfs", "day": 10}, run, None)


def test_lesion_set_control_rate_applies_the_recist_rule_to_the_set():
    t = np.arange(0.0, 101.0, 1.0)
    shrink_then_regrow = np.interp(t, [0, 30, 100], [30.0, 10.0, 20.0])  # nadir 10 mm, +10 mm = +100%: failure at ~day 45
    stable = np.full_like(t, 30.0)  # never grows
    small_growth = np.interp(t, [0, 30, 100], [4.0, 2.0, 5.0])  # +150% but only +3 mm: not a failure
    records = [{"status": "ok"}, {"status": "ok"}, {"status": "ok"}]
    series = {
        "primary": [_volume(shrink_then_regrow), _volume(stable), _volume(small_growth)],
        "node": [_volume(np.zeros_like(t)), _volume(np.zeros_like(t)), _volume(np.zeros_like(t))],
    }
    run = _run(records, series)
    assert lesion_set_control_rate({"arm": "a", "lesions": ["primary", "node"], "day": 30}, run, None) == pytest.approx(1.0)
    assert lesion_set_control_rate({"arm": "a", "lesions": ["primary", "node"], "day": 100}, run, None) == pytest.approx(2 / 3)
    with pytest.raises(KeyError):
        lesion_set_control_rate({"arm": "a", "lesions": ["other"], "day": 50}, run, None)
