"""Observables of a validation target, computed from a trial run and its summary.

Each observable is a mapping with a ``metric`` key and its arguments, e.g.
``{metric: lesion_mean_volume, arm: rt_ctla4, lesion: secondary, day: 30}``. Not-reached medians are
reported as the follow-up duration (a conservative lower bound), stated in the docs.
"""

from __future__ import annotations

import numpy as np

from ..trial.biomarkers import auc_delong


def _arm(summary: dict, name: str) -> dict:
    for arm in summary["arms"]:
        if arm["name"] == name:
            return arm
    raise KeyError(f"no arm {name!r}")


def _median_or_duration(m: dict, duration: float) -> float:
    return duration if m["value"] is None else float(m["value"])


def _lesion_value(run, summary, spec, key):
    les = _arm(summary, spec["arm"])["lesions"][spec["lesion"]]
    t = np.array(les["time_days"])
    i = int(np.argmin(np.abs(t - float(spec.get("day", t[-1])))))
    return float(les[key][i])


def _records(run, spec):
    return [r for r in run.records[spec["arm"]] if r.get("status") == "ok"]


def _outcome(records, outcome):
    if outcome in ("overall", "in_field", "out_of_field"):
        return [(r, r.get(outcome) in ("CR", "PR")) for r in records if r.get(outcome) not in (None, "NE")]
    return [(r, bool(r[outcome])) for r in records if r.get(outcome) is not None]


def observable(spec: dict, run, summary: dict) -> float | None:
    metric = spec["metric"]
    duration = run.design.duration
    if metric == "lesion_mean_volume":
        return _lesion_value(run, summary, spec, "mean_volume_mm3")
    if metric == "lesion_median_volume":
        return _lesion_value(run, summary, spec, "median_volume_mm3")
    if metric == "controlled_fraction":
        return _arm(summary, spec["arm"])["lesions"][spec["lesion"]]["controlled_fraction"]
    if metric == "tumour_free_fraction":
        return _arm(summary, spec["arm"])["tumour_free_fraction"]
    if metric == "endpoint_free_fraction":
        records = _records(run, spec)
        return float(np.mean([not r["endpoint_event"] for r in records])) if records else None
    if metric == "median_endpoint_day":
        return _median_or_duration(_arm(summary, spec["arm"])["median_endpoint_day"], duration)
    if metric in ("median_pfs", "median_os"):
        return _median_or_duration(_arm(summary, spec["arm"])[f"{metric}_days"], duration)
    if metric == "orr":
        return _arm(summary, spec["arm"])["orr"][spec.get("set", "overall")]["rate"]
    if metric in ("abscopal_rate", "complete_response_rate"):
        return _arm(summary, spec["arm"])[metric]["rate"]
    if metric == "hazard_ratio":
        a, b = spec["arms"]
        for comp in summary["comparisons"]:
            if comp["arms"] == [a, b]:
                return comp[f"{spec.get('endpoint', 'pfs')}_hazard_ratio"]["value"]
        raise KeyError(f"no comparison {a} vs {b} (the first arm is the reference)")
    if metric == "alc_nadir_fraction":
        records = _records(run, spec)
        return float(np.median([r["alc_nadir"] / r["baseline_alc"] for r in records])) if records else None
    if metric in ("rate_above_median", "rate_below_median"):
        pairs = _outcome(_records(run, spec), spec.get("outcome", "abscopal"))
        x = np.array([r[spec["covariate"]] for r, _ in pairs], float)
        y = np.array([v for _, v in pairs], bool)
        med = np.median(x)
        sel = x > med if metric == "rate_above_median" else x <= med
        return float(y[sel].mean()) if sel.any() else None
    if metric == "auc":
        pairs = _outcome(_records(run, spec), spec.get("outcome", "abscopal"))
        x = np.array([r[spec["covariate"]] for r, _ in pairs], float)
        y = np.array([v for _, v in pairs], bool)
        return auc_delong(x, y)[0] if 0 < y.sum() < len(y) else None
    if metric == "conditional_rate":  # P(outcome | condition) e.g. abscopal given in-field response
        records = [r for r in _records(run, spec) if r.get(spec["given"]) in spec.get("given_values", ["CR", "PR"])]
        pairs = _outcome(records, spec.get("outcome", "abscopal"))
        return float(np.mean([v for _, v in pairs])) if pairs else None
    if metric == "tcd50":
        # the dose at which the lesion's controlled fraction crosses 0.5 (linear interpolation between arms)
        doses = np.array(spec["doses"], float)
        fractions = np.array([_arm(summary, arm)["lesions"][spec["lesion"]]["controlled_fraction"] for arm in spec["arms"]])
        above = np.nonzero(fractions >= 0.5)[0]
        if not above.size:
            return float(doses[-1] * 1.5)  # not reached: beyond the highest dose tested
        j = int(above[0])
        if j == 0:
            return float(doses[0])
        f0, f1 = fractions[j - 1], fractions[j]
        return float(doses[j - 1] + (0.5 - f0) / (f1 - f0) * (doses[j] - doses[j - 1]))
    raise KeyError(f"unknown metric {metric!r}")
