"""`abscopal optimise`: the search finds the grid optimum cheaply, never outputs a regimen that breaks a constraint,
is deterministic for a seed, resumes from its cache, and writes trial files that `abscopal trial` reads."""

from __future__ import annotations

import copy
import json
import math
from types import SimpleNamespace

import pytest
import yaml

import abscopal
from abscopal import cli
from abscopal.api import load_trial
from abscopal.optimisation import optimise
from abscopal.optimisation.evaluate import Evaluator
from abscopal.optimisation.problem import parse_problem
from abscopal.optimisation.search import Entry, search
from abscopal.optimisation.tolerances import load_table
from abscopal.radiobiology import eqd2
from abscopal.units import to_canonical
from tests.conftest import EXAMPLES


def mouse_problem(**changes) -> dict:
    """TSA bilateral, RT to the primary + anti-CTLA-4: dose x fractions x drug start (23 x 4 x 3 = 276 regimens)."""
    doc = {
        "abscopal": 1, "name": "grid test", "species": "mouse", "tumour": "tsa",
        "patient": {"lesions": [{"id": "primary", "site": "flank", "volume": "60 mm^3"},
                                {"id": "secondary", "site": "flank", "volume": "40 mm^3"}]},
        "population": {"size": 6, "seed": 3},
        "simulation": {"duration": "50 days", "endpoint_volume": "1000 mm^3"},
        "standard": {"name": "rt_8x3_ctla4",
                     "radiotherapy": [{"lesions": ["primary"], "dose": "8 Gy", "fractions": 3, "interval": "1 day"}],
                     "drugs": [{"agent": "anti-ctla-4", "dose": "200 ug", "every": "3 days", "start": "day 2", "count": 3}]},
        "search": {"radiotherapy": {"dose": {"from": "2 Gy", "to": "24 Gy", "step": "1 Gy"}, "fractions": [1, 2, 3, 4],
                                    "lesions": [["primary"]]},
                   "drugs": {"regimen": [{"agent": "anti-ctla-4", "dose": "200 ug", "every": "3 days"}],
                             "start_after_rt": ["-2 days", "0 days", "2 days"], "count": 3}},
        "objective": {"measure": "median_endpoint_day"},
        "budget": {"simulations": 10**6},
    }
    doc.update(copy.deepcopy(changes))
    return doc


