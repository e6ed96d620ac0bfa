"""`--uncertainty N` on simulate, cohort and trial (CONTRACT.md, Command line): N draws of the posterior ensemble,
``ci90`` beside every summary figure, the file-values result as the point value.

The ensemble comes from $ABSCOPAL_POSTERIOR_DIR: tests/data/posterior holds fixtures whose three sets move the
tumour's antigenicity and the kill rate strongly (not the shipped ensembles, which change with every calibration). Expected intervals are recomputed here
from draws run one by one through the library (numpy's Hazen percentiles), not read back from the command.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "data" / "posterior"
SIMULATE = str(EXAMPLES / "nsclc_sbrt_pembrolizumab.yaml")
COHORT = str(EXAMPLES / "cohort_nsclc_sbrt_pembrolizumab.yaml")
TRIAL = str(EXAMPLES / "trial_nsclc_sbrt_pembrolizumab.yaml")
MOUSE_TRIAL = str(EXAMPLES / "trial_mouse_tsa_four_arms.yaml")


def _cli(*args, posterior=FIXTURES):
    env = {k: v for k, v in os.environ.items() if k != "ABSCOPAL_POSTERIOR_DIR"}
    if posterior is not None:
        env["ABSCOPAL_POSTERIOR_DIR"] = str(posterior)
    return subprocess.run([sys.executable, "-m", "abscopal", *args], capture_output=True, text=True, env=env)


def _json(*args, posterior=FIXTURES):
    out = _cli(*args, "--json", "-", posterior=posterior)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout), out.stderr


@pytest.fixture(scope="module")
def simulated():
    return _json("simulate", SIMULATE, "--uncertainty", "3")


@pytest.fixture(scope="module")
def trial():
    return _json("trial", TRIAL, "--size", "24", "--uncertainty", "3", "--workers", "1")


def test_simulate_puts_an_interval_beside_every_summary_figure(simulated):
    data, stderr = simulated
    assert "draw 3/3" in stderr  # progress over draws
    u = data["uncertainty"]
    assert u["draws"] == 3 and u["ensemble"].endswith("human.json") and u["method"].startswith("test fixture")
    for les in data["lesions"]:
        for key in ("best_change_pct", "final_change_pct", "tcp"):
            lo, hi = les[f"{key}_ci90"]
            assert lo <= hi
        assert 0 <= les["controlled_probability"] <= 1
        for key in ("volume_mm3", "diameter_mm"):
            low, high = les[f"{key}_ci90"]
            assert len(low) == len(high) == len(les[key]) and all(a <= b for a, b in zip(low, high, strict=True))
    s = data["summary"]
    for key in ("progression_day", "alc_nadir_per_ul", "endpoint_day"):
        assert len(s[f"{key}_ci90"]) == 2
    assert abs(sum(s["best_overall_response_draws"].values()) - 1) < 1e-6
    assert s["abscopal_response_probability"] is not None
    assert len(data["alc_per_ul_ci90"]) == 2


def test_simulate_intervals_are_the_percentiles_of_the_draws_and_they_differ(simulated):
    from abscopal.inference.patch import values
    from abscopal.scenario.load import load_scenario
    from abscopal.simulate import simulate

    data, _ = simulated
    sets = json.loads((FIXTURES / "human.json").read_text())["sets"]
    draws = []
    for draw in sets:
        with values(draw, "human"):
            draws.append(simulate(load_scenario(SIMULATE)).to_dict())
    point = simulate(load_scenario(SIMULATE)).to_dict()
    for k, les in enumerate(data["lesions"]):
        assert les["best_change_pct"] == point["lesions"][k]["best_change_pct"]  # the point is the file values
        x = [d["lesions"][k]["final_change_pct"] for d in draws]
        assert np.allclose(les["final_change_pct_ci90"], np.percentile(x, [5, 95], method="hazen"), rtol=1e-6)
    widths = [les["final_change_pct_ci90"][1] - les["final_change_pct_ci90"][0] for les in data["lesions"]]
    assert max(widths) > 20  # the fixture's sets change the out-of-field lesions' course a lot


def _all_intervals(arm):
    rates = [arm["orr"]["overall"], arm["orr"]["in_field"], arm["orr"]["out_of_field"], arm["orr_irecist"],
             arm["complete_response_rate"]] + ([arm["abscopal_rate"]] if arm["abscopal_rate"] is not None else [])
    medians = [arm["median_pfs_days"], arm["median_os_days"], arm["median_endpoint_day"]]
    return rates, medians


def test_trial_puts_an_interval_beside_every_summary_figure(trial):
    data, stderr = trial
    assert "draw 1/3" in stderr and "draw 3/3" in stderr
    widths = []
    for arm in data["arms"]:
        rates, medians = _all_intervals(arm)
        for figure in rates + medians:
            assert "ci90" in figure
        for rate in rates:
            if rate["rate"] is not None:
                lo, hi = rate["ci90"]
                assert 0 <= lo <= hi <= 1
                widths.append(hi - lo)
        for key in ("alc_nadir_median_per_ul", "tumour_free_fraction"):
            assert f"{key}_ci90" in arm
    assert max(widths) > 0.2  # the draws really differ
    for comp in data["comparisons"]:
        for key in ("pfs_hazard_ratio", "os_hazard_ratio", "paired_orr_out_of_field_difference"):
            assert "ci90" in comp[key]
        for key in ("orr_out_of_field_difference", "fisher_p", "logrank_p", "os_logrank_p"):
            assert f"{key}_ci90" in comp
    bands = data["uncertainty"]["survival_ci90"]
    for endpoint in ("pfs", "os"):
        for arm in data["arms"]:
            low, high = bands[endpoint][arm["name"]]
            assert len(low) == len(bands["time_days"]) and all(a <= b for a, b in zip(low, high, strict=True))


def test_the_printed_summary_shows_the_intervals(tmp_path):
    out = _cli("cohort", COHORT, "--size", "12", "--uncertainty", "2", "--workers", "1", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "90% CrI" in out.stdout and "draws of the posterior ensemble" in out.stdout
    assert (tmp_path / "km_pfs.png").exists()
    assert "90% CrI" not in _cli("cohort", COHORT, "--size", "12", "--workers", "1").stdout


def test_draws_in_worker_processes_equal_draws_in_this_process():
    args = ("cohort", COHORT, "--size", "12", "--uncertainty", "2", "--chunk-size", "4")
    one, _ = _json(*args, "--workers", "1")
    two, _ = _json(*args, "--workers", "2")
    assert one == two
    assert one["arms"][0]["abscopal_rate"]["ci90"][0] < one["arms"][0]["abscopal_rate"]["ci90"][1]


def _file_values_ensemble(folder: Path, species: str, names: list[str]) -> Path:
    from abscopal.inference.patch import current

    values = current(names, species)
    doc = {"schema": "abscopal.posterior/1", "species": species, "method": "the file values twice", "source": "test",
           "created": "2027-01-01", "parameters": names, "sets": [values, values]}
    (folder / f"{species}.json").write_text(json.dumps(doc))
    return folder


def _numeric_intervals(node, point_key=None):
    """(point, ci90) for every interval in a result."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "ci90" and value is not None and not isinstance(value[0], list):
                yield node.get("rate", node.get("value")), value
            elif key.endswith("_ci90") and value is not None and not isinstance(value[0], list):
                yield node[key[:-5]], value
            elif key != "uncertainty":
                yield from _numeric_intervals(value)
    elif isinstance(node, list):
        for item in node:
            yield from _numeric_intervals(item)


