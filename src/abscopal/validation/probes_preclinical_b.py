"""Custom metrics of the preclinical_b validation targets: model states that trial records do not keep.

Each metric re-simulates part of the target's design (the trial run holds the design) and reads the
trajectory:

- ``typical_lesion_state``: one typical mouse of an arm (the arm's scenario itself, without between-subject
  variation); a lesion state (``effectors``, ``suppression``, ``ifn``, ...) averaged (or maximised) over a
  window of days, optionally per mm^3 of the lesion's measured volume (a density, e.g. infiltration).
- ``typical_systemic_state``: likewise for a systemic state (``primed``, ``blood_effectors``, ``alc``, ...).
- ``alc_fraction_at_day``: the median over the arm's subjects of ALC(day) / ALC(day 0), re-simulating the
  same virtual subjects as the trial (records keep only the nadir).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..model.state import Layout


def _arm_scenario(run, arm: str):
    for name, scenario in run.design.arms:
        if name == arm:
            return scenario
    raise KeyError(f"no arm {arm!r}")


def _cache(run) -> dict:
    """Re-simulations are kept on the run object itself (one target's observables share them)."""
    cache = getattr(run, "_preclinical_b_cache", None)
    if cache is None:
        cache = {}
        run._preclinical_b_cache = cache
    return cache


def _typical_result(run, arm: str):
    from ..simulate import simulate

    cache = _cache(run)
    if ("typical", arm) not in cache:
        scenario = _arm_scenario(run, arm)
        sc = dataclasses.replace(scenario, simulation=dataclasses.replace(scenario.simulation, output_interval_days=1.0))
        cache[("typical", arm)] = simulate(sc)
    return cache[("typical", arm)]


def _window(t: np.ndarray, values: np.ndarray, spec: dict) -> float:
    lo = float(spec.get("day_from", t[0]))
    hi = float(spec.get("day_to", t[-1]))
    sel = (t >= lo - 1e-9) & (t <= hi + 1e-9)
    if not sel.any():
        raise ValueError(f"no output time in days {lo}-{hi}")
    stat = spec.get("statistic", "mean")
    if stat == "mean":
        return float(np.mean(values[sel]))
    if stat == "max":
        return float(np.max(values[sel]))
    if stat == "min":
        return float(np.min(values[sel]))
    raise ValueError(f"unknown statistic {stat!r}; expected mean, max or min")


def typical_lesion_state(spec: dict, run, summary) -> float:
    result = _typical_result(run, spec["arm"])
    sub, tr = result.subject, result.trajectory
    ids = [les.id for les in sub.lesions]
    k = ids.index(spec["lesion"])
    layout = Layout(len(sub.lesions), len(sub.agents))
    if tr.states.shape[1] != layout.size:
        raise ValueError("state vector does not match the subject's layout")
    values = tr.states[:, layout.lesion(spec["state"])][:, k]
    if spec["state"] == "log_cells":
        values = np.exp(values)
    if spec.get("per_volume", False):
        values = values / np.maximum(tr.volume_mm3[:, k], 1e-9)
    return _window(tr.time, values, spec)


def typical_systemic_state(spec: dict, run, summary) -> float:
    result = _typical_result(run, spec["arm"])
    sub, tr = result.subject, result.trajectory
    layout = Layout(len(sub.lesions), len(sub.agents))
    if tr.states.shape[1] != layout.size:
        raise ValueError("state vector does not match the subject's layout")
    return _window(tr.time, tr.states[:, layout.systemic(spec["state"])], spec)


def _arm_alc(run, arm: str):
    from ..population import sample_subject
    from ..simulate import simulate_many

    cache = _cache(run)
    if ("alc", arm) in cache:
        return cache[("alc", arm)]
    design = run.design
    scenario = _arm_scenario(run, arm)
    subjects = []
    for k in range(design.population.size):
        sc = sample_subject(scenario, design.population, k)
        subjects.append(dataclasses.replace(sc, simulation=dataclasses.replace(sc.simulation, output_interval_days=1.0)))
    results = simulate_many(subjects)
    ok = [r for r in results if r.trajectory.status == "ok"]
    if not ok:
        raise ValueError(f"no subject of arm {arm!r} simulated")
    cache[("alc", arm)] = (ok[0].trajectory.time, np.array([r.trajectory.alc for r in ok]))
    return cache[("alc", arm)]


def alc_fraction_at_day(spec: dict, run, summary) -> float:
    t, alc = _arm_alc(run, spec["arm"])
    i = int(np.argmin(np.abs(t - float(spec["day"]))))
    return float(np.median(alc[:, i] / alc[:, 0]))


METRICS = {f.__name__: f for f in (typical_lesion_state, typical_systemic_state, alc_fraction_at_day)}
