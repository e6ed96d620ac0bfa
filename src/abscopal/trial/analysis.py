"""From per-subject records to the contract's trial JSON (CONTRACT.md, `abscopal.trial/1`).

Rates: 95% Wilson intervals over the subjects evaluable for that rate. Medians: Kaplan-Meier with the
Brookmeyer-Crowley interval (lifelines). Comparisons treat the arms as two independent groups of size n
(what a real trial of that size would report): Fisher's exact test for the out-of-field ORR, log-rank for
PFS and OS, Cox hazard ratios of arm b relative to arm a; the paired difference of out-of-field ORR on the
same subjects is given as well (Wald interval with the paired variance, Agresti A, Min Y. Biometrics
2005;61:515-23, method "Wald" for matched pairs). Endpoint rules (PFS/EFS, CTCAE lymphopenia, time to
endpoint) are in :mod:`abscopal.trial.endpoints`; mouse comparisons (Fisher on tumour-free fractions,
log-rank on time to endpoint, Mann-Whitney on volumes) in :mod:`abscopal.trial.mouse`.
"""

from __future__ import annotations

import numpy as np

from . import endpoints
from . import mouse as mouse_stats
from . import statistics as st
from .run import TrialRun
from .store import MEDIAN_RELATIVE_ERROR, carry_forward, column, map_item

RESPONDED = ("CR", "PR")


def _ok_values_of(records, values: list) -> list:
    """Those of ``values`` (one per record) that belong to subjects with status ok."""
    return [v for status, v in zip(column(records, "status"), values, strict=True) if status == "ok"]


def _ok_values(records, key) -> list:
    """The key's values over the subjects with status ok (None included)."""
    return _ok_values_of(records, column(records, key))


def _rate(records, key) -> dict:
    values = [v for v in _ok_values(records, key) if v not in (None, "NE")]
    return st.wilson_interval(sum(v in RESPONDED for v in values), len(values))


def _bool_rate(records, key) -> dict:
    values = [v for v in _ok_values(records, key) if v is not None]
    return st.wilson_interval(sum(bool(v) for v in values), len(values))


def _survival(records, key):
    rows = [(d, e) for d, e in zip(_ok_values(records, f"{key}_day"), _ok_values(records, f"{key}_event"), strict=True)
            if d is not None]
    if not rows:
        return None, None
    durations, events = zip(*rows, strict=True)
    return np.asarray(durations, float), np.asarray(events, bool)


def _endpoint_survival(records, duration):
    rows = endpoints.endpoint_survival(_ok_values(records, "endpoint_day"), _ok_values(records, "endpoint_event"), duration)
    return (None, None) if rows is None else rows


NULL_M = {"value": None, "ci_low": None, "ci_high": None}


def _median(durations, events) -> dict:
    if durations is None or not len(durations):
        return dict(NULL_M)
    return st.km_median(durations, events)


def _controlled_fraction(records, lid: str) -> float | None:
    controlled = [c for c in _ok_values_of(records, map_item(records, "controlled_lesions", lid)) if c is not None]
    return float(np.mean(controlled)) if controlled else None


def _lesion_curves(run: TrialRun, arm: str) -> dict:
    """Group mean and median volume per lesion (CONTRACT.md Control: values carried forward after the endpoint)."""
    t = run.time_days
    records = run.records[arm]
    out = {}
    for lid, acc in run.curves.get(arm, {}).items():  # streamed (large cohorts): see abscopal.trial.store
        none = [None] * len(t) if acc.n == 0 else None  # every subject's solve failed (run.py streams only ok ones)
        out[lid] = {"time_days": [float(x) for x in t], "mean_volume_mm3": none or [float(x) for x in acc.mean()],
                    "median_volume_mm3": none or [float(x) for x in acc.median()], "n_at_risk": [int(x) for x in acc.at_risk],
                    "controlled_fraction": _controlled_fraction(records, lid),
                    "median_method": f"log-histogram, relative error <= {100 * MEDIAN_RELATIVE_ERROR:.2f}%"}
    series = run.lesion_series.get(arm, {})
    endpoints = column(records, "endpoint_day")
    ok = np.array([status == "ok" for status in column(records, "status")], dtype=bool)
    for lid, volumes in series.items():
        arr = np.array(volumes)  # (subjects, T)
        at_risk = np.ones_like(arr, dtype=bool)
        for j, day in enumerate(endpoints[: len(arr)]):
            arr[j], at_risk[j] = carry_forward(arr[j], t, day)
        keep = ok[: len(arr)]  # a subject whose solve failed is a status, not a value of the group curves
        arr, at_risk = arr[keep], at_risk[keep]
        empty = not len(arr)
        out[lid] = {
            "time_days": [float(x) for x in t],
            "mean_volume_mm3": [None] * len(t) if empty else [float(x) for x in arr.mean(axis=0)],
            "median_volume_mm3": [None] * len(t) if empty else [float(x) for x in np.median(arr, axis=0)],
            "n_at_risk": [int(x) for x in at_risk.sum(axis=0)],
            "controlled_fraction": _controlled_fraction(records, lid),
        }
        on_study = mouse_stats.on_study_median(run, arm, lid)
        if on_study is not None:  # the median of the animals still on study (culled ones neither frozen nor kept)
            out[lid]["median_volume_on_study_mm3"] = on_study[0]
    return out


