"""calibration/history_match.py: history matching with GP emulators, on an analytic toy simulator with a known
truth (calibration/hm/toy.py: y1 = a*b, y2 = a/b, truth a = 1, b = 2; c is inert), not on the abscopal model."""

import ast
import json
import sys
from pathlib import Path

import numpy as np
import pytest

CALIBRATION = Path(__file__).resolve().parents[2] / "calibration"
sys.path.insert(0, str(CALIBRATION))

from hm import ensemble  # noqa: E402
from hm.cache import PointCache  # noqa: E402
from hm.checks import Check  # noqa: E402
from hm.screen import run_screen  # noqa: E402
from hm.simulators import calibrate_module, evaluate  # noqa: E402
from hm.space import load_space  # noqa: E402
from hm.toy import TRUTH, ToySimulator, toy_space  # noqa: E402
from hm.waves import HistoryMatch, Incomplete, Settings  # noqa: E402

# order 1: with three checks, the second-largest rule would let one of the two informative checks fail
SETTINGS = Settings(seeds=2, repeats=3, order=1, workers=1, candidates=4096, samples=48)


def _hm(tmp_path, simulator=None):
    return HistoryMatch(toy_space(), simulator or ToySimulator(), tmp_path, SETTINGS, log=lambda text: None)


def test_vectorised_margins_agree_with_calibrate_on_every_calibration_check():
    from hm.checks import target_checks

    from abscopal.validation import suite

    calibrate = calibrate_module()
    rng = np.random.default_rng(3)
    targets = suite.load_targets()
    n = 0
    for species in ("mouse", "human"):
        for tid in calibrate.target_ids(species):
            for check in target_checks(targets[tid]):
                vals = {name: float(rng.lognormal(-1.0, 1.0)) for name in check.names}
                expected = calibrate.margin(ast.parse(check.expr, mode="eval").body, vals)
                got = float(check.margin({f"{tid}/{k}": v for k, v in vals.items()}))
                assert got == pytest.approx(expected, abs=1e-12), (tid, check.expr)
                n += 1
    assert n > 100


def test_a_missing_observable_is_a_clear_failure_and_arrays_broadcast():
    check = Check("t", "x below y", "x < 0.5 * y")
    assert check.margin({"t/x": None, "t/y": 1.0}) == -1.0
    m = check.margin({"t/x": np.array([[0.1, 1.0]]), "t/y": np.array([[1.0], [3.0]])})
    assert m.shape == (2, 2) and m[0, 0] > 0 > m[0, 1]


def test_waves_shrink_the_region_around_the_truth_and_keep_it(tmp_path):
    hm = _hm(tmp_path)
    summaries = [hm.run_wave(k, 24) for k in (1, 2, 3)]
    after = [s["region_after"] for s in summaries]
    assert after[0] < 0.1, after  # wave 1 already rules out most of the prior cube
    assert after[2] <= after[0] * 1.05 and after[2] < 0.05, after
    waves = [hm.load_wave(k) for k in (1, 2, 3)]
    truth = hm.space.to_unit({**TRUTH, "c": 1.0})
    for c in (0.1, 1.0, 10.0):  # c is inert: the truth stays in, whatever c is
        assert hm.in_region(waves, hm.space.to_unit({**TRUTH, "c": c})[None, :])[0]
    far = hm.space.to_unit({"a": 8.0, "b": 0.2, "c": 1.0})
    assert not hm.in_region(waves, far[None, :])[0]
    assert truth.shape == (3,)
    chosen, counts = ensemble.select(hm, 100)
    assert counts["both"] >= 10
    a = np.array([r["params"]["a"] for r in chosen])
    b = np.array([r["params"]["b"] for r in chosen])
    # non-implausible when simulated: margin > -3 * 0.05 (discrepancy; MC var is tiny), e.g. (1.8 - y1)/(1.8 + y1)
    # < 0.15, i.e. y1 in [1.33, 2.98] = 2 * exp([-0.41, +0.40]); plus 2% simulator noise
    assert np.all(np.abs(np.log(a * b / 2.0)) < 0.45) and np.all(np.abs(np.log(a / b / 0.5)) < 0.45)

    assert np.log(a).min() < 0.0 < np.log(a).max()  # the truth a = 1 lies inside the ensemble's spread
    # the draw does not depend on the order in which the cache lists its files (their names carry the model
    # fingerprint, so adopting the same simulations under a new one reorders them)
    few, _ = ensemble.select(hm, 5)
    listed = hm._records_in_cube()
    hm._records_in_cube = lambda: listed[::-1]
    assert [r["params"] for r in ensemble.select(hm, 5)[0]] == [r["params"] for r in few]


