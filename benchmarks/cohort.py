"""Benchmark: `abscopal cohort` end to end (what a user waits for), stage by stage, beside the integrator alone.

    .venv/bin/python benchmarks/cohort.py                 # writes benchmarks/results/cohort.json and, through
                                                          # benchmarks/report.py, the headline of docs/performance.md
    .venv/bin/python benchmarks/cohort.py --repeats 1 --sizes 1000 5000 --profile-size 1000   # a quick look

Scenario: benchmarks/scenarios/five_lesions_sbrt_ipi_nivo.yaml (5 lesions, 365 days, population variability on).

1. End to end: the real command line (`python -m abscopal cohort FILE --size N --workers W --json PATH`, and the
   same with `--out DIR`: Parquet chunks, figures, result.json) in a fresh process per run, wall-clock time. The
   rate is the marginal one between the two sizes, (years(N2) - years(N1)) / (t(N2) - t(N1)), so that process
   start, imports, kernel loading and the fixed cost of figures cancel out. The runs alternate between sizes and
   between with and without --out, `--repeats` times, and the median time of each is used: on a shared machine
   the spread between repeats (kept in the JSON) shows the contention. `--baseline OTHER/src` times another
   checkout's code (e.g. main before a change) run by run in alternation with this one.
2. Stages: one in-process run of `run_trial` + `summarise` + `write_outputs` with one worker on `--profile-size`
   subjects, each stage timed by wrapping the function that does it (sampling, subject set-up, batch event
   tables, integration, trajectory read-out, RECIST/iRECIST evaluation, group curves, records, Parquet chunks,
   summaries, figures and JSON). CPU seconds of the process per 1,000 subjects (one core; CPU time, so that
   other work on a shared machine does not inflate it).
3. Integrator alone on 2 threads, for the same subjects: at the cohort command's own settings (abscopal.simulate.RTOL,
   weekly output) and at benchmarks/engine.py's (the same rtol, output at day 365 only).
Speed is never asserted in the test suite; this script only measures and reports.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "benchmarks" / "scenarios" / "five_lesions_sbrt_ipi_nivo.yaml"
DURATION_DAYS = 365.0
RESULTS = ROOT / "benchmarks" / "results" / "cohort.json"


def years(n: int) -> float:
    return n * DURATION_DAYS / 365.25


# ----------------------------------------------------------------------------------------------- end to end
def cohort_command(n: int, workers: int, out: Path | None, json_path: Path) -> list[str]:
    cmd = [sys.executable, "-m", "abscopal", "cohort", str(SCENARIO), "--size", str(n), "--workers", str(workers),
           "--json", str(json_path)]
    return cmd + (["--out", str(out)] if out is not None else [])


def time_command(cmd: list[str], src: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its worker processes)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for attempt in (1, 2):  # a run that fails is run again once (and reported); a second failure stops the benchmark
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=src.parent, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode == 0:
            return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        print(f"  run failed (exit {done.returncode}, attempt {attempt}): {' '.join(cmd)}\n{done.stderr[-2000:]}",
              file=sys.stderr)
    raise RuntimeError(f"{' '.join(cmd)} failed twice")


def end_to_end(sizes: list[int], workers: int, repeats: int, baseline: Path | None = None) -> dict:
    """Marginal rates of this checkout's code, and with ``baseline`` (the ``src`` folder of another checkout, e.g.
    ``git archive main src benchmarks | tar -x -C /tmp/main``) of that code too, run by run in alternation."""
    variants = {"this": ROOT / "src", **({"baseline": Path(baseline).resolve()} if baseline else {})}
    times = {v: {"no_out": {n: [] for n in sizes}, "out": {n: [] for n in sizes}} for v in variants}
    cpu = {v: {"no_out": {n: [] for n in sizes}, "out": {n: [] for n in sizes}} for v in variants}
    with tempfile.TemporaryDirectory(prefix="abscopal-cohort-bench-") as tmp:
        for r in range(repeats):
            order = [(variant, mode, n) for n in sizes for mode in ("no_out", "out") for variant in variants]
            if r % 2:
                order.reverse()  # alternate the order, so that a slow spell of a shared machine hits both sides
            for variant, mode, n in order:
                out = Path(tmp) / f"out-{variant}-{n}-{r}" if mode == "out" else None
                cmd = cohort_command(n, workers, out, Path(tmp) / f"{variant}-{mode}-{n}-{r}.json")
                wall, cpu_s = time_command(cmd, variants[variant])
                times[variant][mode][n].append(wall)
                cpu[variant][mode][n].append(cpu_s)
                print(f"  {variant}: cohort --size {n} {'--out' if out else '(no --out)'}: {wall:.1f} s "
                      f"(CPU {cpu_s:.1f} s)", file=sys.stderr)
    lo, hi = min(sizes), max(sizes)

    def rates(by_mode, scale=1.0):
        out = {}
        for mode, by_n in by_mode.items():
            dt = statistics.median(by_n[hi]) - statistics.median(by_n[lo])
            out[mode] = scale * (years(hi) - years(lo)) / dt if dt > 0 else None
        return out

    def block(variant):
        return {"times_s": {mode: {str(n): ts for n, ts in by_n.items()} for mode, by_n in times[variant].items()},
                "cpu_s": {mode: {str(n): ts for n, ts in by_n.items()} for mode, by_n in cpu[variant].items()},
                "marginal_subject_years_per_s": rates(times[variant]),
                # subject-years per CPU-second times the worker count: the wall-clock rate that the CPU time
                # spent would give on that many otherwise idle cores (insensitive to other work on the machine)
                "marginal_subject_years_per_cpu_s_x_workers": rates(cpu[variant], workers)}

    result = {"sizes": sizes, "workers": workers, "repeats": repeats, **block("this")}
    if baseline:
        result["baseline"] = block("baseline")
    return result


# ----------------------------------------------------------------------------------------------- stages
STAGES = [  # (label, module, attribute): the function whose time is the stage's (outermost call counted)
    ("sampling (population draws)", "abscopal.trial.run", "sample_subject"),
    ("subject set-up (parameter values, per-subject event tables)", "abscopal.simulate", "_subject_for"),
    ("batch set-up (event tables of the chunk)", "abscopal.simulate", "make_batch"),
    ("integration (compiled kernel)", "abscopal.engine.compiled", "run_compiled"),
    ("trajectory read-out", "abscopal.model.batch", "Batch.readout"),
    ("RECIST 1.1 / iRECIST evaluation and endpoints", "abscopal.trial.run", "evaluate"),
    ("group curves (streamed)", "abscopal.trial.run", "stream_partial"),
    ("records (Arrow tables)", "abscopal.trial.run", "records_table"),
    ("Parquet chunks (--out)", "abscopal.trial.store", "ChunkStore.write"),
    ("group summaries (response rates, KM, statistics)", "abscopal.api", "summarise"),
    ("figures, biomarkers and result.json (--out)", "abscopal.trial_report", "write_outputs"),
]


@contextlib.contextmanager
def timed_stages():
    """Wrap each stage's function with a timer (only the outermost call of a stage is counted)."""
    import importlib

    spent = {label: 0.0 for label, _, _ in STAGES}
    undo = []
    for label, module_name, attr in STAGES:
        module = importlib.import_module(module_name)
        owner, name = (getattr(module, attr.split(".")[0]), attr.split(".")[1]) if "." in attr else (module, attr)
        original = getattr(owner, name)
        depth = [0]

        def wrapper(*args, __f=original, __label=label, __depth=depth, **kwargs):
            __depth[0] += 1
            start = time.process_time()
            try:
                return __f(*args, **kwargs)
            finally:
                __depth[0] -= 1
                if __depth[0] == 0:
                    spent[__label] += time.process_time() - start

        setattr(owner, name, wrapper)
        undo.append((owner, name, original))
    try:
        yield spent
    finally:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)


