"""One scenario -> Result; many subjects -> results in one batched call (a single run is a batch of one)."""

from __future__ import annotations

import dataclasses
import math
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from . import response as recist
from .agents import get_agent
from .engine import STATUS_OK, integrate_batch
from .engine.linear import ExactPK
from .model.batch import Batch
from .model.registry import make_batch
from .model.subject import Subject, subject_from_scenario
from .scenario.model import Scenario
from .vocabulary import NOTICE

try:
    __version__ = version("abscopal")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0+unknown"

SCHEMA = "abscopal.result/1"

# Relative tolerance of every simulation (simulate, cohort, trial, validate, optimise). Chosen from
# benchmarks/tolerance.py (docs/performance.md, "Tolerance and accuracy over many subjects"): over 2,000 subjects
# of the 5-lesion benchmark scenario with weekly output, rtol 4e-6 keeps the final burden within 6.1e-6 of the
# rtol 1e-10 reference (the accuracy bar is 1e-5) with 20% fewer steps than the 1e-6 used until 2026-12-04; 1e-5
# misses the bar on 1 subject in 2,000. Since the drug compartments are solved exactly (engine/linear.py,
# 2026-12-05) the same tolerance keeps it within 5.1e-6 with a further 24% fewer steps; 6e-6 would still meet the
# bar on those subjects (8.2e-6), and 4e-6 is kept for its margin on other scenarios.
RTOL = 4e-6


@dataclass
class SubjectTrajectory:
    """Raw time courses of one subject (canonical units)."""

    time: np.ndarray  # days
    viable_cells: np.ndarray  # (T, L)
    volume_mm3: np.ndarray  # (T, L)
    alc: np.ndarray  # (T,)
    concentration: np.ndarray  # (T, A) ug/mL
    occupancy: np.ndarray  # (T, A)
    agents: list[str]
    status: str
    states: np.ndarray = field(repr=False, default=None)


def output_times(duration: float, interval: float) -> np.ndarray:
    n = int(math.floor(duration / interval + 1e-9))
    times = np.arange(n + 1) * interval
    if duration - times[-1] > 1e-9:
        times = np.append(times, duration)
    return times


_EXPECTED_SUBJECTS: int | None = None


@contextmanager
def expected_subjects(n: int):
    """Within this block the caller will integrate about ``n`` subjects of the same shape (a cohort's size): the
    compiled engine may then compile its lanes kernel for that shape, which pays off only over many subjects
    (engine/lanes.py, choose). Results are the same either way."""
    global _EXPECTED_SUBJECTS
    previous = _EXPECTED_SUBJECTS
    _EXPECTED_SUBJECTS = max(previous or 0, n)  # nested blocks: the largest announcement holds
    try:
        yield
    finally:
        _EXPECTED_SUBJECTS = previous


@contextmanager
def expecting(n: int, inner=None):
    """expected_subjects(n), around ``inner()`` (a context manager factory) when given: a picklable ``within`` for
    run_trial, e.g. functools.partial(expecting, size * draws, functools.partial(patch.values, draw, species)) for
    the draws of a posterior ensemble, which integrate size x draws subjects of one shape in all."""
    with expected_subjects(n):
        if inner is None:
            yield
        else:
            with inner():
                yield


