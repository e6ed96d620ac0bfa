"""Unit tests of the cand_b custom metrics on hand-made run objects (no model run)."""

from types import SimpleNamespace

import pytest

from abscopal.validation.probes_cand_b import (
    event_free_rate_at_day,
    rate_in_covariate_quantile,
    rate_in_covariate_range,
)


def _run(records, duration=365.0):
    return SimpleNamespace(records={"a": records}, design=SimpleNamespace(duration=duration))


def _rec(tmb, overall, pfs_day=100.0, pfs_event=True):
    return {"status": "ok", "tmb": tmb, "overall": overall, "pfs_day": pfs_day, "pfs_event": pfs_event}


RECORDS = [_rec(2, "PD"), _rec(4, "SD"), _rec(6, "PR"), _rec(12, "CR"), _rec(15, "PR"), _rec(20, "SD"),
           _rec(30, "NE"), {"status": "failed", "tmb": 50, "overall": "CR"}]


def test_rate_in_covariate_range():
    run = _run(RECORDS)
    assert rate_in_covariate_range({"arm": "a", "covariate": "tmb", "low": 10}, run, None) == pytest.approx(2 / 3)
    assert rate_in_covariate_range({"arm": "a", "covariate": "tmb", "high": 10}, run, None) == pytest.approx(1 / 3)
    assert rate_in_covariate_range({"arm": "a", "covariate": "tmb", "low": 100}, run, None) is None


def test_rate_in_covariate_quantile_top_and_bottom():
    run = _run(RECORDS)  # evaluable tmb: 2, 4, 6, 12, 15, 20
    top = rate_in_covariate_quantile({"arm": "a", "covariate": "tmb", "q_low": 0.5, "q_high": 1.0}, run, None)
    bottom = rate_in_covariate_quantile({"arm": "a", "covariate": "tmb", "q_low": 0.0, "q_high": 0.5}, run, None)
    assert top == pytest.approx(2 / 3)  # 12 (CR), 15 (PR), 20 (SD)
    assert bottom == pytest.approx(1 / 3)  # 2, 4, 6 (PR)


def test_event_free_rate_at_day():
    recs = [_rec(1, "SD", 50, True), _rec(1, "SD", 150, True), _rec(1, "SD", 365, False), _rec(1, "SD", 120, True)]
    run = _run(recs)
    assert event_free_rate_at_day({"arm": "a", "endpoint": "pfs", "day": 140}, run, None) == pytest.approx(0.5)
    assert event_free_rate_at_day({"arm": "a", "endpoint": "pfs", "day": 10}, run, None) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        event_free_rate_at_day({"arm": "a", "endpoint": "pfs", "day": 400}, run, None)
