"""Benchmark: building virtual subjects (sampling a population, then subject set-up), ms per subject.

Run:  PYTHONPATH=src .venv/bin/python benchmarks/setup_speed.py [--n 2000] [--repeat 3] [--file SCENARIO] [--batch]
Prints, for the first n subjects of the scenario's population, the best-of-repeat time per subject of
  sample   population.sample_subject (one resolved Scenario per subject)
  build    model.subject.subject_from_scenario
  first    both, for the first call in this process (cold caches: parameter files, unit conversions)
and with --batch, model.batch.Batch(subjects) per subject. Nothing is written.
Not part of the test suite (speed is measured here, never asserted in tests).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", default=str(ROOT / "benchmarks" / "scenarios" / "five_lesions_sbrt_ipi_nivo.yaml"))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", action="store_true", help="also time Batch(subjects)")
    args = parser.parse_args()

    from abscopal.model.subject import subject_from_scenario
    from abscopal.population import parse_population, sample_subject
    from abscopal.scenario.load import load_scenario

    scenario = load_scenario(args.file)
    spec = parse_population(scenario.population, scenario.species)
    start = time.perf_counter()
    subject_from_scenario(sample_subject(scenario, spec, 0), 0)
    first = time.perf_counter() - start

    n = args.n
    t_sample, scenarios = best(lambda: [sample_subject(scenario, spec, k) for k in range(n)], args.repeat)
    t_build, subjects = best(lambda: [subject_from_scenario(s, k) for k, s in enumerate(scenarios)], args.repeat)
    print(f"scenario: {Path(args.file).name}, {n} subjects, best of {args.repeat}")
    print(f"first    {first * 1e3:8.3f} ms (cold caches)")
    print(f"sample   {t_sample / n * 1e3:8.3f} ms/subject")
    print(f"build    {t_build / n * 1e3:8.3f} ms/subject")
    print(f"total    {(t_sample + t_build) / n * 1e3:8.3f} ms/subject")
    if args.batch:
        from abscopal.model.batch import Batch

        t_batch, _ = best(lambda: Batch(subjects), args.repeat)
        print(f"batch    {t_batch / n * 1e3:8.3f} ms/subject (Batch(subjects))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