def run_subjects(subjects: list[Subject], duration: float, interval: float, *, progress=None,
                 rtol: float = RTOL, engine: str | None = None) -> list[SubjectTrajectory]:
    """Integrate all subjects in one call: the compiled engine for the flagship model, else the NumPy one.

    ``engine``: "compiled" or "numpy" (default: $ABSCOPAL_ENGINE, else compiled where the model has it).
    Both run the same algorithm on the same generated equations (tests/unit/test_codegen.py).
    """
    batch = make_batch(subjects)
    t_out = output_times(duration, interval)
    engine = engine or os.environ.get("ABSCOPAL_ENGINE") or "compiled"
    if engine == "compiled" and hasattr(batch, "compiled_inputs"):
        from .engine.compiled import run_compiled

        out, status, _ = run_compiled(batch, t_out, rtol=rtol, threads=1, expected=_EXPECTED_SUBJECTS)
        if progress is not None:
            progress(1.0)
    else:
        y0, active0 = batch.initial_state()
        out, status, _ = integrate_batch(
            lambda t, y, aux: batch.rhs(t, y, aux), y0, active0, t_out, batch.ev_time, batch.apply_events,
            nonnegative=batch.nonnegative(), rtol=rtol, progress=progress,
            exact=ExactPK.of_batch(batch) if isinstance(batch, Batch) else None,  # the flagship model's drugs
        )
    results = []
    for i, subject in enumerate(subjects):
        readout = batch.readout(i, out[i], t_out)
        results.append(SubjectTrajectory(
            time=t_out, viable_cells=readout["viable_cells"], volume_mm3=readout["volume_mm3"], alc=readout["alc"],
            concentration=readout["concentration"], occupancy=readout["occupancy"], agents=list(subject.agents),
            status="ok" if status[i] == STATUS_OK else "solver_failed", states=out[i],
        ))
    return results


def diameter_from_volume(volume):
    return np.cbrt(6.0 * np.asarray(volume) / math.pi)


class Result:
    """The result of `abscopal simulate`: ``to_dict()`` gives the contract's JSON.

    ``data`` (the contract's JSON) is built on first use: a cohort reads the trajectory directly and never
    needs it, and building it (rounded lists of every time course) cost more than integrating the subject.
    """

    __slots__ = ("scenario", "subject", "trajectory", "_data")

    def __init__(self, scenario: Scenario, subject: Subject, trajectory: SubjectTrajectory, data: dict | None = None):
        self.scenario = scenario
        self.subject = subject
        self.trajectory = trajectory
        self._data = data

    @property
    def data(self) -> dict:
        if self._data is None:
            self._data = build_result(self.scenario, self.subject, self.trajectory)
        return self._data

    @data.setter
    def data(self, value: dict) -> None:
        self._data = value

    def __repr__(self) -> str:
        return f"Result(scenario={self.scenario.name!r}, status={self.trajectory.status!r})"

    def to_dict(self) -> dict:
        return self.data

    def print_summary(self, file=None) -> None:
        from .report import summary_text

        print(summary_text(self), file=file)

    def plot(self, out_dir):
        from .plots import plot_result

        return plot_result(self, out_dir)


def simulate(scenario: Scenario, *, progress=None) -> Result:
    """Simulate one scenario (a batch of one)."""
    return simulate_many([scenario], progress=progress)[0]


def simulate_many(scenarios: list[Scenario], *, progress=None, indices: list[int] | None = None) -> list[Result]:
    """Simulate many scenarios of one species and one time grid in a single vectorised call.

    ``indices``: each scenario's subject index k in its cohort (its occult lesions come from the stream
    keyed by (seed, k)); default 0 for every scenario, as for a single `simulate`.
    """
    indices = [0] * len(scenarios) if indices is None else list(indices)
    subjects = [_subject_for(s, k) for s, k in zip(scenarios, indices, strict=True)]
    sims = {(s.simulation.duration_days, s.simulation.output_interval_days) for s in scenarios}
    if len(sims) != 1:
        raise ValueError("scenarios of one batch must share duration and output interval")
    duration, interval = sims.pop()
    trajectories = run_subjects(subjects, duration, interval, progress=progress)
    results = [Result(sc, sub, tr) for sc, sub, tr in zip(scenarios, subjects, trajectories, strict=True)]
    return _stop_dosing_at_progression(results, duration, interval, indices)


def _subject_for(scenario: Scenario, subject_index: int = 0):
    """The flagship's subject, or a published reference model's (``model: Kosinsky2018``)."""
    if scenario.model == "Kosinsky2018":
        from .library.kosinsky2018 import subject_from_scenario_kosinsky

        return subject_from_scenario_kosinsky(scenario)
    return subject_from_scenario(scenario, subject_index)


