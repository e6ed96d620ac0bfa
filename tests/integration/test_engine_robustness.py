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
