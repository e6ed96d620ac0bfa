"""Engine behaviour: failing subjects become a status, states stay non-negative, many lesions work."""

import numpy as np

from abscopal.model.state import Layout
from abscopal.model.subject import subject_from_scenario
from abscopal.simulate import run_subjects, simulate, simulate_many
from tests.helpers import human_base, mouse_base, scenario


def test_a_failing_subject_is_a_status_and_does_not_stop_the_others():
    sc = scenario(mouse_base(radiotherapy=[{"lesions": ["primary"], "dose": "8 Gy", "fractions": 3}]))
    subjects = [subject_from_scenario(sc) for _ in range(3)]
    subjects[1].values["doubling_time"] = float("nan")  # poisons this subject's right-hand side
    results = run_subjects(subjects, 30.0, 1.0)
    assert [r.status for r in results] == ["ok", "solver_failed", "ok"]
    np.testing.assert_allclose(results[0].volume_mm3, results[2].volume_mm3, rtol=1e-12)
    np.testing.assert_allclose(results[0].volume_mm3, simulate(sc).trajectory.volume_mm3, rtol=1e-9)


def test_states_other_than_log_cells_stay_non_negative():
    doc = human_base(radiotherapy=[{"lesions": ["all"], "dose": "20 Gy", "fractions": 1}],
                     drugs=[{"agent": "ipilimumab", "dose": "3 mg/kg", "every": "3 weeks", "count": 4},
                            {"agent": "nivolumab", "dose": "240 mg", "every": "2 weeks"}])
    result = simulate(scenario(doc))
    lay = Layout(len(result.subject.lesions), len(result.subject.agents))
    states = result.trajectory.states
    mask = np.ones(states.shape[1], dtype=bool)
    mask[lay.log_states()] = False
    assert np.all(states[:, mask] >= 0.0)


