"""Biomarker analysis on virtual cohorts: for each baseline covariate, its association with an outcome
(abscopal response by default): ROC AUC with a DeLong 95% interval, a logistic model (odds ratio per
standard deviation, Wald interval) and response rates below / above the median with Wilson intervals.

DeLong ER, DeLong DM, Clarke-Pearson DL. Biometrics 1988;44:837-45 (AUC variance via placement values).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from .statistics import wilson_interval as wilson

COVARIATES = {
    "baseline_alc": "baseline ALC (/uL)",
    "baseline_sum_diameters_mm": "baseline tumour burden (sum of diameters, mm)",
    "n_lesions": "number of lesions",
    "pdl1_tps": "PD-L1 TPS",
    "tmb": "TMB (/Mb)",
    "p53_mutant": "TP53 mutant",
}


def auc_delong(scores, labels) -> tuple[float, float, float]:
    """AUC of ``scores`` for binary ``labels`` (1 = responder), with DeLong's 95% interval."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    pos, neg = scores[labels], scores[~labels]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return float("nan"), float("nan"), float("nan")
    # placement values: psi(x, y) = 1 if x > y, 0.5 if equal
    order = np.sort(neg)
    less = np.searchsorted(order, pos, side="left")
    less_eq = np.searchsorted(order, pos, side="right")
    v10 = (less + 0.5 * (less_eq - less)) / n  # per positive
    order_p = np.sort(pos)
    greater = m - np.searchsorted(order_p, neg, side="right")
    equal = np.searchsorted(order_p, neg, side="right") - np.searchsorted(order_p, neg, side="left")
    v01 = (greater + 0.5 * equal) / m  # per negative
    auc = float(v10.mean())
    var = (v10.var(ddof=1) / m if m > 1 else 0.0) + (v01.var(ddof=1) / n if n > 1 else 0.0)
    se = math.sqrt(max(var, 0.0))
    z = stats.norm.ppf(0.975)
    return auc, max(0.0, auc - z * se), min(1.0, auc + z * se)