def abscopal_applicable(records) -> bool:
    """An arm has an abscopal rate only when a lesion is irradiated in it (in some subject with status ok)."""
    return any(bool(v) for v in _ok_values(records, "irradiated"))


def lymphopenia(records) -> dict:
    """CTCAE v5.0 lymphopenia of an arm from each subject's ALC nadir: median nadir, grade >= 3 rate, grade counts."""
    nadirs = [v for v in _ok_values(records, "alc_nadir") if v is not None]
    grades = [endpoints.lymphopenia_grade(v) for v in nadirs]
    return {"nadir_median_per_ul": float(np.median(nadirs)) if nadirs else None,
            "grade3plus_rate": st.wilson_interval(sum(g >= 3 for g in grades), len(grades)),
            "grade_counts": {str(g): sum(x == g for x in grades) for g in range(5)},
            "criteria": endpoints.CTCAE_SOURCE}


def survival_endpoint(records) -> str:
    """'PFS', or 'EFS' for an early-stage design (every subject entered with one lesion)."""
    return "EFS" if endpoints.is_early_stage(_ok_values(records, "n_lesions")) else "PFS"


def waterfall_bars(records) -> list[tuple[float, str]]:
    """(change of the target sum at the response read-out, in %; response category) per evaluable subject with status
    ok, largest change first: the bars of the waterfall, read by the same rule as the ORR (``overall``)."""
    bars = [(float(c), o) for c, o in zip(_ok_values(records, "response_change_pct"), _ok_values(records, "overall"), strict=True)
            if c is not None and o not in (None, "NE")]
    return sorted(bars, key=lambda bar: -bar[0])


def arm_summary(run: TrialRun, arm: str) -> dict:
    records = run.records[arm]
    n_ok = sum(status == "ok" for status in column(records, "status"))
    overall, irecist = _ok_values(records, "overall"), _ok_values(records, "overall_irecist")
    nadirs = [v for v in _ok_values(records, "alc_nadir") if v is not None]
    mouse = run.design.species == "mouse"
    n_evaluable = sum(o not in (None, "NE") or (mouse and bool(n))
                      for o, n in zip(_ok_values(records, "out_of_field"), _ok_values(records, "n_out_of_field"), strict=True))
    tumour_free = _ok_values(records, "tumour_free")
    kind = survival_endpoint(records)
    summary = {
        "name": arm,
        "n": len(records),
        "orr": {"overall": _rate(records, "overall"), "in_field": _rate(records, "in_field"), "out_of_field": _rate(records, "out_of_field")},
        "orr_irecist": st.wilson_interval(sum(v in ("iCR", "iPR") for v in irecist), sum(v not in (None, "NE") for v in irecist)),
        # null (not applicable) in an arm where nothing is irradiated; orr.out_of_field is the comparator there
        "abscopal_rate": _bool_rate(records, "abscopal") if abscopal_applicable(records) else None,
        "complete_response_rate": st.wilson_interval(sum(v == "CR" for v in overall), sum(v not in (None, "NE") for v in overall)),
        "median_pfs_days": _median(*_survival(records, "pfs")),
        "median_os_days": _median(*_survival(records, "os")),
        "alc_nadir_median_per_ul": float(np.median(nadirs)) if nadirs else None,
        "n_evaluable": n_evaluable,
        "n_failed": len(records) - n_ok,
        "tumour_free_fraction": float(np.mean(tumour_free)) if n_ok else None,
        "median_endpoint_day": _median(*_endpoint_survival(records, run.design.duration)) if mouse else dict(NULL_M),
    }
    if not mouse:
        summary["survival_endpoint"] = kind  # what median_pfs_days measures: PFS, or EFS (early-stage design)
        summary["lymphopenia"] = lymphopenia(records)
    else:
        summary.update(mouse_stats.arm_block(run, arm))
    lesions = _lesion_curves(run, arm)
    if lesions:
        summary["lesions"] = lesions
    return summary


def _paired_difference(ra, rb) -> dict:
    pairs = [(a in RESPONDED, b in RESPONDED) for a, b, sa, sb in zip(
        column(ra, "out_of_field"), column(rb, "out_of_field"), column(ra, "status"), column(rb, "status"), strict=True)
        if sa == sb == "ok" and a not in (None, "NE") and b not in (None, "NE")]
    return st.paired_difference(np.array([p[0] for p in pairs], bool), np.array([p[1] for p in pairs], bool)) if pairs else dict(NULL_M)


