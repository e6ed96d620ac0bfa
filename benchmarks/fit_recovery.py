"""Parameter recovery of `abscopal fit` on 20 synthetic data sets: coverage of the 90% intervals and run times.

The same data sets and settings as the slow test (tests/integration/test_fit_recovery.py, seeds 100-119); this
script also writes every fit's truth, intervals, convergence and time to a JSON file for docs/fit.md:

    .venv/bin/python benchmarks/fit_recovery.py --workers 2 --json results/fit_recovery.json
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from abscopal.fitting.synthetic import RECOVERY, recovery_run

ROOT = str(Path(__file__).resolve().parents[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--json", default="results/fit_recovery.json")
    parser.add_argument("--steps", type=int, default=RECOVERY["steps"], help="MCMC steps per fit (burn-in: half)")
    args = parser.parse_args()
    seeds = list(range(100, 100 + args.seeds))
    started = time.perf_counter()
    runs = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for run in pool.map(partial(recovery_run, steps=args.steps), seeds, [ROOT] * len(seeds)):
            runs.append(run)
            print(f"seed {run['seed']}: covered {run['covered']}, {run['seconds']} s, converged {run['converged']}",
                  flush=True)
    coverage = {name: sum(r["covered"][name] for r in runs) / len(runs) for name in runs[0]["covered"]}
    summary = {"settings": {**RECOVERY, "steps": args.steps}, "seeds": seeds, "coverage90": coverage,
               "converged": sum(r["converged"] for r in runs), "wall_seconds": round(time.perf_counter() - started, 1),
               "fit_seconds": [r["seconds"] for r in runs], "runs": runs}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: summary[k] for k in ("coverage90", "converged", "wall_seconds")}))


if __name__ == "__main__":
    main()
