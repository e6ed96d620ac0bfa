"""The lanes engine (engine/lanes.py) against the scalar kernel, on the same subjects of the benchmark scenario.

For each number of lanes W (0 = the scalar kernel, one subject per thread at a time), the same N subjects of
benchmarks/scenarios/five_lesions_sbrt_ipi_nivo.yaml (365 days, population variability on) are integrated at
the cohort's settings (rtol 4e-6, an output every 7 days) on one thread and on all threads; the CPU time of the
integration is the faster of the passes (other work on a shared machine only ever adds time). Every run's
outputs, statuses and step counts are compared with the scalar kernel's, bit for bit. The right-hand side alone
is timed too: nanoseconds per subject and call, scalar against W lanes, on states along real trajectories.

    .venv/bin/python benchmarks/lanes.py [--subjects 2000] [--lanes 4,8,16] [--passes 3]

writes benchmarks/results/lanes.json; benchmarks/report.py renders it into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engine  # noqa: E402  (benchmarks/engine.py: scenario, subjects, tolerances)

OUT = Path(__file__).resolve().parent / "results" / "lanes.json"


def integration(batch, t_out, lanes, threads, passes):
    from abscopal.engine.compiled import run_compiled

    run_compiled(batch, t_out, rtol=engine.RTOL, atol=engine.ATOL, threads=threads, lanes=lanes)  # load the kernel
    cpu, wall = [], []
    for _ in range(passes):
        t0, w0 = time.process_time(), time.perf_counter()
        result = run_compiled(batch, t_out, rtol=engine.RTOL, atol=engine.ATOL, threads=threads, lanes=lanes)
        cpu.append(time.process_time() - t0)
        wall.append(time.perf_counter() - w0)
    return result, min(cpu), min(wall)


def rhs_timing(batch, t_out, lanes, calls=100_000):
    """ns per subject and call of the scalar right-hand side and of the W-lane one, on states of real trajectories."""
    import numba as nb

    from abscopal.engine import lanes as lanes_engine
    from abscopal.engine.compiled import kernel, run_compiled
    from abscopal.model import _generated as generated

    W = lanes
    sub = batch.subjects[:W]
    from abscopal.model.batch import Batch

    small = Batch(sub)
    out, _, _ = run_compiled(small, t_out, rtol=engine.RTOL, atol=engine.ATOL, threads=1, lanes=0)
    inputs = small.compiled_inputs()
    states = np.ascontiguousarray(out[:, len(t_out) // 2])
    L, A = small.L, small.A
    active = np.ones((W, L))
    scalar_rhs = kernel()._rhs
    module = lanes_engine.lanes_module(L, A, W)

    @nb.njit
    def scalar_loop(N, Y, DY, ACT, PAR, LPAR, apar, offsets, wl, wa):
        s = 0.0
        for _ in range(N):
            for w in range(Y.shape[0]):
                scalar_rhs(Y[w], DY[w], ACT[w], PAR[w], LPAR[w], apar, offsets, wl, wa)
                s += DY[w, 0]
        return s

    lanes_rhs = module.rhs_lanes

    @nb.njit
    def lanes_loop(N, y, dy, act, par, lpar, apar):
        s = 0.0
        for _ in range(N):
            lanes_rhs(y, dy, act, par, lpar, apar)
            s += dy[0]
        return s

    wl = np.empty((generated.N_LESION_WORK, L))
    wa = np.empty((generated.N_AGENT_WORK, A))
    dy = np.empty_like(states)
    args_s = (states, dy, active, inputs["par"], inputs["lpar"], inputs["apar"], inputs["offsets"], wl, wa)
    y = np.ascontiguousarray(states.T).ravel()
    args_l = (y, np.empty_like(y), np.ascontiguousarray(active.T).ravel(), np.ascontiguousarray(inputs["par"].T).ravel(),
              np.ascontiguousarray(np.moveaxis(inputs["lpar"], 0, -1)).ravel(), inputs["apar"])
    scalar_loop(1, *args_s)
    lanes_loop(1, *args_l)
    best_s = best_l = np.inf
    for _ in range(3):
        t0 = time.process_time()
        scalar_loop(calls, *args_s)
        best_s = min(best_s, time.process_time() - t0)
        t0 = time.process_time()
        lanes_loop(calls, *args_l)
        best_l = min(best_l, time.process_time() - t0)
    return {"lanes": W, "scalar_ns": 1e9 * best_s / (calls * W), "lanes_ns": 1e9 * best_l / (calls * W)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--lanes", default="4,8,16")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    import numba

    from abscopal.model.batch import Batch
    from abscopal.simulate import output_times

    n = args.subjects
    batch = Batch(engine.subjects(range(n)))
    t_out = output_times(engine.DURATION, 7.0)
    threads_all = numba.get_num_threads()
    rows = []
    reference = None
    for lanes in [0] + [int(x) for x in args.lanes.split(",")]:
        for threads in (1, threads_all):
            result, cpu, wall = integration(batch, t_out, lanes, threads, args.passes)
            if reference is None:
                reference = result
            identical = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(reference, result, strict=True))
            steps = result[2]
            row = {"lanes": lanes, "threads": threads, "cpu_ms_per_subject": 1e3 * cpu / n, "wall_s": wall,
                   "subject_years_per_cpu_s": n * engine.DURATION / 365.25 / cpu,
                   "subject_years_per_s": n * engine.DURATION / 365.25 / wall,
                   "accepted_rejected_steps": steps.mean(axis=0).tolist(), "identical_to_scalar": bool(identical),
                   "failed": int((result[1] != 1).sum())}
            rows.append(row)
            print(f"lanes {lanes:2d}, {threads} thread(s): {row['cpu_ms_per_subject']:.3f} CPU ms/subject, "
                  f"{row['subject_years_per_s']:,.0f} subject-years/s wall, identical {identical}", flush=True)
    rhs = [rhs_timing(batch, t_out, w) for w in [int(x) for x in args.lanes.split(",")]]
    for r in rhs:
        print(f"right-hand side, {r['lanes']} lanes: {r['scalar_ns']:.0f} ns scalar, {r['lanes_ns']:.0f} ns per "
              "subject and call in lanes", flush=True)
    try:
        with open("/proc/loadavg") as fh:
            load = fh.read().split()[:3]
    except OSError:
        load = None
    OUT.write_text(json.dumps({"subjects": n, "scenario": str(engine.SCENARIO.relative_to(engine.ROOT)),
                               "duration_days": engine.DURATION, "output_every_days": 7.0, "rtol": engine.RTOL,
                               "atol": engine.ATOL, "threads_all": threads_all, "passes": args.passes,
                               "machine": engine.versions(), "load_average_end": load, "rows": rows,
                               "rhs": rhs, "lanes_env": os.environ.get("ABSCOPAL_LANES")}, indent=1) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
