"""Set one parameter from an outside anchor: scan a grid and interpolate where a probe's ORR meets a published rate.

Rule-E registrations (docs/calibration.md) set a value from evidence that is not a validation target: a trial's
response rate under one drug, say. This runs the anchor scenario (a trial file with one arm) at every grid value
(through the scenario's ``overrides``) on several population seeds, pools the responders, and reports the
log-linear interpolation of the value at which the pooled ORR equals the target, rounded to two significant
digits (the nearest grid point when no grid pair brackets it). Each (value, seed) result is kept in --workdir,
so a stopped run continues where it stopped.

    .venv/bin/python calibration/anchor_scan.py calibration/anchors/ipilimumab_pretreated_melanoma.yaml \\
        --parameter ctla4_priming_gain --grid 2 3 4 6 9 13 --seeds 2010 3010 4010 5010 --target 0.086 \\
        --workdir calibration/runs/ctla4_gain
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from itertools import pairwise
from pathlib import Path

import yaml


def run_one(scenario: Path, parameter: str, value: float, seed: int) -> dict:
    from abscopal import run_trial

    doc = yaml.safe_load(scenario.read_text())
    doc["overrides"] = {**doc.get("overrides", {}), parameter: value}
    doc["population"]["seed"] = seed
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(doc, handle)
    try:
        summary = run_trial(handle.name).summary()
    finally:
        Path(handle.name).unlink()
    arm = summary["arms"][0]
    orr = arm["orr"]["overall"]
    return {"value": value, "seed": seed, "orr": orr["rate"], "responders": orr["count"],
            "n": arm.get("n_evaluable") or arm.get("n")}


def interpolate(points: list[tuple[float, float]], target: float) -> tuple[float, str]:
    """The value at which the ORR crosses ``target``, log-linear between the bracketing grid points."""
    for (v0, r0), (v1, r1) in pairwise(points):
        if (r0 - target) * (r1 - target) <= 0 and r0 != r1:
            x = math.log(v0) + (target - r0) / (r1 - r0) * (math.log(v1) - math.log(v0))
            return float(f"{math.exp(x):.2g}"), f"interpolated between {v0:g} and {v1:g}"
    nearest = min(points, key=lambda p: abs(p[1] - target))
    return nearest[0], "no grid pair brackets the target: nearest grid point"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--parameter", required=True)
    parser.add_argument("--grid", type=float, nargs="+", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--target", type=float, required=True, help="the published ORR the probe should meet")
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    points = []
    for value in sorted(args.grid):
        responders = total = 0
        for seed in args.seeds:
            path = args.workdir / f"v{value:g}_s{seed}.json"
            if path.exists():
                row = json.loads(path.read_text())
            else:
                row = run_one(args.scenario, args.parameter, value, seed)
                path.write_text(json.dumps(row) + "\n")
            responders += row["responders"]
            total += row["n"]
        rate = responders / total
        points.append((value, rate))
        print(f"{args.parameter} {value:>6g}: ORR {rate:.3f} (SE {math.sqrt(rate * (1 - rate) / total):.3f},"
              f" {responders}/{total})", file=sys.stderr)
    value, how = interpolate(points, args.target)
    result = {"scenario": str(args.scenario), "parameter": args.parameter, "target_orr": args.target,
              "seeds": args.seeds, "grid": [{"value": v, "orr": r} for v, r in points], "value": value, "how": how}
    (args.workdir / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
