"""Waves of history matching: a space-filling design inside the current non-implausible region, simulations
(cached), emulators fitted on every cached simulation inside the region, and the region they leave.

Layout of the work folder: ``cache/`` (one JSON per simulated point), ``wave_<K>/design.json`` (written
before any simulation, so a resumed run simulates the same points), ``wave_<K>/emulator.pkl`` and
``wave_<K>/wave.json`` (written when the wave is complete), ``screen/`` and ``ensemble/``.

Seeds: design point i of a wave runs at seed index ``i % seeds`` (default 3: the encoded seed, +1000, +2000),
so the emulators average over population samples instead of learning the luck of the encoded one. The
Monte-Carlo variance of each check margin comes from ``repeats`` seed indices (0, 1, ...) at the centre of the
space (the file values).
"""

from __future__ import annotations

import json
import pickle
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.stats import qmc

from .cache import PointCache
from .checks import margins_table
from .emulator import WaveEmulator, fit_wave
from .simulators import evaluate
from .structural import guard_workdir


class EmptyRegion(RuntimeError):
    pass


class Incomplete(RuntimeError):
    """The evaluation budget ran out: rerun the same command to continue."""


@dataclass
class Settings:
    seeds: int = 3
    repeats: int = 4
    discrepancy: float = 0.05
    cutoff: float = 3.0
    order: int = 2
    samples: int = 64
    candidates: int = 16384
    workers: int = 2
    restarts: int = 1
    rng: int = 0


