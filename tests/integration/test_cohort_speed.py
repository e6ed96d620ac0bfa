"""Issue 16 (end-to-end speed of `abscopal cohort`): the faster paths give the same results.

- The per-subject table of the benchmark cohort (5 lesions, 365 days) does not depend on the chunk size, the
  number of worker processes, the kernel's thread count or the number of SIMD lanes (engine/lanes.py).
- The cohort no longer builds each subject's JSON result (``Result.data`` is built on first use): asking for it
  gives what ``build_result`` gives (``until: progression`` dosing, which needs it, is pinned by
  tests/unit/test_mechanisms.py::test_until_progression_stops_dosing_at_the_progression_scan).
- ``response._gone`` without ``np.nan_to_num``: checked against the previous implementation, kept here as the
  reference (the new one replaces it in the package).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from abscopal import response
from abscopal.response import NODE_NORMAL_MM, LesionTrack
from abscopal.trial.design import load_trial
from abscopal.trial.run import run_trial

ROOT = Path(__file__).resolve().parents[2]
BENCHMARK = ROOT / "benchmarks" / "scenarios" / "five_lesions_sbrt_ipi_nivo.yaml"


def _table(**kw):
    design = load_trial(BENCHMARK, size=10, seed=5, cohort=True)
    run = run_trial(design, **kw)
    (arm,) = run.records
    return run.records[arm].table


def test_benchmark_cohort_table_does_not_depend_on_chunks_or_workers():
    reference = _table(chunk_size=10, workers=1)
    assert reference.num_rows == 10
    assert reference.equals(_table(chunk_size=3, workers=1))
    assert reference.equals(_table(chunk_size=4, workers=2))


def test_benchmark_cohort_table_does_not_depend_on_simd_lanes(monkeypatch):
    """The lanes engine (engine/lanes.py) against the scalar kernel through the whole cohort: the same table bit
    for bit with chunks above its batch minimum (lanes) and below it (scalar), 8 or 4 lanes, 1 or 2 workers."""
    from abscopal.engine.lanes import LANES_MIN_SUBJECTS

    def table(lanes, chunk_size, workers):
        monkeypatch.setenv("ABSCOPAL_LANES", str(lanes))
        design = load_trial(BENCHMARK, size=70, seed=5, cohort=True)
        (records,) = run_trial(design, chunk_size=chunk_size, workers=workers).records.values()
        return records.table

    assert 70 >= LANES_MIN_SUBJECTS > 35
    reference = table(0, 70, 1)
    assert reference.num_rows == 70
    assert reference.equals(table(8, 70, 1))
    assert reference.equals(table(8, 35, 2))  # chunks below the minimum: the scalar kernel in two workers
    assert reference.equals(table(4, 70, 1))


def test_kernel_threads_do_not_change_trajectories():
    from abscopal.engine.compiled import run_compiled
    from abscopal.model.registry import make_batch
    from abscopal.model.subject import subject_from_scenario
    from abscopal.population import parse_population, sample_subject
    from abscopal.scenario.load import load_scenario
    from abscopal.simulate import output_times

    scenario = load_scenario(BENCHMARK)
    spec = parse_population(scenario.population, scenario.species)
    subjects = [subject_from_scenario(sample_subject(scenario, spec, k), k) for k in range(6)]
    t_out = output_times(365.0, 7.0)
    one, status_one, _ = run_compiled(make_batch(subjects), t_out, threads=1)
    two, status_two, _ = run_compiled(make_batch(subjects), t_out, threads=2)
    np.testing.assert_array_equal(status_one, status_two)
    np.testing.assert_array_equal(one, two)


def test_result_json_is_built_on_first_use_and_equals_build_result():
    from abscopal.simulate import Result, build_result, simulate_many
    from tests.helpers import human_base, scenario

    results = simulate_many([scenario(human_base())])
    result = results[0]
    assert isinstance(result, Result)
    assert result._data is None  # not built by the simulation itself
    data = result.data
    assert data == build_result(result.scenario, result.subject, result.trajectory)
    assert result.data is data  # built once
    result.data = {"replaced": True}  # the command line swaps in the uncertainty result
    assert result.to_dict() == {"replaced": True}


def _gone_reference(les: LesionTrack, d, disappearance_mm: float) -> np.ndarray:
    """response._gone before issue 16 (main at 7676cab), the reference for the faster version."""
    d = np.nan_to_num(np.asarray(d, dtype=float))
    return d < (NODE_NORMAL_MM if les.site == "lymph_node" else disappearance_mm)


@pytest.mark.parametrize("site", ["lung", "lymph_node"])
@pytest.mark.parametrize("threshold", [5.0, 0.0, -1.0])
def test_gone_equals_the_nan_to_num_version(site, threshold):
    rng = np.random.default_rng(16)
    d = rng.uniform(-2.0, 30.0, 400)
    d[rng.integers(0, 400, 40)] = np.nan
    d[rng.integers(0, 400, 10)] = np.inf
    d[rng.integers(0, 400, 10)] = -np.inf
    d[:5] = [threshold, NODE_NORMAL_MM, 0.0, -0.0, np.nextafter(threshold, -np.inf)]
    les = LesionTrack("x", site, 20.0, d)
    np.testing.assert_array_equal(response._gone(les, d, threshold), _gone_reference(les, d, threshold))
    assert response._gone(les, list(d), threshold).dtype == bool


def test_performance_doc_is_what_the_report_writes_from_the_committed_results(tmp_path):
    """docs/performance.md is generated (benchmarks/report.py from benchmarks/results/*.json), never edited by hand:
    the committed page and the committed measurements agree, headline included."""
    import json
    import sys

    sys.path.insert(0, str(ROOT))
    from benchmarks.report import write_performance_doc

    page = tmp_path / "performance.md"
    write_performance_doc(json.loads((ROOT / "benchmarks" / "results" / "engine.json").read_text()), page)
    text = page.read_text()
    assert text == (ROOT / "docs" / "performance.md").read_text()
    assert "## End to end: `abscopal cohort`" in text.split("| engine |")[0]  # the headline comes first