def test_the_best_point_is_the_drawable_one_with_the_smallest_ordered_implausibility(tmp_path):
    hm = _hm(tmp_path)
    for k in (1, 2):
        hm.run_wave(k, 24)
    point, ordered = ensemble.best(hm)
    unique, emulated, simulated, scores, _ = ensemble._scored(hm)
    drawable = emulated & simulated
    assert drawable.sum() >= 2 and ordered == pytest.approx(scores[drawable].min())
    assert ordered < scores[drawable].max()  # a real choice among several drawable points
    chosen, _ = ensemble.select(hm, 100)
    assert point["params"] in [r["params"] for r in chosen]  # one the ensemble may draw
    # closer to the truth (a = 1, b = 2) than the ensemble's typical member, on both informative outputs
    a, b = point["params"]["a"], point["params"]["b"]
    spread = [abs(np.log(r["params"]["a"] * r["params"]["b"] / 2.0)) for r in chosen]
    assert abs(np.log(a * b / 2.0)) <= np.median(spread)
    hm._records_in_cube = lambda: []  # nothing simulated: nothing to choose
    assert ensemble.best(hm) is None


def test_a_killed_or_budgeted_run_resumes_without_re_evaluating(tmp_path):
    sim = ToySimulator()
    hm = _hm(tmp_path, sim)
    with pytest.raises(Incomplete):
        hm.run_wave(1, 16, budget=10)
    assert sim.calls == 10
    first = sim.calls
    hm.run_wave(1, 16)
    total = SETTINGS.repeats + 16
    assert sim.calls == total and sim.calls - first == total - 10
    (tmp_path / "wave_1" / "emulator.pkl").unlink()  # as if killed while fitting: every simulation is cached
    again = _hm(tmp_path, sim)  # a new process reading the same folder
    again.run_wave(1, 16)
    assert (tmp_path / "wave_1" / "emulator.pkl").exists()
    assert sim.calls == total
    other = PointCache(tmp_path / "cache", "toy", "another model", sim.digest())
    assert other.records() == [] and len(again.cache.records()) == total  # a changed model never reuses a point


def test_spawned_workers_give_the_records_of_the_main_process(tmp_path):
    sim = ToySimulator()
    jobs = [({"a": 0.5, "b": 3.0, "c": 1.0}, 0), ({"a": 2.0, "b": 1.0, "c": 1.0}, 1), ({"a": 2.0, "b": 1.0, "c": 1.0}, 1)]
    spawned, new = evaluate(sim, PointCache(tmp_path / "a", "toy", "f"), jobs, workers=2, log=lambda text: None)
    local, _ = evaluate(sim, PointCache(tmp_path / "b", "toy", "f"), jobs, workers=1, log=lambda text: None)
    assert new == 2  # the repeated job runs once
    assert [r["observables"] for r in spawned] == [r["observables"] for r in local]


def test_the_ensemble_file_validates_and_broken_ones_do_not(tmp_path):
    hm = _hm(tmp_path)
    for k in (1, 2):
        hm.run_wave(k, 24)
    out = tmp_path / "posterior" / "toy.json"
    doc, summary = ensemble.write_ensemble(hm, 15, out, "history_match.py --toy --wave 1; --ensemble")
    loaded = json.loads(out.read_text())
    assert ensemble.validate_posterior(loaded) == []
    assert loaded["schema"] == "abscopal.posterior/1" and loaded["parameters"] == ["a", "b", "c"]
    assert loaded["model"] == hm.simulator.fingerprint()  # runs with the ensemble compare it with their model
    assert ensemble.validate_posterior({**loaded, "model": 3}) != []
    assert len(loaded["sets"]) == 15 and summary["size"] == 15
    assert summary["marginals"]["c"]["verdict"] == "left at its prior range"
    assert summary["marginals"]["a"]["verdict"] == "constrained"
    assert out.with_suffix(".summary.md").read_text().startswith("# Posterior ensemble")
    broken = [dict(loaded, schema="abscopal.posterior/0"), dict(loaded, sets=[{"a": 1.0, "b": 2.0}]),
              dict(loaded, weights=[0.0] * len(loaded["sets"])), dict(loaded, weights=[1.0]), dict(loaded, sets=[{"a": 1.0, "b": float("nan"), "c": 1.0}]),
              {k: v for k, v in loaded.items() if k != "species"}]
    for doc in broken:
        assert ensemble.validate_posterior(doc), doc.get("schema")


