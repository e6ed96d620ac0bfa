"""Probes and custom metrics of the preclinical_a target group.

``PROBES`` (name -> function(**kwargs) -> float), discovered by ``suite.extensions()``:

- ``scenario_state``: one typical subject (``abscopal simulate`` of a scenario document given inline as
  ``scenario``, a mapping in the contract's scenario format without ``abscopal: 1``) and a summary of one
  model state over a time window: ``state`` (a lesion state of docs/model.md such as ``pdl1``, ``ifn``,
  ``trex1``, ``effectors``, with ``lesion`` naming the lesion id; or a subject state such as ``primed``,
  ``blood_effectors``, ``alc``), ``statistic`` (``auc`` over [``start``, ``end``] days, trapezoidal;
  ``max`` or ``mean`` over the window; ``at``: the value at ``day``). Used where a paper reports a mechanism
  readout (PD-L1 on tumour cells, type I IFN, nodal priming) rather than a tumour size.
- ``ifn_peak_dose``: the single-fraction dose (Gy) that gives the largest type I IFN signal in a lesion
  (AUC of the lesion's ``ifn`` state over ``window`` days after one fraction, minus that of the same lesion
  without radiotherapy), scanned from ``dose_min`` to ``dose_max`` in steps of ``step`` Gy. The model's
  analogue of the dose at which cytosolic DNA peaks before Trex1 is induced (Vanpouille-Box 2017).

``METRICS`` (name -> function(spec, run, summary) -> float | None):

- ``lesion_median_day_to_volume``: Kaplan-Meier median (administrative censoring at the end of follow-up
  only) of the first day on which lesion ``lesion`` of arm ``arm`` reaches ``volume`` mm^3; not reached by
  half of the subjects -> the follow-up duration (the same conservative convention as metrics.py). A
  lesion-specific survival surrogate, e.g. death from lung metastases represented by one lung lesion.
- ``lesion_uncensored_mean_volume``: mean volume (mm^3) of lesion ``lesion`` in arm ``arm`` at ``day`` from each
  subject's own series, which runs to the end of the simulation even after the subject reached
  ``endpoint_volume`` (CONTRACT.md Semantics: Control). The summary's group mean instead carries the value at
  the endpoint day forward, which would freeze a fast-growing control arm at its endpoint-day size when a design
  also needs an endpoint for survival.
"""

from __future__ import annotations

import numpy as np


def _simulate(documents: list[dict]):
    from ..scenario.load import parse_scenario
    from ..simulate import simulate_many

    scenarios = [parse_scenario(dict(doc, abscopal=1), source="validation probe") for doc in documents]
    return simulate_many(scenarios)


def _series(result, state: str, lesion: str | None) -> np.ndarray:
    from ..model.state import L_IDX, S_IDX, Layout

    subject, tr = result.subject, result.trajectory
    layout = Layout(len(subject.lesions), len(subject.agents))
    states = np.asarray(tr.states)
    if states.shape[1] != layout.size:
        raise ValueError("unexpected state layout for a single-subject run")
    if state in L_IDX:
        if lesion is None:
            raise KeyError(f"lesion state {state!r} needs a lesion id")
        ids = [les.id for les in subject.lesions]
        if lesion not in ids:
            raise KeyError(f"no lesion {lesion!r}")
        return states[:, layout.lesion(state)][:, ids.index(lesion)]
    if state in S_IDX:
        return states[:, layout.systemic(state)]
    raise KeyError(f"unknown state {state!r}")


