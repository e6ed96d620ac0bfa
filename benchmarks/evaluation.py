"""Benchmark: the cohort's evaluation stage alone (trial.run.evaluate: RECIST 1.1 / iRECIST, endpoints, survival
draw), this checkout against another one, in alternating fresh processes.

    .venv/bin/python benchmarks/evaluation.py --baseline /tmp/main/src   # git archive main src | tar -x -C /tmp/main
    .venv/bin/python benchmarks/evaluation.py --size 1000 --repeats 5 --json benchmarks/results/evaluation.json

Each run is a fresh process with the variant's ``src`` first on the path: it simulates ``--size`` subjects of the
benchmark scenario (benchmarks/scenarios/five_lesions_sbrt_ipi_nivo.yaml, one arm, as `abscopal cohort` does),
evaluates the first 16 once (kernel load, caches), then times ``evaluate`` over all of them, three passes, and
reports the fastest pass in CPU seconds of the process per 1,000 subjects (CPU time, so that other work on a
shared machine inflates it less than wall time). The variants alternate run by run, and the order flips every
repeat. Speed is never asserted in the test suite; this script only measures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "benchmarks" / "scenarios" / "five_lesions_sbrt_ipi_nivo.yaml"

CHILD = r"""
import dataclasses, json, sys, time
from abscopal.population import sample_subject
from abscopal.simulate import simulate_many
from abscopal.trial import run as trial_run
from abscopal.trial.design import load_trial

n = int(sys.argv[2])
design = load_trial(sys.argv[1], size=n, seed=1, cohort=True)
interval = trial_run._output_interval(design)
name, scenario = design.arms[0]
subjects = [sample_subject(scenario, design.population, k) for k in range(n)]
subjects = [dataclasses.replace(s, simulation=dataclasses.replace(s.simulation, output_interval_days=interval))
            for s in subjects]
results = list(simulate_many(subjects, indices=list(range(n))))
targeted = [set().union(*(set(b.lesion_ids) for b in s.radiotherapy)) for s in subjects]
for k in range(16):
    trial_run.evaluate(results[k], design, k, targeted[k])
passes = []
for _ in range(3):
    start = time.process_time()
    for k, result in enumerate(results):
        trial_run.evaluate(result, design, k, targeted[k])
    passes.append(time.process_time() - start)
print(json.dumps({"cpu_s_per_1000": 1000 * min(passes) / n, "passes_s": passes}))
"""


def run_once(src: Path, size: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run([sys.executable, "-c", CHILD, str(SCENARIO), str(size)], env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", help="the src folder of another checkout, timed in alternation (paired runs)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    variants = {"this": ROOT / "src", **({"baseline": Path(args.baseline).resolve()} if args.baseline else {})}
    runs: dict[str, list[float]] = {v: [] for v in variants}
    for r in range(args.repeats):
        order = list(variants) if r % 2 == 0 else list(reversed(variants))
        for variant in order:
            value = run_once(variants[variant], args.size)["cpu_s_per_1000"]
            runs[variant].append(value)
            print(f"  {variant}: evaluate {value:.3f} CPU s per 1,000 subjects", file=sys.stderr)
    summary = {"scenario": str(SCENARIO.relative_to(ROOT)), "subjects": args.size, "repeats": args.repeats,
               "clock": "CPU time of the process, fastest of 3 passes per run",
               "load_average_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
               **{v: {"cpu_s_per_1000": xs, "median": statistics.median(xs)} for v, xs in runs.items()}}
    if args.baseline:
        summary["speed_up_of_medians"] = summary["baseline"]["median"] / summary["this"]["median"]
    print(json.dumps(summary, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