def test_morris_screening_finds_the_inert_parameter(tmp_path):
    result = run_screen(_hm(tmp_path), trajectories=6, threshold=0.02)
    assert result["not_identified"] == ["c"]
    assert result["parameters"]["a"]["max_mu_star"] > 0.1 and result["parameters"]["b"]["max_mu_star"] > 0.1
    assert len(result["checks"]) == 3 and set(result["checks"][0]["sigma"]) == {"a", "b", "c"}


@pytest.mark.parametrize("species", ["mouse", "human"])
def test_the_space_files_cover_calibrates_free_parameters_within_bounds(species):
    calibrate = calibrate_module()
    space = load_space(CALIBRATION / f"space_{species}.toml")
    names = calibrate.PARAMETERS if species == "mouse" else calibrate.HUMAN_PARAMETERS
    assert space.names == list(names) and space.species == species
    for p in space.parameters:
        assert p.lo <= p.value <= p.hi, p.name
        lo, hi = calibrate.BOUNDS.get(p.name, (0.0, np.inf))
        assert lo <= p.lo and p.hi <= hi, p.name
        assert p.range and p.source, p.name


@pytest.mark.parametrize("species", ["mouse", "human"])
def test_an_ensemble_of_the_space_is_read_by_the_packages_posterior_reader(species, tmp_path):
    from abscopal.inference.posterior import load_ensemble

    space = load_space(CALIBRATION / f"space_{species}.toml")
    sets = [{n: float(f"{v:.6g}") for n, v in s.items()} for s in space.from_unit([[0.2] * space.dim, [0.8] * space.dim])]
    doc = {"schema": ensemble.SCHEMA, "species": species, "method": "test", "source": "test", "created": "today",
           "parameters": space.names, "sets": sets, "model": "f" * 64}
    assert ensemble.validate_posterior(doc) == []
    (tmp_path / f"{species}.json").write_text(json.dumps(doc))
    assert load_ensemble(species, 2, directory=tmp_path).sets[1] == sets[1]


def test_one_command_runs_every_wave_and_writes_the_ensemble_and_resumes(tmp_path, capsys):
    """`history_match.py --all` (the calibration in one command) on the toy: the waves, then an ensemble around
    the truth; run again, it reuses every finished simulation and writes the same ensemble."""
    import history_match

    out = tmp_path / "toy.json"
    argv = ["--toy", "--all", "--wave-points", "24,24", "--workdir", str(tmp_path / "runs"), "--out", str(out),
            "--size", "12", "--workers", "1", "--order", "1", "--seeds", "2", "--repeats", "3",
            "--candidates", "4096", "--samples", "48"]
    assert history_match.main(argv) == 0
    first = json.loads(out.read_text())
    a = np.array([s["a"] for s in first["sets"]])
    b = np.array([s["b"] for s in first["sets"]])
    assert len(first["sets"]) == 12 and np.all(np.abs(np.log(a * b / 2.0)) < 0.45)
    assert "--all" in first["source"]
    assert history_match.main(argv) == 0
    assert json.loads(out.read_text())["sets"] == first["sets"]
    assert history_match.main([*argv[:3], "0,5", *argv[4:]]) == 2  # a wave of 0 points is refused


def test_a_completed_wave_is_redone_when_the_model_changed(tmp_path):
    """A finished wave is reused only for the model (fingerprint) and targets (digest) it was run with; a wave left
    by an older model used to be taken as complete, so its emulators outlived the change."""

    class Changed(ToySimulator):
        def fingerprint(self) -> str:
            return super().fingerprint() + "+changed"

    logs = []
    first = HistoryMatch(toy_space(), ToySimulator(), tmp_path, SETTINGS, log=logs.append).run_wave(1, 16)
    again = HistoryMatch(toy_space(), ToySimulator(), tmp_path, SETTINGS, log=logs.append).run_wave(1, 16)
    assert again == first and any("already complete" in line for line in logs)
    HistoryMatch(toy_space(), ToySimulator(), tmp_path, SETTINGS, log=logs.append).run_wave(2, 16)
    old_design = json.loads((tmp_path / "wave_2" / "design.json").read_text())
    logs.clear()
    changed = HistoryMatch(toy_space(), Changed(), tmp_path, SETTINGS, log=logs.append)
    changed.run_wave(1, 16)
    assert any("another model" in line for line in logs) and not any("already complete" in line for line in logs)
    changed.run_wave(2, 16)  # its design came from the old model's wave-1 region: drawn again
    new_design = json.loads((tmp_path / "wave_2" / "design.json").read_text())
    assert new_design["model"] == changed._model_key() != old_design["model"]


