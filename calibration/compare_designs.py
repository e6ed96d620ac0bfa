"""Paired comparison of two models on the same history-match design points, from their simulation caches.

    .venv/bin/python calibration/compare_designs.py --species human --design calibration/runs/human/wave_1/design.json \
        --base calibration/runs/human/cache --other <workdir>/cache [--points 64] [--order 11] [--json FILE]

For each of the first ``--points`` design points simulated by both models (same parameter values and seed), the
simulated implausibility of every check, max(0, -margin) / sqrt(Var_MC + discrepancy^2), with the Monte-Carlo
variances of the base model's wave (its wave.json, next to the design) for both models, and its ``--order``-th
largest over checks. Prints the paired summary and, per check, the share of points where it is implausible under
each model. Records are read whatever model fingerprint they were made under: the caller says which cache is
which model (docs/calibration.md, twelfth session, G).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from hm.cache import PointCache  # noqa: E402
from hm.checks import margins_table  # noqa: E402
from hm.simulators import ModelSimulator  # noqa: E402
from hm.space import load_space  # noqa: E402


def _records(folder: Path, species: str) -> list[dict]:
    """Every readable record of the species in a cache folder, whatever model made it, without failed ones."""
    return [r for r in PointCache(folder, species, fingerprint="").stored() if not r.get("problems")]


def _find(records: list[dict], params: dict, seed: int) -> dict | None:
    for r in records:
        if r["seed"] == seed and set(r["params"]) == set(params) and all(
                abs(r["params"][k] - v) <= 1e-9 * max(1.0, abs(v)) for k, v in params.items()):
            return r
    return None


def paired(checks, mc_var: np.ndarray, discrepancy: float, order: int, base: list[dict], other: list[dict]) -> dict:
    scale = np.sqrt(mc_var + discrepancy ** 2)
    out = {}
    for name, rows in (("base", base), ("other", other)):
        implausibility = np.maximum(0.0, -margins_table(checks, [r["observables"] for r in rows])) / scale
        kth = -np.sort(-implausibility, axis=1)[:, order - 1]
        out[name] = {"kth": kth, "share": (implausibility > 3.0).mean(axis=0)}
    diff = out["other"]["kth"] - out["base"]["kth"]
    return {"points": len(base), "median_kth": [float(np.median(out["base"]["kth"])), float(np.median(out["other"]["kth"]))],
            "min_kth": [float(out["base"]["kth"].min()), float(out["other"]["kth"].min())],
            "paired_median_difference": float(np.median(diff)), "share_points_lower": float(np.mean(diff < 0)),
            "nonimplausible": [int(np.sum(out["base"]["kth"] <= 3.0)), int(np.sum(out["other"]["kth"] <= 3.0))],
            "checks_implausible_at_90pct": [int(np.sum(out["base"]["share"] >= 0.9)), int(np.sum(out["other"]["share"] >= 0.9))],
            "per_check": [{"check": c.key, "base": float(out["base"]["share"][j]), "other": float(out["other"]["share"][j])}
                          for j, c in enumerate(checks)]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--species", choices=("mouse", "human"), required=True)
    parser.add_argument("--design", type=Path, required=True)
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--other", type=Path, required=True)
    parser.add_argument("--points", type=int)
    parser.add_argument("--order", type=int, default=11)
    parser.add_argument("--discrepancy", type=float, default=0.05)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    design = json.loads(args.design.read_text())
    wave = json.loads((args.design.parent / "wave.json").read_text())
    space = load_space(HERE / f"space_{args.species}.toml")
    if design["parameters"] != space.names:
        print(f"error: {args.design}: its parameters are not those of space_{args.species}.toml", file=sys.stderr)
        return 2
    checks = ModelSimulator(args.species).checks()
    sd = {row["check"]: row["mc_sd"] for row in wave["checks"]}
    missing = [c.key for c in checks if c.key not in sd]
    if missing:
        print(f"error: {args.design.parent / 'wave.json'}: no Monte-Carlo sd for {missing[0]}", file=sys.stderr)
        return 2
    mc_var = np.array([sd[c.key] ** 2 for c in checks])
    points = space.from_unit(np.array(design["unit"]))
    n = args.points or len(points)
    base_records, other_records = _records(args.base, args.species), _records(args.other, args.species)
    base, other = [], []
    for i, p in enumerate(points[:n]):
        seed = design["seeds"][i]
        b, o = _find(base_records, p, seed), _find(other_records, p, seed)
        if b is not None and o is not None:
            base.append(b)
            other.append(o)
    if not base:
        print("error: no design point was simulated by both models", file=sys.stderr)
        return 2
    result = paired(checks, mc_var, args.discrepancy, args.order, base, other)
    print(f"{result['points']} paired points; {args.order}-th largest implausibility: median {result['median_kth'][0]:.2f} (base) "
          f"vs {result['median_kth'][1]:.2f} (other), minimum {result['min_kth'][0]:.2f} vs {result['min_kth'][1]:.2f}; "
          f"paired median difference {result['paired_median_difference']:+.2f}, lower at {result['share_points_lower']:.0%} of points; "
          f"non-implausible points {result['nonimplausible'][0]} vs {result['nonimplausible'][1]}; checks implausible at >= 90% "
          f"of points {result['checks_implausible_at_90pct'][0]} vs {result['checks_implausible_at_90pct'][1]}")
    for row in sorted(result["per_check"], key=lambda r: -abs(r["other"] - r["base"])):
        if abs(row["other"] - row["base"]) >= 0.1:
            print(f"  {row['base']:.2f} -> {row['other']:.2f}  {row['check'][:130]}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
