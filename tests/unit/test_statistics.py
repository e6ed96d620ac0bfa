"""Trial statistics against independent computations.

Reference numbers come from an independent computation, with the code that produced them beside the
test: the pure-numpy Kaplan-Meier (Greenwood log-log band), log-rank and Cox/Efron Newton-Raphson
below (``ref_*``) were written from the textbook formulas (Klein & Moeschberger, Survival Analysis,
2nd ed., sections 4.2, 7.3 and 8.4) without lifelines; the pinned literals were printed by them
(``python -c "import tests.unit.test_statistics as t; t.print_reference()"``) and each is also
re-derived in the test, so a drift in either side fails. Wilson and Clopper-Pearson are checked
against their closed forms and Golden et al. 2015's reported 11/41 (26.8%, 95% CI 14.2-42.9).
"""

import math

import numpy as np
import pytest
from scipy import stats

from abscopal.trial.statistics import (
    clopper_pearson_bounds,
    clopper_pearson_interval,
    cox_hazard_ratio,
    fisher_exact_p,
    fisher_p,
    hazard_ratio,
    km_median,
    logrank_p,
    paired_difference,
    paired_rate_difference,
    rate,
    rate_of,
    wilson_bounds,
    wilson_interval,
)

Z = 1.959963984540054

# Arm a (reference) and arm b: durations (days) and events (1 = progression/death, 0 = censored).
# Ties: day 3 (a event + a censor + b event), day 8 (two a events + one b event), day 20 (two b events),
# day 30 (a event + a censor).
T_A = np.array([2, 3, 3, 5, 6, 8, 8, 10, 12, 15, 18, 22, 30, 30, 34], dtype=float)
E_A = np.array([1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0])
T_B = np.array([3, 4, 8, 9, 11, 14, 16, 20, 20, 25, 28, 33, 40, 41, 45], dtype=float)
E_B = np.array([1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0])

# Printed by print_reference() below.
REF = {
    "km_a": (15.0, 5.0, 30.0),
    "km_b": (20.0, 8.0, None),
    "logrank_p": 0.2892385101463575,
    "hr": (0.6178233860822662, 0.24850618678216746, 1.5360009395852507),
}


# ------------------------------------------------------------------------- independent reference code

def ref_km(t, e):
    """Product-limit S(t) at the distinct event times, Greenwood sum, log(-log) 95% band."""
    times = np.unique(t[e == 1])
    s, g, rows = 1.0, 0.0, []
    for u in times:
        n = np.sum(t >= u)
        d = np.sum((t == u) & (e == 1))
        s *= 1 - d / n
        g += d / (n * (n - d)) if n > d else np.inf
        if s > 0 and np.isfinite(g):
            half = Z * math.sqrt(g) / abs(math.log(s))
            low, high = s ** math.exp(half), s ** math.exp(-half)  # exp(-exp(log(-log S) +/- half))
        else:
            low = high = 0.0
        rows.append((u, s, low, high))
    return rows


def ref_km_median(t, e):
    """Median: first event time with S <= 0.5; interval: first times the lower / upper band <= 0.5."""
    rows = ref_km(t, e)

    def first(col):
        return next((r[0] for r in rows if r[col] <= 0.5), None)

    return first(1), first(2), first(3)


def ref_logrank_p(ta, ea, tb, eb):
    """Sum over distinct event times of O - E for arm a, hypergeometric variance, chi-square 1 df."""
    t, e = np.concatenate([ta, tb]), np.concatenate([ea, eb])
    in_a = np.concatenate([np.ones(ta.size, bool), np.zeros(tb.size, bool)])
    o_e = var = 0.0
    for u in np.unique(t[e == 1]):
        at_risk = t >= u
        n, n1 = at_risk.sum(), (at_risk & in_a).sum()
        died = (t == u) & (e == 1)
        d, d1 = died.sum(), (died & in_a).sum()
        o_e += d1 - d * n1 / n
        if n > 1:
            var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return float(stats.chi2.sf(o_e**2 / var, 1))


def ref_cox_hr(ta, ea, tb, eb):
    """One binary covariate x = 1 for arm b; Efron partial likelihood maximised by Newton-Raphson;
    Wald interval from the observed information."""
    t, e = np.concatenate([ta, tb]), np.concatenate([ea, eb])
    x = np.concatenate([np.zeros(ta.size), np.ones(tb.size)])
    beta = 0.0
    for _ in range(50):
        score = info = 0.0
        w = np.exp(beta * x)
        for u in np.unique(t[e == 1]):
            risk = t >= u
            dead = (t == u) & (e == 1)
            d = dead.sum()
            s0r, s1r = w[risk].sum(), (w * x)[risk].sum()
            s0d, s1d = w[dead].sum(), (w * x)[dead].sum()
            score += x[dead].sum()
            for k in range(d):
                s0, s1 = s0r - k / d * s0d, s1r - k / d * s1d
                score -= s1 / s0
                info += s1 / s0 - (s1 / s0) ** 2  # x binary: S2 = S1
        step = score / info
        beta += step
        if abs(step) < 1e-12:
            break
    se = 1 / math.sqrt(info)
    return math.exp(beta), math.exp(beta - Z * se), math.exp(beta + Z * se)


