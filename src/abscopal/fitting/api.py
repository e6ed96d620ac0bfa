"""``abscopal.fit(...)``: fit chosen parameters to measured tumour sizes; the `abscopal fit` command calls it."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..vocabulary import NOTICE
from . import sampler as chain_sampler
from . import summary as summ
from .data import FitData, read_data
from .design import Design, load_design
from .model import DEFAULT_PARAMETERS, NODES, FitModel, check_parameters

SCHEMA = "abscopal.fit/1"
METHOD = ("emcee affine-invariant ensemble MCMC (differential-evolution moves) on the log scale; random effect on "
          "log doubling time per subject integrated out by Gauss-Hermite quadrature")


@dataclass
class FitResult:
    """A finished fit: ``summary()`` is the abscopal.fit/1 JSON; ``samples`` the kept draws (log scale)."""

    model: FitModel
    chain: np.ndarray
    burn: int
    data: dict
    samples: np.ndarray
    predictive: dict = field(repr=False, default=None)

    def summary(self) -> dict:
        return self.data

    def to_dict(self) -> dict:
        return self.data

    def draws(self) -> list[dict[str, float]]:
        """The kept draws as {name: value} in each parameter's unit (omega and sigma included)."""
        return [{k: float(math.exp(v)) for k, v in zip(self.model.labels, row, strict=True)} for row in self.samples]

    def print_summary(self, file=None) -> None:
        print(summary_text(self.data), file=file)

    def write(self, out, header: str = "") -> list[Path]:
        return write_outputs(self, Path(out), header)


def fit(data: str | Path, design: str | Path, *, parameters=None, out: str | Path | None = None, walkers: int | None = None,
        steps: int = 1000, burn: int | None = None, seed: int = 0, nodes: int = NODES, move: str = "de",
        checkpoint: int = 25, progress=None) -> FitResult:
    """Fit ``parameters`` (default: doubling_time, alpha, antigenicity, kill_rate) of ``design`` to ``data``.

    ``out``: a folder where the chain is checkpointed (a rerun resumes) and the outputs are written.
    """
    started = time.perf_counter()
    plan: Design = load_design(design)
    measured: FitData = read_data(data, list(plan.arms), plan.lesion_ids)
    names = check_parameters(parameters if parameters is not None else DEFAULT_PARAMETERS, plan)
    model = FitModel(measured, plan, names, nodes=nodes)
    walkers = walkers or max(16, 2 * (model.ndim + 1) + (2 * (model.ndim + 1)) % 2)
    walkers += walkers % 2
    burn = steps // 2 if burn is None else burn
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
    run = chain_sampler.run(model, walkers=walkers, steps=steps, seed=seed, out=Path(out) if out else None,
                            checkpoint=checkpoint, progress=progress, move=move)
    chain = run["chain"]
    samples = chain[burn:].reshape(-1, model.ndim)
    diag = chain_sampler.diagnostics(chain, burn, model.labels)
    rng = np.random.default_rng(seed + 1)
    pred = summ.predictive(model, samples, rng)
    from ..simulate import __version__, provenance

    first_arm = next(iter(plan.arms.values()))
    prov = provenance(first_arm, None)
    prov.update({"data_sha256": measured.sha256, "seed": seed})
    result = {
        "schema": SCHEMA,
        "name": first_arm.name,
        "species": plan.species,
        "tumour": plan.tumour,
        "data": {"file": measured.path, "kind": measured.kind, "rows": measured.n_rows, "size": measured.volume_from,
                 "detection_limit": measured.detection, "detection_unit": "mm^3" if measured.kind == "mouse" else "mm"},
        "design": {"file": plan.path, "kind": plan.kind},
        "parameters": summ.parameter_table(model, samples),
        "random_effects": {"parameter": "doubling_time", "distribution": "lognormal per subject",
                           "quadrature_nodes": nodes},
        "n_observations": measured.n_observations,
        "n_subjects": len(measured.subjects),
        "groups": [{"name": g, "n_subjects": sum(s.group == g for s in measured.subjects),
                    "n_observations": sum(len(s.values) for s in measured.subjects if s.group == g)} for g in measured.groups],
        "goodness_of_fit": summ.goodness_of_fit(model, pred),
        "identifiability": summ.identifiability(model, samples),
        "diagnostics": {"method": METHOD, "library": f"emcee {_emcee_version()}", "move": move,
                        "walkers": walkers, "steps": int(chain.shape[0]), "acceptance_fraction": round(run["acceptance"], 3),
                        "simulations": int(model.simulations), "sampling_seconds": round(run["seconds"], 1),
                        "resumed_at_step": run["resumed_at"], **diag,
                        "wall_seconds": round(time.perf_counter() - started, 1)},
        "provenance": {**prov, "version": __version__},
        "notice": NOTICE,
    }
    fitted = FitResult(model=model, chain=chain, burn=burn, data=result, samples=samples, predictive=pred)
    if out is not None:
        write_outputs(fitted, Path(out), f"abscopal fit {measured.path} --design {plan.path}")
    return fitted


