"""Bad optimisation files: exit status 2 and one line naming the file and the key, before anything is simulated."""

from __future__ import annotations

import copy

import pytest
import yaml

from abscopal import cli
from abscopal.optimisation.evaluate import Evaluator
from tests.integration.test_optimise import human_problem, mouse_problem


def _set(doc: dict, path: str, value) -> dict:
    doc = copy.deepcopy(doc)
    node = doc
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[k]
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return doc


_DELETE = object()
MOUSE = mouse_problem(budget={"simulations": 60})
HUMAN = human_problem(budget={"simulations": 60})

CASES = [  # (name, document, key the message names, a word of the problem)
    ("empty dose list", _set(MOUSE, "search.radiotherapy.dose", []), "search.radiotherapy.dose", "empty"),
    ("empty search", _set(MOUSE, "search", {}), "search", "empty"),
    ("empty regimen list", _set(MOUSE, "search.drugs.regimen", []), "search.drugs.regimen", "empty"),
    ("infeasible fractions", _set(_set(MOUSE, "search.radiotherapy.fractions", [2, 3]), "constraints", {"max_fractions": 1}),
     "constraints", "no regimen"),
    ("infeasible normal tissue", _set(MOUSE, "constraints", {"normal_tissue": [{"site": "flank", "eqd2": "1 Gy",
                                                                               "alpha_beta": "3 Gy"}]}),
     "constraints", "no regimen"),
    ("infeasible exposure", _set(HUMAN, "constraints", {"drug_exposure": {"pembrolizumab": "100 mg"}}), "constraints",
     "no regimen"),
    ("unknown top key", _set(MOUSE, "objectiv", {"measure": "abscopal_rate"}), "objectiv", "unknown key"),
    ("unknown nested key", _set(MOUSE, "objective", {"measur": "abscopal_rate"}), "objective.measur", "unknown key"),
    ("unknown search key", _set(MOUSE, "search.radiotherapy.doses", ["8 Gy"]), "search.radiotherapy.doses", "unknown key"),
    ("bare number dose", _set(MOUSE, "search.radiotherapy.dose", ["8"]), "search.radiotherapy.dose[0]", "8"),
    ("dose in mg", _set(MOUSE, "search.radiotherapy.dose", ["8 Gy", "8 mg"]), "search.radiotherapy.dose[1]", "dimension"),
    ("bare number start", _set(MOUSE, "search.drugs.start_after_rt", [7]), "search.drugs.start_after_rt[0]", "unit"),
    ("limit without unit", _set(MOUSE, "constraints", {"normal_tissue": [{"site": "flank", "eqd2": 60, "alpha_beta": "3 Gy"}]}),
     "constraints.normal_tissue[0].eqd2", "unit"),
    ("exposure in Gy", _set(HUMAN, "constraints", {"drug_exposure": {"pembrolizumab": "1600 Gy"}}),
     "constraints.drug_exposure.pembrolizumab", "drug"),
    ("dose over the limit", _set(MOUSE, "search.radiotherapy.dose", ["8 Gy", "150 Gy"]), "search.radiotherapy.dose[1]",
     "150"),
    ("unknown agent", _set(MOUSE, "search.drugs.regimen", [{"agent": "anti-ctla4x", "dose": "200 ug", "every": "3 days"}]),
     "search.drugs.regimen.agent", "agent"),
    ("bad standard", _set(MOUSE, "standard.drugs", [{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks",
                                                      "start": "day 0", "count": 2}]), "standard.drugs[0].agent", "human"),
    ("unknown measure", _set(MOUSE, "objective", {"measure": "orr"}), "objective.measure", "orr"),
    ("measure of the other species", _set(MOUSE, "objective", {"measure": "orr_out_of_field"}), "objective.measure",
     "mouse"),
    ("lymphopenia in mice", _set(MOUSE, "constraints", {"lymphopenia_grade3": {"max_rate": 0.2}}),
     "constraints.lymphopenia_grade3", "patients"),
    ("budget too small", _set(MOUSE, "budget", {"simulations": 10}), "budget.simulations", "fewer"),
    ("unknown organ", _set(MOUSE, "constraints", {"normal_tissue": [{"site": "flank", "organ": "spinal_chord"}]}),
     "constraints.normal_tissue[0].organ", "spinal_chord"),
    ("missing standard", _set(MOUSE, "standard", _DELETE), "standard", "missing"),
]


@pytest.mark.parametrize("name,doc,key,word", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_naming_file_and_key(name, doc, key, word, tmp_path, capsys, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("a bad file must be refused before any simulation")

    monkeypatch.setattr(Evaluator, "_run", never)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert cli.main(["optimise", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{path}: {key}"), lines[0]
    assert word.lower() in lines[0].lower(), lines[0]
    assert "expected" in lines[0]


def test_missing_file_and_the_american_spelling(tmp_path, capsys):
    assert cli.main(["optimize", str(tmp_path / "none.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "none.yaml" in err[0]


def test_one_drug_regimen_may_be_given_as_a_mapping():
    from abscopal.optimisation.problem import parse_problem

    doc = copy.deepcopy(MOUSE)
    doc["search"]["drugs"]["regimen"] = {"agent": "anti-ctla-4", "dose": "200 ug", "every": "3 days"}
    assert parse_problem(doc).grid_size() == parse_problem(MOUSE).grid_size()
