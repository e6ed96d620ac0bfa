"""calibration/seed_blocks.py scores disjoint blocks of seeds from a validation cache, each as validate would."""

import sys
from pathlib import Path

import pytest

from abscopal.validation.cache import EvaluationCache
from abscopal.validation.suite import Evaluation, load_targets

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "calibration"))
import seed_blocks  # noqa: E402

TARGET = "theelen2019_pembro_rt_nsclc_pembrort"  # a negative clinical target: counted whatever its immune-null


def _values(good: bool) -> dict:
    # passes every direction and numeric window when good; fails the SBRT-arm window and one direction otherwise
    return {"orr_pembro": 0.18, "orr_sbrt": 0.36 if good else 0.15, "pfs_hr": 0.7 if good else 0.3, "os_hr": 0.7,
            "median_pfs_pembro": 100.0, "median_pfs_sbrt": 200.0, "median_os_pembro": 300.0}


def test_blocks_are_scored_on_their_own_seeds(tmp_path, monkeypatch):
    target = load_targets()[TARGET]
    store = EvaluationCache(tmp_path)
    for k in range(20):  # seeds 0-9 all good; seeds 10-19 good on 7 of 10 (below the 0.8 bar)
        store.put(target, k, False, Evaluation(_values(k < 10 or k % 10 < 7), []))
    monkeypatch.setattr(seed_blocks, "select_targets", lambda part: [target])
    first, second = seed_blocks.block_rows(tmp_path, 20, 10, "calibration")
    assert first[0]["pass_probability"] == 1.0 and first[0]["passed"]
    assert second[0]["pass_probability"] == pytest.approx(0.7) and not second[0]["passed"]
    assert seed_blocks.counts(first)["directions"] == 1 and seed_blocks.counts(second)["directions"] == 0
    assert seed_blocks.counts(first)["numeric"] > seed_blocks.counts(second)["numeric"]


def test_a_missing_seed_is_an_error_not_a_silent_block(tmp_path, monkeypatch):
    target = load_targets()[TARGET]
    EvaluationCache(tmp_path).put(target, 0, False, Evaluation(_values(True), []))
    monkeypatch.setattr(seed_blocks, "select_targets", lambda part: [target])
    with pytest.raises(SystemExit, match="no cached evaluation"):
        seed_blocks.block_rows(tmp_path, 20, 10, "calibration")