def stage_profile(n: int) -> dict:
    from abscopal.api import complete, summarise
    from abscopal.trial.design import load_trial
    from abscopal.trial.run import run_trial
    from abscopal.trial_report import write_outputs

    warm = load_trial(SCENARIO, size=16, seed=1, cohort=True)  # imports, kernel load, parameter caches
    with tempfile.TemporaryDirectory() as tmp:
        summarise(run_trial(warm, workers=1, out=Path(tmp) / "w"), cohort=True)
    design = load_trial(SCENARIO, size=n, seed=1, cohort=True)
    with tempfile.TemporaryDirectory() as tmp, timed_stages() as spent:
        start, wall_start = time.process_time(), time.perf_counter()
        run = run_trial(design, workers=1, out=Path(tmp) / "out")
        from abscopal import api
        from abscopal import trial_report as report

        result = api.summarise(run, cohort=True)
        biomarkers = complete(result, run)
        report.write_outputs(run, result, Path(tmp) / "out", biomarkers)
        total, wall = time.process_time() - start, time.perf_counter() - wall_start
    stages = dict(spent)
    # the run_subjects wrapper: make_batch, run_compiled and readout are inside it and counted apart
    stages["other (chunk loop, result objects, imports)"] = total - sum(spent.values())
    del summarise, write_outputs
    return {"subjects": n, "workers": 1, "clock": "CPU time of the process", "total_s": total, "wall_s": wall,
            "stages": [{"stage": k, "s": v, "s_per_1000": 1000 * v / n, "share": v / total} for k, v in stages.items()]}


