"""The lanes engine (engine/lanes.py): W subjects in lock-step per thread, the right-hand side in SIMD.

Issue 16 asks that results not depend on the chunk size, the worker count or the SIMD width. The lanes engine
integrates each lane with the scalar kernel's algorithm and arithmetic, so the claim here is equality bit for
bit, not closeness:
* the generated W-lane right-hand side equals the scalar one on every lane, for states along real trajectories;
* whole trajectories, statuses and step counts equal the scalar kernel's for 1, 3 and 8 lanes, any block size
  and 1 or 2 threads, on a batch that mixes scenarios (drugs, radiotherapy, occult lesions that appear by an
  event, a subject whose mechanisms differ), and on a mouse batch;
* subjects that fail (step budget exhausted) fail identically, with the same steps and outputs up to the failure;
* run_compiled picks the lanes engine only where it pays (a kernel already compiled here, or a large cohort
  announced), ABSCOPAL_LANES=0 turns it off and ABSCOPAL_LANES=W forces it.
Each (lesions, agents, lanes) kernel compiles once (about 20 s) and is cached on disk.
"""

import numpy as np
import pytest

from abscopal.engine import lanes
from abscopal.engine.compiled import kernel, run_compiled
from abscopal.engine.dopri import STATUS_FAILED, STATUS_OK
from abscopal.model import _generated as generated
from abscopal.model.batch import Batch
from abscopal.model.subject import subject_from_scenario
from abscopal.simulate import output_times
from tests.helpers import human_base, mouse_base, scenario


def _human_batch(n=13):
    rt = [{"lesions": ["lung1"], "dose": "8 Gy", "fractions": 3}]
    drugs = [{"agent": "ipilimumab", "dose": "3 mg/kg", "every": "3 weeks", "count": 4},
             {"agent": "nivolumab", "dose": "240 mg", "every": "2 weeks"}]
    docs = [human_base(radiotherapy=rt, drugs=drugs, simulation={"duration": "200 days"}),
            human_base(radiotherapy=[{"lesions": ["lung1"], "dose": "2 Gy", "fractions": 20}], drugs=drugs[1:],
                       mechanisms={"trafficking": False}, simulation={"duration": "200 days"}),
            human_base(radiotherapy=rt, drugs=drugs, simulation={"duration": "200 days"},
                       mechanisms={"occult_lesions": True})]
    scenarios = [scenario(doc) for doc in docs]
    return Batch([subject_from_scenario(scenarios[i % len(scenarios)], i) for i in range(n)])


def _mouse_batch(n=9):
    doc = mouse_base(radiotherapy=[{"lesions": ["primary"], "dose": "8 Gy", "fractions": 3}],
                     drugs=[{"agent": "anti-ctla-4", "dose": "200 ug", "start": "day 2", "every": "3 days", "count": 3}])
    sc = scenario(doc)
    return Batch([subject_from_scenario(sc, i) for i in range(n)])


def _same(a, b):
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y, equal_nan=True)


def test_lanes_right_hand_side_equals_the_scalar_one_on_every_lane():
    batch = _human_batch(8)
    t_out = output_times(200.0, 5.0)
    out, status, _ = run_compiled(batch, t_out, threads=1, lanes=0)
    assert (status == STATUS_OK).all()
    inputs = batch.compiled_inputs()
    W, L, A = 8, batch.L, batch.A
    module = lanes.lanes_module(L, A, W)
    par = np.ascontiguousarray(inputs["par"].T).ravel()
    lpar = np.ascontiguousarray(np.moveaxis(inputs["lpar"], 0, -1)).ravel()
    wl = np.empty((generated.N_LESION_WORK, L))
    wa = np.empty((generated.N_AGENT_WORK, A))
    scalar_rhs = kernel()._rhs
    compared = 0
    for t in range(out.shape[1]):
        states = out[:, t].copy()
        active = np.ones((W, L))
        expected = np.empty_like(states)
        for w in range(W):
            scalar_rhs(states[w], expected[w], active[w], inputs["par"][w], inputs["lpar"][w], inputs["apar"],
                       inputs["offsets"], wl, wa)
        got = np.empty(states.size)
        module.rhs_lanes(np.ascontiguousarray(states.T).ravel(), got, np.ascontiguousarray(active.T).ravel(), par,
                         lpar, inputs["apar"])
        assert np.array_equal(got.reshape(-1, W).T, expected)
        compared += expected.size
    assert compared > 10_000