def logistic_per_sd(x, y) -> dict:
    """Univariable logistic regression of ``y`` on standardised ``x`` (Newton-Raphson)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    sd = x.std()
    if sd <= 1e-12 * max(1.0, abs(float(x.mean()))) or len(np.unique(y)) < 2:
        return {"odds_ratio_per_sd": None, "ci_low": None, "ci_high": None, "p": None}
    design = np.column_stack([np.ones_like(x), (x - x.mean()) / sd])
    if x[y > 0].max() < x[y == 0].min() or x[y > 0].min() > x[y == 0].max():
        # perfect separation: the maximum-likelihood odds ratio is infinite
        return {"odds_ratio_per_sd": None, "ci_low": None, "ci_high": None, "p": None, "note": "perfect separation"}
    beta = np.zeros(2)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -50, 50)))
        w = p * (1 - p)
        hessian = design.T @ (design * w[:, None])
        step = np.linalg.solve(hessian + 1e-12 * np.eye(2), design.T @ (y - p))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    if not np.all(np.isfinite(beta)) or abs(beta[1]) > 10.0:
        # quasi-complete separation (e.g. a binary covariate with no responder in one group): no finite estimate
        return {"odds_ratio_per_sd": None, "ci_low": None, "ci_high": None, "p": None, "note": "separation"}
    try:
        cov = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:  # a singular information matrix: no finite estimate
        return {"odds_ratio_per_sd": None, "ci_low": None, "ci_high": None, "p": None, "note": "separation"}
    se = math.sqrt(cov[1, 1]) if cov[1, 1] >= 0 else math.nan
    z = stats.norm.ppf(0.975)
    low, high = beta[1] - z * se, beta[1] + z * se
    if not (math.isfinite(se) and abs(low) < 700 and abs(high) < 700):  # exp would overflow: no usable interval
        return {"odds_ratio_per_sd": None, "ci_low": None, "ci_high": None, "p": None, "note": "separation"}
    return {"odds_ratio_per_sd": math.exp(beta[1]), "ci_low": math.exp(low),
            "ci_high": math.exp(high), "p": float(2 * stats.norm.sf(abs(beta[1] / se)))}


def biomarker_table(records: list[dict], outcome: str = "abscopal") -> list[dict]:
    """One row per covariate with AUC, logistic odds ratio per SD and median-split subgroup rates."""
    from .store import column

    rows = []
    usable = [i for i, (status, value) in enumerate(zip(column(records, "status"), column(records, outcome), strict=True))
              if status == "ok" and value is not None]
    outcomes = column(records, outcome)
    y = np.array([bool(outcomes[i]) for i in usable])
    for key, label in COVARIATES.items():
        values = column(records, key)
        pairs = [(values[i], yy) for i, yy in zip(usable, y, strict=True) if values[i] is not None]
        if len(pairs) < 4:
            continue
        x = np.array([p[0] for p in pairs], float)
        yy = np.array([p[1] for p in pairs], bool)
        if yy.all() or not yy.any():  # no contrast: AUC undefined
            continue
        auc, lo, hi = auc_delong(x, yy)
        median = float(np.median(x))
        below, above = yy[x <= median], yy[x > median]
        rows.append({
            "covariate": key, "label": label, "n": int(len(x)), "responders": int(yy.sum()),
            "auc": auc, "auc_ci_low": lo, "auc_ci_high": hi, "logistic": logistic_per_sd(x, yy), "median": median,
            "rate_below_median": wilson(int(below.sum()), int(below.size)),
            "rate_above_median": wilson(int(above.sum()), int(above.size)),
        })
    return rows


def _newton_logistic(design: np.ndarray, y: np.ndarray, iterations: int = 50) -> tuple[np.ndarray, np.ndarray] | None:
    """Maximum-likelihood logistic coefficients and their covariance (Newton-Raphson); None without a finite fit."""
    beta = np.zeros(design.shape[1])
    hessian = None
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -50, 50)))
        w = p * (1 - p)
        hessian = design.T @ (design * w[:, None])
        try:
            step = np.linalg.solve(hessian + 1e-12 * np.eye(design.shape[1]), design.T @ (y - p))
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if not np.all(np.isfinite(beta)):
            return None
        if np.max(np.abs(step)) < 1e-10:
            break
    try:
        cov = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return None
    return beta, cov


INTERACTION_METHOD = ("logistic regression of response on arm (0 = first arm, 1 = second), the covariate standardised "
                      "over both arms (z), and arm x z (Newton-Raphson maximum likelihood); the interaction is the "
                      "ratio of the odds ratios per SD in the second arm over the first, exp(beta_arm:z), with its Wald "
                      "95% interval and p; subjects counted as two independent arms, as for the other comparisons")


def interaction(x_a, y_a, x_b, y_b) -> dict:
    """Treatment-by-biomarker interaction between two arms (see :data:`INTERACTION_METHOD`)."""
    none = {"interaction_odds_ratio_per_sd": None, "ci_low": None, "ci_high": None, "p": None}
    x = np.concatenate([np.asarray(x_a, float), np.asarray(x_b, float)])
    y = np.concatenate([np.asarray(y_a, float), np.asarray(y_b, float)])
    arm = np.concatenate([np.zeros(len(x_a)), np.ones(len(x_b))])
    ok = np.isfinite(x) & np.isfinite(y)
    x, y, arm = x[ok], y[ok], arm[ok]
    sd = x.std() if x.size else 0.0
    if x.size < 8 or sd <= 1e-12 * max(1.0, abs(float(x.mean()))) or len(np.unique(y)) < 2 or len(np.unique(arm)) < 2:
        return {**none, "note": "too few subjects, or no contrast in the covariate or the response"}
    z = (x - x.mean()) / sd
    for group in (0.0, 1.0):  # each arm needs responders and non-responders for a finite slope
        if len(np.unique(y[arm == group])) < 2:
            return {**none, "note": "no contrast in the response within an arm"}
    fit = _newton_logistic(np.column_stack([np.ones_like(z), arm, z, arm * z]), y)
    if fit is None or abs(fit[0][3]) > 10.0 or not np.all(np.isfinite(np.diag(fit[1]))) or fit[1][3, 3] <= 0:
        return {**none, "note": "separation"}
    beta, cov = fit
    se = math.sqrt(cov[3, 3])
    if not math.isfinite(se) or se > 10.0:  # a flat likelihood (quasi-separation): no usable interval
        return {**none, "note": "separation"}
    q = stats.norm.ppf(0.975)
    return {"interaction_odds_ratio_per_sd": math.exp(beta[3]), "ci_low": math.exp(beta[3] - q * se),
            "ci_high": math.exp(beta[3] + q * se), "p": float(2 * stats.norm.sf(abs(beta[3] / se)))}


def _pairs(records, key: str, outcome_of) -> tuple[np.ndarray, np.ndarray]:
    from .store import column

    xs, ys = [], []
    for status, x, record_outcome in zip(column(records, "status"), column(records, key), outcome_of(records), strict=True):
        if status == "ok" and x is not None and record_outcome is not None:
            xs.append(float(x))
            ys.append(float(record_outcome))
    return np.asarray(xs, float), np.asarray(ys, float)


def _out_of_field_response(records) -> list:
    """Out-of-field RECIST response (CR or PR: 1; SD or PD: 0; None when not evaluable), defined in every arm."""
    from .store import column

    return [None if v in (None, "NE") else float(v in ("CR", "PR")) for v in column(records, "out_of_field")]


def interaction_table(records_a, records_b) -> list[dict]:
    """One row per covariate: the treatment-by-biomarker interaction on out-of-field response between two arms."""
    rows = []
    for key, label in COVARIATES.items():
        xa, ya = _pairs(records_a, key, _out_of_field_response)
        xb, yb = _pairs(records_b, key, _out_of_field_response)
        rows.append({"covariate": key, "label": label, "n": [int(xa.size), int(xb.size)],
                     "responders": [int(ya.sum()), int(yb.sum())], **interaction(xa, ya, xb, yb)})
    return rows


def trial_biomarkers(run) -> dict | None:
    """Biomarker analysis of a trial, every arm named: per arm with an abscopal outcome (an irradiated lesion), the
    covariate table of :func:`biomarker_table`; between the first arm and each other arm, the interaction table on
    out-of-field response (the outcome defined in every arm, also where nothing is irradiated). ``arm`` and
    ``rows`` repeat the last analysed arm (the block's earlier form). None when there is nothing to analyse."""
    from .store import column

    names = [name for name, _ in run.design.arms]
    by_arm = []
    for name in names:
        records = run.records[name]
        if any(v is not None for v in column(records, "abscopal")):
            rows = biomarker_table(records)
            if rows:
                by_arm.append({"arm": name, "outcome": "abscopal", "rows": [{"arm": name, **row} for row in rows]})
    interactions = []
    if run.design.species == "human":
        for b in names[1:]:
            rows = interaction_table(run.records[names[0]], run.records[b])
            if any(r["interaction_odds_ratio_per_sd"] is not None for r in rows):
                interactions.append({"arms": [names[0], b], "outcome": "out_of_field_response",
                                     "method": INTERACTION_METHOD, "rows": rows})
    if not by_arm and not interactions:
        return None
    block: dict = {"outcome": "abscopal", "by_arm": by_arm, "interaction": interactions}
    if by_arm:
        block["arm"], block["rows"] = by_arm[-1]["arm"], by_arm[-1]["rows"]
    return block
