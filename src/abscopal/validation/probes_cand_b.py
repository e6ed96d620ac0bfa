"""Custom metrics of the cand_b target group.

``METRICS`` (name -> function(spec, run, summary) -> float | None), discovered by ``suite.extensions()``:

- ``rate_in_covariate_range``: response rate among the subjects of one arm whose baseline covariate lies in
  ``[low, high)`` (``low`` / ``high`` optional: open-ended). Arguments: ``arm``, ``covariate`` (a record key,
  e.g. ``tmb`` in mutations/Mb or ``pdl1_tps``), ``low``, ``high``, ``outcome`` (default ``overall``: RECIST
  CR/PR of the overall response; ``in_field`` / ``out_of_field``, or any boolean record key such as
  ``abscopal``). Subjects whose outcome is not evaluable are left out. None when no subject falls in the range.
  This is a biomarker stratum read within one population (as a trial reads response by TMB >= 10 mut/Mb).
- ``rate_in_covariate_quantile``: the same response rate among subjects whose covariate lies between the arm's
  ``q_low`` and ``q_high`` quantiles (inclusive of the upper end when ``q_high`` is 1), e.g. the top tertile
  (``q_low: 0.6667, q_high: 1``) as in trials that split a biomarker at tertiles of the enrolled population.
- ``event_free_rate_at_day``: share of the subjects of an arm free of an event (``endpoint: pfs`` or ``os``) at
  ``day`` (days from day 0 of the design). Censoring in a trial run happens only at the end of follow-up, so
  this equals the Kaplan-Meier estimate for any ``day`` before the end; a day past the end is an error.
"""

from __future__ import annotations

import numpy as np


def _ok_records(run, arm: str) -> list[dict]:
    return [r for r in run.records[arm] if r.get("status") == "ok"]


def _responded(record: dict, outcome: str) -> bool | None:
    value = record.get(outcome)
    if outcome in ("overall", "in_field", "out_of_field", "overall_irecist"):
        return None if value in (None, "NE") else value in ("CR", "PR")
    return None if value is None else bool(value)


def _pairs(run, spec: dict) -> tuple[np.ndarray, np.ndarray]:
    outcome = spec.get("outcome", "overall")
    xs, ys = [], []
    for r in _ok_records(run, spec["arm"]):
        y = _responded(r, outcome)
        x = r.get(spec["covariate"])
        if y is None or x is None:
            continue
        xs.append(float(x))
        ys.append(y)
    return np.array(xs, float), np.array(ys, bool)


def rate_in_covariate_range(spec: dict, run, summary) -> float | None:
    x, y = _pairs(run, spec)
    sel = np.ones(len(x), bool)
    if spec.get("low") is not None:
        sel &= x >= float(spec["low"])
    if spec.get("high") is not None:
        sel &= x < float(spec["high"])
    return float(y[sel].mean()) if sel.any() else None


def rate_in_covariate_quantile(spec: dict, run, summary) -> float | None:
    x, y = _pairs(run, spec)
    if not len(x):
        return None
    q_low, q_high = float(spec.get("q_low", 0.0)), float(spec.get("q_high", 1.0))
    lo, hi = np.quantile(x, q_low), np.quantile(x, q_high)
    sel = (x >= lo) & ((x <= hi) if q_high >= 1.0 else (x < hi))
    return float(y[sel].mean()) if sel.any() else None


def event_free_rate_at_day(spec: dict, run, summary) -> float | None:
    endpoint = spec.get("endpoint", "pfs")
    day = float(spec["day"])
    if day > run.design.duration:
        raise ValueError(f"day {day} is after the end of follow-up ({run.design.duration} days)")
    records = [r for r in _ok_records(run, spec["arm"]) if r.get(f"{endpoint}_day") is not None]
    if not records:
        return None
    return float(np.mean([not (r[f"{endpoint}_event"] and r[f"{endpoint}_day"] <= day) for r in records]))


METRICS = {f.__name__: f for f in (rate_in_covariate_range, rate_in_covariate_quantile, event_free_rate_at_day)}
