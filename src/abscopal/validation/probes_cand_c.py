"""Custom validation metrics of the cand_c target group.

``METRICS`` (name -> function(spec, run, summary) -> float | None), discovered by ``suite.extensions()``:

- ``subgroup_hazard_ratio``: Cox hazard ratio of arm ``arms[1]`` relative to arm ``arms[0]`` (below 1: the
  second arm does better) on endpoint ``endpoint`` (``pfs``, the default, or ``os``), computed only over the
  subjects whose record field ``field`` (default ``tumour``) equals ``value``: a subgroup of a mixed cohort, e.g.
  the NSCLC and breast cohorts of one trial run as ``population.tumour_mix``. The two arms are treated as
  independent groups (as the trial summary's comparisons are).
- ``subgroup_median``: Kaplan-Meier median (days) of ``endpoint`` (``pfs`` or ``os``) in arm ``arm`` over the
  subjects with ``field`` == ``value``; not reached -> the follow-up duration (the conservative convention of
  metrics.py).
- ``os_hazard_ratio_lowest_fraction``: Cox hazard ratio of overall survival of the subjects whose covariate
  ``covariate`` (a record key, e.g. ``alc_nadir``) lies at or below its ``fraction``-quantile (default 0.5)
  relative to all the others (above 1: the low group dies sooner). Over one ``arm``, or over a cohort pooled from
  several ``arms`` with ``weights`` (subject k is taken from exactly one arm, the first subjects from ``arms[0]``
  in proportion to its weight, and so on; arms run on the same virtual subjects, so no subject counts twice).
  Used where a paper compares the most lymphopenic share of a cohort with the rest.
"""

from __future__ import annotations

import numpy as np

_ENDPOINT_KEYS = {"pfs": ("pfs_day", "pfs_event"), "os": ("os_day", "os_event")}


def _endpoint_keys(spec: dict) -> tuple[str, str]:
    endpoint = spec.get("endpoint", "pfs")
    if endpoint not in _ENDPOINT_KEYS:
        raise ValueError(f"endpoint must be pfs or os, not {endpoint!r}")
    return _ENDPOINT_KEYS[endpoint]


def _in_subgroup(record: dict, spec: dict) -> bool:
    return record.get("status") == "ok" and record.get(spec.get("field", "tumour")) == spec["value"]


def _times(records: list[dict], spec: dict) -> tuple[np.ndarray, np.ndarray]:
    day, event = _endpoint_keys(spec)
    rows = [r for r in records if _in_subgroup(r, spec) and r.get(day) is not None]
    return (np.array([float(r[day]) for r in rows], float), np.array([bool(r[event]) for r in rows], bool))


def _cox_hr(t: np.ndarray, e: np.ndarray, group: np.ndarray) -> float | None:
    """Hazard ratio of group 1 relative to group 0 (Cox, one binary covariate)."""
    import pandas as pd
    from lifelines import CoxPHFitter

    if not e.any() or group.all() or not group.any():
        return None
    frame = pd.DataFrame({"t": t, "e": e, "g": group.astype(float)})
    fit = CoxPHFitter().fit(frame, duration_col="t", event_col="e")
    return float(np.exp(fit.params_["g"]))


def subgroup_hazard_ratio(spec: dict, run, summary) -> float | None:
    a, b = spec["arms"]
    ta, ea = _times(run.records[a], spec)
    tb, eb = _times(run.records[b], spec)
    if not ta.size or not tb.size:
        return None
    t = np.concatenate([ta, tb])
    e = np.concatenate([ea, eb])
    g = np.concatenate([np.zeros(ta.size), np.ones(tb.size)]).astype(bool)
    return _cox_hr(t, e, g)


def _km_median(t: np.ndarray, e: np.ndarray) -> float | None:
    """Kaplan-Meier median: the first time the survival estimate falls to 0.5 or below; None if never."""
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    surv, at_risk = 1.0, t.size
    for time in np.unique(t):
        here = t == time
        deaths = int(e[here].sum())
        if deaths and at_risk:
            surv *= 1.0 - deaths / at_risk
        at_risk -= int(here.sum())
        if surv <= 0.5:
            return float(time)
    return None


def subgroup_median(spec: dict, run, summary) -> float | None:
    t, e = _times(run.records[spec["arm"]], spec)
    if not t.size:
        return None
    m = _km_median(t, e)
    return float(run.design.duration) if m is None else m


def _pooled_records(spec: dict, run) -> list[dict]:
    arms = list(spec["arms"]) if "arms" in spec else [spec["arm"]]
    weights = np.array(spec.get("weights", [1.0] * len(arms)), float)
    bounds = np.cumsum(weights / weights.sum())
    n = len(run.records[arms[0]])
    out = []
    for k in range(n):
        u = (k + 0.5) / n  # deterministic share: the first subjects to arms[0], and so on
        arm = arms[min(int(np.searchsorted(bounds, u)), len(arms) - 1)]
        out.append(run.records[arm][k])
    return out


def os_hazard_ratio_lowest_fraction(spec: dict, run, summary) -> float | None:
    rows = [r for r in _pooled_records(spec, run)
            if r.get("status") == "ok" and r.get("os_day") is not None and r.get(spec["covariate"]) is not None]
    if not rows:
        return None
    x = np.array([float(r[spec["covariate"]]) for r in rows], float)
    cut = np.quantile(x, float(spec.get("fraction", 0.5)))
    low = x <= cut
    t = np.array([float(r["os_day"]) for r in rows], float)
    e = np.array([bool(r["os_event"]) for r in rows], bool)
    return _cox_hr(t, e, low)


METRICS = {f.__name__: f for f in (subgroup_hazard_ratio, subgroup_median, os_hazard_ratio_lowest_fraction)}
