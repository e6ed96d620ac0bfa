"""On-demand fuzz run: ``python -m tests.fuzz.run --cases 5000 --seed 18`` from the repository root.

Prints one line per finding (crash, hang, non-finite output, error message beyond one line), then the
counts of every outcome and the run time, and exits 1 when there is any finding. ``--jsonl FILE``
keeps every outcome for later study. The same seed draws the same cases.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict

from tests.fuzz.engine import FINDINGS, examples, make_case, run_case, summarise


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--limit", type=float, default=30.0, help="seconds per case before it counts as a hang")
    parser.add_argument("--jsonl", help="write every outcome to this file")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    pool = examples()
    outcomes, started = [], time.perf_counter()
    sink = open(args.jsonl, "w") if args.jsonl else None  # noqa: SIM115 - closed below
    try:
        for k in range(args.cases):
            case = make_case(rng, pool)
            outcome = run_case(case, limit_s=args.limit)
            outcomes.append(outcome)
            if sink:
                sink.write(json.dumps(asdict(outcome)) + "\n")
                sink.flush()
            if outcome.kind in FINDINGS:
                print(f"case {k}: {outcome.kind}: {outcome.example} {outcome.family} {outcome.mutations}: "
                      f"{outcome.detail[:300]}", flush=True)
            if (k + 1) % 250 == 0:
                print(f"{k + 1} cases, {time.perf_counter() - started:.0f} s: {summarise(outcomes)}", file=sys.stderr, flush=True)
    finally:
        if sink:
            sink.close()
    counts = summarise(outcomes)
    elapsed = time.perf_counter() - started
    slowest = max(outcomes, key=lambda o: o.seconds)
    print(f"seed {args.seed}, {len(outcomes)} cases in {elapsed:.0f} s (slowest case {slowest.seconds:.1f} s): "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 1 if any(counts[k] for k in FINDINGS) else 0


if __name__ == "__main__":
    sys.exit(main())