class _Renamed(ToySimulator):
    """The same computation under another fingerprint (a refactoring that does not change the model)."""

    def fingerprint(self) -> str:
        return "toy/2"


class _Changed(_Renamed):
    """Another fingerprint and another computation (a model change)."""

    def __call__(self, params, seed):
        observables, problems = super().__call__(params, seed)
        return {**observables, "toy/y1": observables["toy/y1"] * (1 + 1e-12)}, problems


def test_adopt_keeps_points_that_re_run_identically_and_refuses_a_changed_model(tmp_path):
    from hm.adopt import adopt_stale

    old = ToySimulator()
    evaluate(old, PointCache(tmp_path, "toy", old.fingerprint(), old.digest()),
             [({"a": 0.5 + i / 10, "b": 1.0, "c": 1.0}, i % 2) for i in range(7)], workers=1, log=lambda text: None)
    changed = _Changed()
    refused = PointCache(tmp_path, "toy", changed.fingerprint(), changed.digest())
    (entry,) = adopt_stale(refused, changed, checks=3, log=lambda text: None)
    assert entry["adopted"] == 0 and "toy/y1" in entry["difference"] and changed.calls == 1
    assert refused.records() == []  # a single differing bit leaves the whole group stale
    renamed = _Renamed()
    cache = PointCache(tmp_path, "toy", renamed.fingerprint(), renamed.digest())
    (entry,) = adopt_stale(cache, renamed, checks=3, log=lambda text: None)
    assert entry == {"fingerprint": "toy/1", "digest": old.digest(), "points": 7, "checked": 3, "adopted": 7,
                     "difference": None}
    assert renamed.calls == 3  # only the sample is re-run
    records = cache.records()
    assert len(records) == 7 and all(r["adopted_from"]["fingerprint"] == "toy/1" for r in records)
    again = _Renamed()  # a resumed wave now finds every point under the new fingerprint
    for r in records:
        assert PointCache(tmp_path, "toy", again.fingerprint(), again.digest()).get(r["params"], r["seed"]) is not None
    assert adopt_stale(cache, renamed, log=lambda text: None)[0]["adopted"] == 0  # adopting twice adds nothing


def test_best_points_count_targets_whose_every_direction_check_holds():
    import best_points
    from hm.checks import Check

    checks = {"a": [Check("a", "x up", "x > 1"), Check("a", "y down", "y < 1")], "b": [Check("b", "z up", "z > 0")]}
    records = [{"params": {"p": 1.0}, "seed": 0, "observables": {"a/x": 2.0, "a/y": 2.0, "b/z": 1.0}},  # a fails on y
               {"params": {"p": 2.0}, "seed": 1, "observables": {"a/x": 2.0, "a/y": 0.5, "b/z": 1.0}},
               {"params": {"p": 3.0}, "seed": 2, "observables": {"a/x": 2.0, "a/y": 0.5, "b/z": None}}]  # missing fails
    rows = best_points.ranked(records, checks)
    assert [(r["params"]["p"], r["directions"], r["passed"]) for r in rows] == [(2.0, 2, ["a", "b"]), (1.0, 1, ["b"]),
                                                                                  (3.0, 1, ["a"])]


def test_compare_designs_pairs_implausibility_point_by_point():
    """calibration/compare_designs.py: the k-th largest simulated implausibility per point, for two models on
    the same points; a model that moves an observable into its window lowers it there and only there."""
    import compare_designs

    checks = ToySimulator().checks()
    assert checks[0].observables == ["toy/y1"]
    good = {"toy/y1": 2.0, "toy/y2": 0.5, "toy/frac": 0.5}
    bad = {"toy/y1": 3.0, "toy/y2": 0.5, "toy/frac": 0.5}  # y1 outside its window: implausibility -margin / 0.05
    high = -float(checks[0].margin(bad)) / 0.05
    assert high > 3.0
    base = [{"observables": bad}, {"observables": good}]
    other = [{"observables": good}, {"observables": good}]
    result = compare_designs.paired(checks, np.zeros(3), 0.05, 1, base, other)
    assert result["points"] == 2 and result["nonimplausible"] == [1, 2]
    assert result["min_kth"] == [0.0, 0.0] and result["median_kth"][0] == pytest.approx(high / 2)
    assert result["paired_median_difference"] == pytest.approx(-high / 2) and result["share_points_lower"] == 0.5
    shares = {row["check"]: (row["base"], row["other"]) for row in result["per_check"]}
    assert shares[checks[0].key] == (0.5, 0.0) and shares[checks[1].key] == (0.0, 0.0)


