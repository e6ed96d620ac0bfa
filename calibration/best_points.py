"""The simulated points of a history match that reproduce the most published directions at their own seed.

    .venv/bin/python calibration/best_points.py --species mouse [--top 2] [--workdir DIR] [--json FILE]

Reads every cached simulation of the current model in ``--workdir`` (default calibration/runs/<species>), and
for each one counts the calibration-part targets whose direction checks all hold at the seed it was simulated at
(numeric checks are not counted, as in ``abscopal validate``'s direction totals). Prints the ``--top`` points
with their count and the targets they pass; ``--json`` writes them with their parameter values, ready for
``abscopal validate`` through calibration/apply_values.py or a scratch copy.

This is how the candidate and the control of the recognition-priming test were picked (docs/calibration.md,
eleventh session). Choosing the best of hundreds of points on one seed each is a selection with a bias: rerun the
chosen points at 10 seeds before reading anything into them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from hm.cache import PointCache  # noqa: E402
from hm.checks import Check  # noqa: E402


def direction_checks(ids: list[str]) -> dict[str, list[Check]]:
    """Per target id, its direction checks (not the numeric ones)."""
    from abscopal.validation import suite

    targets = suite.load_targets()
    return {tid: [Check(tid, c.get("text", c["expr"]), c["expr"]) for c in targets[tid].checks] for tid in ids}


def passing(record: dict, checks: dict[str, list[Check]]) -> list[str]:
    """Targets whose direction checks all hold in one simulated record."""
    values = record["observables"]
    return [tid for tid, cs in checks.items() if cs and all(float(c.margin(values)) > 0 for c in cs)]


def ranked(records: list[dict], checks: dict[str, list[Check]]) -> list[dict]:
    rows = [{"params": r["params"], "seed": r["seed"], "passed": passing(r, checks)} for r in records]
    for row in rows:
        row["directions"] = len(row["passed"])
    rows.sort(key=lambda row: -row["directions"])  # stable: ties keep the cache's file order
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--species", choices=("mouse", "human"), default="mouse")
    parser.add_argument("--workdir", help="history-match folder (default calibration/runs/<species>)")
    parser.add_argument("--top", type=int, default=2)
    parser.add_argument("--json", help="write the top points (values, seed, targets passed) to this file")
    args = parser.parse_args(argv)

    from hm.simulators import ModelSimulator, calibrate_module

    ids = calibrate_module().target_ids(args.species)
    simulator = ModelSimulator(args.species, ids)
    workdir = Path(args.workdir or HERE / "runs" / args.species)
    cache = PointCache(workdir / "cache", args.species, simulator.fingerprint(), simulator.digest())
    records = cache.records()
    if not records:
        print(f"error: no simulation of the current model in {workdir / 'cache'}; run the history match first, or "
              "history_match.py --adopt after a change that keeps every value",
              file=sys.stderr)
        return 2
    rows = ranked(records, direction_checks(ids))
    counts = [row["directions"] for row in rows]
    print(f"{len(rows)} simulations of the current model; directions at their own seed: best {counts[0]} of {len(ids)}, "
          f"median {sorted(counts)[len(counts) // 2]}")
    for k, row in enumerate(rows[: args.top]):
        print(f"point {k}: {row['directions']} of {len(ids)} at seed index {row['seed']}: {', '.join(row['passed'])}")
    if args.json:
        Path(args.json).write_text(json.dumps({"species": args.species, "targets": ids, "simulations": len(rows),
                                               "points": rows[: args.top]}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
