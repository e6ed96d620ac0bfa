"""The posterior ensemble file (schema ``abscopal.posterior/1``) and its summary.

The ensemble is drawn from simulated points, never from emulated ones alone: a cached point enters when it
lies in the region every wave leaves (emulated implausibility) and its own simulated check margins (averaged
over the seeds it was simulated at) are non-implausible under the last wave's rule (Monte-Carlo variance / number
of seeds plus discrepancy variance, no emulator term). Each
point is one draw (equal weights: no ``weights`` key); with more candidates than ``size`` a random subset is
taken, which keeps the design's spread over the region, in random order (``--uncertainty N`` runs the first N
sets: they are a random draw too). The format's definition is the package's reader,
``abscopal.inference.posterior.load_ensemble``; a mouse or human file is read back with it after writing;
``validate_posterior`` here mirrors it for files of other species (the toy of the tests), with one difference:
``model`` must be a string here (the toy's fingerprint is ``toy/1``) and the 64-digit hex fingerprint of the
package there; the writer always records the simulator's fingerprint.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np

SCHEMA = "abscopal.posterior/1"


def validate_posterior(doc: dict) -> list[str]:
    """Problems of a posterior ensemble document (empty when it is valid)."""
    problems = []
    for key, kind in (("schema", str), ("species", str), ("method", str), ("source", str), ("created", str),
                      ("parameters", list), ("sets", list)):
        if not isinstance(doc.get(key), kind):
            problems.append(f"{key}: missing or not a {kind}")
    if problems:
        return problems
    if doc["schema"] != SCHEMA:
        problems.append(f"schema: {doc['schema']!r} is not {SCHEMA!r}")
    names = doc["parameters"]
    if not names or len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
        problems.append("parameters: must be a non-empty list of distinct names")
    if not doc["sets"]:
        problems.append("sets: empty")
    for i, s in enumerate(doc["sets"]):
        if not isinstance(s, dict) or set(s) != set(names):
            problems.append(f"sets[{i}]: keys differ from parameters")
        elif not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in s.values()):
            problems.append(f"sets[{i}]: a value is not a finite number")
    if "weights" in doc:
        w = doc["weights"]
        if (not isinstance(w, list) or len(w) != len(doc["sets"])
                or any(not isinstance(x, (int, float)) or isinstance(x, bool) or not math.isfinite(x) or x < 0 for x in w)
                or not any(x > 0 for x in w)):
            problems.append("weights: must be one finite number >= 0 per set, not all zero")
    if "model" in doc and not isinstance(doc["model"], str):
        problems.append("model: must be the fingerprint string of the simulator's model")
    extra = set(doc) - {"schema", "species", "method", "source", "created", "parameters", "sets", "weights", "model"}
    if extra:
        problems.append(f"unknown keys: {sorted(extra)}")
    return problems


def _scored(hm) -> tuple[list[dict], np.ndarray, np.ndarray, np.ndarray, int]:
    """Every distinct simulated point in the cube (its first record), whether it lies in the emulated region of the
    completed waves, whether it is non-implausible when simulated, its ordered implausibility (the last wave's
    order-th largest over checks, margins averaged over the seeds it ran at), and the number of waves."""
    from .checks import margins_table

    waves = [hm.load_wave(k) for k in hm.completed_waves()]
    if not waves:
        raise FileNotFoundError("no complete wave in the work folder. Try: run --wave 1 first")
    last = waves[-1]
    records = hm._records_in_cube()
    groups: dict[tuple, list[dict]] = {}
    for r in records:  # a point simulated at several seeds: its margins are averaged over them
        groups.setdefault(tuple(f"{r['params'][n]:.12g}" for n in hm.space.names), []).append(r)
    # in the order of the parameter values, not of the cache's file names (which carry the model fingerprint), so
    # that carrying the same simulations over to a new fingerprint (--adopt) selects the same sets
    groups = dict(sorted(groups.items()))
    unique = [g[0] for g in groups.values()]
    U = hm.space.to_unit([r["params"] for r in unique]) if unique else np.empty((0, hm.space.dim))
    emulated = hm.in_region(waves, U) if len(U) else np.zeros(0, bool)
    ordered = np.zeros(len(unique))
    for i, g in enumerate(groups.values()):
        margins = margins_table(hm.checks, [r["observables"] for r in g]).mean(axis=0, keepdims=True)
        implaus = np.maximum(0.0, -margins) / np.sqrt(last.mc_var[None, :] / len(g) + last.discrepancy**2)
        ordered[i] = last.ordered(implaus)[0]
    return unique, emulated, ordered <= last.cutoff, ordered, len(waves)


def select(hm, size: int) -> tuple[list[dict], dict]:
    """Simulated, non-implausible points (at most ``size``) and counts for the summary."""
    unique, emulated, simulated, _, waves = _scored(hm)
    chosen = [r for r, a, b in zip(unique, emulated, simulated, strict=True) if a and b]
    counts = {"simulated_points": len(unique), "in_emulated_region": int(emulated.sum()),
              "simulated_nonimplausible": int(simulated.sum()), "both": len(chosen), "waves": waves}
    if len(chosen) > size:
        rng = np.random.default_rng(hm.settings.rng)
        chosen = [chosen[i] for i in rng.choice(len(chosen), size, replace=False)]
    else:
        chosen = [chosen[i] for i in np.random.default_rng(hm.settings.rng).permutation(len(chosen))]
    return chosen, counts


def best(hm) -> tuple[dict, float] | None:
    """The point the ensemble may draw (in the emulated region and non-implausible when simulated) whose ordered
    implausibility is smallest, with that implausibility; None when there is none. The file-value candidate of a
    history match (docs/calibration.md, sixteenth session)."""
    unique, emulated, simulated, ordered, _ = _scored(hm)
    eligible = np.flatnonzero(emulated & simulated)
    if not eligible.size:
        return None
    i = int(eligible[np.argmin(ordered[eligible])])
    return unique[i], float(ordered[i])


def write_ensemble(hm, size: int, out, source: str) -> tuple[dict, dict]:
    chosen, counts = select(hm, size)
    if not chosen:
        raise RuntimeError(f"no simulated point is non-implausible ({counts}). Try: 1. another wave with more --points; "
                           "2. read the last wave.json for the checks that rule everything out")
    doc = {"schema": SCHEMA, "species": hm.space.species, "method": (
               f"history matching (calibration/history_match.py): {counts['waves']} waves of GP emulators, "
               f"implausibility cut-off {hm.load_wave(counts['waves']).cutoff} on the "
               f"{hm.load_wave(counts['waves']).order}-th largest check; simulated non-implausible points, equal weights"),
           "source": source, "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "parameters": hm.space.names,
           "sets": [{n: float(f"{r['params'][n]:.6g}") for n in hm.space.names} for r in chosen],
           "model": hm.simulator.fingerprint()}  # what the cached simulations ran: runs can warn when it changes
    problems = validate_posterior(doc)
    if problems:
        raise ValueError(f"posterior ensemble does not validate: {problems}")
    summary = summarise(hm.space, chosen, counts, size)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")
    if hm.space.species in ("mouse", "human") and out.name == f"{hm.space.species}.json":
        # the package's reader is the one definition of the format: a file it refuses is not left behind
        from abscopal.inference.posterior import load_ensemble

        try:
            load_ensemble(hm.space.species, len(doc["sets"]), directory=out.parent)
        except Exception:
            out.unlink()
            raise
    out.with_suffix(".summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    out.with_suffix(".summary.md").write_text(summary_markdown(summary))
    return doc, summary


def summarise(space, chosen: list[dict], counts: dict, size: int, constrained_below: float = 0.5) -> dict:
    U = space.to_unit([r["params"] for r in chosen])
    marginals = {}
    for j, p in enumerate(space.parameters):
        values = np.array([r["params"][p.name] for r in chosen])
        q = np.quantile(values, [0.05, 0.5, 0.95])
        width = float(np.quantile(U[:, j], 0.95) - np.quantile(U[:, j], 0.05)) if len(U) > 1 else 0.0
        marginals[p.name] = {"prior": [p.lo, p.hi], "scale": p.scale, "file_value": p.value,
                             "q05": float(q[0]), "median": float(q[1]), "q95": float(q[2]),
                             "width_share_of_prior": round(width, 3),
                             "verdict": "constrained" if width < constrained_below else "left at its prior range"}
    corr = np.corrcoef(U.T) if len(U) > 2 else np.eye(space.dim)
    pairs = [{"a": space.names[i], "b": space.names[j], "r": round(float(corr[i, j]), 3)}
             for i in range(space.dim) for j in range(i + 1, space.dim) if abs(corr[i, j]) >= 0.3]
    pairs.sort(key=lambda x: -abs(x["r"]))
    return {"species": space.species, "size": len(chosen), "requested": size, "counts": counts,
            "constrained_rule": f"5-95% range of the ensemble below {constrained_below} of the prior range (on its scale)",
            "marginals": marginals, "correlations": pairs,
            "correlation_matrix": {"parameters": space.names, "r": np.round(corr, 3).tolist()},
            "warnings": ([f"only {len(chosen)} of the {size} requested sets are simulated and non-implausible"]
                         if len(chosen) < size else [])}


def summary_markdown(summary: dict) -> str:
    lines = [f"# Posterior ensemble ({summary['species']}): {summary['size']} sets", ""]
    lines += [f"- {w}" for w in summary["warnings"]]
    c = summary["counts"]
    lines += [f"Simulated points {c['simulated_points']}, in the region every wave leaves {c['in_emulated_region']}, "
              f"non-implausible when simulated {c['simulated_nonimplausible']}, both {c['both']}. "
              f"Constrained: {summary['constrained_rule']}.", "",
              "| parameter | prior | file value | 5% | median | 95% | width / prior | verdict |",
              "|---|---|---|---|---|---|---|---|"]
    for name, m in summary["marginals"].items():
        lines.append(f"| {name} | {m['prior'][0]:.4g} .. {m['prior'][1]:.4g} ({m['scale']}) | "
                     f"{m['file_value'] if m['file_value'] is None else format(m['file_value'], '.4g')} | {m['q05']:.4g} | "
                     f"{m['median']:.4g} | {m['q95']:.4g} | {m['width_share_of_prior']:.2f} | {m['verdict']} |")
    if summary["correlations"]:
        lines += ["", "Correlations (|r| >= 0.3, on the unit scale):", ""]
        lines += [f"- {p['a']} ~ {p['b']}: {p['r']:+.2f}" for p in summary["correlations"][:20]]
    return "\n".join(lines) + "\n"
