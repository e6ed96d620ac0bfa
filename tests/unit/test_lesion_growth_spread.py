"""M1 within-patient spread of lesion growth (lesion_growth_sd): each lesion's Gompertz rate is the subject's
times exp(sigma z_k), with the baseline lesions' z centred and scaled to unit sample SD."""

from __future__ import annotations

import math

import numpy as np
import pytest

from abscopal.model.subject import LesionSpec, scatter_growth, subject_from_scenario
from abscopal.simulate import simulate
from tests.helpers import human_base, mouse_base, scenario


def _logs(lesions):
    return np.log([les.growth_factor for les in lesions])


def test_baseline_lesions_keep_the_subjects_rate_on_the_geometric_mean_and_spread_by_sigma():
    lesions = [LesionSpec(id=f"l{k}", site="lung", volume_mm3=1000.0) for k in range(4)]
    out = scatter_growth(lesions, 0.58, seed=3, subject_index=7)
    logs = _logs(out)
    assert abs(logs.mean()) < 1e-12
    assert logs.std(ddof=1) == pytest.approx(0.58, rel=1e-9)
    assert len(set(np.round(logs, 9))) == 4


def test_one_baseline_lesion_is_unchanged_and_occult_or_late_lesions_are_drawn_uncentred():
    lesions = [LesionSpec(id="only", site="lung", volume_mm3=1000.0),
               LesionSpec(id="occult1", site="liver", volume_mm3=1.0, occult=True),
               LesionSpec(id="late", site="liver", volume_mm3=50.0, appears_day=30.0)]
    out = scatter_growth(lesions, 0.58, seed=3, subject_index=0)
    assert out[0].growth_factor == 1.0
    assert out[1].growth_factor != 1.0 and out[2].growth_factor != 1.0


def test_draws_are_reproducible_and_keyed_by_seed_and_subject():
    lesions = [LesionSpec(id=f"l{k}", site="lung", volume_mm3=1000.0) for k in range(3)]
    a = _logs(scatter_growth(lesions, 0.58, seed=1, subject_index=2))
    assert np.array_equal(a, _logs(scatter_growth(lesions, 0.58, seed=1, subject_index=2)))
    assert not np.allclose(a, _logs(scatter_growth(lesions, 0.58, seed=1, subject_index=3)))
    assert not np.allclose(a, _logs(scatter_growth(lesions, 0.58, seed=2, subject_index=2)))


def test_human_subjects_carry_the_spread_and_mice_do_not():
    human = subject_from_scenario(scenario(human_base()), 0)
    assert human.values["lesion_growth_sd"] > 0
    factors = [les.growth_factor for les in human.lesions]
    assert len(set(factors)) == len(factors) == 3
    assert math.prod(factors) == pytest.approx(1.0)
    mouse = subject_from_scenario(scenario(mouse_base()), 0)
    assert all(les.growth_factor == 1.0 for les in mouse.lesions)
    off = subject_from_scenario(scenario(human_base(overrides={"lesion_growth_sd": 0.0})), 0)
    assert all(les.growth_factor == 1.0 for les in off.lesions)


def _untreated_equal_lesions(**changes):
    doc = human_base(simulation={"duration": "200 days"}, **changes)
    doc["patient"]["lesions"] = [{"id": f"l{k}", "site": "liver", "diameter": "20 mm"} for k in range(3)]
    doc["host"] = {"immune": "t_cell_deficient"}  # growth alone: no immune attack to differ between lesions
    final = simulate(scenario(doc)).to_dict()["lesions"]
    return [les["final_change_pct"] + 100.0 for les in final]


def test_equal_lesions_of_one_patient_diverge_only_with_the_spread():
    wide = {"lesion_growth_sd": 0.58}  # the untreated pulmonary-metastasis spread, wider than the file's value
    spread = _untreated_equal_lesions(overrides=wide)
    assert max(spread) / min(spread) > 1.05
    same = _untreated_equal_lesions(overrides={"lesion_growth_sd": 0.0})
    assert max(same) / min(same) == pytest.approx(1.0, abs=1e-9)
    # the faster lesion is the one with the larger factor
    subject = subject_from_scenario(scenario(human_base(overrides=wide, patient={"lesions": [
        {"id": f"l{k}", "site": "liver", "diameter": "20 mm"} for k in range(3)]})), 0)
    order_factor = np.argsort([les.growth_factor for les in subject.lesions])
    assert list(order_factor) == list(np.argsort(spread))


def _fit_scenario(tmp_path, design_text):
    from abscopal.fitting.data import read_data
    from abscopal.fitting.design import load_design, subject_scenario

    design_path = tmp_path / "design.yaml"
    design_path.write_text(design_text)
    data_path = tmp_path / "data.csv"
    data_path.write_text("patient,day,lesion,diameter_mm\np1,0,a,20\np1,0,b,15\np1,60,a,24\np1,60,b,16\n")
    design = load_design(design_path)
    data = read_data(data_path, list(design.arms))
    return subject_scenario(design, data, data.subjects[0], 60.0)


DESIGN = """abscopal: 1
name: fit design
species: human
tumour: nsclc
patient: {lesions: [{id: a, site: lung, diameter: "20 mm"}]}
simulation: {duration: "60 days"}
"""


def test_a_fitted_patients_lesions_grow_alike_unless_the_design_says_otherwise(tmp_path):
    sc = _fit_scenario(tmp_path, DESIGN)
    subject = subject_from_scenario(sc)
    assert [les.id for les in subject.lesions if not les.occult] == ["a", "b"]
    assert all(les.growth_factor == 1.0 for les in subject.lesions)  # occult deposits too
    given = _fit_scenario(tmp_path, DESIGN + "overrides: {lesion_growth_sd: 0.4}\n")
    factors = [les.growth_factor for les in subject_from_scenario(given).lesions if not les.occult]
    assert factors[0] != factors[1] and math.prod(factors) == pytest.approx(1.0)
