"""Cohorts stream to disk in chunks: columnar records, streamed group curves, resume after a kill, Dask.

CONTRACT.md (Randomness): results do not depend on chunking or workers. Issue 5: a run that is killed and
restarted resumes from its finished chunks without recomputing or losing them; the Dask run equals the local run.
"""

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from abscopal.trial import run as trial_run
from abscopal.trial.analysis import trial_summary
from abscopal.trial.design import parse_trial
from abscopal.trial.store import MEDIAN_RELATIVE_ERROR, CurveAccumulator, stream_partial

ROOT = Path(__file__).resolve().parents[2]
MOUSE = {
    "abscopal": 1, "name": "bilateral", "species": "mouse", "tumour": "tsa",
    "population": {"size": 24, "seed": 11},
    "patient": {"lesions": [{"id": "primary", "site": "flank", "volume": "60 mm^3"},
                            {"id": "secondary", "site": "flank", "volume": "40 mm^3"}]},
    "arms": {
        "control": {},
        "rt_ctla4": {"radiotherapy": [{"lesions": ["primary"], "dose": "8 Gy", "fractions": 3, "start": "day 12"}],
                     "drugs": [{"agent": "anti-ctla-4", "dose": "200 ug", "every": "3 days", "count": 3, "start": "day 14"}]},
    },
    "simulation": {"duration": "40 days", "endpoint_volume": "1000 mm^3"},
}


def _run(doc=MOUSE, **kw):
    return trial_run.run_trial(parse_trial(copy.deepcopy(doc)), **kw)


def _json(run) -> str:
    return json.dumps(trial_summary(run), sort_keys=True)


def test_summary_does_not_depend_on_chunk_size_or_workers():
    reference = _json(_run(chunk_size=24))
    assert _json(_run(chunk_size=5)) == reference
    assert _json(_run(chunk_size=3, workers=2)) == reference


def test_streamed_curves_match_the_exact_ones_and_do_not_depend_on_chunking(monkeypatch):
    exact = trial_summary(_run(chunk_size=7))
    monkeypatch.setattr(trial_run, "EXACT_SERIES_MAX", 0)  # stream even this small cohort
    streamed_run = _run(chunk_size=7)
    assert streamed_run.curves and not any(streamed_run.lesion_series.values())
    streamed = trial_summary(streamed_run)
    assert json.dumps(trial_summary(_run(chunk_size=24)), sort_keys=True) == json.dumps(streamed, sort_keys=True)
    assert json.dumps(trial_summary(_run(chunk_size=2, workers=2)), sort_keys=True) == json.dumps(streamed, sort_keys=True)
    for arm_exact, arm_streamed in zip(exact["arms"], streamed["arms"], strict=True):
        for lid, curve in arm_exact["lesions"].items():
            other = arm_streamed["lesions"][lid]
            assert other["n_at_risk"] == curve["n_at_risk"]
            assert other["controlled_fraction"] == curve["controlled_fraction"]
            mean, mean_s = np.array(curve["mean_volume_mm3"]), np.array(other["mean_volume_mm3"])
            assert np.allclose(mean_s, mean, rtol=1e-9, atol=1e-9)  # fixed point: 2^-32 mm^3 per value
            med, med_s = np.array(curve["median_volume_mm3"]), np.array(other["median_volume_mm3"])
            big = med > 2e-3
            assert big.any()
            assert np.all(np.abs(med_s[big] / med[big] - 1) <= 2 * MEDIAN_RELATIVE_ERROR)  # two bins when averaging ranks
            assert np.all(med_s[med < 1e-3] == 0.0)


def test_streamed_median_and_mean_against_numpy():
    rng = np.random.default_rng(0)
    values = np.exp(rng.normal(3, 2, size=(501, 4)))
    values[:40] = 0.0  # eradicated lesions
    acc = CurveAccumulator(4)
    for part in np.array_split(values, 7):
        acc.add(stream_partial(part, np.ones_like(part, dtype=bool)))
    assert acc.n == 501 and np.all(acc.at_risk == 501)
    assert np.allclose(acc.mean(), values.mean(axis=0), rtol=1e-12)
    assert np.all(np.abs(acc.median() / np.median(values, axis=0) - 1) <= MEDIAN_RELATIVE_ERROR)


COHORT = ROOT / "examples" / "cohort_nsclc_sbrt_pembrolizumab.yaml"


def _cohort(out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "abscopal", "cohort", str(COHORT), "--size", "120", "--chunk-size", "3", "--workers", "1",
           "--out", str(out), "--json", str(out / "result.json"), *extra]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _chunk_files(out: Path) -> dict[str, int]:
    folder = out / "subjects"
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("chunk-*.parquet")} if folder.exists() else {}


def test_a_killed_run_resumes_from_its_finished_chunks(tmp_path):
    killed = tmp_path / "killed"
    proc = _cohort(killed)
    deadline = time.monotonic() + 240
    while len(_chunk_files(killed)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _chunk_files(killed)
    assert 3 <= len(before) < 40, "the run must be killed part-way"
    assert not (killed / "result.json").exists()
    time.sleep(0.05)  # a rewritten file would get a later modification time

    restarted = _cohort(killed)
    _, err = restarted.communicate(timeout=600)
    assert restarted.returncode == 0, err
    assert f"resumed: {len(before)} finished chunk(s)" in err
    after = _chunk_files(killed)
    assert len(after) == 40
    assert all(after[name] == mtime for name, mtime in before.items())  # finished chunks kept, not recomputed
    assert not [p for p in (killed / "subjects").iterdir() if p.name.startswith(".")]  # no partial files left

    fresh = tmp_path / "fresh"
    uninterrupted = _cohort(fresh)
    _, err = uninterrupted.communicate(timeout=600)
    assert uninterrupted.returncode == 0, err
    a = json.loads((killed / "result.json").read_text())
    b = json.loads((fresh / "result.json").read_text())
    assert a == b

    import duckdb

    rows, subjects = duckdb.connect().execute(
        "select count(*), count(distinct subject) from read_parquet($glob)", {"glob": f"{killed}/subjects/*.parquet"}).fetchone()
    assert rows == subjects == 120


def test_a_folder_of_another_run_is_refused(tmp_path):
    first = _cohort(tmp_path)
    assert first.wait(timeout=600) == 0
    other = _cohort(tmp_path, "--seed", "99")
    _, err = other.communicate(timeout=120)
    assert other.returncode == 2
    assert err.strip().splitlines()[-1].startswith(f"{tmp_path / 'manifest.json'}: seed: this folder holds chunks of another run")


@pytest.mark.filterwarnings("ignore")
def test_dask_local_cluster_equals_the_local_run():
    pytest.importorskip("distributed")
    local = _run(chunk_size=5)
    on_dask = _run(chunk_size=5, workers=2, scheduler="local")
    assert on_dask.records == local.records
    assert _json(on_dask) == _json(local)