def test_an_unchanged_model_under_a_new_fingerprint_trains_its_emulators_on_the_same_order(tmp_path):
    """The GP fits depend on the order of their training points in the sixth digit (measured on the mouse cache,
    2026-12-06: the nugget of buchwald2020/sec_control 2.4712442e-4 against 2.4712204e-4 on the reversed order).
    Cache files are named by a hash that includes the fingerprint, so the records are ordered by value instead."""
    rng = np.random.default_rng(4)
    points = [({"a": float(a), "b": float(b), "c": 1.0}, int(s)) for a, b, s in zip(rng.uniform(0.5, 2, 12),
                                                                                     rng.uniform(0.5, 2, 12),
                                                                                     rng.integers(0, 3, 12), strict=True)]
    listed = []
    for fingerprint in ("toy/1", "toy/2"):
        cache = PointCache(tmp_path / fingerprint.replace("/", "_"), "toy", fingerprint)
        for params, seed in points:
            cache.put(params, seed, {"toy/y1": params["a"] * params["b"]}, [], 0.0)
        listed.append([(r["params"], r["seed"]) for r in cache.records()])
    assert listed[0] == listed[1] and len(listed[0]) == len(points)
    files = [sorted(p.name for p in (tmp_path / name).glob("*.json")) for name in ("toy_1", "toy_2")]
    assert files[0] != files[1]  # the hashed names differ (the test would be empty if they did not)


def test_a_match_with_its_own_work_folder_never_writes_the_shipped_ensemble(tmp_path):
    """A candidate's match (its own --workdir or --space) once wrote its ensemble over the shipped
    parameters/posterior/mouse.json because --out defaulted to it; now only the shipped match does."""
    import argparse

    import history_match

    here = Path(history_match.__file__).resolve().parent
    shipped = here.parent / "src/abscopal/parameters/posterior/mouse.json"

    def out(workdir, space=None, given=None):
        args = argparse.Namespace(out=given, space=space)
        return history_match._ensemble_out(args, "mouse", Path(workdir))

    assert out(here / "runs" / "mouse") == shipped
    assert out(here / "runs" / "mouse", space=str(here / "space_mouse.toml")) == shipped
    assert out(tmp_path / "mouse_x") == tmp_path / "mouse_x" / "posterior" / "mouse.json"
    assert out(here / "runs" / "mouse", space=str(tmp_path / "space.toml")) == here / "runs" / "mouse" / "posterior" / "mouse.json"
    assert out(tmp_path, given=str(tmp_path / "e.json")) == tmp_path / "e.json"


def test_structural_checks_are_reported_not_matched_and_fix_the_work_folder(tmp_path):
    """A check named structural leaves the implausibility (here the y2 window, which alone pins b: without it the
    region must be wider), is listed with its pass share in wave.json, and a work folder refuses another list."""
    from hm.structural import StructuralError, load_structural

    named = tmp_path / "structural.toml"
    named.write_text('[[check]]\nkey = "toy: y2 near 0.5"\nwhy = "a test"\n')
    structural = load_structural(named, ToySimulator().checks())
    with_named = HistoryMatch(toy_space(), ToySimulator(), tmp_path / "a", SETTINGS, log=lambda text: None,
                              structural=structural)
    assert [c.key for c in with_named.checks] == ["toy: y1 near 2", "toy: frac over a quarter"]
    summary = with_named.run_wave(1, 24)
    assert [row["check"] for row in summary["structural"]] == ["toy: y2 near 0.5"]
    assert all(row["check"] != "toy: y2 near 0.5" for row in summary["checks"])
    plain = _hm(tmp_path / "b").run_wave(1, 24)
    assert summary["region_after"] > plain["region_after"]
    with pytest.raises(StructuralError, match="another list"):
        HistoryMatch(toy_space(), ToySimulator(), tmp_path / "a", SETTINGS, log=lambda text: None)


@pytest.mark.parametrize("text, message", [
    ('[[check]]\nkey = "toy: no such check"\nwhy = "x"\n', "not a check"),
    ('[[check]]\nkey = "toy: y1 near 2"\n', "non-empty why"),
    ('title = "no tables"\n', "expected one or more"),
    ('[[check]\n', "cannot read"),
])
def test_structural_file_errors_name_the_file_and_what_is_expected(tmp_path, text, message):
    from hm.structural import StructuralError, load_structural

    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(StructuralError, match=message) as err:
        load_structural(path, ToySimulator().checks())
    assert str(path) in str(err.value)
