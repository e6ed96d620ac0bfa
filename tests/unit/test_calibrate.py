"""calibration/calibrate.py: the margins it maximises and the in-process parameter swap it relies on."""

import ast
import importlib.util
from pathlib import Path

from abscopal import population
from abscopal.parameters import load_parameter_set

_PATH = Path(__file__).resolve().parents[2] / "calibration" / "calibrate.py"
_spec = importlib.util.spec_from_file_location("calibrate", _PATH)
calibrate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(calibrate)


def _margin(expr, **vals):
    return calibrate.margin(ast.parse(expr, mode="eval").body, vals)


def test_margin_is_positive_exactly_when_the_check_passes():
    assert abs(_margin("a < b", a=1.0, b=3.0) - 0.5) < 1e-9  # (3 - 1) / (1 + 3)
    assert abs(_margin("a < b", a=3.0, b=1.0) + 0.5) < 1e-9
    assert _margin("0.1 <= a <= 0.3", a=0.2) > 0 > _margin("0.1 <= a <= 0.3", a=0.4)
    assert _margin("a > 1 and b > 1", a=2.0, b=0.5) < 0 < _margin("a > 1 or b > 1", a=2.0, b=0.5)


def test_values_swaps_shared_tumour_and_population_values_and_restores_them():
    before = (load_parameter_set("human", "nsclc")["kill_rate"].value, load_parameter_set("human", "nsclc")["antigenicity"].value,
              population.population_values("human")["alpha_cv"])
    with calibrate.values({"kill_rate": 3.0, "nsclc.antigenicity": 0.123, "pop.alpha_cv": 0.77}, "human"):
        pset = load_parameter_set("human", "nsclc")
        assert (pset["kill_rate"].value, pset["antigenicity"].value) == (3.0, 0.123)
        assert population.population_values("human")["alpha_cv"] == 0.77
        assert population.population_values("mouse") is not None
    after = (load_parameter_set("human", "nsclc")["kill_rate"].value, load_parameter_set("human", "nsclc")["antigenicity"].value,
             population.population_values("human")["alpha_cv"])
    assert after == before


def test_every_free_parameter_exists_in_the_files():
    assert set(calibrate.current(calibrate.PARAMETERS, "mouse")) == set(calibrate.PARAMETERS)
    assert set(calibrate.current(calibrate.HUMAN_PARAMETERS, "human")) == set(calibrate.HUMAN_PARAMETERS)


def test_a_second_population_sample_scores_every_check_again_on_other_subjects():
    from abscopal.validation import suite

    tid = "golden2015_rt_gmcsf_abscopal"
    target = suite.load_targets()[tid]
    moved = calibrate.reseeded(target, 1000)
    assert moved.design["population"]["seed"] == target.design["population"]["seed"] + 1000
    assert suite.load_targets()[tid].design["population"]["seed"] == target.design["population"]["seed"]  # not mutated
    one = calibrate.check_margins([tid])
    two = calibrate.check_margins([tid], (0, 1000))
    assert len(two) == 2 * len(one) and all(two[key] == value for key, value in one.items())
    extra = [key for key in two if key not in one]
    assert all(text.endswith("[seed +1000]") for _, text in extra)
    assert [two[k] for k in extra] != list(one.values())  # other subjects, other margins
