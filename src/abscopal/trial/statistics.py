"""Trial statistics (CONTRACT.md, Semantics: Statistics; the R and M objects of `abscopal trial`).

- Rates: 95% Wilson score interval (Wilson, J Am Stat Assoc 1927;22:209) by default, Clopper-Pearson
  exact (Biometrika 1934;26:404) on request; ``R = {rate, count, ci_low, ci_high}``, all null when
  n == 0.
- Fisher's exact test, two-sided, for two independent arms (scipy.stats.fisher_exact).
- Kaplan-Meier median with a 95% interval by inverting the pointwise log(-log) ("exponential
  Greenwood") confidence band of S(t) -- the Brookmeyer-Crowley construction (Biometrics
  1982;38:29) as lifelines does it: ci_low is the first time the lower band is <= 0.5, ci_high the
  first time the upper band is; ``M = {value, ci_low, ci_high}`` with null when not reached.
- Log-rank test (Mantel 1966; lifelines.statistics.logrank_test) and the Cox proportional-hazards
  hazard ratio for the arm indicator with its Wald 95% interval (lifelines CoxPHFitter, Efron ties).
- The paired difference of two rates on the same subjects with Newcombe's hybrid score interval
  for paired proportions (Newcombe, Stat Med 1998;17:2635-50, method 10; Altman et al. "Statistics
  with confidence", 2nd ed. 2000, p. 52): Wilson intervals of the two marginal rates combined with
  the phi correlation, corrected to max(AD - BC - N/2, 0) when AD > BC.

Inputs are numpy arrays (durations in days, event flags 0/1 or bool); entries with a NaN duration
or flag are left out (failed or non-evaluable subjects).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _none_m() -> dict:
    return {"value": None, "ci_low": None, "ci_high": None}


# ----------------------------------------------------------------------------------------------- rates

def wilson_bounds(count: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval: (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)."""
    if n <= 0:
        raise ValueError("n must be positive")
    z = _z(confidence)
    p = count / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # the exact interval contains p; clamp rounding (e.g. 2.8e-17 above p = 0)
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def clopper_pearson_bounds(count: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact interval from beta quantiles: B(a/2; x, n-x+1), B(1-a/2; x+1, n-x)."""
    if n <= 0:
        raise ValueError("n must be positive")
    alpha = 1.0 - confidence
    low = 0.0 if count == 0 else float(stats.beta.ppf(alpha / 2, count, n - count + 1))
    high = 1.0 if count == n else float(stats.beta.ppf(1 - alpha / 2, count + 1, n - count))
    return low, high


def rate(count: int, n: int, *, method: str = "wilson", confidence: float = CONFIDENCE) -> dict:
    """The contract's R object: {rate, count, ci_low, ci_high}; rate and interval null when n == 0."""
    count, n = int(count), int(n)
    if not 0 <= count <= max(n, 0):
        raise ValueError(f"count {count} outside 0..{n}")
    if n == 0:
        return {"rate": None, "count": 0, "ci_low": None, "ci_high": None}
    if method == "wilson":
        low, high = wilson_bounds(count, n, confidence)
    elif method in ("exact", "clopper-pearson", "clopper_pearson"):
        low, high = clopper_pearson_bounds(count, n, confidence)
    else:
        raise ValueError(f"unknown interval method {method!r}; expected wilson or exact")
    return {"rate": count / n, "count": count, "ci_low": low, "ci_high": high}


def wilson_interval(count: int, n: int, confidence: float = CONFIDENCE) -> dict:
    """R with the 95% Wilson interval (the contract's default)."""
    return rate(count, n, method="wilson", confidence=confidence)


def clopper_pearson_interval(count: int, n: int, confidence: float = CONFIDENCE) -> dict:
    """R with the exact (Clopper-Pearson) interval."""
    return rate(count, n, method="exact", confidence=confidence)


def rate_of(flags, **kwargs) -> dict:
    """R over per-subject flags (True/False responder; None or NaN = not evaluable, left out)."""
    x = np.array([np.nan if f is None else float(f) for f in np.asarray(flags, dtype=object).ravel()])
    x = x[np.isfinite(x)]
    return rate(int(np.count_nonzero(x)), int(x.size), **kwargs)


def fisher_exact_p(count_a: int, n_a: int, count_b: int, n_b: int) -> float | None:
    """Two-sided Fisher exact p for responders/non-responders in two independent arms; None when an
    arm is empty."""
    if n_a <= 0 or n_b <= 0:
        return None
    table = [[count_a, n_a - count_a], [count_b, n_b - count_b]]
    return float(stats.fisher_exact(table, alternative="two-sided")[1])


def fisher_p(responders_a: int, non_responders_a: int, responders_b: int, non_responders_b: int) -> float | None:
    """``fisher_exact_p`` from the four cells of the 2x2 table."""
    return fisher_exact_p(responders_a, responders_a + non_responders_a, responders_b,
                          responders_b + non_responders_b)


def paired_rate_difference(responders_a, responders_b, confidence: float = CONFIDENCE) -> dict:
    """Difference b - a of two rates on the same subjects, with Newcombe's (1998, method 10) interval.

    Subjects not evaluable (None/NaN) in either arm are left out; all null when none is left."""
    xa = np.array([np.nan if f is None else float(f) for f in np.asarray(responders_a, dtype=object).ravel()])
    xb = np.array([np.nan if f is None else float(f) for f in np.asarray(responders_b, dtype=object).ravel()])
    if xa.shape != xb.shape:
        raise ValueError("paired rates need the same subjects in both arms")
    keep = np.isfinite(xa) & np.isfinite(xb)
    a, b = xa[keep] != 0, xb[keep] != 0
    n = int(keep.sum())
    if n == 0:
        return _none_m()
    both, only_b, only_a = int(np.sum(a & b)), int(np.sum(b & ~a)), int(np.sum(a & ~b))
    neither = n - both - only_b - only_a
    pb, pa = (both + only_b) / n, (both + only_a) / n
    lb, ub = wilson_bounds(both + only_b, n, confidence)
    la, ua = wilson_bounds(both + only_a, n, confidence)
    margins = (both + only_b) * (only_a + neither) * (both + only_a) * (only_b + neither)
    phi = 0.0
    if margins > 0:
        cross = both * neither - only_b * only_a
        cross = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
        phi = cross / math.sqrt(margins)
    theta = pb - pa
    low = theta - math.sqrt(max(0.0, (pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2))
    high = theta + math.sqrt(max(0.0, (ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2))
    return {"value": theta, "ci_low": max(-1.0, low), "ci_high": min(1.0, high)}


# -------------------------------------------------------------------------------------------- survival

def _survival(durations, events) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(durations, dtype=float).ravel()
    e = np.asarray(events, dtype=float).ravel()
    if t.shape != e.shape:
        raise ValueError("durations and events must have the same length")
    keep = np.isfinite(t) & np.isfinite(e)
    if np.any(t[keep] < 0):
        raise ValueError("durations must be non-negative")
    return t[keep], e[keep] != 0


def km_median(durations, events, confidence: float = CONFIDENCE) -> dict:
    """Kaplan-Meier median survival with its Brookmeyer-Crowley (log-log) interval: M."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    t, e = _survival(durations, events)
    if t.size == 0 or not e.any():
        return _none_m()
    kmf = KaplanMeierFitter(alpha=1.0 - confidence).fit(t, e)
    ci = median_survival_times(kmf.confidence_interval_)
    columns = list(kmf.confidence_interval_.columns)
    lower_band = next(c for c in columns if "lower" in c)
    upper_band = next(c for c in columns if "upper" in c)
    return {"value": _num(kmf.median_survival_time_), "ci_low": _num(ci[lower_band].iloc[0]),
            "ci_high": _num(ci[upper_band].iloc[0])}


def logrank_p(durations_a, events_a, durations_b, events_b) -> float | None:
    """Two-sided log-rank p for two independent arms; None when an arm is empty."""
    from lifelines.statistics import logrank_test

    ta, ea = _survival(durations_a, events_a)
    tb, eb = _survival(durations_b, events_b)
    if ta.size == 0 or tb.size == 0:
        return None
    if not (ea.any() or eb.any()):
        return 1.0
    return _num(logrank_test(ta, tb, event_observed_A=ea, event_observed_B=eb).p_value)


def hazard_ratio(durations_a, events_a, durations_b, events_b, confidence: float = CONFIDENCE) -> dict:
    """Cox PH hazard ratio of arm b relative to arm a (below 1: b does better) with its Wald interval:
    M. Null when an arm is empty or has no event (the estimate is then 0 or infinite), and when the
    interval is unbounded (a separated fit, whose bounds overflow)."""
    import pandas as pd
    from lifelines import CoxPHFitter

    ta, ea = _survival(durations_a, events_a)
    tb, eb = _survival(durations_b, events_b)
    if not (ea.any() and eb.any()):
        return _none_m()
    frame = pd.DataFrame({"T": np.concatenate([ta, tb]), "E": np.concatenate([ea, eb]).astype(int),
                          "arm": np.concatenate([np.zeros(ta.size), np.ones(tb.size)])})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph = CoxPHFitter(alpha=1.0 - confidence).fit(frame, duration_col="T", event_col="E")
    except Exception:  # lifelines ConvergenceError on degenerate data
        return _none_m()
    beta = float(cph.params_["arm"])
    se = float(cph.standard_errors_["arm"])
    z = _z(confidence)
    out = {"value": _num(_exp(beta)), "ci_low": _num(_exp(beta - z * se)), "ci_high": _num(_exp(beta + z * se))}
    return out if None not in out.values() else _none_m()  # an unbounded interval (separated fit): no usable estimate


def _exp(x: float) -> float:
    """exp that gives inf (reported as null) instead of raising OverflowError for a near-separated fit."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


paired_difference = paired_rate_difference
cox_hazard_ratio = hazard_ratio