def _stop_dosing_at_progression(results: list[Result], duration: float, interval: float,
                                indices: list[int]) -> list[Result]:
    """``until: progression``: drop doses after the RECIST progression day and re-run those subjects.

    Doses after progression cannot change the course up to progression, so the progression day of the
    re-run is the same and one pass suffices. Mice have no RECIST progression: their dosing continues.
    """
    redo = []
    for k, result in enumerate(results):
        if not any(r.until_progression for r in result.scenario.drugs):
            continue  # checked first: the progression day needs the result's JSON, built only when asked for
        day = result.data["summary"]["progression_day"]
        if day is None:
            continue
        drugs = tuple(
            dataclasses.replace(r, days=tuple(d for d in r.days if d <= day)) if r.until_progression else r
            for r in result.scenario.drugs
        )
        redo.append((k, dataclasses.replace(result.scenario, drugs=drugs)))
    if redo:
        subjects = [_subject_for(sc, indices[k]) for k, sc in redo]
        for (k, sc), sub, tr in zip(redo, subjects, run_subjects(subjects, duration, interval), strict=True):
            results[k] = Result(sc, sub, tr)
    return results


def _round(values, digits: int = 8):
    arr = np.asarray(values, dtype=float)
    out = []
    for v in arr.ravel().tolist():
        out.append(None if not math.isfinite(v) else float(f"{v:.{digits}g}"))
    return out


def provenance(scenario: Scenario, subject: Subject) -> dict:
    import hashlib
    from importlib import resources

    from .parameters import load_parameter_set

    if scenario.model == "Kosinsky2018":  # the reference model's own parameter table
        text = resources.files("abscopal.parameters").joinpath("models", "kosinsky2018.toml").read_text()
        parameter_set = f"Kosinsky2018@{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    else:
        pset = load_parameter_set(scenario.species, scenario.tumour)
        parameter_set = f"{pset.name}@{pset.sha256[:12]}"
    return {
        "version": __version__,
        "model": scenario.model,
        "parameter_set": parameter_set,
        "scenario_sha256": scenario.sha256,
        "seed": scenario.simulation.seed,
    }