# ----------------------------------------------------------------------------------------------- integrator
def integrator_only(n: int, threads: int) -> dict:
    from abscopal.engine.compiled import run_compiled
    from abscopal.model.registry import make_batch
    from abscopal.model.subject import subject_from_scenario
    from abscopal.population import parse_population, sample_subject
    from abscopal.scenario.load import load_scenario
    from abscopal.simulate import RTOL, output_times

    scenario = load_scenario(SCENARIO)
    spec = parse_population(scenario.population, scenario.species)
    subjects = [subject_from_scenario(sample_subject(scenario, spec, k), k) for k in range(n)]
    batch = make_batch(subjects)
    run_compiled(make_batch(subjects[:2]), np.array([0.0, DURATION_DAYS]), threads=threads)  # kernel load
    out = {}
    for label, rtol, t_out in ((f"cohort settings (rtol {RTOL:g}, weekly output)", RTOL, output_times(DURATION_DAYS, 7.0)),
                               (f"engine benchmark settings (rtol {RTOL:g}, day 365 only)", RTOL,
                                np.array([0.0, DURATION_DAYS]))):
        start, cpu_start = time.perf_counter(), time.process_time()
        _, status, steps = run_compiled(batch, t_out, rtol=rtol, atol=1e-9, threads=threads)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        out[label] = {"rtol": rtol, "outputs": len(t_out), "integrate_s": wall, "subject_years_per_s": years(n) / wall,
                      "cpu_s": cpu, "subject_years_per_cpu_s_x_threads": threads * years(n) / cpu,
                      "accepted_rejected_steps_per_subject": steps.mean(axis=0).tolist()}
    return {"subjects": n, "threads": threads, "cases": out}


def machine() -> dict:
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpu_model": cpu, "cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": list(load) if load else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[2000, 20000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile-size", type=int, default=2000)
    parser.add_argument("--integrator-size", type=int, default=4000)
    parser.add_argument("--baseline", help="the src folder of another checkout, timed in alternation (paired runs)")
    parser.add_argument("--baseline-label", default="the code before issue 16",
                        help="what the baseline is, for the report (e.g. 'main before the tolerance change')")
    parser.add_argument("--skip", nargs="*", default=[], choices=["end_to_end", "stages", "integrator"])
    parser.add_argument("--json", default=str(RESULTS))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    results: dict = {"scenario": str(SCENARIO.relative_to(ROOT)), "duration_days": DURATION_DAYS, "machine": machine()}
    previous = Path(args.json)
    if previous.exists():  # keep the parts not run this time
        results = {**json.loads(previous.read_text()), **results}
    if "stages" not in args.skip:
        print("stage profile ...", file=sys.stderr)
        results["stages"] = stage_profile(args.profile_size)
    if "integrator" not in args.skip:
        print("integrator alone ...", file=sys.stderr)
        results["integrator"] = integrator_only(args.integrator_size, threads=args.workers)
    if "end_to_end" not in args.skip:
        print("end to end ...", file=sys.stderr)
        results["end_to_end"] = end_to_end(sorted(args.sizes), args.workers, args.repeats, args.baseline)
        if args.baseline:
            results["end_to_end"]["baseline"]["label"] = args.baseline_label
    results["machine"]["load_average_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.json}", file=sys.stderr)
    engine = ROOT / "benchmarks" / "results" / "engine.json"
    if Path(args.json).resolve() == RESULTS.resolve() and engine.exists():
        sys.path.insert(0, str(ROOT))
        from benchmarks.report import write_performance_doc

        write_performance_doc(json.loads(engine.read_text()), ROOT / "docs" / "performance.md")
        print("wrote docs/performance.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
