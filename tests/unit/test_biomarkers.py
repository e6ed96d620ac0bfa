import numpy as np
import pytest
from scipy import stats

from abscopal.trial.biomarkers import auc_delong, biomarker_table, logistic_per_sd


def test_auc_equals_mann_whitney_u_and_delong_interval_covers_it():
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=300), 1)  # rounding creates ties
    y = (x + rng.normal(size=300)) > 0
    auc, lo, hi = auc_delong(x, y)
    u = stats.mannwhitneyu(x[y], x[~y], alternative="two-sided").statistic
    assert auc == pytest.approx(u / (y.sum() * (~y).sum()), rel=1e-12)
    assert lo < auc < hi and 0.6 < auc < 0.9


def test_delong_se_matches_hanley_mcneil_closely_without_ties():
    """For continuous scores DeLong's SE is close to Hanley & McNeil (Radiology 1982;143:29) - within 15%."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=400)
    y = (x + 1.5 * rng.normal(size=400)) > 0
    auc, lo, hi = auc_delong(x, y)
    m, n = y.sum(), (~y).sum()
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    se_hm = np.sqrt((auc * (1 - auc) + (m - 1) * (q1 - auc**2) + (n - 1) * (q2 - auc**2)) / (m * n))
    assert (hi - lo) / (2 * 1.959964) == pytest.approx(se_hm, rel=0.15)


def test_logistic_slope_sign_and_null():
    rng = np.random.default_rng(2)
    x = rng.normal(size=500)
    y = rng.random(500) < 1 / (1 + np.exp(-(0.8 * x)))
    fit = logistic_per_sd(x, y)
    assert fit["odds_ratio_per_sd"] > 1.5 and fit["p"] < 1e-6
    assert logistic_per_sd(np.ones(10), y[:10])["odds_ratio_per_sd"] is None


def test_biomarker_table_rows():
    records = [{"status": "ok", "abscopal": bool(k % 3 == 0), "baseline_alc": 1000 + 100 * (k % 3 == 0) + k,
                "baseline_sum_diameters_mm": 50 - k % 7, "n_lesions": 2, "pdl1_tps": 0.1, "tmb": 5.0} for k in range(60)]
    rows = {r["covariate"]: r for r in biomarker_table(records)}
    assert rows["baseline_alc"]["auc"] > 0.5 and rows["baseline_alc"]["n"] == 60
    assert rows["n_lesions"]["auc"] == pytest.approx(0.5)
    assert rows["baseline_alc"]["logistic"]["note"] == "perfect separation"


def test_quasi_complete_separation_gives_no_odds_ratio():
    x = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1], float)
    y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], bool)  # every responder is in group 1
    assert logistic_per_sd(x, y)["odds_ratio_per_sd"] is None


def test_interaction_is_the_difference_of_the_per_arm_slopes():
    """With arm, z and arm x z the model is saturated in arm: beta_interaction = slope in b - slope in a, each slope
    fitted on the same pooled z scale (an identity of maximum likelihood, checked here by hand-made data)."""
    from abscopal.trial.biomarkers import _newton_logistic, interaction

    rng = np.random.default_rng(5)
    xa, xb = rng.normal(size=300), rng.normal(size=300)
    ya = (rng.random(300) < 1 / (1 + np.exp(-(-0.5 + 0.2 * xa)))).astype(float)
    yb = (rng.random(300) < 1 / (1 + np.exp(-(-0.5 + 1.5 * xb)))).astype(float)  # the biomarker matters in b only
    out = interaction(xa, ya, xb, yb)
    x = np.concatenate([xa, xb])
    mean, sd = x.mean(), x.std()
    slopes = [_newton_logistic(np.column_stack([np.ones_like(v), (v - mean) / sd]), y)[0][1] for v, y in ((xa, ya), (xb, yb))]
    assert np.log(out["interaction_odds_ratio_per_sd"]) == pytest.approx(slopes[1] - slopes[0], rel=1e-6)
    assert out["interaction_odds_ratio_per_sd"] > 1 and out["p"] < 0.001 and out["ci_low"] > 1


def test_no_interaction_when_the_slopes_agree():
    from abscopal.trial.biomarkers import interaction

    rng = np.random.default_rng(6)
    xa, xb = rng.normal(size=400), rng.normal(size=400)
    ya = (rng.random(400) < 1 / (1 + np.exp(-0.8 * xa))).astype(float)
    yb = (rng.random(400) < 1 / (1 + np.exp(-(0.7 + 0.8 * xb)))).astype(float)  # a main effect of the arm only
    out = interaction(xa, ya, xb, yb)
    assert out["ci_low"] < 1 < out["ci_high"]
    assert interaction([1.0] * 10, [0, 1] * 5, [1.0] * 10, [1, 0] * 5)["p"] is None  # no contrast in the covariate


def test_trial_biomarkers_names_every_arm_and_compares_two_arms():
    from types import SimpleNamespace

    from abscopal.trial.biomarkers import trial_biomarkers

    rng = np.random.default_rng(7)

    def records(irradiated: bool, slope: float):
        out = []
        for _ in range(120):
            alc = float(rng.lognormal(7.2, 0.4))
            p = 1 / (1 + np.exp(-(-1 + slope * (alc - 1400) / 500)))
            responded = bool(rng.random() < p)
            out.append({"status": "ok", "baseline_alc": alc, "tmb": float(rng.lognormal(2, 0.5)), "n_lesions": 3,
                        "abscopal": responded if irradiated else None, "out_of_field": "PR" if responded else "SD"})
        return out

    design = SimpleNamespace(species="human", arms=[("drug", None), ("rt_drug", None), ("rt_only", None)])
    run = SimpleNamespace(design=design, records={"drug": records(False, 0.2), "rt_drug": records(True, 2.0),
                                                  "rt_only": records(True, 1.0)})
    block = trial_biomarkers(run)
    assert [entry["arm"] for entry in block["by_arm"]] == ["rt_drug", "rt_only"]  # the drug-only arm has no abscopal
    assert all(row["arm"] == entry["arm"] for entry in block["by_arm"] for row in entry["rows"])
    assert block["arm"] == "rt_only" and block["rows"] == block["by_arm"][-1]["rows"]
    assert [entry["arms"] for entry in block["interaction"]] == [["drug", "rt_drug"], ["drug", "rt_only"]]
    alc = next(r for r in block["interaction"][0]["rows"] if r["covariate"] == "baseline_alc")
    assert alc["interaction_odds_ratio_per_sd"] > 1 and alc["p"] < 0.05
    assert "logistic regression" in block["interaction"][0]["method"]
