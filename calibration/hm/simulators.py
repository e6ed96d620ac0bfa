"""Simulators for history matching, and their evaluation in worker processes.

A simulator is a picklable object with ``species``, ``fingerprint()``, ``digest()``, ``checks()`` and
``__call__(params, seed) -> (observables, problems)``; observables are keyed ``<target id>/<name>``. Workers
are started with the ``spawn`` method (as ``abscopal validate --workers``): each worker imports the model
afresh and patches the parameter values inside itself, around each point, with calibrate.py's ``values()``
(in-process patching cannot cross a process boundary, so the patch is applied where the model runs).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import sys
import time
from functools import cache
from pathlib import Path

CALIBRATION = Path(__file__).resolve().parents[1]


@cache
def calibrate_module():
    """calibration/calibrate.py, loaded once per process (the home of ``values()`` and the free parameters).
    NOTE: ``values()`` is moving to abscopal.parameters.patch; switch this one import when it has."""
    if "calibrate" in sys.modules:
        return sys.modules["calibrate"]
    spec = importlib.util.spec_from_file_location("calibrate", CALIBRATION / "calibrate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibrate"] = module
    spec.loader.exec_module(module)
    return module


class ModelSimulator:
    """The abscopal model on the calibration-part targets of a species (calibrate.target_ids: never the
    held-out part), at seed index ``seed`` (the encoded population seed + 1000 * seed), without the immune-null
    control runs (they score no check)."""

    def __init__(self, species: str, ids: list[str] | None = None):
        self.species = species
        self.ids = list(ids) if ids is not None else calibrate_module().target_ids(species)

    def fingerprint(self) -> str:
        from abscopal.validation.cache import model_fingerprint

        return model_fingerprint(self.species)  # the species' own files: the other species' values cannot move these runs

    def digest(self) -> str:
        from abscopal.validation import suite

        targets = suite.load_targets()
        blob = json.dumps([suite.target_content(targets[i]) for i in self.ids], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def checks(self):
        from abscopal.validation import suite

        from .checks import target_checks

        targets = suite.load_targets()
        return [c for i in self.ids for c in target_checks(targets[i])]

    def __call__(self, params: dict[str, float], seed: int):
        from abscopal.validation import suite

        calibrate = calibrate_module()
        targets = suite.load_targets()
        observables, problems = {}, []
        with calibrate.values(params, self.species), contextlib.redirect_stdout(io.StringIO()):
            for tid in self.ids:
                target = targets[tid]
                try:
                    evaluation = suite.evaluate_target(target, seed)
                    values, found = evaluation.values, evaluation.problems
                except Exception as exc:  # one failing target is a status, not a crash of the wave
                    values, found = {name: None for name in target.observables}, [f"run failed: {exc!r}"[:300]]
                observables.update({f"{tid}/{k}": v for k, v in values.items()})
                problems += [f"{tid}: {p}" for p in found]
        return observables, problems


def _init_worker() -> None:
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):  # pragma: no cover
        pass


def _run(job):
    simulator, params, seed = job
    start = time.perf_counter()
    observables, problems = simulator(params, seed)
    return observables, problems, time.perf_counter() - start


def evaluate(simulator, cache, jobs: list[tuple[dict, int]], *, workers: int = 2, budget: int | None = None,
             label: str = "", log=None) -> tuple[list[dict | None], int]:
    """Records of ``jobs`` (params, seed): from the cache where stored, else simulated (at most ``budget`` new
    ones) in ``workers`` spawned processes and stored at once. Returns the records (None where the budget ran
    out) and the number of new simulations."""
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    records: list[dict | None] = [cache.get(p, s) for p, s in jobs]
    cached = sum(r is not None for r in records)
    todo, seen = [], set()
    for i, (p, s) in enumerate(jobs):
        key = cache.key(p, s)
        if records[i] is None and key not in seen:
            seen.add(key)
            todo.append(i)
    if budget is not None:
        todo = todo[: max(budget, 0)]
    log(f"[{label}] {len(jobs)} evaluations: {cached} cached, {len(todo)} to run"
        + (f", {sum(r is None for r in records) - len(todo)} left for a later run (--budget)" if budget is not None else ""))
    start, done = time.perf_counter(), [0]

    def finished(i, result):
        observables, problems, seconds = result
        p, s = jobs[i]
        records[i] = cache.put(p, s, observables, problems, seconds)
        done[0] += 1
        rate = (time.perf_counter() - start) / done[0]
        log(f"[{label}] {done[0]}/{len(todo)} run ({seconds:.1f} s this point, {rate:.1f} s per point wall, "
            f"eta {rate * (len(todo) - done[0]) / 60:.1f} min)")

    if workers > 1 and len(todo) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker) as pool:
            futures = {pool.submit(_run, (simulator, *jobs[i])): i for i in todo}
            for future in as_completed(futures):
                finished(futures[future], future.result())
    else:
        for i in todo:
            finished(i, _run((simulator, *jobs[i])))
    for i, (p, s) in enumerate(jobs):  # duplicates of a job run once
        if records[i] is None:
            records[i] = cache.get(p, s)
    return records, len(todo)