def compare(run: TrialRun, a: str, b: str) -> dict:
    ra, rb = run.records[a], run.records[b]
    rate_a, rate_b = _rate(ra, "out_of_field"), _rate(rb, "out_of_field")
    out = {"arms": [a, b], "orr_out_of_field_difference": None, "fisher_p": None, "pfs_hazard_ratio": dict(NULL_M),
           "os_hazard_ratio": dict(NULL_M), "logrank_p": None, "os_logrank_p": None,
           "paired_orr_out_of_field_difference": _paired_difference(ra, rb)}
    if rate_a["rate"] is not None and rate_b["rate"] is not None:
        out["orr_out_of_field_difference"] = rate_b["rate"] - rate_a["rate"]
        na = sum(v not in (None, "NE") for v in _ok_values(ra, "out_of_field"))
        nb = sum(v not in (None, "NE") for v in _ok_values(rb, "out_of_field"))
        out["fisher_p"] = st.fisher_p(rate_a["count"], na - rate_a["count"], rate_b["count"], nb - rate_b["count"])
    for key, hr_key, p_key in (("pfs", "pfs_hazard_ratio", "logrank_p"), ("os", "os_hazard_ratio", "os_logrank_p")):
        da, ea = _survival(ra, key)
        db, eb = _survival(rb, key)
        if da is None or db is None or not (ea.any() or eb.any()):
            continue
        out[p_key] = st.logrank_p(da, ea, db, eb)
        out[hr_key] = st.cox_hazard_ratio(da, ea, db, eb)
    if run.design.species == "mouse":
        out.update(mouse_stats.compare(run, a, b))
    return out


def power_by_resampling(run: TrialRun, a: str, b: str, *, endpoint: str = "orr_out_of_field", n_per_arm: int | None = None,
                        alpha: float = 0.05, n_sim: int = 200, seed: int = 0) -> dict:
    """Power of a two-arm comparison at ``n_per_arm`` by resampling independent groups (CONTRACT.md)."""
    ra = [r for r in run.records[a] if r.get("status") == "ok"]
    rb = [r for r in run.records[b] if r.get("status") == "ok"]
    n = n_per_arm or len(ra)
    if not ra or not rb:  # an arm whose every solve failed: nothing to resample
        return {"endpoint": endpoint, "n_per_arm": int(n), "alpha": alpha, "power": None, "n_simulations": 0,
                "note": f"no subject with status ok in arm {a if not ra else b!r}"}
    rng = np.random.default_rng([seed, 4242])
    duration = float(run.time_days[-1]) if run.time_days is not None and len(run.time_days) else 0.0
    hits = 0
    for _ in range(n_sim):
        ia = rng.integers(len(ra), size=n)
        ib = rng.integers(len(rb), size=n)  # independent draws: different subjects in each arm
        sa, sb = [ra[i] for i in ia], [rb[i] for i in ib]
        if endpoint == "orr_out_of_field":
            ev_a = [r["out_of_field"] for r in sa if r.get("out_of_field") not in (None, "NE")]
            ev_b = [r["out_of_field"] for r in sb if r.get("out_of_field") not in (None, "NE")]
            xa, xb = sum(v in RESPONDED for v in ev_a), sum(v in RESPONDED for v in ev_b)
            p = st.fisher_p(xa, len(ev_a) - xa, xb, len(ev_b) - xb) if ev_a and ev_b else 1.0
        elif endpoint in ("pfs", "os", "endpoint"):
            if endpoint == "endpoint":  # mice: time to the endpoint volume, censored at the end of follow-up
                (da, ea), (db, eb) = _endpoint_survival(sa, duration), _endpoint_survival(sb, duration)
            else:
                (da, ea), (db, eb) = _survival(sa, endpoint), _survival(sb, endpoint)
            p = st.logrank_p(da, ea, db, eb) if da is not None and db is not None and (ea.any() or eb.any()) else 1.0
        else:
            raise ValueError(f"unknown endpoint {endpoint}")
        hits += p < alpha
    return {"endpoint": endpoint, "n_per_arm": int(n), "alpha": alpha, "power": hits / n_sim, "n_simulations": n_sim}


def trial_summary(run: TrialRun, *, power: bool = False, power_n: int | None = None) -> dict:
    arms = [name for name, _ in run.design.arms]
    result = {"schema": "abscopal.trial/1", "name": run.design.name, "species": run.design.species,
              "arms": [arm_summary(run, arm) for arm in arms],
              "comparisons": [compare(run, arms[0], b) for b in arms[1:]]}
    if power and len(arms) > 1:
        endpoint = "orr_out_of_field" if run.design.species == "human" else "endpoint"  # mice have no RECIST PFS
        result["power"] = power_by_resampling(run, arms[0], arms[-1], endpoint=endpoint, n_per_arm=power_n, seed=run.design.population.seed)
    return result


