"""Benchmark: a 10,000-subject x 2-arm virtual trial (issue: populations and trials, acceptance).

Run:  .venv/bin/python benchmarks/trial_10k.py [--size 10000] [--workers 2]
Writes benchmarks/results/trial_10k.json with wall time, subjects/s and the machine. The same command
through the CLI is `abscopal trial examples/trial_nsclc_sbrt_pembrolizumab.yaml --size 10000`.
Not part of the test suite (speed is measured here, never asserted in tests).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--file", default=str(ROOT / "examples" / "trial_nsclc_sbrt_pembrolizumab.yaml"))
    args = parser.parse_args()

    from abscopal.simulate import __version__
    from abscopal.trial.analysis import trial_summary
    from abscopal.trial.design import load_trial
    from abscopal.trial.run import run_trial
    from abscopal.trial_report import ProgressBar

    design = load_trial(args.file, size=args.size)
    start = time.perf_counter()
    run = run_trial(design, workers=args.workers, progress=ProgressBar(len(design.arms)))
    simulated = time.perf_counter() - start
    summary = trial_summary(run)
    total = time.perf_counter() - start
    years = design.duration / 365.25
    result = {
        "benchmark": "trial_10k", "file": Path(args.file).name, "size": args.size, "arms": len(design.arms),
        "workers": args.workers, "simulated_days": design.duration, "wall_s_simulation": round(simulated, 1),
        "wall_s_total": round(total, 1), "subject_arms_per_s": round(args.size * len(design.arms) / simulated, 1),
        "subject_years_per_s": round(args.size * len(design.arms) * years / simulated, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0]},
        "abscopal": __version__,
        "orr_out_of_field": {arm["name"]: arm["orr"]["out_of_field"]["rate"] for arm in summary["arms"]},
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"trial_{args.size}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
