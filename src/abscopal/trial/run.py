"""Running a trial: every arm on the same virtual subjects, chunk by chunk, into per-subject records.

Per subject and arm: RECIST 1.1 best (or fixed-scan) response over all target lesions, in field and out of
field (the trial's out-of-field set: lesions not targeted in any arm, the same in every arm), the abscopal
response by the chosen definition (only where a lesion is irradiated), OS from a burden-dependent hazard
(population file: h = h0 (B/B_ref)^gamma, paired uniform draw per subject), PFS (the first of RECIST progression,
a new lesion or death: :mod:`abscopal.trial.endpoints`), ALC nadir, and for
mice the endpoint day and tumour-free status. Failed subjects are kept as records with their status.
Records and group curves are kept as described in :mod:`abscopal.trial.store` (columns, streamed curves,
resumable chunks on disk).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from .. import population as _population
from .. import response_compiled
from ..errors import InputError
from ..population import sample_subject
from ..response import scan_indices as _scan_indices
from ..simulate import diameter_from_volume, expected_subjects, simulate_many
from . import endpoints
from .design import TrialDesign
from .store import (
    DETAIL_SUBJECTS,
    EXACT_SERIES_MAX,
    ChunkResult,
    ChunkStore,
    CurveAccumulator,
    RecordTable,
    carry_forward,
    records_table,
    stream_partial,
)

TUMOUR_FREE_MM3 = 10.0  # CONTRACT.md Semantics (Control): every lesion below 10 mm^3 at the end


@dataclass
class TrialRun:
    design: TrialDesign
    records: dict[str, RecordTable]
    time_days: np.ndarray
    lesion_series: dict[str, dict[str, list[np.ndarray]]] = field(default_factory=dict)  # arm -> lesion id -> volumes
    curves: dict[str, dict[str, CurveAccumulator]] = field(default_factory=dict)  # streamed group curves (large cohorts)
    out: Path | None = None  # the chunk store's folder, when the run was written to disk
    chunks_reused: int = 0  # finished chunks found on disk and not recomputed


def _output_interval(design: TrialDesign) -> float:
    if design.species == "mouse":
        return 1.0
    step = 7.0
    ends = design.endpoints
    ok = all(x % step == 0 for x in (ends.assessments, ends.response_at or 0, ends.baseline_scan))
    return step if ok else 1.0


def _series_mode(design: TrialDesign) -> str | None:
    """'exact' (keep every series), 'stream' (reduce per chunk) or None (lesion ids differ between subjects)."""
    if not (design.species == "mouse" or bool(design.arms[0][1].patient.lesions)):
        return None
    return "exact" if design.population.size <= EXACT_SERIES_MAX else "stream"


def default_chunk_size(size: int) -> int:
    """Subjects per chunk: small chunks for small cohorts (progress, balance), larger ones above 100k subjects."""
    return 256 if size <= 100_000 else 2048


def run_trial(design: TrialDesign, *, chunk_size: int | None = None, workers: int = 1,
              progress: Callable[[int, int], None] | None = None, out: str | Path | None = None,
              scheduler: str | None = None, within: Callable[[], AbstractContextManager] | None = None,
              pool=None) -> TrialRun:
    """Run every arm on the same subjects, chunk by chunk.

    Chunks run in this process, in ``workers`` processes, or on a dask.distributed cluster (``scheduler``: an
    address, or ``"local"`` for a LocalCluster of ``workers`` processes). With ``out``, every finished chunk is
    written to ``out`` at once and a restarted run with the same design reuses the finished chunks. Results do
    not depend on the chunk size, the number of workers or the scheduler: every subject's draws and trajectory
    are its own, and the streamed group curves are exact integer sums and histogram counts.

    ``within``: a picklable callable returning a context manager that every chunk runs inside, in whichever
    process runs it (e.g. ``functools.partial(abscopal.inference.patch.values, draw, species)`` for one draw of
    the posterior ensemble: an in-process parameter swap, which therefore has to be applied in each worker).

    ``pool``: an open ``concurrent.futures`` executor to run the chunks in, instead of starting one for this run
    (an ensemble's draws share one pool, so that worker start-up and imports are paid once, not once per draw).
    """
    from ..simulate import __version__

    n = design.population.size
    chunk_size = chunk_size or default_chunk_size(n)
    interval = _output_interval(design)
    mode = _series_mode(design)
    arms = [name for name, _ in design.arms]
    chunks = [range(start, min(n, start + chunk_size)) for start in range(0, n, chunk_size)]
    store = None
    if out is not None:
        store = ChunkStore(Path(out), {"scenario_sha256": design.sha256, "seed": design.population.seed, "size": n,
                                       "chunk_size": chunk_size, "version": __version__, "series": mode})
    results: dict[int, ChunkResult] = {}
    accumulators: dict[str, dict[str, CurveAccumulator]] = {arm: {} for arm in arms}
    done = 0

    def absorb(result: ChunkResult) -> None:
        nonlocal done
        if mode == "stream":
            for arm, lesions in result.curves.items():
                for lid, part in lesions.items():
                    accumulators[arm].setdefault(lid, CurveAccumulator(len(result.time_days))).add(part)
            result.curves = {}  # reduced: drop the per-subject bins
        results[result.start] = result
        done += result.stop - result.start
        if progress is not None:
            progress(done, n)

    reused = [c for c in chunks if store is not None and store.done(c)]
    for chunk in reused:
        absorb(store.read(chunk, arms))
    pending = [c for c in chunks if c.start not in results]

    def finished(result: ChunkResult) -> None:
        if store is not None:
            store.write(range(result.start, result.stop), result)
        absorb(result)

    if scheduler is not None and pending:
        _run_on_dask(scheduler, workers, design, pending, interval, mode, finished, within)
    elif pool is not None and pending:
        _run_in_pool(pool, design, pending, interval, mode, finished, within)
    elif workers > 1 and len(pending) > 1:
        with worker_pool(workers) as own:
            _run_in_pool(own, design, pending, interval, mode, finished, within)
    else:
        for chunk in pending:
            finished(_run_chunk(design, chunk, interval, mode, within))
    ordered = [results[c.start] for c in chunks]
    records = {arm: RecordTable(pa.concat_tables([r.tables[arm] for r in ordered])) for arm in arms}
    series: dict[str, dict[str, list[np.ndarray]]] = {arm: {} for arm in arms}
    if mode == "exact":
        for r in ordered:
            for arm, lesions in r.curves.items():
                for lid, part in lesions.items():
                    series[arm].setdefault(lid, []).extend(part["series"])
    time_days = ordered[0].time_days if ordered else np.zeros(0)
    return TrialRun(design=design, records=records, time_days=time_days, lesion_series=series,
                    curves=accumulators if mode == "stream" else {}, out=store.out if store else None,
                    chunks_reused=len(reused))


def worker_pool(workers: int):
    """A process pool of ``workers`` spawned processes (spawn: the same start on every platform)."""
    import concurrent.futures as cf
    import multiprocessing as mp

    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))


def _run_in_pool(pool, design: TrialDesign, pending: list[range], interval: float, mode: str | None,
                 finished: Callable[[ChunkResult], None],
                 within: Callable[[], AbstractContextManager] | None = None) -> None:
    import concurrent.futures as cf

    futures = [pool.submit(_run_chunk, design, chunk, interval, mode, within) for chunk in pending]
    for future in cf.as_completed(futures):
        finished(future.result())


def _run_on_dask(scheduler: str, workers: int, design: TrialDesign, pending: list[range], interval: float,
                 mode: str | None, finished: Callable[[ChunkResult], None],
                 within: Callable[[], AbstractContextManager] | None = None) -> None:
    """Chunks as dask.distributed tasks; each finished chunk is stored and absorbed here as it arrives."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError("dask.distributed is not installed", key="--scheduler", file="(command line)",
                         expected="pip install 'abscopal[dask]', or run without --scheduler") from None
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot reach the dask scheduler ({exc})", key="--scheduler", file="(command line)",
                             expected="an address such as tcp://host:8786, or 'local'") from None
    try:
        shared = client.scatter(design, broadcast=True)
        futures = [client.submit(_run_chunk, shared, chunk, interval, mode, within, pure=False) for chunk in pending]
        for future in as_completed(futures):
            finished(future.result())
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_chunk(design: TrialDesign, indices: range, interval: float, mode: str | None = None,
               within: Callable[[], AbstractContextManager] | None = None) -> ChunkResult:
    if within is not None:
        with within():
            return _run_chunk(design, indices, interval, mode)
    with expected_subjects(design.population.size):  # each arm integrates the whole cohort's subjects in all
        return _simulate_chunk(design, indices, interval, mode)


