"""Evaluating one regimen: a one-arm trial on the problem's virtual subjects, kept on disk.

Common random numbers: every regimen runs on the same population block (size and seed), and every draw a
subject takes comes from a stream keyed by (seed, subject), whatever the arm (docs/trials.md), so two regimens
differ only by their treatment. With the posterior ensemble, each regimen runs once per draw on the same
subjects, as ``--uncertainty`` does for a trial.

Each evaluation keeps only the per-subject readouts the objective and the constraints need, and is written to
``DIR/cache/<sha256>.json`` as soon as it is done; the key covers the package version, the base scenario, the
arm and the draws, so a run started again with the same file reuses every finished regimen and a changed file
reuses nothing it should not.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .problem import Problem, canonical

FIELDS = ("status", "out_of_field", "abscopal", "tumour_free", "pfs_day", "pfs_event", "endpoint_day",
          "endpoint_event", "alc_nadir")


@dataclass
class Outcomes:
    """Per-subject readouts of one regimen: one mapping of field -> list (one entry per subject) per draw."""

    draws: list[dict[str, list]]
    weights: list[float]
    cached: bool = False


class Evaluator:
    """Runs regimens (arms) on the problem's subjects, with an in-memory and an on-disk cache."""

    def __init__(self, problem: Problem, out: str | Path | None = None, workers: int = 1):
        from ..simulate import __version__

        self.problem = problem
        self.workers = workers
        self.version = __version__
        self.ensemble = None
        self.model_status = None  # of the ensemble: "current", "changed" or "not recorded"
        if problem.draws > 0:
            import sys

            from ..inference.posterior import load_ensemble, model_note, model_status
            from ..validation.cache import model_fingerprint

            self.ensemble = load_ensemble(problem.species, problem.draws)
            self.model_status = model_status(self.ensemble, model_fingerprint(self.ensemble.species))
            note = model_note(self.ensemble, self.model_status)
            if note:
                print(note, file=sys.stderr, flush=True)
        self.folder = Path(out) / "cache" if out is not None else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.memo: dict[str, Outcomes] = {}
        self.simulated = 0  # regimens simulated by this process
        self.reused = 0  # regimens read from the disk cache
        self._pool = None  # one pool of worker processes for every regimen and draw, started on first use

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def pool(self):
        """The shared worker pool (None with one worker): starting workers costs more than a small regimen's run."""
        if self._pool is None and self.workers > 1:
            from ..trial.run import worker_pool

            self._pool = worker_pool(self.workers)
        return self._pool

    def key(self, arm: dict) -> str:
        payload = {"version": self.version, "base": self.problem.base, "arm": arm,
                   "ensemble": self.ensemble.sha256 if self.ensemble is not None else None,
                   "draws": self.problem.draws if self.ensemble is not None else 0}
        return hashlib.sha256(canonical(payload).encode()).hexdigest()

    def __call__(self, arm: dict) -> Outcomes:
        key = self.key(arm)
        if key in self.memo:
            return self.memo[key]
        path = self.folder / f"{key}.json" if self.folder is not None else None
        if path is not None and path.is_file():
            try:
                data = json.loads(path.read_text())
                outcomes = Outcomes(data["draws"], data["weights"], cached=True)
                self.reused += 1
                self.memo[key] = outcomes
                return outcomes
            except (json.JSONDecodeError, KeyError):  # a file cut short by a kill: run the regimen again
                pass
        outcomes = self._run(arm)
        self.simulated += 1
        if path is not None:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"arm": arm, "draws": outcomes.draws, "weights": outcomes.weights}))
            os.replace(tmp, path)  # atomic: a killed run leaves a whole file or none
        self.memo[key] = outcomes
        return outcomes

    def _run(self, arm: dict) -> Outcomes:
        from ..trial.design import parse_trial
        from ..trial.run import run_trial

        doc = self.problem.document({"regimen": arm})
        text = canonical(doc)
        if self.ensemble is None:
            run = run_trial(parse_trial(doc, text=text, source=self.problem.source), workers=self.workers,
                            pool=self.pool())
            return Outcomes([_readouts(run)], [1.0])
        from ..inference.patch import values

        sets, weights = self.ensemble.first(self.problem.draws)
        draws = []
        for draw in sets:
            with values(draw, self.ensemble.species):  # defaults read from the parameter files change with the draw
                design = parse_trial(doc, text=text, source=self.problem.source)
            run = run_trial(design, workers=self.workers, within=functools.partial(values, draw, self.ensemble.species),
                            pool=self.pool())
            draws.append(_readouts(run))
        return Outcomes(draws, list(weights))


def _readouts(run) -> dict[str, list]:
    from ..trial.store import column

    records = run.records["regimen"]
    out = {}
    for name in FIELDS:
        values = column(records, name)
        out[name] = [None if v is None else (v if isinstance(v, (str, bool)) else float(v)) for v in values]
    return out
