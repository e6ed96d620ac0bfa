"""Custom validation metrics of the clinical_a target group.

``METRICS`` (name -> function(spec, run, summary) -> float | None), discovered by ``suite.extensions()``:

- ``post_rt_conditional_rate``: an abscopal rate measured from a later (pre-RT) scan instead of day 0, for
  sequential designs such as ipilimumab first and radiotherapy at week 12 (Grimaldi 2014). Needs explicit
  ``patient.lesions`` (the trial then keeps each lesion's volume series). Arguments: ``arm``, ``from_day``
  (the pre-RT scan), ``in_field`` (list of irradiated lesion ids), ``out_of_field`` (list of ids; default all
  other lesions), ``given`` (``response`` | ``no_response`` | ``any``: the in-field lesions' response after
  ``from_day``), ``progressed_by`` (optional day: keep only subjects with RECIST progression on or before it,
  i.e. progression on the first treatment), ``outcome`` (``abscopal``, the default, or ``in_field_response``).
  A lesion responds when its longest diameter at any scan after ``from_day`` is at most 70% of its diameter
  at the ``from_day`` scan (the golden2015 / RECIST PR threshold for one lesion).
- ``post_rt_rmst_os``: restricted mean OS (days, up to the end of follow-up; censoring is administrative only,
  so the mean of the censored times is the RMST) of subjects with or without a post-RT abscopal response
  (same arguments as above; ``abscopal: true|false`` selects the group).
- ``pooled_rate_above_median`` / ``pooled_rate_below_median``: a rate by a covariate's median over a cohort
  made of distinct subjects from several arms (arms run on the same subjects, so subject k is taken from
  ``arms[j]`` by the shares in ``weights``, never from two arms). Arguments: ``arms``, ``weights`` (optional,
  default equal), ``covariate``, ``outcome`` (as metrics.py: ``abscopal`` default, or a RECIST set).
"""

from __future__ import annotations

import numpy as np

from ..response import scan_indices
from ..simulate import diameter_from_volume


def _scan_indices(run, from_day: float) -> tuple[int, list[int]]:
    t = np.asarray(run.time_days, float)
    every = run.design.endpoints.assessments
    idx = scan_indices(t, every, t[-1])
    base = int(np.argmin(np.abs(t - from_day)))
    return base, [i for i in idx if t[i] > t[base] + 1e-9]


def _post_rt_groups(spec: dict, run) -> list[dict]:
    """Per ok subject of the arm: in-field response and abscopal response after ``from_day``, and OS."""
    arm = spec["arm"]
    records = run.records[arm]
    series = run.lesion_series[arm]
    in_ids = list(spec["in_field"])
    out_ids = list(spec.get("out_of_field") or [lid for lid in series if lid not in in_ids])
    if not series or any(lid not in series for lid in in_ids + out_ids):
        raise KeyError("post-RT metrics need explicit patient.lesions naming the in-field and out-of-field lesions")
    base, later = _scan_indices(run, float(spec["from_day"]))
    if not later:
        raise ValueError("no scan after from_day")
    progressed_by = spec.get("progressed_by")
    rows = []
    for j, record in enumerate(records):
        if record.get("status") != "ok":
            continue
        if progressed_by is not None and not (record.get("pfs_event") and record["pfs_day"] <= float(progressed_by) + 1e-9):
            continue

        rows.append({"in_field_response": _responded(series, in_ids, j, base, later),
                     "abscopal": _responded(series, out_ids, j, base, later), "os_day": record.get("os_day")})
    return rows


def _responded(series: dict, ids: list[str], j: int, base: int, later: list[int]) -> bool:
    """Any of the lesions shrinks to <= 70% of its diameter at scan ``base`` at a later scan."""
    for lid in ids:
        d = diameter_from_volume(np.asarray(series[lid][j], float))
        if d[base] > 0 and np.min(d[later]) <= 0.7 * d[base]:
            return True
    return False


def _select(rows: list[dict], given: str) -> list[dict]:
    if given == "response":
        return [r for r in rows if r["in_field_response"]]
    if given == "no_response":
        return [r for r in rows if not r["in_field_response"]]
    if given == "any":
        return rows
    raise ValueError(f"given must be response, no_response or any, not {given!r}")


def post_rt_conditional_rate(spec: dict, run, summary) -> float | None:
    rows = _select(_post_rt_groups(spec, run), spec.get("given", "any"))
    outcome = spec.get("outcome", "abscopal")
    return float(np.mean([r[outcome] for r in rows])) if rows else None


def post_rt_rmst_os(spec: dict, run, summary) -> float | None:
    rows = _select(_post_rt_groups(spec, run), spec.get("given", "any"))
    want = bool(spec.get("abscopal", True))
    days = [r["os_day"] for r in rows if r["abscopal"] == want and r["os_day"] is not None]
    return float(np.mean(days)) if days else None


def _pooled_pairs(spec: dict, run) -> tuple[np.ndarray, np.ndarray]:
    arms = list(spec["arms"])
    weights = np.array(spec.get("weights", [1.0] * len(arms)), float)
    bounds = np.cumsum(weights / weights.sum())
    outcome = spec.get("outcome", "abscopal")
    x, y = [], []
    n = len(run.records[arms[0]])
    for k in range(n):
        u = (k + 0.5) / n  # deterministic share: the first subjects to arms[0], and so on
        arm = arms[int(np.searchsorted(bounds, u))]
        r = run.records[arm][k]
        if r.get("status") != "ok":
            continue
        if outcome in ("overall", "in_field", "out_of_field"):
            if r.get(outcome) in (None, "NE"):
                continue
            value = r[outcome] in ("CR", "PR")
        else:
            if r.get(outcome) is None:
                continue
            value = bool(r[outcome])
        x.append(float(r[spec["covariate"]]))
        y.append(value)
    return np.array(x, float), np.array(y, bool)


def _pooled_rate(spec: dict, run, above: bool) -> float | None:
    x, y = _pooled_pairs(spec, run)
    if not x.size:
        return None
    med = np.median(x)
    sel = x > med if above else x <= med
    return float(y[sel].mean()) if sel.any() else None


def pooled_rate_above_median(spec: dict, run, summary) -> float | None:
    return _pooled_rate(spec, run, True)


def pooled_rate_below_median(spec: dict, run, summary) -> float | None:
    return _pooled_rate(spec, run, False)


METRICS = {f.__name__: f for f in (post_rt_conditional_rate, post_rt_rmst_os, pooled_rate_above_median,
                                    pooled_rate_below_median)}