def _summarise(t: np.ndarray, y: np.ndarray, statistic: str, start: float, end: float | None, day: float | None) -> float:
    if statistic == "at":
        if day is None:
            raise ValueError("statistic 'at' needs a day")
        return float(y[int(np.argmin(np.abs(t - float(day))))])
    end = float(t[-1]) if end is None else float(end)
    sel = (t >= float(start) - 1e-9) & (t <= end + 1e-9)
    if sel.sum() < 2:
        raise ValueError("window holds fewer than two output times")
    tt, yy = t[sel], y[sel]
    if statistic == "auc":
        return float(np.sum(0.5 * (yy[1:] + yy[:-1]) * np.diff(tt)))
    if statistic == "max":
        return float(yy.max())
    if statistic == "mean":
        return float(np.sum(0.5 * (yy[1:] + yy[:-1]) * np.diff(tt)) / (tt[-1] - tt[0]))
    raise ValueError(f"unknown statistic {statistic!r}")


def scenario_state(scenario: dict, state: str, lesion: str | None = None, statistic: str = "auc", start: float = 0.0,
                   end: float | None = None, day: float | None = None) -> float:
    result = _simulate([scenario])[0]
    if result.trajectory.status != "ok":
        raise ValueError("the probe scenario failed to integrate")
    return _summarise(np.asarray(result.trajectory.time, float), _series(result, state, lesion), statistic, start, end, day)


def ifn_peak_dose(tumour: str = "tsa", volume_mm3: float = 100.0, dose_min: float = 2.0, dose_max: float = 30.0,
                  step: float = 0.5, window: float = 10.0) -> float:
    doses = np.arange(dose_min, dose_max + 1e-9, step)
    base = {"species": "mouse", "tumour": tumour,
            "patient": {"lesions": [{"id": "tumour", "site": "flank", "volume": f"{volume_mm3} mm^3"}]},
            "simulation": {"duration": f"{window} days", "output_interval": "0.25 day"}}
    docs = [base] + [dict(base, radiotherapy=[{"lesions": ["tumour"], "dose": f"{d:g} Gy", "fractions": 1}]) for d in doses]
    results = _simulate(docs)
    if any(r.trajectory.status != "ok" for r in results):
        raise ValueError("a probe scenario failed to integrate")
    t = np.asarray(results[0].trajectory.time, float)
    auc = np.array([_summarise(t, _series(r, "ifn", "tumour"), "auc", 0.0, window, None) for r in results])
    gain = auc[1:] - auc[0]
    return float(doses[int(np.argmax(gain))])


PROBES = {f.__name__: f for f in (scenario_state, ifn_peak_dose)}


def lesion_median_day_to_volume(spec: dict, run, summary) -> float | None:
    arm, lesion, threshold = spec["arm"], spec["lesion"], float(spec["volume"])
    records = run.records[arm]
    series = run.lesion_series[arm].get(lesion)
    if series is None:
        raise KeyError(f"no lesion {lesion!r} in arm {arm!r} (explicit patient.lesions are needed)")
    t = np.asarray(run.time_days, float)
    times = []
    for record, volumes in zip(records, series, strict=True):
        if record.get("status") != "ok":
            continue
        hit = np.nonzero(np.asarray(volumes, float) >= threshold)[0]
        times.append(float(t[hit[0]]) if hit.size else np.inf)
    if not times:
        return None
    times = np.sort(np.array(times))
    k = int(np.ceil(0.5 * len(times))) - 1  # smallest time at which at least half have reached the volume
    value = times[k]
    return float(run.design.duration) if not np.isfinite(value) else float(value)


def lesion_uncensored_mean_volume(spec: dict, run, summary) -> float | None:
    arm, lesion = spec["arm"], spec["lesion"]
    series = run.lesion_series[arm].get(lesion)
    if series is None:
        raise KeyError(f"no lesion {lesion!r} in arm {arm!r} (explicit patient.lesions are needed)")
    t = np.asarray(run.time_days, float)
    i = int(np.argmin(np.abs(t - float(spec.get("day", t[-1])))))
    values = [float(np.asarray(v, float)[i]) for r, v in zip(run.records[arm], series, strict=True) if r.get("status") == "ok"]
    return float(np.mean(values)) if values else None


METRICS = {"lesion_median_day_to_volume": lesion_median_day_to_volume,
           "lesion_uncensored_mean_volume": lesion_uncensored_mean_volume}
