"""Mouse read-outs as tumour-immunology papers test them, for two independent groups of animals:

- tumour-free fraction per arm (every lesion below 10 mm^3 at the end), compared with Fisher's exact test
  (two-sided; scipy.stats.fisher_exact);
- time to endpoint (total volume reaching ``endpoint_volume``, the humane cull) by Kaplan-Meier, animals that never
  reach it censored at the end of follow-up (never dropped), compared by the log-rank test and a Cox hazard ratio
  (lifelines);
- volume of each lesion at a named day (``endpoints.volume_at``, default the last day), compared with the two-sided
  Mann-Whitney U test (scipy.stats.mannwhitneyu, exact p without ties in small groups, else the normal
  approximation). A culled animal keeps its volume at the cull (carried forward): it ranks among the largest, as a
  tumour that reached the endpoint should; dropping it would make a failing arm look better.

Group curves for figures: the median over the animals still on study at each time (with that number), so that
culled animals neither freeze the curve nor vanish silently.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from . import endpoints
from . import statistics as st
from .store import carry_forward, column

MANN_WHITNEY = "two-sided Mann-Whitney U (scipy.stats.mannwhitneyu, method auto); culled animals carried forward"


def _ok(records) -> list[bool]:
    return [s == "ok" for s in column(records, "status")]


def tumour_free_rate(records) -> dict:
    """R: tumour-free animals over the animals with status ok."""
    flags = [bool(f) for f, ok in zip(column(records, "tumour_free"), _ok(records), strict=True) if ok and f is not None]
    return st.wilson_interval(sum(flags), len(flags))


def endpoint_rows(records, duration: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Time to endpoint of the ok animals (censored at ``duration`` when never reached)."""
    ok = _ok(records)
    days = [d for d, keep in zip(column(records, "endpoint_day"), ok, strict=True) if keep]
    events = [e for e, keep in zip(column(records, "endpoint_event"), ok, strict=True) if keep]
    return endpoints.endpoint_survival(days, events, duration)


def volume_day(run) -> float:
    """The day volumes are compared: ``endpoints.volume_at``, else the last day of the series."""
    day = run.design.endpoints.volume_at
    return float(day) if day is not None else float(run.time_days[-1])


def volumes_at(run, arm: str, lesion: str, day: float) -> np.ndarray | None:
    """Each ok animal's volume of ``lesion`` at ``day`` (carried forward after its endpoint day); None when the
    per-animal series are not kept (lesion ids differ, or a streamed cohort)."""
    series = run.lesion_series.get(arm, {}).get(lesion)
    if not series:
        return None
    t = np.asarray(run.time_days, float)
    j = int(np.argmin(np.abs(t - day)))
    records = run.records[arm]
    out = []
    for v, end, ok in zip(series, column(records, "endpoint_day"), _ok(records), strict=False):
        if ok:
            out.append(carry_forward(np.asarray(v, float), t, end)[0][j])
    return np.asarray(out, float)


def on_study_median(run, arm: str, lesion: str) -> tuple[list[float | None], list[int]] | None:
    """Median volume over the ok animals still on study (before or at their endpoint day) at each time, and their
    number; None without per-animal series."""
    series = run.lesion_series.get(arm, {}).get(lesion)
    if not series:
        return None
    t = np.asarray(run.time_days, float)
    records = run.records[arm]
    rows, masks = [], []
    for v, end, ok in zip(series, column(records, "endpoint_day"), _ok(records), strict=False):
        if ok:
            rows.append(np.asarray(v, float))
            masks.append(carry_forward(np.asarray(v, float), t, end)[1])
    if not rows:
        return None
    arr, on = np.array(rows), np.array(masks)
    medians = [float(np.median(arr[on[:, j], j])) if on[:, j].any() else None for j in range(arr.shape[1])]
    return medians, [int(x) for x in on.sum(axis=0)]


def mann_whitney_p(x, y) -> float | None:
    """Two-sided Mann-Whitney p for two independent groups; None when a group is empty, 1 when all values tie."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size == 0 or y.size == 0:
        return None
    if np.ptp(np.concatenate([x, y])) == 0:
        return 1.0
    return float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)


def arm_block(run, arm: str) -> dict:
    """Per arm: tumour-free R, and the median volume of each lesion at the named day (n animals)."""
    day = volume_day(run)
    lesions = {}
    for lid in sorted(run.lesion_series.get(arm, {})):
        v = volumes_at(run, arm, lid, day)
        if v is not None and v.size:
            lesions[lid] = {"median_volume_mm3": float(np.median(v)), "n": int(v.size)}
    return {"tumour_free_rate": tumour_free_rate(run.records[arm]), "volume_day": day, "volume_at_day": lesions}


def compare(run, a: str, b: str) -> dict:
    """Arm b against arm a: Fisher (tumour-free), log-rank and Cox HR (time to endpoint), Mann-Whitney (volumes)."""
    ra, rb = tumour_free_rate(run.records[a]), tumour_free_rate(run.records[b])
    na, nb = (sum(f is not None and ok for f, ok in zip(column(run.records[arm], "tumour_free"), _ok(run.records[arm]),
                                                          strict=True)) for arm in (a, b))
    out = {"tumour_free_fisher_p": st.fisher_exact_p(ra["count"], na, rb["count"], nb),
           "endpoint_logrank_p": None, "endpoint_hazard_ratio": {"value": None, "ci_low": None, "ci_high": None},
           "volume_day": volume_day(run), "volume_mannwhitney_p": {}}
    duration = run.design.duration
    sa, sb = endpoint_rows(run.records[a], duration), endpoint_rows(run.records[b], duration)
    if sa is not None and sb is not None:
        out["endpoint_logrank_p"] = st.logrank_p(*sa, *sb)
        out["endpoint_hazard_ratio"] = st.hazard_ratio(*sa, *sb)
    for lid in sorted(set(run.lesion_series.get(a, {})) & set(run.lesion_series.get(b, {}))):
        va, vb = volumes_at(run, a, lid, out["volume_day"]), volumes_at(run, b, lid, out["volume_day"])
        if va is not None and vb is not None:
            out["volume_mannwhitney_p"][lid] = mann_whitney_p(va, vb)
    return out
