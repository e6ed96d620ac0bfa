"""Custom validation metrics of the cand_d target group.

``METRICS`` (name -> function(spec, run, summary) -> float | None), discovered by ``suite.extensions()``.
Each reads the trial run's per-subject records (``run.records[arm]``, subjects with ``status == "ok"``) or, where
named, the per-lesion volume series (``run.lesion_series[arm][lesion_id]``, kept when the design gives explicit
``patient.lesions``):

- ``spearman_records``: Spearman rank correlation between two record keys over the ok subjects of ``arm``
  (``x``, ``y``; e.g. ``baseline_sum_diameters_mm`` and ``alc_nadir``: does a larger tumour go with a lower
  lymphocyte nadir). None when fewer than 3 subjects or either key is constant.
- ``fraction_below``: share of the ok subjects of ``arm`` whose record key ``key`` (default ``alc_nadir``, per uL)
  is strictly below ``threshold``; with ``relative: true`` the value is divided by ``baseline_alc`` first (a
  nadir below a fraction of baseline). E.g. the share of patients whose count falls below a clinical cut-off.
- ``os_hazard_ratio_below_vs_above_threshold``: Cox hazard ratio of overall survival of the subjects whose record
  key ``covariate`` is below ``threshold`` relative to those at or above it (above 1: the low group dies sooner).
  None when either group is empty or there is no death.
- ``median_day_to_lesion_response``: among the ok subjects of ``arm`` in whom any of the lesions ``lesions``
  (ids) shrinks to at most 70% of its day-0 longest diameter at a scan (the golden2015 abscopal threshold, scans
  every ``endpoints.assessments`` from day 0), the median of the first such scan day. None when no subject
  responds. Diameters as ``simulate.diameter_from_volume``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..response import scan_indices
from ..simulate import diameter_from_volume


def _ok(run, arm: str) -> list[dict]:
    return [r for r in run.records[arm] if r.get("status") == "ok"]


def spearman(x, y) -> float | None:
    """Spearman rank correlation (scipy.stats.spearmanr: average ranks for ties); None for fewer than 3 pairs or a
    constant side, where the correlation is undefined. The one copy in the package (probes_cross_f uses it)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.shape != y.shape:
        raise ValueError("spearman: x and y differ in length")
    if len(x) < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return None
    return float(stats.spearmanr(x, y).statistic)


def spearman_records(spec: dict, run, summary) -> float | None:
    rows = [r for r in _ok(run, spec["arm"]) if r.get(spec["x"]) is not None and r.get(spec["y"]) is not None]
    return spearman([r[spec["x"]] for r in rows], [r[spec["y"]] for r in rows])


def fraction_below(spec: dict, run, summary) -> float | None:
    key = spec.get("key", "alc_nadir")
    rows = [r for r in _ok(run, spec["arm"]) if r.get(key) is not None]
    if not rows:
        return None
    values = np.array([r[key] / r["baseline_alc"] if spec.get("relative", False) else r[key] for r in rows], float)
    return float(np.mean(values < float(spec["threshold"])))


def os_hazard_ratio_below_vs_above_threshold(spec: dict, run, summary) -> float | None:
    import pandas as pd
    from lifelines import CoxPHFitter

    key = spec["covariate"]
    rows = [r for r in _ok(run, spec["arm"]) if r.get("os_day") is not None and r.get(key) is not None]
    if not rows:
        return None
    low = np.array([r[key] < float(spec["threshold"]) for r in rows], float)
    frame = pd.DataFrame({"t": [r["os_day"] for r in rows], "e": [bool(r["os_event"]) for r in rows], "low": low})
    if frame["e"].sum() == 0 or low.all() or not low.any():
        return None
    fit = CoxPHFitter().fit(frame, duration_col="t", event_col="e")
    return float(np.exp(fit.params_["low"]))


def median_day_to_lesion_response(spec: dict, run, summary) -> float | None:
    arm = spec["arm"]
    series = run.lesion_series[arm]
    ids = list(spec["lesions"])
    if not series or any(lid not in series for lid in ids):
        raise KeyError("median_day_to_lesion_response needs explicit patient.lesions naming the lesions")
    t = np.asarray(run.time_days, float)
    every = float(run.design.endpoints.assessments)
    scans = scan_indices(t, every, t[-1])
    days = []
    for j, record in enumerate(run.records[arm]):
        if record.get("status") != "ok":
            continue
        first = None
        for lid in ids:
            d = diameter_from_volume(np.asarray(series[lid][j], float))
            if d[0] <= 0:
                continue
            hits = [t[i] for i in scans if d[i] <= 0.7 * d[0]]
            if hits and (first is None or hits[0] < first):
                first = hits[0]
        if first is not None:
            days.append(first)
    return float(np.median(days)) if days else None


METRICS = {f.__name__: f for f in (spearman_records, fraction_below, os_hazard_ratio_below_vs_above_threshold,
                                   median_day_to_lesion_response)}
