"""What ``abscopal optimise --out DIR`` writes: result.json, pareto.png, evaluations.csv, trials/rankN.yaml."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import yaml


def summary_text(result: dict) -> str:
    obj = result["objective"]
    lines = [f"{result['name'] or 'optimisation'}  ({result['species']}, {result['tumour']})",
             f"objective: {obj['measure']} ({obj['aggregate']}); {result['evaluations']} regimens evaluated "
             f"({result['simulations']} simulations), {result['infeasible_evaluated']} broke a constraint", ""]
    std = result["standard"]
    lines.append(f"{'rank':<6}{'value':>8}{'95%/90% interval':>20}{'p (Holm)':>10}  regimen")

    def fmt(m):
        v = "-" if m["value"] is None else f"{m['value']:.3g}"
        lo = "-" if m["ci_low"] is None else f"{m['ci_low']:.3g}"
        hi = "-" if m["ci_high"] is None else f"{m['ci_high']:.3g}"
        return v, f"{lo} to {hi}"

    v, ci = fmt(std["objective"])
    lines.append(f"{'std':<6}{v:>8}{ci:>20}{'':>10}  {std['name']}")
    for r in result["regimens"][:10]:
        v, ci = fmt(r["objective"])
        c = r.get("comparison_with_standard") or {}
        p = "-" if c.get("p_holm") is None else f"{c['p_holm']:.3g}"
        lines.append(f"{r['rank']:<6}{v:>8}{ci:>20}{p:>10}  {r['label']}")
    if not result["regimens"]:
        lines.append("no regimen met every constraint")
    return "\n".join(lines)


def pareto_figure(result: dict, path: Path) -> Path:
    from ..plots import finish, new_figure
    from ..report import provenance_line

    pareto = result["pareto"]
    axis = pareto["x"]
    body = new_figure(6.0, 4.0)
    ax = body.subplots()
    pts = pareto["points"]
    front = set(pareto["front"])
    ax.scatter([p[axis] for p in pts if p["regimen"] not in front], [p["objective"] for p in pts if p["regimen"] not in front],
               s=14, color="0.6", label="feasible regimens")
    fp = sorted((p for p in pts if p["regimen"] in front), key=lambda p: p[axis])
    ax.plot([p[axis] for p in fp], [p["objective"] for p in fp], "o-", color="C0", label="Pareto front")
    placed: dict = {}
    for p in fp:  # one label per position: regimens tied on both axes share it
        placed.setdefault((p[axis], p["objective"]), []).append(p["regimen"])
    for (x, y), ids in list(placed.items())[:8]:
        text = ids[0] + (f" (+{len(ids) - 1} tied)" if len(ids) > 1 else "")
        ax.annotate(text, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    std = result["standard"]
    if std.get("score") is not None and (axis in std or axis == "bed10_gy"):
        x = std.get(axis)
        if x is None and axis == "bed10_gy":
            from ..radiobiology import bed
            from ..units import to_canonical

            x = sum(bed(to_canonical(b["dose"], "absorbed_dose"), int(b.get("fractions", 1)), 10.0)
                    for b in std["arm"]["radiotherapy"])
        ax.scatter([x], [std["score"]], marker="*", s=90, color="C3", label=f"standard: {std['name']}", zorder=3)
    ax.set_xlabel(pareto["x_description"], fontsize=8)
    ax.set_ylabel(f"{result['objective']['measure']} ({result['objective']['aggregate']})", fontsize=8)
    ax.set_title("Response against " + ("lymphopenia" if axis.startswith("lymph") else "dose"), fontsize=9)
    ax.legend(fontsize=7)
    return finish(body, path, provenance_line(result["provenance"]))


def trial_document(problem, arm: dict, name: str) -> dict:
    """A trial file: the problem's base, the standard regimen as the reference arm, then the regimen."""
    from .run import safe_name

    doc = {"abscopal": 1, "name": f"{name} vs {problem.standard_name} (from abscopal optimise)"}
    doc.update({k: copy.deepcopy(v) for k, v in problem.base.items() if k not in ("abscopal", "name")})
    std = safe_name(problem.standard_name)
    doc["arms"] = {std: copy.deepcopy(problem.standard_arm),
                   (name if name != std else f"{name}_optimised"): copy.deepcopy(arm)}
    return doc


def write_outputs(res, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    path = folder / "result.json"
    path.write_text(json.dumps(res.result, indent=1, allow_nan=False) + "\n")  # as the command line writes JSON
    written.append(path)
    written.append(pareto_figure(res.result, folder / "pareto.png"))
    path = folder / "evaluations.csv"
    with path.open("w", newline="") as handle:
        w = csv.writer(handle)
        names = [d.name for d in res.problem.dimensions]
        w.writerow(["evaluation", *names, "score", "feasible", "objective", "ci_low", "ci_high", "lymphopenia_grade3_rate"])
        for e in res.log.entries:
            m = e.details["objective"]
            labels = [d.labels[i] for d, i in zip(res.problem.dimensions, e.point, strict=True)]
            w.writerow([e.order + 1, *labels, e.score, e.feasible, m.get("value"), m.get("ci_low"), m.get("ci_high"),
                        e.details.get("lymphopenia_grade3_rate")])
    written.append(path)
    trials = folder / "trials"
    for r in res.result["regimens"]:
        if "trial_file" not in r:
            continue
        trials.mkdir(exist_ok=True)
        arm = {k: v for k, v in r["arm"].items() if v}
        doc = trial_document(res.problem, arm, r["id"])
        path = folder / r["trial_file"]
        path.write_text(f"# {r['label']}\n# written by abscopal optimise from {res.problem.source}\n"
                        + yaml.safe_dump(json.loads(json.dumps(doc)), sort_keys=False))
        written.append(path)
    return written
