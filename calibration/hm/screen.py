"""Global sensitivity screening with Morris elementary effects (SALib) on every check margin.

Morris trajectories run in the unit cube of the space (log parameters for log-scale entries), so mu* is the
mean absolute change of a check margin per unit of the prior range, comparable across parameters. All points
run at seed index 0 (common random numbers: the population sample is the same at every point, so an
elementary effect is the parameter's effect, not seed noise). A parameter whose mu* stays below ``threshold``
for every check is listed as not identified by the calibration targets: fix it at its sourced value.
"""

from __future__ import annotations

import json

import numpy as np

from .checks import margins_table
from .simulators import evaluate


def run_screen(hm, trajectories: int = 10, levels: int = 4, threshold: float = 0.02, budget: int | None = None,
               seed: int = 0) -> dict:
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    from .waves import Incomplete

    problem = {"num_vars": hm.space.dim, "names": hm.space.names, "bounds": [[0.0, 1.0]] * hm.space.dim}
    U = sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    jobs = [(p, 0) for p in hm.space.from_unit(U)]
    recs, _ = evaluate(hm.simulator, hm.cache, jobs, workers=hm.settings.workers, budget=budget, label="screen",
                       log=hm.log)
    missing = sum(r is None for r in recs)
    if missing:
        raise Incomplete(f"screen: {len(recs) - missing} of {len(recs)} points simulated; rerun the same command")
    margins = margins_table(hm.checks, [r["observables"] for r in recs])
    checks, best = [], {n: (0.0, 0.0, "") for n in hm.space.names}
    for j, check in enumerate(hm.checks):
        res = analyze.analyze(problem, U, margins[:, j], num_levels=levels, print_to_console=False, seed=seed)
        mu_star = dict(zip(hm.space.names, np.nan_to_num(np.asarray(res["mu_star"], float)).tolist(), strict=True))
        sigma = dict(zip(hm.space.names, np.nan_to_num(np.asarray(res["sigma"], float)).tolist(), strict=True))
        checks.append({"check": check.key, "mu_star": mu_star, "sigma": sigma})
        for n in hm.space.names:
            if mu_star[n] > best[n][0]:
                best[n] = (mu_star[n], sigma[n], check.key)
    params = {n: {"max_mu_star": b[0], "sigma_at_max": b[1], "check_at_max": b[2],
                  "mean_mu_star": float(np.mean([c["mu_star"][n] for c in checks])) if checks else 0.0,
                  "identified": b[0] >= threshold} for n, b in best.items()}
    return {"species": hm.space.species, "method": "Morris elementary effects (SALib), unit cube of the space, seed index 0",
            "trajectories": trajectories, "levels": levels, "points": len(U), "threshold": threshold,
            "threshold_rule": "not identified when mu* < threshold for every check margin",
            "parameters": params,
            "not_identified": sorted(n for n, p in params.items() if not p["identified"]), "checks": checks}


def screen_markdown(result: dict) -> str:
    lines = [f"# Morris screening ({result['species']}): {result['trajectories']} trajectories, {result['points']} points",
             "", f"mu* in margin units per prior range; threshold {result['threshold']} ({result['threshold_rule']}).", "",
             "| parameter | max mu* | sigma there | mean mu* | most sensitive check | verdict |", "|---|---|---|---|---|---|"]
    rows = sorted(result["parameters"].items(), key=lambda kv: -kv[1]["max_mu_star"])
    for name, p in rows:
        verdict = "identified" if p["identified"] else "not identified: fix at sourced value"
        lines.append(f"| {name} | {p['max_mu_star']:.3f} | {p['sigma_at_max']:.3f} | {p['mean_mu_star']:.3f} | "
                     f"{p['check_at_max'][:70]} | {verdict} |")
    return "\n".join(lines) + "\n"


def write_screen(result: dict, folder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "screen.json").write_text(json.dumps(result, indent=1) + "\n")
    (folder / "screen.md").write_text(screen_markdown(result))