def print_reference():
    print({"km_a": ref_km_median(T_A, E_A), "km_b": ref_km_median(T_B, E_B),
           "logrank_p": ref_logrank_p(T_A, E_A, T_B, E_B), "hr": ref_cox_hr(T_A, E_A, T_B, E_B)})


# ------------------------------------------------------------------------------------------- tests

def test_reference_code_reproduces_the_pinned_numbers():
    assert ref_km_median(T_A, E_A) == REF["km_a"]
    assert ref_km_median(T_B, E_B) == REF["km_b"]
    assert ref_logrank_p(T_A, E_A, T_B, E_B) == pytest.approx(REF["logrank_p"], rel=1e-12)
    assert ref_cox_hr(T_A, E_A, T_B, E_B) == pytest.approx(REF["hr"], rel=1e-10)


def test_km_median_by_hand():
    # arm a, n = 15: day 2 (1 death of 15 at risk) S = 14/15; day 3 (1 of 14) 13/15; day 5 (1 of 12)
    # .794; day 6 (1 of 11) .722; day 8 (2 of 10) .578; day 10 (1 of 8) .506 > .5; day 12 censored;
    # day 15 (1 of 6) .421 <= .5: the median is day 15.
    s10 = 14 / 15 * 13 / 14 * 11 / 12 * 10 / 11 * 8 / 10 * 7 / 8
    assert s10 == pytest.approx(0.50556, abs=1e-5)
    assert s10 * 5 / 6 == pytest.approx(0.42130, abs=1e-5)
    assert km_median(T_A, E_A)["value"] == 15.0


def test_km_median_and_interval():
    for t, e, key in ((T_A, E_A, "km_a"), (T_B, E_B, "km_b")):
        m = km_median(t, e)
        value, low, high = REF[key]
        assert (m["value"], m["ci_low"], m["ci_high"]) == (value, low, high)


def test_km_median_not_reached_and_empty():
    # 10 subjects, 3 events: S stays >= .75 (median and upper limit not reached), but the lower band
    # already dips below 0.5 at the first death (n = 10): the lower limit is reported.
    t = np.arange(1.0, 11.0)
    e = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0])
    assert ref_km_median(t, e) == (None, 1.0, None)
    assert km_median(t, e) == {"value": None, "ci_low": 1.0, "ci_high": None}
    assert km_median([], []) == {"value": None, "ci_low": None, "ci_high": None}
    assert km_median([5.0, 6.0], [0, 0])["value"] is None


def test_logrank_p():
    assert logrank_p(T_A, E_A, T_B, E_B) == pytest.approx(REF["logrank_p"], rel=1e-9)
    assert logrank_p(T_A, E_A, [], []) is None
    assert logrank_p([1.0, 2.0], [0, 0], [3.0], [0]) == 1.0


def test_hazard_ratio_b_relative_to_a():
    hr = hazard_ratio(T_A, E_A, T_B, E_B)
    assert (hr["value"], hr["ci_low"], hr["ci_high"]) == pytest.approx(REF["hr"], rel=1e-5)
    assert hr["value"] < 1  # arm b lives longer
    assert cox_hazard_ratio(T_A, E_A, T_B, E_B) == hr
    swapped = hazard_ratio(T_B, E_B, T_A, E_A)
    assert swapped["value"] == pytest.approx(1 / hr["value"], rel=1e-5)
    # no event in one arm: not estimable
    assert hazard_ratio(T_A, E_A, T_B, np.zeros(15))["value"] is None


def test_nan_entries_are_left_out():
    t = np.concatenate([T_A, [np.nan]])
    e = np.concatenate([E_A, [1]])
    assert km_median(t, e) == km_median(T_A, E_A)