def maximin(pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n rows of ``pool`` chosen greedily to be far apart (a space-filling subset)."""
    if len(pool) <= n:
        return pool
    chosen = [int(rng.integers(len(pool)))]
    dist = np.linalg.norm(pool - pool[chosen[0]], axis=1)
    for _ in range(n - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(pool - pool[i], axis=1))
    return pool[chosen]


class HistoryMatch:
    def __init__(self, space, simulator, workdir: str | Path, settings: Settings | None = None, log=None,
                 structural: list[dict] | None = None):
        self.space, self.simulator, self.workdir = space, simulator, Path(workdir)
        self.settings = settings or Settings()
        self.log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self.cache = PointCache(self.workdir / "cache", simulator.species, simulator.fingerprint(), simulator.digest())
        # checks named structural before the match (hm/structural.py) are reported, not matched
        guard_workdir(self.workdir, structural or [])
        named = {e["key"] for e in structural or []}
        every = simulator.checks()
        self.checks = [c for c in every if c.key not in named]
        self.structural = [c for c in every if c.key in named]

    # -- state on disk -------------------------------------------------------------------------------------
    def wave_dir(self, k: int) -> Path:
        return self.workdir / f"wave_{k}"

    def load_wave(self, k: int) -> WaveEmulator:
        path = self.wave_dir(k) / "emulator.pkl"
        if not path.exists():
            raise FileNotFoundError(f"wave {k} is not complete ({path} missing). Try: 1. run --wave {k} first; "
                                    f"2. check --workdir ({self.workdir})")
        with open(path, "rb") as f:
            return pickle.load(f)

    def completed_waves(self) -> list[int]:
        k = 1
        while (self.wave_dir(k) / "emulator.pkl").exists():
            k += 1
        return list(range(1, k))

    # -- region ----------------------------------------------------------------------------------------------
    @staticmethod
    def in_region(waves: list[WaveEmulator], U: np.ndarray) -> np.ndarray:
        """Non-implausible under every wave (later waves only asked about the survivors of earlier ones)."""
        U = np.atleast_2d(U)
        keep = np.ones(len(U), dtype=bool)
        for wave in waves:
            idx = np.flatnonzero(keep)
            if len(idx) == 0:
                break
            keep[idx] = wave.nonimplausible(U[idx])
        return keep

    def region_fraction(self, waves: list[WaveEmulator], n: int | None = None) -> float:
        """Share of the prior cube (Sobol sample) that is non-implausible under ``waves``."""
        U = qmc.Sobol(self.space.dim, scramble=True, seed=self.settings.rng + 7).random(n or self.settings.candidates)
        return float(self.in_region(waves, U).mean()) if waves else 1.0

    def design(self, k: int, n: int, waves: list[WaveEmulator]) -> tuple[np.ndarray, float]:
        d, rng = self.space.dim, np.random.default_rng(self.settings.rng + k)
        sobol = qmc.Sobol(d, scramble=True, seed=self.settings.rng + k)
        if not waves:
            m = int(np.ceil(np.log2(max(n, 2))))
            return sobol.random_base2(m)[:n], 1.0
        candidates = sobol.random_base2(int(np.ceil(np.log2(self.settings.candidates))))
        ok = self.in_region(waves, candidates)
        fraction, pool = float(ok.mean()), candidates[ok]
        seeds = pool if len(pool) else self._region_points(waves)
        for _ in range(8):  # a small region: refill by perturbing points already inside it
            if len(pool) >= 4 * n or len(seeds) == 0:
                break
            sd = np.maximum(seeds.std(axis=0) if len(seeds) > 1 else np.full(d, 0.05), 0.02) * 0.5
            trial = np.clip(seeds[rng.integers(len(seeds), size=self.settings.candidates)]
                            + rng.normal(0.0, 1.0, (self.settings.candidates, d)) * sd, 0.0, 1.0)
            pool = np.vstack([pool, trial[self.in_region(waves, trial)]])
            seeds = pool if len(pool) else seeds
        if len(pool) == 0:
            raise EmptyRegion(f"no point of {len(candidates)} candidates (nor near the simulated points) is "
                              f"non-implausible after wave {k - 1}. Try: 1. read wave_{k - 1}/wave.json for the checks "
                              "that rule out most of the space (structural failures need model work or a larger "
                              "--discrepancy); 2. --order 3; 3. more --points in the earlier wave")
        self.log(f"[wave {k}] region before this wave: {fraction:.4g} of the prior cube; pool of {len(pool)} candidates")
        return maximin(pool, n, rng), fraction

    def _region_points(self, waves) -> np.ndarray:
        recs = self._records_in_cube()
        if not recs:
            return np.empty((0, self.space.dim))
        U = self.space.to_unit([r["params"] for r in recs])
        return U[self.in_region(waves, U)]

    def _records_in_cube(self) -> list[dict]:
        names = set(self.space.names)
        out = []
        for r in self.cache.records():
            if set(r["params"]) != names:
                continue
            u = self.space.to_unit(r["params"])
            if np.all((u >= -1e-9) & (u <= 1 + 1e-9)):
                out.append(r)
        return out

    # -- simulations -----------------------------------------------------------------------------------------
    def mc_variance(self, budget: int | None) -> tuple[np.ndarray, int, list[dict]]:
        centre = self.space.centre()
        jobs = [(centre, s) for s in range(self.settings.repeats)]
        recs, new = evaluate(self.simulator, self.cache, jobs, workers=self.settings.workers, budget=budget,
                             label="Monte-Carlo repeats at the centre", log=self.log)
        if any(r is None for r in recs):
            raise Incomplete("budget ran out during the Monte-Carlo repeats")
        margins = margins_table(self.checks, [r["observables"] for r in recs])
        return margins.var(axis=0, ddof=1) if len(recs) > 1 else np.zeros(len(self.checks)), new, recs

    def _model_key(self) -> str:
        return f"{self.simulator.fingerprint()}|{self.simulator.digest()}"

    def run_wave(self, k: int, n: int, budget: int | None = None) -> dict:
        s = self.settings
        waves = [self.load_wave(j) for j in range(1, k)]
        folder = self.wave_dir(k)
        folder.mkdir(parents=True, exist_ok=True)
        design_path = folder / "design.json"
        stored = json.loads(design_path.read_text()) if design_path.exists() else None
        if stored and k > 1 and stored.get("model") != self._model_key():
            stored = None  # drawn from the region of earlier waves of another model: draw it again
        if stored and len(stored["unit"]) == n and stored["parameters"] == self.space.names:
            if (folder / "wave.json").exists() and (folder / "emulator.pkl").exists():
                done = json.loads((folder / "wave.json").read_text())
                if done.get("model") == self._model_key():
                    self.log(f"[wave {k}] already complete ({folder}); delete the folder to redo it")
                    return done
                self.log(f"[wave {k}] was run with another model or other targets: redone on the same design")
            U, before = np.array(stored["unit"]), stored["region_before"]
        else:
            U, before = self.design(k, n, waves)
            design_path.write_text(json.dumps({"wave": k, "model": self._model_key(), "parameters": self.space.names, "unit": U.tolist(),
                                               "seeds": [i % s.seeds for i in range(len(U))], "region_before": before,
                                               "settings": asdict(s)}, indent=1))
        mc_var, used, _ = self.mc_variance(budget)
        left = None if budget is None else budget - used
        points = self.space.from_unit(U)
        jobs = [(p, i % s.seeds) for i, p in enumerate(points)]
        recs, new = evaluate(self.simulator, self.cache, jobs, workers=s.workers, budget=left, label=f"wave {k}",
                             log=self.log)
        missing = sum(r is None for r in recs)
        if missing:
            raise Incomplete(f"wave {k}: {len(recs) - missing} of {len(recs)} points simulated; rerun the same command "
                             "to continue (finished points are cached)")
        # training set: every cached simulation inside the region the earlier waves leave
        train = self._records_in_cube()
        Ut = self.space.to_unit([r["params"] for r in train])
        inside = self.in_region(waves, Ut)
        train, Ut = [r for r, i in zip(train, inside, strict=True) if i], Ut[inside]
        self.log(f"[wave {k}] fitting emulators on {len(train)} simulations inside the region")
        start = time.perf_counter()
        wave = fit_wave(self.checks, Ut, [r["observables"] for r in train], mc_var, discrepancy=s.discrepancy,
                        cutoff=s.cutoff, order=s.order, samples=s.samples, restarts=s.restarts, workers=s.workers,
                        log=self.log)
        fit_seconds = time.perf_counter() - start
        with open(folder / "emulator.pkl", "wb") as f:
            pickle.dump(wave, f)
        summary = self.wave_summary(k, wave, waves, recs, U, before, fit_seconds)
        summary["model"] = self._model_key()  # a completed wave is reused only for this model and these targets
        (folder / "wave.json").write_text(json.dumps(summary, indent=1))
        self.log(f"[wave {k}] done: region {before:.4g} -> {summary['region_after']:.4g} of the prior cube; "
                 f"{summary['simulated_nonimplausible']} of {len(recs)} design points non-implausible when simulated")
        return summary

    def wave_summary(self, k, wave, earlier, recs, U, before, fit_seconds) -> dict:
        margins = margins_table(self.checks, [r["observables"] for r in recs])
        i_sim = wave.simulated_implausibility(margins)
        i_em = wave.implausibility(U)
        after = self.region_fraction(earlier + [wave])
        per_check = [{"check": c.key, "mc_sd": float(np.sqrt(wave.mc_var[j])),
                      "share_implausible_simulated": float(np.mean(i_sim[:, j] > wave.cutoff)),
                      "share_implausible_emulated": float(np.mean(i_em[:, j] > wave.cutoff)),
                      "share_passing_simulated": float(np.mean(margins[:, j] > 0))} for j, c in enumerate(self.checks)]
        per_check.sort(key=lambda row: -row["share_implausible_simulated"])
        named = margins_table(self.structural, [r["observables"] for r in recs]) if self.structural else None
        structural = [{"check": c.key, "share_passing_simulated": float(np.mean(named[:, j] > 0)),
                       "median_margin_simulated": float(np.median(named[:, j]))} for j, c in enumerate(self.structural)]
        return {"wave": k, "points": len(recs), "region_before": before, "region_after": after,
                "simulated_nonimplausible": int(np.sum(wave.ordered(i_sim) <= wave.cutoff)),
                "emulated_nonimplausible_at_design": int(np.sum(wave.ordered(i_em) <= wave.cutoff)),
                "rule": {"cutoff": wave.cutoff, "order": wave.order, "discrepancy": wave.discrepancy,
                         "implausibility": "max(0, -E[margin]) / sqrt(Var_emulator + Var_MC + discrepancy^2); "
                                           f"non-implausible when the {wave.order}-th largest over checks <= {wave.cutoff}"},
                "emulator_fit_seconds": round(fit_seconds, 1),
                "emulators": {key: {"transform": e.transform, "n": e.n, "nugget_var": e.noise_var, **e.loo}
                              for key, e in wave.emulators.items()},
                "notes": wave.notes, "checks": per_check,
                "structural": structural,  # named before the match, left out of the implausibility
                "seconds_per_point": float(np.mean([r["seconds"] for r in recs])) if recs else None}