def _simulate_chunk(design: TrialDesign, indices: range, interval: float, mode: str | None) -> ChunkResult:
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
    tables: dict[str, pa.Table] = {}
    curves: dict[str, dict[str, dict[str, np.ndarray]]] = {name: {} for name in per_arm}
    time_days = None
    for name, scenarios in per_arm.items():
        records, volumes, risks = [], {}, {}
        for j, (k, result) in enumerate(zip(indices, simulate_many(scenarios, indices=list(indices)), strict=True)):
            record = evaluate(result, design, k, targeted[j])
            records.append(record)
            t = result.trajectory.time
            time_days = t if time_days is None else time_days
            if mode is None:
                continue
            for lk, les in enumerate(result.subject.lesions):
                if les.occult:
                    continue
                v = result.trajectory.volume_mm3[:, lk]
                if mode == "exact":
                    volumes.setdefault(les.id, []).append(v)
                elif record["status"] == "ok":
                    v, at_risk = carry_forward(v, t, record.get("endpoint_day"))
                    volumes.setdefault(les.id, []).append(v)
                    risks.setdefault(les.id, []).append(at_risk)
        tables[name] = records_table(name, records)
        for lid, rows in volumes.items():
            if mode == "exact":
                curves[name][lid] = {"series": np.array(rows)}
            else:
                curves[name][lid] = stream_partial(np.array(rows), np.array(risks[lid]))
    return ChunkResult(indices.start, indices.stop, tables, time_days, curves)