@pytest.mark.parametrize("species,args", [
    ("human", ("simulate", SIMULATE)),
    ("mouse", ("trial", MOUSE_TRIAL, "--size", "4", "--workers", "1")),
])
def test_sets_equal_to_the_file_values_give_zero_width_intervals(tmp_path, species, args):
    folder = _file_values_ensemble(tmp_path, species, ["kill_rate", "tsa.antigenicity" if species == "mouse" else "nsclc.antigenicity"])
    data, _ = _json(*args, "--uncertainty", "2", posterior=folder)
    pairs = list(_numeric_intervals(data))
    assert len(pairs) > 10
    for point, (lo, hi) in pairs:
        assert lo == hi and (point is None or lo == pytest.approx(point, rel=1e-7, abs=1e-9))


@pytest.mark.parametrize("posterior,words", [(FIXTURES, "fewer than the 4 draws"), ("/nonexistent/abscopal",
                                                                                     "no posterior ensemble for human")])
@pytest.mark.parametrize("command", ["simulate", "cohort"])
def test_too_few_sets_or_no_ensemble_is_an_input_error_on_one_line(posterior, words, command):
    out = _cli(command, SIMULATE if command == "simulate" else COHORT, "--uncertainty", "4", posterior=posterior)
    assert out.returncode == 2
    assert words in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert "human.json" in out.stderr