def test_twenty_lesions_all_reached_by_the_abscopal_path():
    sites = ["lung", "liver", "bone", "adrenal", "lymph_node", "skin", "soft_tissue", "kidney", "breast", "brain"]
    lesions = [{"id": f"m{k}", "site": sites[k % len(sites)], "diameter": f"{10 + k} mm"} for k in range(20)]
    treated_doc = human_base(patient={"lesions": lesions},
                             radiotherapy=[{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3}],
                             drugs=[{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks"}])
    untreated_doc = human_base(patient={"lesions": lesions})
    treated, untreated = simulate_many([scenario(treated_doc), scenario(untreated_doc)])
    data = treated.to_dict()
    assert data["status"] == "ok" and len(data["lesions"]) == 20

    def ratio(result):
        lay = Layout(len(result.subject.lesions), len(result.subject.agents))
        st = result.trajectory.states
        return st[:, lay.lesion("effectors")][:, :20] / np.exp(st[:, lay.lesion("log_cells")][:, :20])

    gain = (ratio(treated) / ratio(untreated)).max(axis=0)
    # every non-irradiated lesion receives more effectors than in the same patient untreated (the abscopal path)
    out_of_field = [k for k, les in enumerate(data["lesions"]) if not les["irradiated"]]
    assert len(out_of_field) == 19
    assert np.all(gain[out_of_field] > 1.2), gain
    # lesions differ by site: a liver lesion (well perfused) keeps a higher E:T ratio over follow-up than a bone lesion
    # of similar size (time average of the log ratio, which spans orders of magnitude over follow-up: the arithmetic
    # mean is the first weeks' value; with 20 lesions the burden-driven suppression can keep both below their start)
    liver, bone = 11, 12  # m11 (liver, 21 mm) and m12 (bone, 22 mm)
    log_ratio = np.log(ratio(treated)[1:])
    assert log_ratio[:, liver].mean() > np.log(1.5) + log_ratio[:, bone].mean()


def test_a_steep_lq_curve_kills_every_cell_without_failing_the_solve():
    """alpha/beta of 0.01 Gy (the smallest the bounds accept) with 20 Gy in one fraction underflows the LQ survival
    to 0; the event takes its logarithm, so before the floor the solve failed (status solver_failed)."""
    from abscopal.model.radiation import SURVIVAL_FLOOR, covered_survival

    assert covered_survival(20.0, 1.0, 0.3, 0.01, 0.15, 3.0) == SURVIVAL_FLOOR
    assert covered_survival(2.0, 1.0, 0.3, 10.0, 0.15, 3.0) > 0.5  # ordinary fractions are not touched
    doc = human_base(radiotherapy=[{"lesions": ["lung1"], "dose": "20 Gy", "fractions": 1}],
                     overrides={"alpha_beta": "0.01 Gy"})
    data = simulate(scenario(doc)).to_dict()
    assert data["status"] == "ok"
    lung = next(les for les in data["lesions"] if les["id"] == "lung1")
    assert all(np.isfinite(lung["volume_mm3"])) and lung["tcp"] == 1.0


def _poison_subject(monkeypatch, index: int):
    import importlib

    sim = importlib.import_module("abscopal.simulate")  # the module (the package's `simulate` is the function)
    original = sim._subject_for

    def poisoned(sc, k=0):
        subject = original(sc, k)
        if k == index:
            subject.values["doubling_time"] = float("nan")  # poisons this subject's right-hand side
        return subject

    monkeypatch.setattr(sim, "_subject_for", poisoned)


def test_a_failed_single_subject_writes_valid_json_and_claims_no_response(monkeypatch):
    import json

    from abscopal.jsonout import json_text

    _poison_subject(monkeypatch, 0)
    data = simulate(scenario(human_base(radiotherapy=[{"lesions": ["lung1"], "dose": "8 Gy", "fractions": 3}]))).to_dict()
    assert data["status"] == "solver_failed"
    back = json.loads(json_text(data))  # NaN series become null instead of stopping the output
    assert back["status"] == "solver_failed"
    assert back["summary"]["best_overall_response"] is None and back["summary"]["abscopal_response"] is None


def test_a_failed_mouse_in_a_trial_leaves_the_group_curves_to_the_others(monkeypatch):
    import json

    from abscopal.jsonout import json_text
    from abscopal.trial.analysis import trial_summary
    from abscopal.trial.design import parse_trial
    from abscopal.trial.run import run_trial

    doc = mouse_base(population={"size": 4, "seed": 3},
                     arms={"control": {}, "rt": {"radiotherapy": [{"lesions": ["primary"], "dose": "8 Gy", "fractions": 3}]}})
    _poison_subject(monkeypatch, 1)
    run = run_trial(parse_trial(doc), workers=1)
    result = json.loads(json_text(trial_summary(run, power=True)))
    for arm in result["arms"]:
        assert arm["n_failed"] == 1
        curve = arm["lesions"]["primary"]["mean_volume_mm3"]
        assert all(v is not None and np.isfinite(v) for v in curve)  # the mean of the three mice that ran
    assert result["power"]["power"] is not None


def test_the_streamed_group_curves_leave_a_failed_mouse_out_as_the_exact_ones_do(monkeypatch):
    """Large cohorts reduce lesion series per chunk (trial/store.py); a failed subject must not enter that mean."""
    from abscopal.trial import run as run_module
    from abscopal.trial.analysis import trial_summary
    from abscopal.trial.design import parse_trial

    doc = mouse_base(population={"size": 4, "seed": 3},
                     arms={"rt": {"radiotherapy": [{"lesions": ["primary"], "dose": "8 Gy", "fractions": 3}]}})
    _poison_subject(monkeypatch, 1)
    exact = trial_summary(run_module.run_trial(parse_trial(doc), workers=1))["arms"][0]["lesions"]["primary"]
    monkeypatch.setattr(run_module, "EXACT_SERIES_MAX", 2)  # 4 mice now take the streamed path
    streamed = trial_summary(run_module.run_trial(parse_trial(doc), workers=1))["arms"][0]["lesions"]["primary"]
    assert "median_method" in streamed and "median_method" not in exact
    assert streamed["n_at_risk"][0] == exact["n_at_risk"][0] == 3
    np.testing.assert_allclose(streamed["mean_volume_mm3"], exact["mean_volume_mm3"], rtol=1e-9, atol=1e-6)