def human_problem(**changes) -> dict:
    """A small NSCLC population (3-5 lesions): dose x fractions x lesions, pembrolizumab fixed (36 regimens)."""
    doc = {
        "abscopal": 1, "name": "constraints test", "species": "human", "tumour": "nsclc",
        "population": {"size": 10, "seed": 5, "lesions": {"count": [3, 5]}},
        "simulation": {"duration": "112 days"},
        "standard": {"name": "sbrt_8x3_pembrolizumab",
                     "radiotherapy": [{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3}],
                     "drugs": [{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks", "start": "day 7", "count": 4}]},
        "search": {"radiotherapy": {"dose": ["3 Gy", "8 Gy", "15 Gy"], "fractions": [1, 3, 5, 10], "lesion_count": [1, 3]},
                   "drugs": {"regimen": [{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks"}],
                             "start_after_rt": ["7 days"], "count": [2, 4, 6]}},
        "objective": {"measure": "orr_out_of_field"},
        "budget": {"simulations": 10**6},
    }
    doc.update(copy.deepcopy(changes))
    return doc


def _regimens(result) -> list:
    return [(r["rank"], r["score"], json.dumps(r["arm"], sort_keys=True)) for r in result.summary()["regimens"]]


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """The whole grid of the mouse problem, evaluated once into a cache folder (reused by the searches below)."""
    folder = tmp_path_factory.mktemp("grid")
    result = optimise(parse_problem(mouse_problem()), out=folder)
    assert result.summary()["method"]["optimiser"].startswith("exhaustive")
    return folder, result


def test_search_finds_the_grid_optimum_within_a_tenth_of_the_grid(grid):
    folder, exhaustive = grid
    problem = parse_problem(mouse_problem())
    size = problem.grid_size()
    best = max(e.score for e in exhaustive.log.entries if e.score is not None)
    scores = sorted((e.score for e in exhaustive.log.entries), reverse=True)
    assert scores[0] > scores[-1]  # the landscape is not flat: there is something to find
    n = size // 10
    for seed in (1, 2):
        doc = mouse_problem(budget={"simulations": (n + 1) * 6}, optimiser={"seed": seed})  # + the standard
        result = optimise(parse_problem(doc), out=folder)  # the grid's cache: no new simulation
        summary = result.summary()
        assert summary["method"]["optimiser"].startswith("optuna")
        assert summary["evaluations"] - 1 <= n
        assert summary["regimens"][0]["score"] == best, seed


def test_search_engine_finds_a_unique_optimum_of_a_known_function():
    """The search alone, on a function with one optimum in a 30 x 12 x 4 space (1440 points): found in 144."""
    doc = mouse_problem(search={"radiotherapy": {"dose": {"from": "1 Gy", "to": "30 Gy"}, "fractions": {"from": 1, "to": 12},
                                                 "interval": ["1 day", "2 days", "3 days", "4 days"], "lesions": [["primary"]]}})
    problem = parse_problem(doc)
    assert problem.grid_size() == 1440

    def f(point):  # on the axis indices; the one maximum (0) is at 21 Gy, 7 fractions, 2 days
        d, n, i = point[:3]
        return -((d - 20) ** 2) - 3 * (n - 6) ** 2 - 5 * (i - 1) ** 2 + 0.5 * (d - 20) * (n - 6)

    for seed in (1, 2, 3):
        problem.optimiser_seed = seed
        log = search(problem, lambda p, arm, cons: Entry(0, p, arm, f(p), True, cons, {"label": ""}), 144)
        assert len(log.entries) <= 144
        assert max(e.score for e in log.entries) == 0.0, seed


def test_result_is_deterministic_for_a_seed(grid):
    folder, _ = grid
    doc = mouse_problem(budget={"simulations": 30 * 6}, optimiser={"seed": 7})
    first = optimise(parse_problem(doc), out=folder)
    second = optimise(parse_problem(doc))  # no cache: simulated again
    assert second.summary()["method"]["cache"]["simulated"] == second.summary()["evaluations"]
    assert _regimens(first) == _regimens(second)
    assert first.summary()["standard"] == second.summary()["standard"]


def test_an_interrupted_run_resumes_without_redoing_work(tmp_path, monkeypatch):
    doc = mouse_problem(budget={"simulations": 12 * 6}, optimiser={"seed": 4})
    calls = {"n": 0}
    original = Evaluator._run

    def dying(self, arm):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt
        return original(self, arm)

    monkeypatch.setattr(Evaluator, "_run", dying)
    with pytest.raises(KeyboardInterrupt):
        optimise(parse_problem(doc), out=tmp_path)
    monkeypatch.setattr(Evaluator, "_run", original)
    resumed = optimise(parse_problem(doc), out=tmp_path)
    cache = resumed.summary()["method"]["cache"]
    assert cache["reused"] == 5 and cache["simulated"] == resumed.summary()["evaluations"] - 5
    assert _regimens(resumed) == _regimens(optimise(parse_problem(doc)))


@pytest.fixture(scope="module")
def constrained(tmp_path_factory):
    """The human problem, exhaustively, without and then with every kind of constraint."""
    folder = tmp_path_factory.mktemp("human")
    free = optimise(parse_problem(human_problem()), out=folder)
    def constraints(bound):
        return {"max_fractions": 5, "lymphopenia_grade3": {"max_rate": bound},
                "normal_tissue": [{"site": "lung"}, {"site": "liver", "dose_fraction": 0.8},
                                  {"site": "bone", "eqd2": "60 Gy", "alpha_beta": "2 Gy"}],
                "drug_exposure": {"pembrolizumab": "800 mg"}}

    # the bound: the second-highest lymphopenia rate among the regimens that every other constraint allows, so
    # that it excludes some of them whenever their rates differ at all (evaluations come from the folder's cache)
    others = optimise(parse_problem(human_problem(constraints=constraints(1.0))), out=folder)
    rates = sorted({e.details["lymphopenia_grade3_rate"] for e in others.log.entries if e.feasible})
    bound = rates[-2] if len(rates) > 1 else rates[0]
    return free, optimise(parse_problem(human_problem(constraints=constraints(bound))), out=folder), bound, rates


def test_constraints_are_never_violated_in_the_output(constrained):
    free, result, bound, rates = constrained
    summary = result.summary()
    organs, _ = load_table()
    assert summary["regimens"], "some regimen meets every constraint"
    assert summary["infeasible_evaluated"] > 0 or rates[0] == rates[-1]
    for r in summary["regimens"]:
        assert r["feasible"] is True
        (block,) = r["arm"]["radiotherapy"]
        d, n = to_canonical(block["dose"], "absorbed_dose"), block["fractions"]
        assert n <= 5
        assert r["lymphopenia_grade3_rate"] <= bound
        (drug,) = r["arm"]["drugs"]
        assert 200 * drug["count"] <= 800
        for row in r["constraints"]["normal_tissue"]["limits"]:  # recomputed here from the table, not read back
            if row["site"] == "lung":
                ref, total = min(organs["ribs_chest_wall"].dmax_gy, key=lambda x: (abs(x[0] - n), x[0]))
                assert eqd2(d, n, 3.0) <= eqd2(total / ref, ref, 3.0) + 1e-9
            elif row["site"] == "liver":
                ref, total = min(organs["duodenum"].dmax_gy, key=lambda x: (abs(x[0] - n), x[0]))
                assert eqd2(0.8 * d, n, 3.0) <= eqd2(total / ref, ref, 3.0) + 1e-9
            elif row["site"] == "bone":
                assert eqd2(d, n, 2.0) <= 60 + 1e-9
    # the free run ranks higher-scoring regimens that the bounds exclude (the constraints bite)
    assert len(summary["regimens"]) < len(free.summary()["regimens"])


def test_json_follows_the_contract_and_top_regimens_are_compared_with_holm(constrained):
    _, result, _, _ = constrained
    data = json.loads(json.dumps(result.summary(), allow_nan=False))
    assert data["schema"] == "abscopal.optimisation/1"
    assert {"objective", "evaluations", "regimens", "standard", "provenance", "notice"} <= set(data)
    assert isinstance(data["evaluations"], int) and data["evaluations"] > 1
    assert [r["rank"] for r in data["regimens"]] == list(range(1, len(data["regimens"]) + 1))
    scores = [r["score"] for r in data["regimens"]]
    assert scores == sorted(scores, reverse=True)
    for r in data["regimens"]:
        assert {"rank", "objective", "feasible", "constraints", "arm"} <= set(r)
        assert {"value", "ci_low", "ci_high"} <= set(r["objective"])
        assert r["objective"]["ci_low"] <= r["objective"]["value"] <= r["objective"]["ci_high"]
        assert {"radiotherapy", "drugs"} <= set(r["arm"])
    assert {"value", "ci_low", "ci_high"} <= set(data["standard"]["objective"]) and data["standard"]["arm"]["drugs"]
    top = [r for r in data["regimens"] if "comparison_with_standard" in r]
    assert 1 <= len(top) <= 5
    raw = [r["comparison_with_standard"]["p_value"] for r in top]
    holm = [r["comparison_with_standard"]["p_holm"] for r in top]
    assert all(h >= p for h, p in zip(holm, raw, strict=True))
    assert min(holm) == pytest.approx(min(1.0, len(top) * min(raw)))
    assert data["uncertainty"]["used"] is False and "human" in data["uncertainty"]["reason"]
    assert "research" in data["notice"].lower()


def test_out_folder_has_the_pareto_figure_and_trial_files_that_trial_reads(grid, tmp_path):
    folder, _ = grid
    doc = mouse_problem(budget={"simulations": 20 * 6}, population={"size": 6, "seed": 3})
    path = tmp_path / "opt.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = tmp_path / "out"
    report = tmp_path / "optimise.html"
    assert cli.main(["optimise", str(path), "--out", str(out), "--quiet", "--report", str(report)]) == 0
    assert (out / "pareto.png").stat().st_size > 0
    data = json.loads((out / "result.json").read_text())
    page = report.read_text()  # --report: the ranked table, the Pareto figure embedded, the file as run, provenance
    assert "Regimens ranked by" in page and page.count("data:image/png;base64,") >= 1
    assert data["regimens"][0]["label"] in page and "rt_8x3_ctla4" in page and "Provenance" in page
    boot = [r["comparison_with_standard"] for r in data["regimens"] if "comparison_with_standard" in r]
    assert boot and all("bootstrap" in c["test"] for c in boot)
    # B resamples cannot give a p below 1/(B + 1): never a p-value of exactly 0 (two-sided: at least 2/(B + 1))
    assert all(c["p_value"] is None or c["p_value"] >= 2 / 2001 for c in boot)
    assert set(data["pareto"]["front"]) <= {r["id"] for r in data["regimens"]}
    files = sorted((out / "trials").glob("*.yaml"))
    assert len(files) == min(5, len(data["regimens"]))
    for f in files:
        design = load_trial(f)
        names = [name for name, _ in design.arms]
        assert names[0] == "rt_8x3_ctla4" and len(names) == 2
        assert design.population.size == 6 and design.population.seed == 3
    rank1 = load_trial(out / "trials" / "rank1.yaml").arms[1][1]
    (block,) = rank1.radiotherapy
    expected = data["regimens"][0]["arm"]["radiotherapy"][0]
    assert math.isclose(block.dose_per_fraction_gy, to_canonical(expected["dose"], "absorbed_dose"))
    assert block.fractions == expected["fractions"]


def test_the_mouse_posterior_ensemble_gives_credible_intervals():
    doc = mouse_problem(population={"size": 3, "seed": 3}, uncertainty={"draws": 2}, budget={"simulations": 4 * 6},
                        search={"radiotherapy": {"dose": ["6 Gy", "12 Gy"], "fractions": [1, 3], "lesions": [["primary"]]}},
                        objective={"measure": "median_endpoint_day", "aggregate": "robust"})
    data = optimise(parse_problem(doc)).summary()
    assert data["uncertainty"]["used"] is True and data["uncertainty"]["draws"] == 2
    from abscopal.inference.posterior import load_ensemble, model_status
    from abscopal.validation.cache import model_fingerprint

    shipped = load_ensemble("mouse", 2)  # whether the shipped ensemble was calibrated on this model, passed through
    assert data["uncertainty"]["model"] == shipped.model
    assert data["uncertainty"]["model_status"] == model_status(shipped, model_fingerprint("mouse"))
    assert data["budget"]["per_regimen"] == 6
    for r in data["regimens"]:
        assert "credible" in r["objective"]["interval"] and r["score"] == r["objective"]["ci_low"]


def test_draws_asked_for_where_no_ensemble_exists_are_reported_and_the_run_goes_on(tmp_path, monkeypatch):
    from abscopal.optimisation.run import _uncertainty

    monkeypatch.setenv("ABSCOPAL_POSTERIOR_DIR", str(tmp_path))  # a folder without human.json
    problem = parse_problem(human_problem(uncertainty={"draws": 4}))
    assert problem.draws == -4  # no draws run, and the budget is not multiplied
    u = _uncertainty(problem, SimpleNamespace(ensemble=None))  # no ensemble was loaded
    assert u["used"] is False and u["requested_draws"] == 4 and "no posterior ensemble ships for human" in u["reason"]


def test_python_api_returns_a_result_object():
    problem = abscopal.load_problem(EXAMPLES / "optimise_nsclc_sbrt_pd1.yaml")  # the shipped example is valid
    assert problem.species == "human" and problem.grid_size() > 1000
    res = abscopal.optimise(parse_problem(mouse_problem(budget={"simulations": 5 * 6})))
    assert isinstance(res, abscopal.OptimisationResult)
    assert res.regimens and res.regimens[0]["rank"] == 1


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("optimise_*.yaml")), ids=lambda p: p.name)
def test_every_shipped_optimisation_example_is_valid(path):
    problem = abscopal.load_problem(path)
    assert problem.grid_size() > 1 and problem.standard_name


def test_worker_processes_give_the_same_ranking_as_one_process():
    """--workers 2: every regimen runs in one shared pool of workers (Evaluator.pool) and must rank as in-process."""
    doc = mouse_problem(search={"radiotherapy": {"dose": ["4 Gy", "8 Gy", "16 Gy"], "fractions": [1, 3],
                                                 "lesions": [["primary"]]},
                                "drugs": {"regimen": [{"agent": "anti-ctla-4", "dose": "200 ug", "every": "3 days"}],
                                          "start_after_rt": ["0 days"], "count": 3}})
    one = optimise(parse_problem(doc), workers=1)
    two = optimise(parse_problem(doc), workers=2)
    assert _regimens(two) == _regimens(one) and len(_regimens(one)) == 6


def test_a_lesion_count_beyond_the_population_is_an_input_error():
    """Irradiating the 9 largest lesions of patients with 3 to 5 once reported '0 broke a constraint' and 'no regimen
    met every constraint' together; now the file's key is named."""
    from abscopal.errors import InputError

    doc = yaml.safe_load((EXAMPLES / "optimise_nsclc_sbrt_pd1.yaml").read_text())
    doc["search"]["radiotherapy"]["lesion_count"] = [1, 9]
    with pytest.raises(InputError) as info:
        parse_problem(doc)
    assert info.value.key == "search.radiotherapy.lesion_count[1]" and "at most 5" in info.value.problem
    doc["search"]["radiotherapy"]["lesion_count"] = [1, 5]
    assert parse_problem(doc).dimensions