def test_without_the_option_the_json_is_unchanged():
    from abscopal.scenario.load import load_scenario
    from abscopal.simulate import simulate

    with_ensemble, _ = _json("simulate", SIMULATE)
    without, _ = _json("simulate", SIMULATE, posterior=None)
    assert with_ensemble == without == json.loads(json.dumps(simulate(load_scenario(SIMULATE)).to_dict()))
    assert "ci90" not in json.dumps(without) and "uncertainty" not in without
    cohort_args = ("cohort", COHORT, "--size", "8", "--workers", "1")
    a, _ = _json(*cohort_args)
    b, _ = _json(*cohort_args, posterior=None)
    assert a == b and "ci90" not in json.dumps(a) and "uncertainty" not in a


def test_a_pool_shared_by_the_draws_gives_what_a_fresh_pool_per_draw_gives():
    """Draws share one pool of workers (cli._trial_draws): a worker that ran the first draw's chunks must run the
    second draw exactly as a fresh worker does (no value of the first draw left in a cache)."""
    import functools

    from abscopal.inference.patch import values
    from abscopal.inference.posterior import load_ensemble
    from abscopal.trial.design import load_trial
    from abscopal.trial.run import run_trial, worker_pool

    os.environ["ABSCOPAL_POSTERIOR_DIR"] = str(FIXTURES)
    try:
        sets, _ = load_ensemble("human", 2).first(2)
    finally:
        del os.environ["ABSCOPAL_POSTERIOR_DIR"]

    def run(draw, pool=None):
        with values(draw, "human"):
            design = load_trial(COHORT, size=8, seed=1, cohort=True)
        drawn = run_trial(design, workers=2, chunk_size=2, within=functools.partial(values, draw, "human"), pool=pool)
        return {arm: table.table.to_pylist() for arm, table in drawn.records.items()}

    with worker_pool(2) as pool:
        shared = [run(draw, pool) for draw in sets]
    fresh = [run(draw) for draw in sets]
    assert shared == fresh
    assert shared[0] != shared[1]  # the two draws differ, so a value left over from the first would show


def test_a_run_says_whether_the_ensemble_was_calibrated_on_the_running_model(tmp_path, simulated):
    from abscopal.validation.cache import model_fingerprint

    data, stderr = simulated  # the fixture records no model
    assert data["uncertainty"]["model"] is None and data["uncertainty"]["model_status"] == "not recorded"
    assert "does not record the model" in stderr
    doc = json.loads((FIXTURES / "human.json").read_text())
    for model, status in ((model_fingerprint("human"), "current"), (model_fingerprint(), "changed"), ("0" * 64, "changed")):
        (tmp_path / "human.json").write_text(json.dumps({**doc, "model": model}))
        run, err = _json("simulate", SIMULATE, "--uncertainty", "2", posterior=tmp_path)
        assert run["uncertainty"]["model"] == model and run["uncertainty"]["model_status"] == status
        assert ("another version of the model" in err) == (status == "changed")
        assert "does not record" not in err