@functools.lru_cache(maxsize=64)
def _scan_schedule(t_bytes: bytes, every: float, until: float, baseline: float) -> tuple[int, ...]:
    """response.scan_indices of an output grid given as bytes: the cohort's subjects share a few grids, and
    finding the scans (one argmin per scan) cost more than assessing them."""
    return tuple(_scan_indices(np.frombuffer(t_bytes), every, until, baseline))


def evaluate(result, design: TrialDesign, k: int, targeted_any_arm: set[str]) -> dict:
    """One subject's readouts in one arm."""
    sub, tr, sc = result.subject, result.trajectory, result.scenario
    v = sub.values
    t = tr.time
    diam = diameter_from_volume(tr.volume_mm3)
    irradiated = sc.irradiated_ids
    enrolled = [i for i, les in enumerate(sub.lesions) if les.at_baseline]
    b = int(np.argmin(np.abs(t - design.endpoints.baseline_scan)))  # the RECIST baseline scan (day 0 by default)
    if b == 0:
        baseline = enrolled
    else:  # a later baseline scan also sees the lesions that appeared, or grew visible, before it
        baseline = [i for i, les in enumerate(sub.lesions)
                    if (les.occult and diam[b, i] >= v["new_lesion_diameter"])
                    or (not les.occult and (les.appears_day is None or les.appears_day <= t[b] + 1e-9) and diam[b, i] > 0)]
    later = [i for i in range(len(sub.lesions)) if i not in baseline]
    record = {
        "subject": k, "status": tr.status, "tumour": sc.tumour, "n_lesions": len(enrolled),
        "baseline_alc": float(tr.alc[0]), "pdl1_tps": sc.patient.pdl1_tps, "tmb": sc.patient.tmb_per_mb,
        "p53_mutant": sc.patient.p53_mutant,
        "baseline_sum_diameters_mm": float(sum(diameter_from_volume(sub.lesions[i].volume_mm3) for i in enrolled)),
        "alc_nadir": _nanmin(tr.alc) if tr.status == "ok" else None,
    }
    if tr.status != "ok":
        return record
    grid = np.ascontiguousarray(t, dtype=float).tobytes()
    scans = list(_scan_schedule(grid, design.endpoints.assessments, float(t[-1]), float(t[b])))
    new_scan = None
    if later and scans:  # the first scan that shows a later lesion (an occult one once it reaches the visible size)
        occult = np.array([sub.lesions[i].occult for i in later])
        at_scans = np.ix_(scans, later)
        shown = (tr.volume_mm3[at_scans] > 0) & (~occult | (diam[at_scans] >= v["new_lesion_diameter"]))
        hits = np.nonzero(shown.any(axis=1))[0]
        new_scan = int(hits[0]) if hits.size else None

    in_field = [i for i in baseline if sub.lesions[i].id in irradiated]
    out_field = [i for i in baseline if sub.lesions[i].id not in targeted_any_arm]
    dmm = v["disappearance_diameter"]
    is_human = design.species == "human"
    at = None
    if design.endpoints.response_at is not None and scans:
        at = int(np.argmin(np.abs(np.array([t[i] for i in scans]) - design.endpoints.response_at)))
    readouts = None
    if scans:
        readouts = _readouts(sub, diam, b, scans, baseline, in_field, out_field, dmm, new_scan, at, is_human,
                             design.endpoints.confirm, t[scans])
    targets = readouts[0] if readouts is not None else []
    if targets:
        ids = [baseline[j] for j in targets]
        base_sum = float(diam[b, ids].sum())
        sums = diam[np.ix_(scans, ids)].sum(axis=1)
        changes = 100.0 * (sums / base_sum - 1.0)
        record["best_sum_change_pct"] = float(changes.min())
        # kept in the table for the first DETAIL_SUBJECTS subjects only (store.records_table): not built for the others
        record["sum_change_pct_by_scan"] = ([(float(t[i]), float(c)) for i, c in zip(scans, changes, strict=True)]
                                            if k < DETAIL_SUBJECTS else None)
    else:
        record["best_sum_change_pct"] = None
        record["sum_change_pct_by_scan"] = []
    if is_human and scans:
        _, overall_progression, record["overall"], record["overall_irecist"], record["in_field"], out, change, \
            recurrence = readouts
        if design.endpoints.progression == "out_of_field" and out_field:  # RECIST progression of those lesions only
            overall_progression = _readouts(sub, diam, b, scans, out_field, [], out_field, dmm, new_scan, None, True,
                                            design.endpoints.confirm, t[scans])[1]
        record["out_of_field"] = out
        record["response_change_pct"] = change
        progression = endpoints.first_event(
            *(float(t[scans[s]]) if s is not None else None for s in (overall_progression, new_scan, recurrence)))
        record["progression_day"] = progression
        record["os_day"], record["os_event"] = _overall_survival(tr, design, k)
        record["pfs_day"], record["pfs_event"] = endpoints.progression_free(progression, record["os_day"],
                                                                             record["os_event"], float(t[-1]))
    else:
        for key in ("overall", "overall_irecist", "in_field", "out_of_field", "pfs_day", "pfs_event", "os_day", "os_event",
                    "progression_day", "response_change_pct"):
            record[key] = None
        out = None
    # the abscopal response needs an irradiated lesion in this subject and arm (else it is not applicable: null)
    record["irradiated"] = any(les.id in irradiated for les in sub.lesions if not les.occult)
    if out_field and record["irradiated"]:
        if design.endpoints.abscopal_definition == "golden2015":
            idx = scans if scans else list(range(len(t)))
            record["abscopal"] = bool(np.any(diam[idx][:, out_field].min(axis=0) <= 0.7 * diam[b, out_field]))
        else:
            record["abscopal"] = out in ("CR", "PR") if out is not None else None
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