def build_result(scenario: Scenario, subject: Subject, tr: SubjectTrajectory) -> dict:
    v = subject.values
    t = tr.time
    is_mouse = scenario.species == "mouse"
    visible = [k for k, les in enumerate(subject.lesions) if not les.occult]
    irradiated_ids = scenario.irradiated_ids
    diam = diameter_from_volume(tr.volume_mm3)
    lesions_json = []
    best_changes_out = []
    for k in visible:
        les = subject.lesions[k]
        start = les.appears_day or 0.0
        base_d = diameter_from_volume(les.volume_mm3)
        post = (t > start)
        change = 100.0 * (diam[:, k] / base_d - 1.0)
        best = float(np.min(change[post])) if post.any() else 0.0
        final = float(change[-1]) if t[-1] >= start else 0.0
        n_end = float(tr.viable_cells[-1, k])
        entry = {
            "id": les.id, "site": les.site, "irradiated": les.id in irradiated_ids,
            "volume_mm3": _round(tr.volume_mm3[:, k]), "diameter_mm": _round(diam[:, k]),
            "baseline_diameter_mm": float(f"{base_d:.8g}"), "best_change_pct": float(f"{best:.8g}"),
            "final_change_pct": float(f"{final:.8g}"), "controlled": bool(n_end < 1.0),
            "tcp": float(f"{math.exp(-n_end):.8g}"),
        }
        if les.appears_day is not None:
            entry["appears_day"] = les.appears_day
        lesions_json.append(entry)
        if les.id not in irradiated_ids:
            best_changes_out.append(best)

    # scans
    assessments = 3.0 if is_mouse else 56.0
    scan_idx = recist.scan_indices(t, assessments, t[-1])
    new_scan = None
    occult = [k for k, les in enumerate(subject.lesions) if les.occult or les.appears_day not in (None, 0.0)]
    for s_pos, ti in enumerate(scan_idx):
        if any(diam[ti, k] >= (v["new_lesion_diameter"] if subject.lesions[k].occult else 0.0) and tr.volume_mm3[ti, k] > 0
               for k in occult):
            new_scan = s_pos
            break

    def tracks(ks):
        return [recist.LesionTrack(subject.lesions[k].id, subject.lesions[k].site,
                                   float(diameter_from_volume(subject.lesions[k].volume_mm3)), diam[scan_idx, k]) for k in ks]

    baseline = [k for k in visible if subject.lesions[k].at_baseline]
    in_field = [k for k in baseline if subject.lesions[k].id in irradiated_ids]
    out_field = [k for k in baseline if subject.lesions[k].id not in irradiated_ids]
    summary = {"best_overall_response": None, "in_field_best_response": None, "out_of_field_best_response": None,
               "abscopal_response": None, "progression_day": None}
    solved = tr.status == "ok"  # a failed solve has no response to assess: its status says so
    if not is_mouse and scan_idx and solved:
        overall = recist.assess(tracks(baseline), disappearance_mm=v["disappearance_diameter"], new_lesion_scan=new_scan)
        summary["best_overall_response"] = overall.best
        summary["progression_day"] = float(t[scan_idx[overall.progression_index]]) if overall.progression_index is not None else None
        if in_field:
            summary["in_field_best_response"] = recist.assess(tracks(in_field), disappearance_mm=v["disappearance_diameter"], use_non_targets=False).best
        if out_field:
            summary["out_of_field_best_response"] = recist.assess(tracks(out_field), disappearance_mm=v["disappearance_diameter"], use_non_targets=False).best
    if irradiated_ids and best_changes_out and solved:
        summary["abscopal_response"] = recist.golden2015(best_changes_out)
    summary["alc_nadir_per_ul"] = float(f"{float(np.nanmin(tr.alc)):.8g}")
    endpoint_day = None
    if is_mouse and scenario.simulation.endpoint_volume_mm3 is not None:
        total = tr.volume_mm3[:, visible].sum(axis=1)
        reached = np.nonzero(total >= scenario.simulation.endpoint_volume_mm3)[0]
        endpoint_day = float(t[reached[0]]) if reached.size else None
    summary["endpoint_day"] = endpoint_day

    drugs_json = []
    for a, agent in enumerate(tr.agents):
        days = sorted({d for r in scenario.drugs if r.agent == agent for d in r.days})
        drugs_json.append({"agent": agent, "target": get_agent(scenario.species, agent).target, "dose_days": days,
                           "concentration_ug_per_ml": _round(tr.concentration[:, a]), "occupancy": _round(tr.occupancy[:, a])})
    rt_json = [{"lesions": list(b.lesion_ids), "site": b.site, "dose_per_fraction_gy": b.dose_per_fraction_gy,
                "fractions": b.fractions, "days": list(b.days), "nodes": b.nodes} for b in scenario.radiotherapy]
    occult_json = [{"id": subject.lesions[k].id, "site": subject.lesions[k].site,
                    "baseline_diameter_mm": float(f"{diameter_from_volume(subject.lesions[k].volume_mm3):.6g}"),
                    "final_diameter_mm": float(f"{diam[-1, k]:.6g}")}
                   for k, les in enumerate(subject.lesions) if les.occult]
    return {
        "schema": SCHEMA,
        "name": scenario.name,
        "species": scenario.species,
        "tumour": scenario.tumour,
        "status": tr.status,
        "time_days": _round(t),
        "lesions": lesions_json,
        "alc_per_ul": _round(tr.alc),
        "summary": summary,
        "drugs": drugs_json,
        "radiotherapy": rt_json,
        "occult_lesions": occult_json,
        "provenance": provenance(scenario, subject),
        "notice": NOTICE,
    }
