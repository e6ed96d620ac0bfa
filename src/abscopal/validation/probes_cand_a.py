"""Custom validation metrics of the cand_a target group (definitive-setting trials).

``METRICS`` (name -> function(spec, run, summary) -> float | None), discovered by ``suite.extensions()``:

- ``landmark_survival_rate``: the share of an arm's subjects still free of an endpoint at a landmark day, e.g.
  the 24- or 36-month EFS/PFS or OS rate of a trial report. Arguments: ``arm``, ``endpoint`` (``pfs``, the
  default, or ``os``), ``day``. Follow-up in a trial run is censored only administratively at the end of the
  simulation, so for a landmark inside follow-up the Kaplan-Meier estimate equals the plain share of subjects
  whose event day is after the landmark (or who have no event); a landmark after the end of follow-up is an
  error. Only subjects with ``status: ok`` count.
- ``lesion_set_control_rate``: locoregional control at a landmark day, represented as control of a named set of
  lesions (the irradiated primary and nodes of a definitive-setting design). A subject has failed when, at any
  scan (every ``endpoints.assessments`` days from day 0) on or before ``day``, the sum of the set's longest
  diameters is at least 20% above its smallest earlier value (the nadir, baseline included) and at least 5 mm
  larger in absolute terms (the RECIST 1.1 progression rule applied to this set only). New distant lesions and
  death are not failures of this endpoint (locoregional control counts local/regional failure only; a subject's
  lesion series runs to the end of the simulation, CONTRACT.md Semantics: Control). Arguments: ``arm``,
  ``lesions`` (ids of ``patient.lesions``), ``day``. Needs explicit ``patient.lesions`` (the trial keeps each
  lesion's volume series only then). Diameters are those of the equivalent sphere, d = (6 V / pi)^(1/3).
"""

from __future__ import annotations

import numpy as np

from ..response import scan_indices
from ..simulate import diameter_from_volume


def _ok_records(run, arm: str) -> list:
    return [r for r in run.records[arm] if r.get("status") == "ok"]


def landmark_survival_rate(spec: dict, run, summary) -> float | None:
    endpoint = spec.get("endpoint", "pfs")
    if endpoint not in ("pfs", "os"):
        raise ValueError(f"endpoint {endpoint!r}: expected pfs or os")
    day = float(spec["day"])
    if day > float(run.design.duration) + 1e-9:
        raise ValueError(f"landmark day {day} is after the end of follow-up ({run.design.duration} days)")
    records = [r for r in _ok_records(run, spec["arm"]) if r.get(f"{endpoint}_day") is not None]
    if not records:
        return None
    free = [not (bool(r[f"{endpoint}_event"]) and float(r[f"{endpoint}_day"]) <= day + 1e-9) for r in records]
    return float(np.mean(free))


def _scan_indices(run, day: float) -> list[int]:
    t = np.asarray(run.time_days, float)
    every = float(run.design.endpoints.assessments)
    return sorted(set(scan_indices(t, every, min(day, t[-1]), include_baseline=True)))


def lesion_set_control_rate(spec: dict, run, summary) -> float | None:
    arm = spec["arm"]
    ids = list(spec["lesions"])
    series = run.lesion_series.get(arm, {})
    if not ids or any(lid not in series for lid in ids):
        raise KeyError("lesion_set_control_rate needs explicit patient.lesions naming every lesion of the set")
    day = float(spec["day"])
    if day > float(run.design.duration) + 1e-9:
        raise ValueError(f"landmark day {day} is after the end of follow-up ({run.design.duration} days)")
    idx = _scan_indices(run, day)
    records = run.records[arm]
    controlled = []
    for j, record in enumerate(records):
        if record.get("status") != "ok":
            continue
        sums = sum(diameter_from_volume(np.asarray(series[lid][j], float))[idx] for lid in ids)
        controlled.append(not _progressed(np.asarray(sums, float)))
    return float(np.mean(controlled)) if controlled else None


def _progressed(sums: np.ndarray) -> bool:
    """RECIST 1.1 rule on one series of diameter sums: +20% over the nadir so far and at least +5 mm."""
    nadir = sums[0]
    for value in sums[1:]:
        if value >= 1.2 * nadir and value - nadir >= 5.0:
            return True
        nadir = min(nadir, value)
    return False


METRICS = {f.__name__: f for f in (landmark_survival_rate, lesion_set_control_rate)}
