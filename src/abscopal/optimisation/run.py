"""``abscopal optimise``: search, rank, compare with the standard, and write the result (docs/optimise.md).

The JSON (``abscopal.optimisation/1``) lists every evaluated regimen that meets every constraint, best first,
with its objective ``{value, ci_low, ci_high}``, its constraints and its arm; regimens that break a constraint
are counted but never listed. The top regimens carry a paired comparison with the named standard regimen on the
same virtual subjects (Holm-adjusted over the top regimens) and a trial file (standard arm first, then the
regimen) that ``abscopal trial`` runs as it is.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import stats
from .evaluate import Evaluator, Outcomes
from .problem import Problem, irradiated_sites, load_problem, static_constraints
from .search import Entry, SearchLog, search

SCHEMA = "abscopal.optimisation/1"
MEASURE_TEXT = {
    "orr_out_of_field": "out-of-field objective response rate (RECIST 1.1 on the lesions the regimen does not irradiate)",
    "abscopal_rate": "abscopal response rate (the trial's abscopal definition; subjects with an irradiated and a non-irradiated lesion)",
    "tumour_free_fraction": "fraction of subjects with every lesion below 10 mm^3 at the end",
    "median_pfs": "median progression-free survival (Kaplan-Meier, days)",
    "median_endpoint_day": "median time to the endpoint volume (Kaplan-Meier, days)",
}


@dataclass
class OptimisationResult:
    """A finished optimisation: ``summary()`` is the JSON that ``--json`` writes."""

    problem: Problem
    result: dict
    log: SearchLog
    outcomes: dict  # regimen id -> Outcomes (the standard under "standard")

    def summary(self) -> dict:
        return self.result

    @property
    def regimens(self) -> list[dict]:
        return self.result["regimens"]

    def write(self, folder: str | Path) -> list[Path]:
        """result.json, pareto.png, evaluations.csv and the trial files of the top regimens."""
        from .output import write_outputs

        return write_outputs(self, Path(folder))

    def plot_pareto(self, folder: str | Path = ".") -> Path:
        from .output import pareto_figure

        Path(folder).mkdir(parents=True, exist_ok=True)
        return pareto_figure(self.result, Path(folder) / "pareto.png")

    def print_summary(self, file=None) -> None:
        from .output import summary_text

        print(summary_text(self.result), file=file or sys.stdout)


def _progress(stream):
    start = time.perf_counter()

    def report(entry: Entry, k: int, n: int) -> None:
        s = "n/a" if entry.score is None else f"{entry.score:.4g}"
        flag = "" if entry.feasible else " (breaks a constraint)"
        cached = " (cached)" if entry.details.get("cached") else ""
        print(f"optimise: [{k}/{n}] {s}{flag}{cached}  {entry.details['label']}  ({time.perf_counter() - start:.0f} s)",
              file=stream, flush=True)

    return report


def optimise(problem: str | Path | Problem, *, out: str | Path | None = None, workers: int = 1,
             progress: bool = False, stream=None) -> OptimisationResult:
    """Run an optimisation file (or a loaded :class:`Problem`); the same result as ``abscopal optimise``.

    ``out``: a folder for the evaluation cache (a run started again resumes from it); outputs are written by
    ``.write()``. ``progress``: one line per evaluated regimen on ``stream`` (standard error by default)."""
    if not isinstance(problem, Problem):
        problem = load_problem(problem)
    with Evaluator(problem, out=out, workers=workers) as evaluator:
        return _optimise(problem, evaluator, progress, stream or sys.stderr)


def _optimise(problem: Problem, evaluator: Evaluator, progress: bool, stream) -> OptimisationResult:
    duration = _duration(problem)
    per = problem.size * max(1, problem.draws)
    n_max = problem.budget // per - 1  # the standard regimen is evaluated too
    outcomes: dict[str, Outcomes] = {}
    sites = lambda targets: irradiated_sites(problem, targets)  # noqa: E731

    def measure(arm: dict, cons: dict) -> tuple[Outcomes, dict, float | None, bool, dict]:
        o = evaluator(arm)
        m = stats.objective(o, problem.measure, duration)
        s = stats.score(m, problem.measure, problem.aggregate, duration)
        cons = dict(cons)
        feasible = all(_satisfied(v) for v in cons.values())
        extra = {}
        if problem.species == "human":
            lymph = stats.lymphopenia(o)
            extra["lymphopenia_grade3_rate"] = lymph["rate"]
            if problem.lymphopenia_max is not None:
                ok = lymph["rate"] <= problem.lymphopenia_max + 1e-12
                cons["lymphopenia_grade3"] = {**lymph, "limit": problem.lymphopenia_max, "satisfied": ok}
                feasible &= ok
        return o, m, s, feasible, cons | {"_extra": extra}

    std_static, std_ok = static_constraints(problem, problem.standard_arm, sites)
    std_o, std_m, std_s, std_feasible, std_cons = measure(problem.standard_arm, std_static)
    std_extra = std_cons.pop("_extra")
    outcomes["standard"] = std_o

    def evaluate(point, arm, cons) -> Entry:
        o, m, s, feasible, cons = measure(arm, cons)
        extra = cons.pop("_extra")
        entry = Entry(0, point, arm, s, feasible, cons,
                      {"objective": m, "label": problem.label(point), "cached": o.cached, **extra})
        outcomes[_key(point)] = o
        return entry

    log = search(problem, evaluate, n_max, _progress(stream) if progress else None)
    ranked = sorted((e for e in log.entries if e.feasible and e.score is not None), key=lambda e: (-e.score, e.order))
    top = ranked[: problem.top]
    comparisons = [stats.compare(outcomes[_key(e.point)], std_o, problem.measure, problem.aggregate, duration,
                                 problem.seed) for e in top]
    adjusted = stats.holm([c.get("p_value") for c in comparisons])
    for c, p in zip(comparisons, adjusted, strict=True):
        c["p_holm"] = p
        c["significant"] = bool(p is not None and p < 0.05)
        c["direction"] = "regimen minus standard"
    regimens = []
    for rank, e in enumerate(ranked, 1):
        row = {"rank": rank, "id": f"rank{rank}", "label": e.details["label"], "objective": _m(e.details["objective"]),
               "score": e.score, "feasible": True, "constraints": e.constraints, "arm": _arm(e.arm),
               "evaluation": e.order + 1}
        if "lymphopenia_grade3_rate" in e.details:
            row["lymphopenia_grade3_rate"] = e.details["lymphopenia_grade3_rate"]
        if rank <= len(top):
            row["comparison_with_standard"] = comparisons[rank - 1]
            row["trial_file"] = f"trials/{row['id']}.yaml"
        regimens.append(row)
    n_infeasible = sum(not e.feasible for e in log.entries)
    result = {
        "schema": SCHEMA, "name": problem.name, "species": problem.species, "tumour": problem.base.get("tumour"),
        "objective": {"measure": problem.measure, "aggregate": problem.aggregate,
                      "description": MEASURE_TEXT[problem.measure], **_out_of_field_note(problem.measure),
                      "ranked_by": "value" if problem.aggregate == "mean" else "ci_low (the lower bound of the interval)"},
        "evaluations": len(log.entries) + 1,
        "simulations": (len(log.entries) + 1) * per,
        "budget": {"simulations": problem.budget, "per_regimen": per, "regimens": n_max + 1},
        "search_space": {"size": problem.grid_size(), "dimensions": [{"name": d.name, "values": list(d.labels)}
                                                                      for d in problem.dimensions]},
        "method": {"optimiser": log.method, "proposals": log.asked,
                   "refused_before_simulating": log.skipped_infeasible,
                   "common_random_numbers": f"every regimen on the same {problem.size} virtual subjects (seed {problem.seed})",
                   "cache": {"reused": evaluator.reused, "simulated": evaluator.simulated}},
        "infeasible_evaluated": n_infeasible,
        "not_evaluable": sum(e.score is None for e in log.entries),  # no subject had the objective (e.g. no lesion left out of field)
        "regimens": regimens,
        "standard": {"name": problem.standard_name, "objective": _m(std_m), "score": std_s, "arm": _arm(problem.standard_arm),
                     "constraints": std_cons, "feasible": bool(std_feasible and std_ok), **std_extra},
        "comparisons": {"family": len(top), "correction": "Holm (family-wise error rate 0.05)",
                        "subjects": "the same virtual subjects in both regimens (paired)"},
        "pareto": _pareto(problem, log, ranked),
        "uncertainty": _uncertainty(problem, evaluator),
    }
    if not regimens:
        result["note"] = "no evaluated regimen met every constraint (lymphopenia bound too tight for the search space?)"
    result.update(_provenance(problem))
    return OptimisationResult(problem, result, log, outcomes)


def _out_of_field_note(measure: str) -> dict:
    if measure not in ("orr_out_of_field", "abscopal_rate"):
        return {}
    return {"out_of_field_set": "per regimen: the lesions it does not irradiate; regimens that irradiate more lesions "
                                "are read on fewer, and smaller, lesions (docs/optimise.md, Reading the result)"}


def _key(point) -> str:
    return ",".join(map(str, point))


def _satisfied(block) -> bool:
    if isinstance(block, dict) and "satisfied" in block:
        return bool(block["satisfied"])
    if isinstance(block, dict) and "limits" in block:
        return all(r["satisfied"] for r in block["limits"])
    if isinstance(block, dict):
        return all(_satisfied(v) for v in block.values())
    return True


def _m(m: dict) -> dict:
    return {k: m[k] for k in m}


def _arm(arm: dict) -> dict:
    return {"radiotherapy": list(arm.get("radiotherapy", [])), "drugs": list(arm.get("drugs", []))}


def _duration(problem: Problem) -> float:
    from ..trial.design import parse_trial

    return parse_trial(problem.document({"standard": problem.standard_arm})).duration


def _pareto(problem: Problem, log: SearchLog, ranked: list[Entry]) -> dict:
    """Response against lymphopenia (patients) or against the BED of the prescription (mice): the regimens that no
    other feasible regimen beats on both."""
    from ..radiobiology import bed
    from ..units import to_canonical

    if problem.species == "human":
        axis, unit = "lymphopenia_grade3_rate", "fraction of subjects with CTCAE grade >= 3 lymphopenia"

        def x_of(e):
            return e.details["lymphopenia_grade3_rate"]
    else:
        axis, unit = "bed10_gy", "BED (alpha/beta 10 Gy) of the prescription per irradiated lesion, Gy"

        def x_of(e):
            return sum(bed(to_canonical(b["dose"], "absorbed_dose"), int(b["fractions"]), 10.0)
                       for b in e.arm.get("radiotherapy", []))
    pts = [{"regimen": f"rank{i + 1}", "objective": e.score, axis: x_of(e), "label": e.details["label"]}
           for i, e in enumerate(ranked)]
    front = []
    for p in pts:
        dominated = any(q["objective"] >= p["objective"] and q[axis] <= p[axis]
                        and (q["objective"] > p["objective"] or q[axis] < p[axis]) for q in pts)
        if not dominated:
            front.append(p["regimen"])
    return {"x": axis, "x_description": unit, "y": "score of the objective", "points": pts,
            "front": sorted(front, key=lambda r: next(p[axis] for p in pts if p["regimen"] == r)), "figure": "pareto.png"}


def _uncertainty(problem: Problem, evaluator: Evaluator) -> dict:
    from ..inference.intervals import METHOD
    from ..inference.posterior import ensemble_path

    available = ensemble_path(problem.species).is_file()
    if evaluator.ensemble is not None:
        e = evaluator.ensemble
        return {"used": True, "draws": problem.draws, "ensemble": e.path.name, "ensemble_sha256": e.sha256,
                "method": e.method, "model": e.model, "model_status": evaluator.model_status, "interval": METHOD}
    if problem.draws < 0:
        return {"used": False, "requested_draws": -problem.draws,
                "reason": f"no posterior ensemble ships for {problem.species}; the objective is over the virtual "
                          "population only (parameters at their file values)"}
    reason = "not requested (uncertainty: {draws: N} in the file)" if available else \
        f"no posterior ensemble ships for {problem.species}"
    return {"used": False, "ensemble_available": available, "reason": reason}


def _provenance(problem: Problem) -> dict:
    from ..parameters import load_parameter_set
    from ..simulate import __version__
    from ..vocabulary import NOTICE

    pset = load_parameter_set(problem.species, problem.base["tumour"])
    return {"provenance": {"version": __version__, "model": problem.base.get("model", "abscopal"),
                           "parameter_set": f"{pset.name}@{pset.sha256[:12]}", "scenario_sha256": problem.text_sha256,
                           "seed": problem.seed, "optimiser_seed": problem.optimiser_seed},
            "notice": NOTICE}


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "standard"