def test_wilson_closed_form_and_golden2015():
    # 11/41: p = .2683, z^2 = 3.8415; centre (11 + 1.9207)/44.8415 = .28814;
    # half = 1.96/44.8415 * sqrt(11*30/41 + .9604) = .13119 -> .1570 to .4193.
    low, high = wilson_bounds(11, 41)
    centre = (11 + Z**2 / 2) / (41 + Z**2)
    half = Z / (41 + Z**2) * math.sqrt(11 * 30 / 41 + Z**2 / 4)
    assert (low, high) == pytest.approx((centre - half, centre + half), rel=1e-12)
    assert (low, high) == pytest.approx((0.1569, 0.4193), abs=1e-4)
    r = rate(11, 41)
    assert r == wilson_interval(11, 41) and (r["ci_low"], r["ci_high"]) == (low, high)
    assert r["count"] == 11 and r["rate"] == pytest.approx(0.2683, abs=1e-4)
    # Golden 2015 reported 26.8% (95% CI 14.2-42.9): the exact (Clopper-Pearson) interval.
    e = rate(11, 41, method="exact")
    assert (round(e["ci_low"], 3), round(e["ci_high"], 3)) == (0.142, 0.429)
    assert e == clopper_pearson_interval(11, 41)


def test_clopper_pearson_closed_forms():
    # 0/n: upper = 1 - (alpha/2)^(1/n); n/n: lower = (alpha/2)^(1/n).
    assert clopper_pearson_bounds(0, 10) == pytest.approx((0.0, 1 - 0.025 ** (1 / 10)))
    assert clopper_pearson_bounds(10, 10) == pytest.approx((0.025 ** (1 / 10), 1.0))


def test_rate_edge_cases():
    assert rate(0, 0) == {"rate": None, "count": 0, "ci_low": None, "ci_high": None}
    assert rate(0, 5)["ci_low"] == 0.0 and rate(5, 5)["ci_high"] == 1.0
    assert rate_of([True, False, None, np.nan, True]) == rate(2, 3)
    with pytest.raises(ValueError):
        rate(6, 5)
    with pytest.raises(ValueError):
        rate(1, 5, method="bogus")


def test_fisher_exact():
    # 3/10 vs 8/10: hypergeometric two-sided p = 0.0698 (sum of tables no more likely than observed).
    table_p = [stats.hypergeom.pmf(k, 20, 11, 10) for k in range(0, 11)]
    observed = stats.hypergeom.pmf(3, 20, 11, 10)
    expected = sum(p for p in table_p if p <= observed * (1 + 1e-7))
    assert fisher_exact_p(3, 10, 8, 10) == pytest.approx(expected, rel=1e-9)
    assert fisher_exact_p(3, 10, 8, 10) == pytest.approx(0.0698, abs=1e-4)
    assert fisher_p(3, 7, 8, 2) == fisher_exact_p(3, 10, 8, 10)  # the same test from the four cells
    assert fisher_exact_p(1, 0, 2, 5) is None


def test_paired_difference_newcombe():
    # 20 subjects: both respond 5, only b 6, only a 1, neither 8 -> b - a = (11 - 6)/20 = 0.25.
    # phi: AD - BC = 5*8 - 6*1 = 34 > n/2 = 10 -> 24 / sqrt(11*9*6*14) = 0.2627.
    a = np.array([1] * 5 + [0] * 6 + [1] * 1 + [0] * 8)
    b = np.array([1] * 5 + [1] * 6 + [0] * 1 + [0] * 8)
    lb, ub = wilson_bounds(11, 20)
    la, ua = wilson_bounds(6, 20)
    phi = 24 / math.sqrt(11 * 9 * 6 * 14)
    pb, pa = 0.55, 0.30
    low = 0.25 - math.sqrt((pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2)
    high = 0.25 + math.sqrt((ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2)
    d = paired_rate_difference(a, b)
    assert d["value"] == pytest.approx(0.25) and paired_difference(a, b) == d
    assert (d["ci_low"], d["ci_high"]) == pytest.approx((low, high), rel=1e-12)
    # 6 discordant pairs favouring b against 1: McNemar's exact p = 2 * P(Bin(7, .5) <= 1) = 0.125,
    # so a 95% interval that just includes 0 is consistent.
    assert d["ci_low"] < 0 < d["ci_high"] and d["ci_low"] > -0.02
    # reversed arms: the interval mirrors.
    r = paired_rate_difference(b, a)
    assert (r["value"], r["ci_low"], r["ci_high"]) == pytest.approx((-0.25, -high, -low))


def test_paired_difference_drops_non_evaluable_and_identical_arms():
    same = [1, 0, 1, 1, None]
    d = paired_rate_difference(same, same)
    assert d["value"] == 0.0 and d["ci_low"] < 0 < d["ci_high"]
    assert paired_rate_difference([None], [1])["value"] is None
    with pytest.raises(ValueError):
        paired_rate_difference([1, 0], [1])
