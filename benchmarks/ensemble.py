"""Benchmark: a posterior-ensemble run end to end, `abscopal cohort FILE --size N --uncertainty D`, as a user waits for it.

    .venv/bin/python benchmarks/ensemble.py --size 1000 --draws 10 100 --json benchmarks/results/ensemble.json

Each run is a fresh process of the real command line (2 workers): once without --uncertainty and once per number
of draws, in that order, ``--repeats`` times. The scenario is benchmarks/scenarios/mouse_tsa_bilateral_cohort.yaml
(bilateral TSA tumours, 8 Gy x 3 + anti-CTLA-4, 40 days): the mouse is the only species with a shipped ensemble.
Reported: wall and CPU seconds (the command and its workers) of every run, the marginal cost of one draw (the
slope between the smallest and largest number of draws) and the time of a 100-draw run, measured or extrapolated
from that slope. Speed is never asserted in the test suite; this script only measures.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "benchmarks" / "scenarios" / "mouse_tsa_bilateral_cohort.yaml"


def timed(size: int, draws: int | None) -> dict:
    command = [sys.executable, "-m", "abscopal", "cohort", str(SCENARIO), "--size", str(size), "--workers", "2"]
    if draws:
        command += ["--uncertainty", str(draws)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"draws": draws or 0, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--draws", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeats):
        for draws in [None, *args.draws]:
            runs.append(timed(args.size, draws))
            print(json.dumps(runs[-1]), flush=True)
    by = {d: min(r["wall_s"] for r in runs if r["draws"] == d) for d in {r["draws"] for r in runs}}
    cpu = {d: min(r["cpu_s"] for r in runs if r["draws"] == d) for d in {r["draws"] for r in runs}}
    low, high = min(args.draws), max(args.draws)
    per_draw = (by[high] - by[low]) / (high - low) if high > low else by[high] / high
    hundred = by[100] if 100 in by else by[high] + (100 - high) * per_draw
    result = {
        "command": f"abscopal cohort {SCENARIO.relative_to(ROOT)} --size {args.size} --workers 2 --uncertainty D",
        "size": args.size, "runs": runs, "wall_s_best": by, "cpu_s_best": cpu,
        "wall_s_per_draw": round(per_draw, 3), "wall_s_100_draws": round(hundred, 1),
        "measured_100": 100 in by, "machine": {"cpus": __import__("os").cpu_count(), "platform": platform.platform(),
                                               "python": platform.python_version()},
    }
    print(json.dumps({k: result[k] for k in ("wall_s_per_draw", "wall_s_100_draws", "measured_100")}))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