def _emcee_version() -> str:
    import emcee

    return emcee.__version__


def summary_text(data: dict) -> str:
    lines = [f"fit of {data['data']['file']} ({data['n_subjects']} subjects, {data['n_observations']} observations) "
             f"to {data['design']['file']}", "",
             f"{'parameter':<22} {'unit':<8} {'mean':>10} {'median':>10} {'90% interval':>24}   prior median"]
    for p in data["parameters"]:
        lo, hi = p["ci90"]
        lines.append(f"{p['name']:<22} {p['unit']:<8} {p['mean']:>10.4g} {p['median']:>10.4g} "
                     f"{f'[{lo:.4g}, {hi:.4g}]':>24}   {p['prior']['median']:.4g}")
    g = data["goodness_of_fit"]
    d = data["diagnostics"]
    lines += ["", f"goodness of fit: {g['coverage90']:.0%} of observations inside their 90% predictive interval; "
                  f"RMSE of log size {g['rmse_log']}",
              f"sampler: {d['library']}, {d['walkers']} walkers x {d['steps']} steps (burn-in {d['burn_in']}), "
              f"acceptance {d['acceptance_fraction']:.2f}, max autocorrelation time {_worst(d['autocorr_time'])}, "
              f"max R-hat {_worst(d['rhat'])}: "
              f"{'converged' if d['converged'] else 'NOT converged (run more --steps)'}",
              f"{d['simulations']} simulations in {d['sampling_seconds']} s"]
    for w in data["identifiability"]["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def _worst(values: dict) -> str:
    if any(v is None for v in values.values()):
        return "undefined (chain too short)"
    return f"{max(values.values()):.3g}"


def write_outputs(result: FitResult, out: Path, header: str) -> list[Path]:
    import json

    from .figures import marginals_figure, predictive_figure, trace_figure
    from .fitted import write_fitted

    out.mkdir(parents=True, exist_ok=True)
    data = result.data
    footer = (f"abscopal fit {Path(data['data']['file']).name} --design {Path(data['design']['file']).name} | "
              f"abscopal {data['provenance']['version']} | data sha256 {data['provenance']['data_sha256'][:12]}")
    paths = []
    path = out / "fit.json"
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    paths.append(path)
    model = result.model
    medians = {p["name"]: p["median"] for p in data["parameters"] if p["fitted"]}
    units = {p["name"]: p["unit"] for p in data["parameters"] if p["fitted"]}
    paths += write_fitted(out, model.design, medians, units, f"written by {header}: posterior medians as overrides")
    import csv

    path = out / "posterior.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(model.labels)
        for row in result.samples[:: max(1, len(result.samples) // 4000)]:
            writer.writerow([f"{math.exp(v):.6g}" for v in row])
    paths.append(path)
    paths.append(predictive_figure(model, result.predictive, out / "predictive.png", footer))
    paths.append(marginals_figure(model, result.samples, out / "marginals.png", footer))
    paths.append(trace_figure(model, result.chain, result.burn, out / "trace.png", footer))
    return paths


def progress_printer(stream=sys.stderr):
    def show(done: int, total: int) -> None:
        print(f"\rsampling: step {done}/{total}", end="" if done < total else "\n", file=stream, flush=True)

    return show
