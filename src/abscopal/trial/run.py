"""Running a trial: every arm on the same virtual subjects, chunk by chunk, into per-subject records.

Per subject and arm: RECIST 1.1 best (or fixed-scan) response over all target lesions, in field and out of
field (the trial's out-of-field set: lesions not targeted in any arm, the same in every arm), the abscopal
response by the chosen definition, PFS (RECIST progression or a new lesion), OS from a burden-dependent
hazard (population file: h = h0 (B/B_ref)^gamma, paired uniform draw per subject), ALC nadir, and for
mice the endpoint day and tumour-free status. Failed subjects are kept as records with their status.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import response as recist
from ..population import population_values, sample_subject
from ..simulate import diameter_from_volume, simulate_many
from .design import TrialDesign

TUMOUR_FREE_MM3 = 10.0  # CONTRACT.md Semantics (Control): every lesion below 10 mm^3 at the end


@dataclass
class TrialRun:
    design: TrialDesign
    records: dict[str, list[dict]]
    time_days: np.ndarray
    lesion_series: dict[str, dict[str, list[np.ndarray]]] = field(default_factory=dict)  # arm -> lesion id -> volumes


def _output_interval(design: TrialDesign) -> float:
    if design.species == "mouse":
        return 1.0
    step = 7.0
    ok = design.endpoints.assessments % step == 0 and (design.endpoints.response_at or 0) % step == 0
    return step if ok else 1.0


def run_trial(design: TrialDesign, *, chunk_size: int = 256, workers: int = 1,
              progress: Callable[[int, int], None] | None = None) -> TrialRun:
    """Run every arm on the same subjects, chunk by chunk (in ``workers`` processes when > 1).

    Each chunk is integrated as one vectorised batch per arm. Results do not depend on the chunk size or
    the number of workers: every subject's draws and trajectory are its own.
    """
    n = design.population.size
    interval = _output_interval(design)
    records: dict[str, list[dict]] = {name: [] for name, _ in design.arms}
    series: dict[str, dict[str, list[np.ndarray]]] = {name: {} for name, _ in design.arms}
    chunks = [range(start, min(n, start + chunk_size)) for start in range(0, n, chunk_size)]
    time_days = None
    done = 0

    def collect(result):
        nonlocal time_days, done
        chunk_records, chunk_series, t, count = result
        for arm in records:
            records[arm].extend(chunk_records[arm])
            for lid, volumes in chunk_series[arm].items():
                series[arm].setdefault(lid, []).extend(volumes)
        time_days = t if time_days is None else time_days
        done += count
        if progress is not None:
            progress(done, n)

    if workers > 1 and len(chunks) > 1:
        import concurrent.futures as cf
        import multiprocessing as mp

        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            for result in pool.map(_run_chunk, [design] * len(chunks), chunks, [interval] * len(chunks)):
                collect(result)
    else:
        for chunk in chunks:
            collect(_run_chunk(design, chunk, interval))
    return TrialRun(design=design, records=records, time_days=time_days, lesion_series=series)


def _run_chunk(design: TrialDesign, indices: range, interval: float):
    per_arm = {}
    for name, scenario in design.arms:
        subjects = []
        for k in indices:
            sc = sample_subject(scenario, design.population, k)
            sc = dataclasses.replace(sc, simulation=dataclasses.replace(sc.simulation, output_interval_days=interval))
            subjects.append(sc)
        per_arm[name] = subjects
    targeted = [set().union(*(set(b.lesion_ids) for arm in per_arm.values() for b in arm[j].radiotherapy))
                for j in range(len(indices))]
    keep_series = design.species == "mouse" or bool(design.arms[0][1].patient.lesions)
    chunk_records = {name: [] for name in per_arm}
    chunk_series: dict[str, dict[str, list[np.ndarray]]] = {name: {} for name in per_arm}
    time_days = None
    for name, scenarios in per_arm.items():
        for j, (k, result) in enumerate(zip(indices, simulate_many(scenarios), strict=True)):
            chunk_records[name].append(evaluate(result, design, k, targeted[j]))
            time_days = result.trajectory.time if time_days is None else time_days
            if keep_series:
                for lk, les in enumerate(result.subject.lesions):
                    if not les.occult:
                        chunk_series[name].setdefault(les.id, []).append(result.trajectory.volume_mm3[:, lk])
    return chunk_records, chunk_series, time_days, len(indices)


def _scan_indices(t: np.ndarray, every: float, duration: float) -> list[int]:
    scans = np.arange(every, duration + 1e-9, every)
    return [int(np.argmin(np.abs(t - s))) for s in scans]


def evaluate(result, design: TrialDesign, k: int, targeted_any_arm: set[str]) -> dict:
    """One subject's readouts in one arm."""
    sub, tr, sc = result.subject, result.trajectory, result.scenario
    v = sub.values
    t = tr.time
    diam = diameter_from_volume(tr.volume_mm3)
    irradiated = sc.irradiated_ids
    baseline = [i for i, les in enumerate(sub.lesions) if not les.occult and les.appears_day in (None, 0.0)]
    later = [i for i, les in enumerate(sub.lesions) if les.occult or les.appears_day not in (None, 0.0)]
    record = {
        "subject": k, "status": tr.status, "tumour": sc.tumour, "n_lesions": len(baseline),
        "baseline_alc": float(tr.alc[0]), "pdl1_tps": sc.patient.pdl1_tps, "tmb": sc.patient.tmb_per_mb,
        "p53_mutant": sc.patient.p53_mutant,
        "baseline_sum_diameters_mm": float(sum(diameter_from_volume(sub.lesions[i].volume_mm3) for i in baseline)),
        "alc_nadir": float(np.nanmin(tr.alc)) if tr.status == "ok" else None,
    }
    if tr.status != "ok":
        return record
    scans = _scan_indices(t, design.endpoints.assessments, t[-1])
    new_scan = None
    for s, ti in enumerate(scans):
        if any(tr.volume_mm3[ti, i] > 0 and (diam[ti, i] >= v["new_lesion_diameter"] if sub.lesions[i].occult else True)
               for i in later):
            new_scan = s
            break

    def tracks(ids):
        return [recist.LesionTrack(sub.lesions[i].id, sub.lesions[i].site, float(diam[0, i]), diam[scans, i]) for i in ids]

    def read(assessment):
        if design.endpoints.response_at is not None and assessment.responses:
            at = int(np.argmin(np.abs(np.array([t[i] for i in scans]) - design.endpoints.response_at)))
            if assessment.progression_index is not None and assessment.progression_index <= at:
                return "PD"
            return assessment.responses[at]
        return assessment.best

    in_field = [i for i in baseline if sub.lesions[i].id in irradiated]
    out_field = [i for i in baseline if sub.lesions[i].id not in targeted_any_arm]
    dmm = v["disappearance_diameter"]
    is_human = design.species == "human"
    targets = recist.select_targets(tracks(baseline)) if scans else []
    if targets:
        ids = [baseline[j] for j in targets]
        base_sum = float(diam[0, ids].sum())
        sums = diam[np.ix_(scans, ids)].sum(axis=1)
        changes = 100.0 * (sums / base_sum - 1.0)
        record["best_sum_change_pct"] = float(changes.min())
        record["sum_change_pct_by_scan"] = [(float(t[i]), float(c)) for i, c in zip(scans, changes, strict=True)]
    else:
        record["best_sum_change_pct"] = None
        record["sum_change_pct_by_scan"] = []
    if is_human and scans:
        overall = recist.assess(tracks(baseline), disappearance_mm=dmm, new_lesion_scan=new_scan)
        record["overall"] = read(overall)
        record["overall_irecist"] = recist.assess_irecist(tracks(baseline), disappearance_mm=dmm, new_lesion_scan=new_scan).best
        record["in_field"] = read(recist.assess(tracks(in_field), disappearance_mm=dmm, use_non_targets=False)) if in_field else None
        out = recist.assess(tracks(out_field), disappearance_mm=dmm, use_non_targets=False) if out_field else None
        record["out_of_field"] = read(out) if out is not None else None
        progression = overall.progression_index
        record["pfs_day"] = float(t[scans[progression]]) if progression is not None else float(t[-1])
        record["pfs_event"] = progression is not None
        record["os_day"], record["os_event"] = _overall_survival(tr, design, k)
    else:
        for key in ("overall", "overall_irecist", "in_field", "out_of_field", "pfs_day", "pfs_event", "os_day", "os_event"):
            record[key] = None
        out = None
    if out_field:
        if design.endpoints.abscopal_definition == "golden2015":
            idx = scans if scans else list(range(len(t)))
            record["abscopal"] = bool(any(np.min(diam[idx, i]) <= 0.7 * diam[0, i] for i in out_field))
        else:
            record["abscopal"] = record["out_of_field"] in ("CR", "PR") if out is not None else None
    else:
        record["abscopal"] = None
    record["n_out_of_field"] = len(out_field)
    visible = [i for i, les in enumerate(sub.lesions) if not les.occult]
    total = tr.volume_mm3[:, visible].sum(axis=1)
    endpoint = sc.simulation.endpoint_volume_mm3
    reached = np.nonzero(total >= endpoint)[0] if endpoint is not None else np.array([], dtype=int)
    record["endpoint_day"] = float(t[reached[0]]) if reached.size else None
    record["endpoint_event"] = bool(reached.size)
    record["tumour_free"] = bool(np.all(tr.volume_mm3[-1, visible] < TUMOUR_FREE_MM3))
    record["controlled_lesions"] = {sub.lesions[i].id: bool(tr.viable_cells[-1, i] < 1.0) for i in visible}
    return record


def _overall_survival(tr, design: TrialDesign, k: int) -> tuple[float, bool]:
    pop = population_values("human")
    burden = np.maximum(tr.volume_mm3.sum(axis=1), 1e-9)
    hazard = pop["os_baseline_hazard"] * (burden / pop["os_reference_burden"]) ** pop["os_burden_exponent"]
    t = tr.time
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (hazard[1:] + hazard[:-1]) * np.diff(t))])
    threshold = np.random.default_rng([design.population.seed, k, 99]).exponential()  # paired across arms
    hit = np.nonzero(cumulative >= threshold)[0]
    if not hit.size:
        return float(t[-1]), False
    j = int(hit[0])
    # linear interpolation of the crossing inside the output step
    frac = (threshold - cumulative[j - 1]) / max(cumulative[j] - cumulative[j - 1], 1e-300)
    return float(t[j - 1] + frac * (t[j] - t[j - 1])), True