@pytest.mark.parametrize("width, block, threads", [(8, 64, 1), (3, 5, 2), (1, 4, 1)])
def test_trajectories_do_not_depend_on_lanes_blocks_or_threads(width, block, threads):
    batch = _human_batch()
    t_out = output_times(200.0, 7.0)
    reference = run_compiled(batch, t_out, threads=1, lanes=0)
    assert (reference[1] == STATUS_OK).all() and reference[2][:, 0].min() > 50
    _same(reference, run_compiled(batch, t_out, threads=threads, lanes=width, block=block))


def test_mouse_batch_and_the_default_choice():
    batch = _mouse_batch()
    t_out = output_times(40.0, 1.0)
    reference = run_compiled(batch, t_out, threads=1, lanes=0)
    _same(reference, run_compiled(batch, t_out, threads=2, lanes=8, block=4))


def test_failing_subjects_fail_the_same_way():
    batch = _human_batch(10)
    t_out = output_times(200.0, 7.0)
    reference = run_compiled(batch, t_out, threads=1, lanes=0, max_steps=60)
    status, steps = reference[1], reference[2]
    assert (status == STATUS_FAILED).all() and (steps.sum(axis=1) == 60).all()  # all ran out of steps
    _same(reference, run_compiled(batch, t_out, threads=1, lanes=8, max_steps=60))


def test_run_compiled_chooses_lanes_only_where_it_pays(monkeypatch, tmp_path):
    monkeypatch.setenv("ABSCOPAL_CACHE_DIR", str(tmp_path))  # no kernel compiled yet in this cache
    monkeypatch.delenv("ABSCOPAL_LANES", raising=False)
    lanes.ready.cache_clear()
    calls = []

    def spy(inputs, t_out, pk, weight, out, status, steps, **kwargs):  # records the choice (results: tests above)
        calls.append(kwargs["lanes"])
        status[:] = STATUS_OK

    monkeypatch.setattr(lanes, "integrate_lanes", spy)
    small = _mouse_batch(lanes.LANES_MIN_SUBJECTS - 1)
    large = _mouse_batch(lanes.LANES_MIN_SUBJECTS)
    t_out = output_times(10.0, 1.0)
    run_compiled(small, t_out, threads=1, expected=10**6)  # too few subjects in the batch
    run_compiled(large, t_out, threads=1)  # not compiled here, and no large cohort announced
    run_compiled(large, t_out, threads=1, expected=lanes.LANES_WORTH - 1)
    assert calls == []
    run_compiled(large, t_out, threads=1, expected=lanes.LANES_WORTH)
    assert calls == [lanes.DEFAULT_LANES]
    lanes._marker(large.L, large.A, lanes.DEFAULT_LANES).touch()  # what a first lanes run leaves behind
    lanes.ready.cache_clear()
    run_compiled(large, t_out, threads=1)
    assert calls == [lanes.DEFAULT_LANES] * 2
    monkeypatch.setenv("ABSCOPAL_LANES", "0")
    run_compiled(large, t_out, threads=1, expected=10**6)
    assert calls == [lanes.DEFAULT_LANES] * 2
    monkeypatch.setenv("ABSCOPAL_LANES", "4")
    run_compiled(large, t_out, threads=1)
    run_compiled(small, t_out, threads=1)
    assert calls == [lanes.DEFAULT_LANES] * 2 + [4]
    lanes.ready.cache_clear()


def test_a_lanes_run_marks_its_shape_ready(monkeypatch):
    monkeypatch.delenv("ABSCOPAL_LANES", raising=False)
    batch = _mouse_batch(3)
    run_compiled(batch, output_times(5.0, 1.0), threads=1, lanes=8)
    assert lanes.ready(batch.L, batch.A, 8) and lanes._marker(batch.L, batch.A, 8).exists()


def test_block_bounds_cover_every_subject_once():
    assert lanes.block_bounds(0).tolist() == [0]
    assert lanes.block_bounds(5, 64).tolist() == [0, 5]
    assert lanes.block_bounds(130, 64).tolist() == [0, 64, 128, 130]


def test_expected_subjects_nest_to_the_largest_and_expecting_wraps_a_within():
    import contextlib
    import importlib

    simulate = importlib.import_module("abscopal.simulate")  # the module (the package exports a function of its name)

    entered = []

    @contextlib.contextmanager
    def inner():
        entered.append(simulate._EXPECTED_SUBJECTS)
        yield

    assert simulate._EXPECTED_SUBJECTS is None
    with simulate.expected_subjects(30_000):
        with simulate.expected_subjects(1_000):  # a chunk of one draw inside an ensemble of many
            assert simulate._EXPECTED_SUBJECTS == 30_000
        with simulate.expecting(50_000, inner):
            assert simulate._EXPECTED_SUBJECTS == 50_000
        assert simulate._EXPECTED_SUBJECTS == 30_000
    assert simulate._EXPECTED_SUBJECTS is None and entered == [50_000]
