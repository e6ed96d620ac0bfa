"""The forecasting benchmark on the Laleh 2022 scans (benchmarks/laleh_forecast.py).

The data are not part of the repository: the test that runs the benchmark on real lesions reads a copy kept
beside the checkout (as tests/integration/test_fit_clinical.py does) and is skipped without one. The others
need no data: every fitter must give back the forecast of a curve that its own model generated, and a wrong
model must forecast such a curve worse (so the benchmark can tell models apart).
"""

from __future__ import annotations

import importlib.util
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("laleh_forecast", ROOT / "benchmarks/laleh_forecast.py")
lf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lf)
FOUND = lf.find_data()
DAYS = np.array([0.0, 42, 84, 126, 168, 210, 252, 294])

TRUTHS = {
    "exponential": [math.log(2000.0), 0.004],
    "gompertz": [math.log(2000.0), math.log(600.0), math.log(0.012)],  # shrinks to a plateau
    "logistic": [math.log(1000.0), math.log(6000.0), math.log(0.015)],
    "classic_bertalanffy": [math.log(3000.0), math.log(800.0), math.log(0.01)],
    "general_bertalanffy": [math.log(1500.0), math.log(5000.0), math.log(0.008), 0.5],
    "general_gompertz": [math.log(1500.0), 0.02 * math.log(900.0), math.log(0.02), 0.8],  # shrinks to ~900
}


@pytest.mark.parametrize("name", sorted(TRUTHS))
def test_each_classical_fit_forecasts_a_curve_of_its_own_model(name):
    volume = lf.curve(name, DAYS, TRUTHS[name])
    p = lf.fit_classical(name, DAYS[:-2], volume[:-2])
    assert p is not None
    forecast = lf.diameter_of(lf.curve(name, DAYS[-2:], p))
    truth = lf.diameter_of(volume[-2:])
    assert np.allclose(forecast, truth, rtol=0.01), (forecast, truth)


def test_a_wrong_model_forecasts_a_plateau_worse_than_the_right_one():
    volume = lf.curve("gompertz", DAYS, TRUTHS["gompertz"])
    truth = lf.diameter_of(volume[-1])
    errors = {}
    for name in ("exponential", "gompertz"):
        p = lf.fit_classical(name, DAYS[:-2], volume[:-2])
        errors[name] = abs(float(lf.diameter_of(lf.curve(name, DAYS[-1:], p))[0]) - truth)
    assert errors["gompertz"] < 0.05
    assert errors["exponential"] > 10 * errors["gompertz"] + 0.1


def test_abscopal_point_fit_forecasts_a_lesion_its_own_model_generated():
    from abscopal.fitting.data import read_data
    from abscopal.fitting.design import load_design
    from abscopal.fitting.model import FitModel

    days = np.array([-10.0, 40, 80, 120, 160, 200, 240])
    plan = load_design(lf.DESIGN)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scans.csv"
        lf._write_scans(path, days, np.full(len(days), 20.0))
        model = FitModel(read_data(path, list(plan.arms), plan.lesion_ids), plan, ["doubling_time", "kill_rate"])
    u = np.log([60.0, 8.0, 0.2, 0.1])  # doubling_time, kill_rate, omega, sigma: shrinks, then slows
    later = np.exp(model.predicted(model.simulate([model.values_of(u)], np.ones((1, 1))))[0, 0])
    diameter = np.concatenate([[20.0], later])
    fit = lf.fit_abscopal(days, diameter, 2)
    assert np.allclose(fit["forecast_mm"], diameter[-2:], rtol=0.05), (fit["forecast_mm"], diameter[-2:])
    assert 40 < fit["doubling_time"] < 90 and 5 < fit["kill_rate"] < 12


def test_summary_ranks_by_median_error_over_lesions_every_model_forecast():
    def lesion(a, b, arm="A"):
        return {"arm": arm, "baseline_mm": 10.0, "models": {
            "m1": {"abs_error_last_mm": a, "mae_mm": a}, "m2": {"abs_error_last_mm": b, "mae_mm": b}}}

    results = [lesion(1.0, 2.0), lesion(3.0, 0.5), lesion(0.2, 9.0, "B"), lesion(None, 0.1)]
    s = lf.summarise(results)
    assert s["lesions"] == 4 and s["lesions_compared"] == 3
    assert s["overall"]["m1"]["failed"] == 1 and s["overall"]["m2"]["failed"] == 0
    assert s["overall"]["m1"]["median_abs_error_last_mm"] == 1.0
    assert s["overall"]["m2"]["median_abs_error_last_mm"] == 2.0
    assert s["ranking_by_median_error"] == ["m1", "m2"]
    assert s["per_arm"]["B"]["m2"]["n"] == 1


def test_missing_data_is_a_clear_exit(tmp_path, capsys):
    assert lf.main(["--data", str(tmp_path / "nowhere"), "--cache", ""]) == 2
    assert "flat_patient_data.csv not found" in capsys.readouterr().err


@pytest.mark.skipif(FOUND is None, reason="the Laleh 2022 scans are not beside this checkout (docs/forecasting.md)")
def test_benchmark_on_ten_real_lesions(tmp_path):
    results, summary = lf.run(FOUND, limit=10, seed=3, k=2, with_abscopal=True, cache=tmp_path / "cache")
    assert len(results) == 10 and len(list((tmp_path / "cache").glob("*.json"))) == 10
    assert summary["lesions_compared"] >= 8
    for model, s in summary["overall"].items():
        assert math.isfinite(s["median_abs_error_last_mm"]) and s["median_abs_error_last_mm"] >= 0, model
    # The fits on real lesions generate curves that the same fitters must give back.
    for r in results:
        for name in ("exponential", "gompertz"):
            p = r["models"][name].get("parameters")
            assert p is not None
            volume = lf.curve(name, DAYS, p)
            if not np.all(np.isfinite(volume)) or volume.max() > 1e7:
                continue
            q = lf.fit_classical(name, DAYS[:-2], volume[:-2])
            assert np.allclose(lf.diameter_of(lf.curve(name, DAYS[-2:], q)), lf.diameter_of(volume[-2:]),
                               rtol=0.02, atol=0.2), (name, p, q)
    again, _ = lf.run(FOUND, limit=10, seed=3, k=2, with_abscopal=True, cache=tmp_path / "cache")
    assert again == results  # read back from the cache


def test_general_gompertz_integration_matches_closed_forms():
    t = np.array([0.0, 30, 60, 90, 150, 400])
    # lam = 1: the classic Gompertz curve, same plateau exp(beta / alpha) and rate alpha
    alpha, plateau = 0.3, 800.0  # fast: stiff for a fixed step of days
    p = [math.log(5000.0), alpha * math.log(plateau), math.log(alpha), 1.0]
    exact = lf.curve("gompertz", t, [math.log(5000.0), math.log(plateau), math.log(alpha)])
    assert np.allclose(lf.curve("general_gompertz", t, p), exact, rtol=1e-4)
    # lam = 2/3 and alpha ~ 0: dv/dt = beta v^(2/3), so v^(1/3) falls linearly and the lesion is gone at t = 3 v0^(1/3) / |beta|
    beta = -0.3
    p = [math.log(1000.0), beta, math.log(1e-9), 2.0 / 3.0]
    cube = np.maximum(10.0 + beta * t / 3.0, 0.0) ** 3
    assert np.allclose(lf.curve("general_gompertz", t, p), cube, rtol=1e-4, atol=1e-6)
