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