def _readouts(sub, diam, b, scans, baseline, in_field, out_field, dmm, new_scan, at, is_human, confirm, days):
    """One subject's RECIST read-outs: (target positions in ``baseline``, overall progression scan, overall
    response, iRECIST best, in-field and out-of-field responses, target-sum change % at the read-out scan,
    recurrence scan); the response at scan ``at`` (PD once progressed) when the design fixes one, else the best.

    One call of the compiled kernel (response_compiled.py): the same values as response.py's assess and
    assess_irecist on lesion tracks, without building them or calling NumPy per lesion and scan."""
    node, site = response_compiled.site_arrays(tuple(les.site for les in sub.lesions))
    ok, targets, overall, progression, change_ok, change, irecist, in_read, out_ok, out_read, recurrence = \
        response_compiled.kernel().cohort_readouts(
            np.ascontiguousarray(diam[scans]), np.ascontiguousarray(diam[b]), node, site,
            np.array(baseline, dtype=np.int64), np.array(in_field, dtype=np.int64), np.array(out_field, dtype=np.int64),
            float(dmm), -1 if new_scan is None else new_scan, -1 if at is None else at, is_human, bool(confirm),
            np.ascontiguousarray(days, dtype=float))
    targets = targets.tolist()
    if not is_human:
        return targets, None, None, None, None, None, None, None
    names, inames = response_compiled.CATEGORIES, response_compiled.ICATEGORIES
    return (targets, None if progression < 0 else int(progression), names[overall], inames[irecist],
            names[in_read] if in_field else None, names[out_read] if out_ok else None,
            float(change) if change_ok else None, None if recurrence < 0 else int(recurrence))


def _nanmin(a: np.ndarray) -> float:
    """float(np.nanmin(a)) through the fmin reduction that nanmin itself uses for float arrays, without its
    per-call overhead; an all-NaN array goes through nanmin (and its warning)."""
    if type(a) is np.ndarray and a.dtype == np.float64:
        value = np.fmin.reduce(a)
        if not np.isnan(value):
            return float(value)
    return float(np.nanmin(a))


def _overall_survival(tr, design: TrialDesign, k: int) -> tuple[float, bool]:
    pop = _population.population_values("human")  # through the module: a parameter swap replaces it there
    burden = np.maximum(tr.volume_mm3.sum(axis=1), 1e-9)
    hazard = pop["os_baseline_hazard"] * (burden / pop["os_reference_burden"]) ** pop["os_burden_exponent"]
    t = tr.time
    cumulative = np.zeros(len(t))  # 0, then the running trapezoid sums (np.diff and np.concatenate, cheaper)
    np.cumsum(0.5 * (hazard[1:] + hazard[:-1]) * (t[1:] - t[:-1]), out=cumulative[1:])
    threshold = np.random.default_rng([design.population.seed, k, 99]).exponential()  # paired across arms
    hit = np.nonzero(cumulative >= threshold)[0]
    if not hit.size:
        return float(t[-1]), False
    j = int(hit[0])
    # linear interpolation of the crossing inside the output step
    frac = (threshold - cumulative[j - 1]) / max(cumulative[j] - cumulative[j - 1], 1e-300)
    return float(t[j - 1] + frac * (t[j] - t[j - 1])), True


