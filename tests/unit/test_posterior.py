"""abscopal.inference: the parameter swap's checks, the ensemble loader and the percentiles of the intervals."""

import json

import numpy as np
import pytest

from abscopal.errors import InputError
from abscopal.inference import patch
from abscopal.inference.intervals import weighted_quantiles, with_intervals
from abscopal.inference.posterior import ENVIRONMENT, load_ensemble


def test_equal_weights_give_numpys_hazen_percentiles():
    rng = np.random.default_rng(3)
    for n in (2, 3, 7, 40):
        x = rng.normal(size=n)
        expected = np.percentile(x, [5, 95], method="hazen")  # independent implementation
        assert np.allclose(weighted_quantiles(x, np.ones(n)), expected)


def test_weights_move_the_percentiles_by_hand():
    # weights 1, 2, 1 on 0, 10, 20: midpoints at 0.125, 0.5, 0.875 of the total weight
    assert weighted_quantiles([0.0, 10.0, 20.0], [1, 2, 1], (0.05, 0.3125, 0.95)) == [0.0, 5.0, 20.0]
    assert weighted_quantiles([0.0, 10.0, 20.0], [1, 0, 1], (0.5,)) == [10.0]  # a zero weight drops the draw
    assert weighted_quantiles([1.0, float("inf")], [1, 1], (0.05, 0.95)) == [1.0, float("inf")]


def test_not_reached_counts_as_later_than_any_time():
    point = {"median_pfs_days": {"value": 100.0, "ci_low": 80.0, "ci_high": None}, "progression_day": None, "x": 2.0}
    draws = [{"median_pfs_days": {"value": v, "ci_low": None, "ci_high": None}, "progression_day": p, "x": x}
             for v, p, x in ((90.0, 56.0, 1.0), (None, None, 3.0))]
    out = with_intervals(point, draws, [1, 1])
    assert out["median_pfs_days"]["ci90"] == [90.0, None]
    assert out["progression_day_ci90"] == [56.0, None]
    assert out["x_ci90"] == [1.0, 3.0] and out["x"] == 2.0  # the point value stays


@pytest.mark.parametrize("candidate,key,words", [
    ({"kill_rat": 1.0}, "kill_rat", "did you mean 'kill_rate'"),
    ({"nsclc.antigenicty": 1.0}, "nsclc.antigenicty", "nsclc.antigenicity"),
    ({"nosuch.antigenicity": 1.0}, "nosuch.antigenicity", "unknown human tumour"),
    ({"pop.alpha_sd": 1.0}, "pop.alpha_sd", "unknown population parameter"),
    ({"kill_rate": -1.0}, "kill_rate", "negative"),
    ({"kill_rate": float("nan")}, "kill_rate", "not a finite number"),
    ({"kill_rate": "2"}, "kill_rate", "not a finite number"),
])
def test_bad_names_and_values_are_refused_naming_the_file_and_key(candidate, key, words):
    with pytest.raises(InputError) as info:
        patch.check(candidate, "human", file="ens.json", prefix="sets[1].")
    assert info.value.message.startswith(f"ens.json: sets[1].{key}: ") and words in info.value.message
    with pytest.raises(InputError):
        with patch.values(candidate, "human"):
            pass


def test_a_signed_parameter_may_be_negative():
    assert patch.current(["pop.alc_burden_correlation"], "human")["pop.alc_burden_correlation"] < 0
    patch.check({"pop.alc_burden_correlation": -0.5}, "human")


def _write(folder, **changes):
    doc = {"schema": "abscopal.posterior/1", "species": "human", "method": "m", "source": "s", "created": "d",
           "parameters": ["kill_rate"], "sets": [{"kill_rate": 1.0}, {"kill_rate": 2.0}]}
    doc.update(changes)
    (folder / "human.json").write_text(json.dumps(doc))


def test_loader_reads_the_environment_folder_and_checks_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENVIRONMENT, str(tmp_path))
    with pytest.raises(InputError, match="no posterior ensemble for human"):
        load_ensemble("human", 2)
    _write(tmp_path)
    ensemble = load_ensemble("human", 2)
    assert ensemble.first(2) == (({"kill_rate": 1.0}, {"kill_rate": 2.0}), (1.0, 1.0))
    with pytest.raises(InputError, match=r"sets: 2 parameter set\(s\), fewer than the 3 draws"):
        load_ensemble("human", 3)
    for changes, match in (({"schema": "x"}, "schema"), ({"species": "mouse"}, "species"),
                           ({"sets": [{"kill_rate": 1.0}, {}]}, r"sets\[1\]: lacks 'kill_rate'"),
                           ({"sets": [{"kill_rate": 1.0, "x": 1}]}, r"sets\[0\]: has 'x'"),
                           ({"sets": [{"kill_rate": -1.0}]}, r"sets\[0\]\.kill_rate: value -1.0 is negative"),
                           ({"weights": [1.0]}, "weights")):
        _write(tmp_path, **changes)
        with pytest.raises(InputError, match=match) as info:
            load_ensemble("human", 1)
        assert str(tmp_path / "human.json") in info.value.message


def test_the_recorded_model_is_checked_and_compared_with_the_running_one(tmp_path, monkeypatch):
    from abscopal.inference.posterior import model_note, model_status

    monkeypatch.setenv(ENVIRONMENT, str(tmp_path))
    _write(tmp_path)
    unrecorded = load_ensemble("human", 2)
    assert unrecorded.model is None and model_status(unrecorded, "a" * 64) == "not recorded"
    assert "does not record the model" in model_note(unrecorded, "not recorded")
    _write(tmp_path, model="a" * 64)
    recorded = load_ensemble("human", 2)
    assert model_status(recorded, "a" * 64) == "current" and model_note(recorded, "current") is None
    assert model_status(recorded, "b" * 64) == "changed"
    note = model_note(recorded, "changed")
    assert "another version of the model" in note and "history_match.py --species human" in note
    for bad in ("abc", 12, "A" * 64):
        _write(tmp_path, model=bad)
        with pytest.raises(InputError, match="model") as info:
            load_ensemble("human", 2)
        assert info.value.message.startswith(str(tmp_path / "human.json") + ": model: ")
