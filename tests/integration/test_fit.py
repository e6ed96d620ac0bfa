"""`abscopal fit` end to end on a tiny synthetic data set: the contract's JSON, the files under --out, the
fitted scenario that simulate, cohort and trial accept, and a resumed fit that equals an uninterrupted one.

The chains here are far too short to converge (a few steps): these tests check the plumbing, not the
statistics (tests/integration/test_fit_recovery.py does that)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from abscopal.cli import main

DESIGN = "examples/fit_mouse_tsa_rt.yaml"
TINY = ["--parameters", "doubling_time,alpha", "--steps", "6", "--walkers", "8", "--nodes", "3", "--quiet"]


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    from abscopal.fitting.design import load_design
    from abscopal.fitting.synthetic import mouse_data

    frame = mouse_data(load_design(DESIGN), {"doubling_time": 2.5, "alpha": 0.25}, animals=1, days=(0, 4, 8), seed=5)
    path = tmp_path_factory.mktemp("fitdata") / "mice.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def fitted(data_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("fitout")
    code = main(["fit", str(data_file), "--design", DESIGN, "--out", str(out), "--json", str(out / "stdout.json"),
                 "--report", str(out / "report.html"), *TINY])
    assert code == 0
    return out


def test_report_holds_the_posterior_table_and_the_figures(fitted):
    page = (fitted / "report.html").read_text()
    assert "Posterior" in page and "doubling_time" in page and "alpha" in page
    assert page.count("data:image/png;base64,") >= 3  # predictive, marginals, trace
    assert "Provenance" in page and "fit_mouse_tsa_rt.yaml" in page


def test_json_has_the_contract_keys(fitted):
    data = json.loads((fitted / "fit.json").read_text())
    assert data["schema"] == "abscopal.fit/1"
    assert {"parameters", "n_observations", "groups", "diagnostics", "provenance", "notice"} <= set(data)
    names = [p["name"] for p in data["parameters"]]
    assert names[:2] == ["doubling_time", "alpha"]
    for p in data["parameters"]:
        assert {"name", "unit", "mean", "median", "ci90", "prior"} <= set(p)
        lo, hi = p["ci90"]
        assert lo <= p["median"] <= hi
    assert data["parameters"][0]["unit"] == "day" and data["parameters"][1]["unit"] == "1/Gy"
    assert data["n_observations"] == 2 * 2 * 2  # 2 animals x 2 lesions x 2 days after the first
    assert [g["name"] for g in data["groups"]] == ["control", "rt"]
    assert isinstance(data["diagnostics"]["converged"], bool) and "emcee" in data["diagnostics"]["method"]
    assert data["diagnostics"]["converged"] is False  # 6 steps: the fit must say it has not converged
    assert {"version", "model", "parameter_set", "scenario_sha256", "seed"} <= set(data["provenance"])
    assert 0 <= data["goodness_of_fit"]["coverage90"] <= 1
    assert json.loads((fitted / "stdout.json").read_text())["parameters"] == data["parameters"]


def test_out_holds_figures_draws_and_fitted_files(fitted):
    for name in ("fit.json", "fitted.yaml", "fitted_control.yaml", "fitted_rt.yaml", "posterior.csv",
                 "predictive.png", "marginals.png", "trace.png", "chain.npz"):
        assert (fitted / name).stat().st_size > 0, name
    header = (fitted / "posterior.csv").read_text().splitlines()[0]
    assert header == "doubling_time,alpha,omega_doubling_time,sigma_log"


def test_fitted_scenario_loads_with_the_posterior_medians_and_runs(fitted, capsys):
    from abscopal.scenario.load import load_scenario

    data = json.loads((fitted / "fit.json").read_text())
    medians = {p["name"]: p["median"] for p in data["parameters"] if p["fitted"]}
    scenario = load_scenario(fitted / "fitted_rt.yaml")
    overrides = {k: float(v) for k, v in scenario.overrides}
    for name, value in medians.items():
        assert overrides[name] == pytest.approx(value, rel=1e-5)
    assert main(["simulate", str(fitted / "fitted_rt.yaml"), "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["schema"] == "abscopal.result/1"
    assert main(["cohort", str(fitted / "fitted_rt.yaml"), "--size", "2", "--json", "-"]) == 0
    capsys.readouterr()
    assert main(["trial", str(fitted / "fitted.yaml"), "--size", "2", "--json", "-"]) == 0
    assert [a["name"] for a in json.loads(capsys.readouterr().out)["arms"]] == ["control", "rt"]


def test_a_resumed_fit_equals_an_uninterrupted_one(data_file, tmp_path):
    import abscopal

    kwargs = dict(parameters=["doubling_time", "alpha"], walkers=8, nodes=3, seed=2, checkpoint=2)
    whole = abscopal.fit(data_file, DESIGN, steps=6, out=tmp_path / "whole", **kwargs)
    abscopal.fit(data_file, DESIGN, steps=4, out=tmp_path / "parts", **kwargs)  # "killed" after 4 steps
    resumed = abscopal.fit(data_file, DESIGN, steps=6, out=tmp_path / "parts", **kwargs)
    assert resumed.summary()["diagnostics"]["resumed_at_step"] == 4
    assert whole.summary()["diagnostics"]["resumed_at_step"] == 0
    np.testing.assert_array_equal(resumed.chain, whole.chain)


def test_a_checkpoint_of_other_settings_is_set_aside(data_file, tmp_path, capsys):
    import abscopal

    abscopal.fit(data_file, DESIGN, parameters=["doubling_time"], steps=2, walkers=8, nodes=3, out=tmp_path)
    again = abscopal.fit(data_file, DESIGN, parameters=["alpha"], steps=2, walkers=8, nodes=3, out=tmp_path)
    assert again.summary()["diagnostics"]["resumed_at_step"] == 0
    assert (tmp_path / "chain.npz.old").is_file()
    assert "set aside" in capsys.readouterr().err


def test_python_api_summary_is_the_command_lines(data_file, fitted):
    import abscopal

    result = abscopal.fit(data_file, DESIGN, parameters=["doubling_time", "alpha"], steps=6, walkers=8, nodes=3)
    cli = json.loads((fitted / "fit.json").read_text())
    assert [p["median"] for p in result.summary()["parameters"]] == [p["median"] for p in cli["parameters"]]
    assert len(result.draws()) == 3 * 8 and set(result.draws()[0]) == {"doubling_time", "alpha", "omega_doubling_time",
                                                                        "sigma_log"}
