"""docs/performance.md from benchmarks/results/engine.json (and cohort.json and million.json when present)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

LABELS = {
    "abscopal": "abscopal, compiled engine (numba, generated from equations.py)",
    "abscopal-1thread": "abscopal, compiled engine, 1 thread",
    "abscopal-scalar": "abscopal, compiled engine without lanes (ABSCOPAL_LANES=0: one subject per thread at a time)",
    "abscopal-scalar-1thread": "abscopal, compiled engine without lanes, 1 thread",
    "abscopal-numpy": "abscopal, vectorised NumPy engine (same algorithm)",
    "cyrk": "CyRK nbsolve_ivp (numba RK45, rtol 1e-6), same compiled right-hand side, 1 thread",
    "cyrk-rtol1e-5": "CyRK nbsolve_ivp (numba RK45, rtol 1e-5), same compiled right-hand side, 1 thread",
    "scipy-lsoda": "scipy solve_ivp LSODA, loop over subjects, pure-Python right-hand side",
    "scipy-bdf": "scipy solve_ivp BDF, loop over subjects, pure-Python right-hand side",
    "roadrunner-1": "libRoadRunner on abscopal's SBML export, 1 process",
    "roadrunner-2": "libRoadRunner on abscopal's SBML export, 2 processes",
    "amici": "AMICI on abscopal's SBML export",
}


def _rate(case):
    return case.get("subject_years_per_s")


def _simulation_rate(case):
    """libRoadRunner: subject-years/s of the simulation alone (each subject's SBML load and JIT compile left out),
    the rate it would reach if one loaded model could serve every subject."""
    per_subject = case.get("simulate_s_per_subject")
    if not per_subject:
        return None
    return case.get("processes", 1) * (365.0 / 365.25) / per_subject  # the benchmark runs 365 days per subject


def _best_rate(case):
    """The baseline's most favourable rate: the simulation alone where it is known."""
    return _simulation_rate(case) or _rate(case)


def table(results: dict) -> list[str]:
    sizes = sorted({int(key.split("@")[1]) for key in results["cases"] if key.startswith("abscopal@")})
    head = "| engine | subjects timed | " + " | ".join(f"subject-years/s at {n:,}" for n in sizes) + \
        " | accuracy (max rel. error, final burden) | peak memory (MB) |"
    lines = [head, "|" + "---|" * (4 + len(sizes))]
    by_engine: dict[str, dict[int, dict]] = {}
    for key, case in results["cases"].items():
        name, n = key.split("@")
        by_engine.setdefault(name, {})[int(n)] = case
    for name, runs in by_engine.items():
        label = LABELS.get(name, name)
        if any("error" in c for c in runs.values()):
            err = next(c["error"] for c in runs.values() if "error" in c)
            lines.append(f"| {label} | - | " + " | ".join("-" for _ in sizes) + f" | did not run: {err} | - |")
            continue
        if name == "abscopal":
            cells = [f"{_rate(runs[n]):,.0f} ({runs[n]['subject_years_per_s_with_setup']:,.0f} with setup)" if n in runs else "-"
                     for n in sizes]
            timed = ", ".join(f"{n:,}" for n in sorted(runs))
            acc = max(c["accuracy"] for c in runs.values())
            mem = ", ".join(f"{runs[n]['peak_rss_mb']:,.0f}" for n in sorted(runs))
        else:
            (n_timed, case), = runs.items()
            extrapolated = case.get("extrapolated") or n_timed < min(sizes)
            cell = f"{_rate(case):,.1f}" + (" (extrapolated)" if extrapolated else "")
            if _simulation_rate(case):
                cell += f"; {_simulation_rate(case):,.1f} simulation only"
            cells = [cell if (extrapolated or n == n_timed) else "-" for n in sizes]
            timed, acc, mem = f"{n_timed:,}", case["accuracy"], f"{case['peak_rss_mb']:,.0f}"
            if "models_compiled" in case:  # AMICI: one compiled model serves every subject of the same structure
                label += (f" (AMICI {case.get('amici_version', '')}; {case['models_compiled']} model compiled for the "
                          f"timed subjects in {case['compile_s']:.0f} s, not in the rate)")
                mem += " (the calling process; AMICI's own not counted)"
        lines.append(f"| {label} | {timed} | " + " | ".join(cells) + f" | {acc:.1e} | {mem} |")
    return lines


def ratios(results: dict) -> list[str]:
    """abscopal's slowest rate over the cohort sizes against each baseline's most favourable rate; single-core
    baselines are also set against abscopal on one thread (the same number of cores)."""
    cases = results["cases"]
    two = [_rate(c) for k, c in cases.items() if k.startswith("abscopal@") and "error" not in c]
    one = [_rate(c) for k, c in cases.items() if k.startswith("abscopal-1thread@") and "error" not in c]
    if not two:
        return []
    best, best_1 = min(two), (min(one) if one else None)
    out = [f"Slowest abscopal rate over the cohort sizes: {best:,.0f} subject-years/s on all cores"
           + (f", {best_1:,.0f} on one thread." if best_1 else ".")]
    for key, case in cases.items():
        if key.startswith("abscopal") or "error" in case:
            continue
        name = key.split("@")[0]
        rate = _best_rate(case)
        basis = " (its simulation-only rate)" if _simulation_rate(case) else ""
        line = f"- {LABELS.get(name, name)}{basis}: {best / rate:,.0f}x"
        if best_1 and case.get("processes", 1) == 1:
            line += f" ({best_1 / rate:,.0f}x with abscopal on one thread)"
        out.append(line)
    return out


def _e(x: float) -> str:
    return f"{x:.0e}".replace("e-0", "e-")


def cohort_section(cohort: dict, engine: dict) -> list[str]:
    """The headline: `abscopal cohort` end to end (marginal rate, without and with --out), beside the integrator
    alone, then the stage-by-stage profile (benchmarks/cohort.py, results in benchmarks/results/cohort.json)."""
    lines = ["## End to end: `abscopal cohort`", ""]
    e2e, integ, stages = cohort.get("end_to_end"), cohort.get("integrator"), cohort.get("stages")
    engine_rates = [_rate(c) for k, c in engine.get("cases", {}).items() if k.startswith("abscopal@") and "error" not in c]
    if e2e:
        lo, hi = min(e2e["sizes"]), max(e2e["sizes"])
        rate = e2e["marginal_subject_years_per_s"]
        head = (f"`abscopal cohort {cohort['scenario']} --size N --workers {e2e['workers']}`, marginal rate between "
                f"{lo:,} and {hi:,} subjects: **{rate['no_out']:,.0f} subject-years/s** without `--out` and "
                f"**{rate['out']:,.0f} subject-years/s** with `--out DIR` (Parquet chunks, figures, result.json)")
        if integ:
            cases = list(integ["cases"].values())
            rate_key = "subject_years_per_cpu_s_x_threads" if "cpu_s" in cases[0] else "subject_years_per_s"
            head += (f"; the integrator alone on {integ['threads']} threads and the same subjects"
                     + (" (from its CPU time, as on idle cores)" if "cpu_s" in cases[0] else "") + ": "
                     f"{cases[0][rate_key]:,.0f} subject-years/s at the cohort's settings (rtol "
                     f"{_e(cases[0]['rtol'])}, output every 7 days) and {cases[1][rate_key]:,.0f} at the "
                     f"settings of the engine table below (rtol {_e(cases[1]['rtol'])}, output at the end only)")
        if engine_rates:
            head += f" (that table: {min(engine_rates):,.0f}-{max(engine_rates):,.0f})"
        cpu = e2e.get("marginal_subject_years_per_cpu_s_x_workers")
        if cpu:
            head += (f". From the CPU time the runs spent (command and workers): {cpu['no_out']:,.0f} without and "
                     f"{cpu['out']:,.0f} with `--out` on {e2e['workers']} otherwise idle cores")
        if e2e.get("baseline"):
            base = e2e["baseline"]["marginal_subject_years_per_s"]
            base_cpu = e2e["baseline"].get("marginal_subject_years_per_cpu_s_x_workers")
            label = e2e["baseline"].get("label", "the code before issue 16")
            head += (f". {label[0].upper() + label[1:]}, timed run by run in alternation with it: {base['no_out']:,.0f} "
                     f"without and {base['out']:,.0f} with `--out`"
                     + (f" (CPU-based: {base_cpu['no_out']:,.0f} and {base_cpu['out']:,.0f})" if base_cpu else ""))
        lines += [head + ".", "",
                  "| code | subjects | without --out: wall (CPU) seconds, each run | with --out: wall (CPU) seconds, each run |",
                  "|---|---|---|---|"]
        for label, block in (("this", e2e), ((e2e.get("baseline") or {}).get("label", "before issue 16"), e2e.get("baseline"))):
            if not block:
                continue
            for n in sorted(e2e["sizes"]):
                cells = [", ".join(f"{t:.1f} ({c:.1f})" if block.get("cpu_s") else f"{t:.1f}"
                                   for t, c in zip(block["times_s"][mode][str(n)],
                                                   (block.get("cpu_s") or block["times_s"])[mode][str(n)], strict=True))
                         for mode in ("no_out", "out")]
                lines.append(f"| {label} | {n:,} | {cells[0]} | {cells[1]} |")
        m = cohort.get("machine", {})
        load = m.get("load_average_at_start"), m.get("load_average_at_end")
        lines += ["", f"Wall-clock times of the real command line, one fresh process per run, {e2e['repeats']} runs of "
                  "each, alternating between sizes and between with and without --out; the rate uses the median "
                  "times, so that start-up, imports, kernel loading and the fixed cost of figures cancel out. "
                  + (f"Load average (1, 5, 15 min) {', '.join(f'{x:.1f}' for x in load[0])} at the start and "
                     f"{', '.join(f'{x:.1f}' for x in load[1])} at the end of the benchmark on {m.get('cpus')} cores: "
                     "other work shared the machine when it is above zero, and the spread of the runs shows it."
                     if load[0] and load[1] else "")]
    if stages:
        clock = "CPU seconds" if stages.get("clock") else "seconds"
        lines += ["", f"Stages, one worker process, {stages['subjects']:,} subjects, with --out "
                  f"(total {stages['total_s']:.1f} {clock}; each stage timed around the function that does it"
                  + (", in CPU time of the process so that other work on the machine does not inflate it" if stages.get("clock") else "")
                  + "):", "",
                  f"| stage | {clock} per 1,000 subjects | share |", "|---|---|---|"]
        for row in stages["stages"]:
            lines.append(f"| {row['stage']} | {row['s_per_1000']:.3f} | {100 * row['share']:.0f}% |")
        per = {row["stage"]: row["s_per_1000"] / 1000 for row in stages["stages"]}
        integration = next((v for k, v in per.items() if k.startswith("integration")), None)
        per_subject = sum(v for k, v in per.items() if not ("--out" in k or k.startswith("group summaries")
                                                             or k.startswith("other")))
        if integration:
            workers = (e2e or {}).get("workers", 2)
            lines += ["", f"Where the time goes: per subject, the stages that scale with the cohort cost "
                      f"{1000 * per_subject:.2f} ms of CPU, of which the integration is {1000 * integration:.2f} ms "
                      f"({100 * integration / per_subject:.0f}%). On {workers} idle cores that is at most "
                      f"{workers * 365 / 365.25 / per_subject:,.0f} subject-years/s end to end, and at most "
                      f"{workers * 365 / 365.25 / integration:,.0f} if everything but the integration cost nothing"
                      + (": the integration at the cohort's tolerance, not the Python around it, bounds the rate."
                         if integration > per_subject / 2 else
                         ": the per-subject Python around the integration (sampling, set-up, evaluation) now costs "
                         "as much as the integration or more.")]
    lines += ["", *WHERE_THE_TIME_GOES]
    return lines


WHERE_THE_TIME_GOES = [
    "Added since (2026-12-06, issue 15): the within-patient spread of lesion growth (M1, `lesion_growth_sd`) draws one "
    "number per lesion from its own stream keyed by the lesion id, so that the order of lesions in a file changes "
    "nothing. That makes subject set-up about 0.07 ms slower (23 -> 93 microseconds for three lesions and their occult "
    "deposits, timeit on the 2-core machine), about a tenth of the 0.73 ms above; the figures above were measured "
    "before it.",
    "",
    "Added since (2026-12-06, issue 15, QR in docs/calibration.md): killing per viable cell saturates in the "
    "recognised effector:target ratio (ceiling k_K q_s instead of k_K r q_s). It costs no speed: the integrator takes "
    "347.7 accepted steps per subject of this scenario against 346.2 before (1,000 subjects, scalar kernel), and "
    "paired end-to-end runs (`benchmarks/cohort.py --sizes 2000 12000 --repeats 3 --skip stages integrator "
    "--baseline <checkout before QR>/src`, alternating run by run; `benchmarks/results/cohort_qr_paired.json`) give "
    "a marginal 2,044 subject-years/s without `--out` against 1,942 before (2,493 against 2,548 with `--out`). A "
    "first paired run, made right after the change, had measured 1,457 against 2,468 "
    "(`cohort_qr_paired_first.json`); it did not repeat, so it is not the model: probably kernel compilation for "
    "the new code, not measured.",
    "",
    "What changed for issue 16, and what did not help (measured on this machine, old and new code in alternation):",
    "",
    "- The cohort built every subject's JSON result (rounded lists of every time course, the `abscopal simulate` "
    "output) and never read it: 1.25 s per 1,000 subjects, more than the integration. It is now built on first use "
    "(`Result.data`); the per-subject table and result.json are unchanged.",
    "- RECIST's 'lesion gone' test used `np.nan_to_num` once per lesion and assessment: the same booleans without it "
    "(about a sixth of the evaluation's time).",
    "- `--out` figures: the group curves drew one Line2D per subject and lesion (10,000 at 2,000 subjects, 15 s) and "
    "the waterfall one patch per bar (0.8 s at 1,500 subjects). Now one LineCollection of at most 200 subjects per "
    "arm (the panel title says so when capped) and one PolyCollection of bars (the same picture).",
    "- Population sampling (about 0.17 ms per subject, 2.8 draws per subject for the presentation condition): not "
    "building the rejected draws did not measurably help (reverted); each subject keeps its own random streams so "
    "that results do not depend on chunking, which rules out drawing across subjects in one call.",
    "- Integrator: the right-hand side is about 90% of the integration (about 290 ns per call on the machine of "
    "2026-12-04, about 3,600 calls per subject at the cohort's settings before the change below). Its "
    "exp/log/pow calls are about a quarter of that (measured by removing them); numba fastmath without the NaN/Inf "
    "flags gave 3-8% (within the noise of a shared machine, and not bit-identical); multiplying by precomputed "
    "reciprocals of parameters gave nothing measurable. Neither was kept.",
    "- Exact drug compartments (2026-12-05, engine/linear.py): counting, step by step, which state had the largest "
    "error showed that the antibodies' peripheral and central compartments chose the size of about 210 of the 380 "
    "steps per subject that the error control sized, and caused 26 of the 32 rejections: the distribution phase after "
    "every nivolumab dose (rates of about 0.5/day) resolved to rtol 4e-6. Those compartments are linear and fed by "
    "nothing but doses, so both engines now solve them exactly at every stage (eigen-decomposition, five "
    "exponentials per mode and step) and leave them out of the error norm: 24% fewer steps and a smaller "
    "final-burden error at the same tolerance (section 'Tolerance and accuracy' below). Results change at the "
    "tolerance's level (at most 6e-6 relative on the final burden), not bit for bit.",
    "- The first stage is reused after an output stop without an event (the state is unchanged, so f(y) is the last "
    "stage of the step that reached it): bit-identical, one right-hand side call fewer per weekly output.",
    "- The cohort integrated at rtol 1e-6 with an output every 7 days (541 accepted steps per subject) until "
    "2026-12-04 (seventh session); over 2,000 subjects rtol 1e-5 missed the 1e-5 accuracy bar on one subject, while "
    "rtol 4e-6 kept every final burden within 6.1e-6 of the reference with 20% fewer steps than 1e-6: the cohort, "
    "and every other simulation, runs at rtol 4e-6 (abscopal.simulate.RTOL), and since 2026-12-05 so does the engine "
    "table (1e-5 before).",
    "- Machine: the runs of 2026-12-05 (exact drug compartments) ran on a 2-core machine that reports itself as an "
    "AMD EPYC, like the one of the previous cohort, RECIST and ensemble runs, but that runs the same compiled code "
    "at about half their rate: the code before the change gave 712 subject-years/s end to end here against 1,499 "
    "recorded on 2026-12-04, and the 100-draw ensemble took 86 s here against 43 s (the test suite, mostly Python "
    "on one core, took the same 10 minutes on both). The previous engine table came from an Intel Xeon machine "
    "(scipy's LSODA loop 3.2 subject-years/s there, 1.8 here). Absolute rates are therefore not comparable across "
    "sessions; the paired runs (this code and the code before it, in alternation on the same machine) and the step "
    "counts are.",
    "- Reading the table: the CPU-based rates are the robust ones on a shared machine (wall times moved by a factor "
    "of two between repeats of the same command in earlier runs; the load averages above say how busy the machine "
    "was during this one).",
    "- Lanes (2026-12-05, engine/lanes.py; section 'Several subjects per thread' below): the integration now runs "
    "several subjects per thread in SIMD instructions and costs about a third of the CPU time it did, so `abscopal "
    "cohort` reaches the 2,000 subject-years/s goal on this machine (the table above, paired with the code before "
    "the change in alternation). Rates on this machine are about twice those of the machine of the exact-drug-"
    "compartment runs (the code before the lanes gave 1,696 here, 712 there for the code before the exact drug "
    "compartments), so on that machine the same code would give about 1,300 (an estimate, not a measurement). What "
    "is left per subject is the Python around the integration: population sampling (each subject its own random "
    "streams), subject and event-table set-up, and the evaluation.",
    "- Not kept (before the lanes): solving the other linear decays exactly (doomed cells, interferon, Trex1, node "
    "and marrow recovery) would save few steps: after the exact drug compartments, interferon sizes about 28 of 290 "
    "error-sized steps and the others fewer; the effector, priming and PD-L1 dynamics size the rest. Replacing the "
    "log of a lesion's volume by log-cells minus log-density where no doomed cells exist (four of the five lesions "
    "here) made no measurable difference (1,000 subjects, two alternating runs each).",
]


def compiled_recist_section(evaluation: dict, quick: dict | None) -> list[str]:
    """The compiled RECIST 1.1 / iRECIST evaluation (issue 16): what changed and its paired measurements
    (benchmarks/evaluation.py -> results/evaluation.json; the quick benchmarks/cohort.py run with --baseline ->
    results/cohort_quick.json)."""
    this, base = evaluation["this"], evaluation.get("baseline")
    lines = [
        "## Compiled RECIST 1.1 / iRECIST evaluation",
        "",
        "What changed: the cohort evaluates each subject (`trial.run.evaluate`) with one call of a numba kernel "
        "(`src/abscopal/response_kernel.py`, compiled on first use and cached on disk by `response_compiled.py`) that "
        "returns the overall RECIST 1.1 response, the iRECIST best response, the in-field and out-of-field responses, "
        "the target-sum change and the recurrence scan, instead of building lesion objects and calling "
        "`response.assess` three times and `response.assess_irecist` once (many small NumPy calls per lesion and "
        "scan). `response.py` stays the reference implementation and states the rules; `abscopal simulate` still uses "
        "it. Around the kernel: the scan schedule is found once per output grid, new-lesion scans and the Golden 2015 "
        "response take one NumPy call each, the per-scan change list is built only for the first 200 subjects (the "
        "only ones the table keeps), and the survival draw and ALC nadir skip `np.diff`, `np.concatenate` and "
        "`np.nanmin` overhead.",
        "",
        "Outputs are bit-identical: `tests/unit/test_response_compiled.py` compares the kernel with `response.py` on "
        "6,000 synthetic subjects (1-8 lesions, nodes, organ caps, size ties, sums exactly on the thresholds, "
        "disappearing and missing lesions, new lesions as a scan or as tracks, non-targets on and off, confirmation "
        "and minimum SD duration on and off, iRECIST with and without scan days) and every record of five real "
        "cohorts (this scenario, two example trials, a mouse trial, a trial with occult lesions, a later baseline "
        "scan and the RECIST out-of-field definition) with a verbatim copy of the evaluation before the change "
        "(`tests/reference_evaluate.py`). The Parquet chunks, result.json, the --json output and the figures of "
        "`abscopal cohort`/`abscopal trial --out` on four designs were also compared byte for byte with the code "
        "before the change (each code run with `--out DIR --json FILE`, then `cmp` file by file: equal).",
        "",
        f"Evaluation stage alone (`.venv/bin/python benchmarks/evaluation.py --size {evaluation['subjects']} "
        f"--repeats {evaluation['repeats']} --baseline OLD/src`: {evaluation['subjects']:,} subjects of this "
        "scenario, fresh processes, this code and the code before it in alternation, CPU time of the process, the "
        "fastest of three passes per run): "
        f"**{this['median']:.3f} CPU s per 1,000 subjects**"
        + (f" against {base['median']:.3f} before, {base['median'] / this['median']:.1f}x cheaper "
           f"(runs: {', '.join(f'{x:.3f}' for x in this['cpu_s_per_1000'])} against "
           f"{', '.join(f'{x:.3f}' for x in base['cpu_s_per_1000'])})" if base else "") + ".",
    ]
    stages = (quick or {}).get("stages")
    row = next((r for r in (stages or {}).get("stages", []) if r["stage"].startswith("RECIST")), None)
    if row:
        lines[-1] += (f" In this code's stage profile (`benchmarks/cohort.py --profile-size {stages['subjects']}`, one "
                      f"worker, with --out) the stage costs {row['s_per_1000']:.3f} CPU s per 1,000 subjects, "
                      f"{100 * row['share']:.0f}% of the run.")
    if quick and quick.get("end_to_end", {}).get("baseline"):
        e2e = quick["end_to_end"]
        lo, hi = min(e2e["sizes"]), max(e2e["sizes"])

        def med(block, mode, n):
            return statistics.median(block["cpu_s"][mode][str(n)])

        rows = []
        for mode, label in (("no_out", "without --out"), ("out", "with --out")):
            new, old = e2e["marginal_subject_years_per_cpu_s_x_workers"][mode], \
                e2e["baseline"]["marginal_subject_years_per_cpu_s_x_workers"][mode]
            per_new = 1000 * (med(e2e, mode, hi) - med(e2e, mode, lo)) / (hi - lo)
            per_old = 1000 * (med(e2e["baseline"], mode, hi) - med(e2e["baseline"], mode, lo)) / (hi - lo)
            rows.append(f"| {label} | {per_old:.2f} | {per_new:.2f} | {old:,.0f} | {new:,.0f} |")
        load = quick.get("machine", {}).get("load_average_at_end")
        lines += ["", f"`abscopal cohort` end to end (`.venv/bin/python benchmarks/cohort.py --repeats {e2e['repeats']} "
                  f"--sizes {lo} {hi} --skip stages integrator --baseline OLD/src`: the real command line, "
                  f"{e2e['workers']} workers, fresh processes, both codes in alternation; CPU seconds of the command "
                  f"and its workers between {lo:,} and {hi:,} subjects, medians of {e2e['repeats']} runs, because the "
                  "machine was shared"
                  + (f" (load average {load[0]:.1f} at the end)" if load else "") + "):", "",
                  "| run | CPU s per 1,000 subjects, before | this code | subject-years per CPU s x workers, before "
                  "| this code |", "|---|---|---|---|---|", *rows]
        if base:
            saved = (base["median"] - this["median"]) / 1000
            lines += ["", f"The evaluation stage alone saves {1000 * saved:.2f} ms of CPU per subject, so about that "
                      "much is expected between the two columns of CPU seconds per 1,000 subjects; larger differences "
                      "in the table are the noise of the shared machine (the wall-clock rates, left out, moved far "
                      "more between repeats)."]
    lines += ["", "What is left in the stage: the RECIST kernel call itself is a few microseconds per subject; the rest "
              "is the survival draw's random generator (a SeedSequence and a PCG64 per subject, about 11 us, kept so "
              "that each subject's draw stays its own and is the same in every arm) and the remaining per-subject "
              "NumPy calls of the read-outs (target-sum changes, survival hazard, end-point day, record). Evaluating a "
              "whole chunk at once could remove those; it was not attempted, because the stage is now a small part of "
              "a subject's CPU time next to the integration and the sampling."]
    return lines


def ensemble_section(ensemble: dict) -> list[str]:
    """Posterior-ensemble runs end to end (benchmarks/ensemble.py -> results/ensemble.json)."""
    walls = ensemble["wall_s_best"]
    cpus = ensemble["cpu_s_best"]
    rows = [f"| {d} | {walls[d]:.1f} | {cpus[d]:.1f} |" for d in sorted(walls, key=int)]
    return [
        "## Posterior ensembles",
        "",
        f"`{ensemble['command']}` (`benchmarks/ensemble.py`, results in `benchmarks/results/ensemble.json`), one fresh "
        "process per run on 2 cores; D = 0 is the run without `--uncertainty`:",
        "",
        "| draws D | wall seconds | CPU seconds (command and workers) |",
        "|---|---|---|",
        *rows,
        "",
        f"A draw costs {ensemble['wall_s_per_draw']:.2f} s of wall clock for {ensemble['size']:,} mice, and 100 draws "
        f"x {ensemble['size']:,} mice take {ensemble['wall_s_100_draws']:.0f} s "
        f"({'measured' if ensemble['measured_100'] else 'extrapolated'}). Every draw runs the same subjects in the "
        "same worker processes: the pool of workers is started once for the whole ensemble. Before, each draw started "
        "its own pool, and spawning two workers and importing the package in them cost more than the draw's "
        "simulations: 1.72 s per draw and 177 s for 100 draws against 43 s with the shared pool, both on the machine of an earlier session (the same result JSON but for the ensemble's path, compared on 200 mice x 4 draws; "
        "`tests/integration/test_uncertainty.py` checks that a shared pool gives what a fresh pool per draw gives).",
        "",
        "Measured 2026-12-05 with the lanes engine, after a first run on this machine that compiled the lanes kernel "
        "of this scenario's shape (an ensemble announces size x draws subjects, 100,000 here, so the first 100-draw "
        "run compiles it): 100 draws took 39.8 s in that first run (the compile included, in both workers at once) "
        "and the time above once cached. The code before the lanes engine, run on the same machine just after: 30.9 s "
        "for 100 draws (6.9 s for 10). Mouse draws of 40 days are cheap to integrate; the set-up and summaries of each "
        "draw dominate them, so the lanes gain little here.",
        "",
        "The scenario is a mouse one (bilateral TSA tumours, 8 Gy x 3 + anti-CTLA-4, 40 days) because the mouse is "
        "the only species with a shipped posterior ensemble. The draws still run one after another, each through the "
        "cohort's chunked path (set-up and summaries per draw); one compiled batch of draws x subjects is not built. "
        "A human ensemble on the 5-lesion, 365-day benchmark scenario would be bounded by the end-to-end rate above: "
        "100 draws x 1,000 subjects are 100,000 subject-years.",
        "",
        "Start-up of an `--uncertainty` run (2026-12-05, thirteenth session): checking the ensemble's model fingerprint "
        "imported `abscopal.validation`, whose `__init__` imported the whole suite and with it scipy.stats (about 1.4 s "
        "of imports). The package now loads the suite on first use. `abscopal simulate "
        "examples/mouse_tsa_bilateral_3x8_anti_ctla4.yaml --uncertainty 10`, timed by farm-bench in 7 alternating "
        "pairs against the same tree with the old `__init__`: median wall 1.67 s against 2.30 s (ratio 0.69), peak "
        "memory 209 against 247 MiB, the same summary JSON. It saves once per command, not per draw, so the 100-draw "
        "figure above is not re-measured.",
    ]


def tolerance_section(tol: dict, engine_rtol: float) -> list[str]:
    """Accuracy and cost over the relative tolerance, on many subjects (benchmarks/tolerance.py -> results/tolerance.json)."""
    bar, n = tol["bar"], tol["subjects"]
    lines = [
        "## Tolerance and accuracy over many subjects",
        "",
        f"`.venv/bin/python benchmarks/tolerance.py` (results in `benchmarks/results/tolerance.json`): the same {n:,} "
        f"subjects of the benchmark scenario, one thread, final burden against the rtol {tol['reference_rtol']:g} "
        f"reference; 'above {bar:g}' counts subjects whose relative error exceeds the accuracy bar. 'drug compartments': "
        "solved exactly between events (engine/linear.py, every simulation since 2026-12-05) or integrated by "
        "Runge-Kutta inside the error norm (before; `run_compiled(..., exact_pk=False)`). CPU time: the faster of two "
        "passes.",
        "",
        "| output | drug compartments | rtol | accepted + rejected steps per subject | integration CPU ms per subject | "
        f"max error | 99.9th percentile | subjects above {bar:g} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = tol["rows"]
    for r in rows:
        pk = "exact" if r.get("exact_pk", False) else "Runge-Kutta"
        lines.append(f"| {r['output']} | {pk} | {r['rtol']:g} | {r['accepted_steps']:.0f} + {r['rejected_steps']:.0f} | "
                     f"{1e3 * r['cpu_s_per_subject']:.2f} | {r['max_error']:.1e} | {r['error_p999']:.1e} | "
                     f"{r['subjects_above_bar']} |")
    from abscopal.simulate import RTOL

    def row(output, rtol, exact):
        return next((r for r in rows if r["output"] == output and abs(r["rtol"] - rtol) < 1e-15
                     and r.get("exact_pk", False) == exact), None)

    lines.append("")
    new, old = row("every 7 days", RTOL, True), row("every 7 days", RTOL, False)
    if new and old:
        lines.append(
            f"At the cohort's settings (rtol {RTOL:g}, abscopal.simulate.RTOL, weekly output) the exact drug "
            f"compartments take {new['accepted_steps']:.0f} + {new['rejected_steps']:.0f} steps per subject instead "
            f"of {old['accepted_steps']:.0f} + {old['rejected_steps']:.0f} "
            f"({100 * (1 - (new['accepted_steps'] + new['rejected_steps']) / (old['accepted_steps'] + old['rejected_steps'])):.0f}% "
            f"fewer), {1e3 * new['cpu_s_per_subject']:.2f} instead of {1e3 * old['cpu_s_per_subject']:.2f} CPU ms per "
            f"subject, with a maximum error of {new['max_error']:.1e} instead of {old['max_error']:.1e}. With the "
            "compartments in the error norm, the distribution phase of the antibodies after each dose (rates of about "
            "0.5/day) chose the step size of more than half of the steps whose size the error control set (counted "
            "per step by the component with the largest error: about 210 of 380 per subject); the exponentials "
            "that the exact solution costs (five per mode and step) are cheaper than the steps it saves.")
    passing = [r for r in rows if r["output"] == "every 7 days" and r.get("exact_pk", False) and r["max_error"] <= bar]
    if passing:
        loosest = max(passing, key=lambda r: r["rtol"])
        lines += ["", f"The loosest exact-path tolerance of this grid that keeps every one of the {n:,} subjects within "
                  f"the bar is rtol {loosest['rtol']:g} (maximum error {loosest['max_error']:.1e}, "
                  f"{loosest['accepted_steps']:.0f} steps). Simulations stay at rtol {RTOL:g}, which keeps a margin of "
                  "about two for scenarios other than this one, as the step from 1e-6 to 4e-6 did on 2026-12-04; the "
                  "engine table above runs at the same tolerance."]
    end = [r for r in rows if r["output"] == "end only" and r.get("exact_pk", False)]
    at_engine = next((r for r in end if abs(r["rtol"] - engine_rtol) < 1e-15), None)
    if at_engine is not None and at_engine["max_error"] > bar:
        lines += ["", f"The engine table's tolerance (rtol {engine_rtol:g}) misses the {bar:g} bar over {n:,} subjects: "
                  f"maximum error {at_engine['max_error']:.1e}, {at_engine['subjects_above_bar']} subjects above it."]
    return lines


EARLIER_MACHINE = ("Measured in an earlier session, before the exact drug compartments, and not rerun on 2026-12-05: "
                   "'this machine' in this section is that session's, which ran the same compiled code about twice as "
                   "fast as the machine of the end-to-end and engine tables above.")


def lanes_section(lanes: dict) -> list[str]:
    """The lanes engine against the scalar kernel (benchmarks/lanes.py, results in benchmarks/results/lanes.json)."""
    rows = lanes["rows"]
    n = lanes["subjects"]
    lines = ["## Several subjects per thread: the lanes engine", "",
             "What changed (issue 16): the compiled engine integrated one subject per thread at a time, and the "
             "right-hand side, about 80% of the integration, ran on scalar floating-point instructions. "
             "`engine/lanes.py` now integrates W subjects in lock-step per thread. For the batch's numbers of lesions "
             "and agents, `model/codegen.py` (`lanes_source`) writes the right-hand side unrolled over lesions and "
             "agents, as one loop over the W lanes. LLVM vectorises that loop across subjects (AVX2: 4 doubles "
             "per instruction, AVX-512: 8). Its exp and log are `model/vmath.py`'s, which vectorise; the C "
             "library's do not. The stage sums and the error norm are flat loops that vectorise too. Each lane "
             "keeps its own time, step size, step control, events, outputs and status, with the scalar kernel's "
             "formulas in the scalar kernel's order. When a lane's subject ends, the next subject of the thread's "
             "block takes the lane.",
             "",
             "Same numbers, bit for bit: `tests/unit/test_lanes.py` compares trajectories, statuses and step counts "
             "with the scalar kernel for 1, 3 and 8 lanes, several block sizes and 1 or 2 threads, and the W-lane "
             "right-hand side with the scalar one on every lane. `tests/integration/test_cohort_speed.py` checks "
             "that `abscopal cohort`'s table does not change with chunk size, worker count or lanes. The scalar "
             "kernel now uses the same exp, log and pow, so the lanes engine changed every simulation by rounding "
             "only. Over 1,000 subjects of this scenario the final states moved by at most 6e-12 relative, far "
             "below the tolerance (rtol 4e-6). The step counts did not change.",
             "",
             f"Integration alone, the same {n:,} subjects, the cohort's settings (rtol {lanes['rtol']:g}, an output "
             f"every {lanes['output_every_days']:g} days), CPU time of the faster of {lanes['passes']} passes "
             f"(`.venv/bin/python benchmarks/lanes.py`):",
             "",
             "| engine | threads | CPU ms per subject | subject-years per CPU second | subject-years/s (wall) | "
             "identical to the scalar kernel |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        name = "scalar kernel (one subject per thread)" if r["lanes"] == 0 else f"lanes engine, {r['lanes']} lanes"
        lines.append(f"| {name} | {r['threads']} | {r['cpu_ms_per_subject']:.3f} | {r['subject_years_per_cpu_s']:,.0f} | "
                     f"{r['subject_years_per_s']:,.0f} | {'yes' if r['identical_to_scalar'] else 'NO'} |")
    one = {r["lanes"]: r["cpu_ms_per_subject"] for r in rows if r["threads"] == 1}
    best = min((w for w in one if w), key=lambda w: one[w])
    lines += ["", f"On one thread, {best} lanes cost {one[best]:.3f} ms of CPU per subject against {one[0]:.3f} for the "
              f"scalar kernel: {one[0] / one[best]:.1f}x less."]
    rhs = lanes.get("rhs") or []
    if rhs:
        lines += ["", "The right-hand side alone (the same states, one thread): " + "; ".join(
            f"{r['lanes']} lanes {r['lanes_ns']:.0f} ns per subject and call against {r['scalar_ns']:.0f} for the "
            f"scalar function ({r['scalar_ns'] / r['lanes_ns']:.1f}x)" for r in rhs) + "."]
    lines += ["", "What it took, and what did not work:", "",
              "- numba compiles `math.exp` and `math.log` to calls of the C library, and LLVM vectorises no loop "
              "that calls them without Intel's SVML, which the llvmlite wheels lack. The replacements are plain "
              "arithmetic and bit operations: Cody-Waite reduction and a degree-13 polynomial (Estrin's scheme), "
              "and fdlibm's log polynomial. `tests/unit/test_vmath.py` keeps both within 1 ulp of the C library. "
              "In scalar code they are slower than the C library's: the scalar kernel got about 13% slower (1,000 "
              "subjects, weekly output, one thread, four runs of each code in alternation: 0.84-0.90 CPU ms per "
              "subject against 0.70-0.85 before). The scalar kernel still runs wherever `lanes.choose` does not "
              "pick lanes: batches under 64 subjects (`lanes.LANES_MIN_SUBJECTS`), and shapes whose lanes kernel "
              "is not compiled on the machine yet, unless the caller announces 20,000 subjects or more "
              "(`lanes.LANES_WORTH`; `abscopal cohort` and `trial` announce their size, an ensemble its size "
              "times its draws). Compiling a lanes kernel takes 20-60 s and saves about 0.6 ms of CPU per subject, "
              "so a test suite or a small study that touches a dozen shapes would lose time compiling them.",
              "- A lanes right-hand side that kept the loops over lesions and agents, with the lanes innermost in "
              "each statement, ran 0.2-1.1x the scalar speed. Its short loops cost more than they saved. "
              "Unrolling the lesions and agents for the batch's shape, so that the whole body is one loop over "
              "the lanes, gave 7x on the right-hand side.",
              "- That loop still did not vectorise, for two reasons. First, numba's negative-index wrap-around "
              "makes every address a select that LLVM's dependence analysis cannot follow once the loop stores "
              "twice to one array ('unsafe indirect dependence'); the generated code indexes with unsigned "
              "integers, which have no wrap-around. Second, LLVM's runtime alias checks stop merging after 100 "
              "comparisons (`-memory-check-merge-threshold`), and the body reads about 150 array elements per "
              "lane. lanes.py raises that limit once per process before compiling. The option only decides "
              "which loops vectorise; it never changes a result. A constant trip count did not vectorise either: "
              "LLVM unrolls it, and the SLP vectoriser cannot prove that the arrays do not overlap. The lanes loop "
              "takes its trip count from the array length.",
              "- Each (lesions, agents, lanes) combination compiles its own kernel on first use and caches it on "
              "disk like the scalar kernel (compile times above). A batch of another shape pays that compile once.",
              "- Lanes without a subject, at the end of a block, step with h = 0. Lanes that need f(y) afresh after "
              "an event are served by one W-lane call for all of them.",
              "- `_rhs` and `_event` are no longer cached on their own. numba keys that cache on `_generated.py` and "
              "did not notice a change in `vmath.py`: the stale scalar right-hand side then differed from the "
              "lanes one in the last bit. The kernels that call them are cached in their hashed copies, "
              "with `vmath.py` in the hash."]
    return lines


def write_performance_doc(results: dict, path: Path) -> None:
    machine = results["machine"]
    million = Path(__file__).with_name("results") / "million.json"
    lines = [
        "# Performance",
        "",
        "Generated by `.venv/bin/python benchmarks/engine.py` (results in `benchmarks/results/engine.json`), "
        "`.venv/bin/python benchmarks/cohort.py` (`benchmarks/results/cohort.json`), `benchmarks/lanes.py`, "
        "`benchmarks/ensemble.py --json benchmarks/results/ensemble.json` and `benchmarks/million.py` (their JSON "
        "beside it), then `.venv/bin/python benchmarks/report.py`; do not edit by hand. The tables of 2026-12-05 "
        "(lanes engine) come from running these one after another on one 2-core machine (AMD EPYC).",
        "",
        f"Scenario: `{results['scenario']}` (5 lesions, SBRT 8 Gy x 3 to one lesion, ipilimumab + nivolumab, "
        f"population variability on), {results['duration_days']:.0f} days per subject. abscopal runs at "
        f"rtol {results['rtol']:g}, atol {results['atol']:g}; accuracy is the maximum error of the final tumour burden "
        "relative to max(reference, 1 mm^3) against abscopal's engine at rtol 1e-10 / atol 1e-12. "
        "The baselines run at the tolerances given in their JSON entries (tight enough for a comparable accuracy).",
        "",
        f"Machine: {machine.get('cpu_model', machine.get('processor'))}, {machine['cpus']} cores, {machine['platform']}. "
        "Versions: " + ", ".join(f"{k} {v}" for k, v in machine.items()
                                 if k in ("python", "abscopal", "numpy", "scipy", "numba", "CyRK", "roadrunner", "amici") and v),
        "",
        *table(results),
        "",
        *ratios(results),
        "",
        f"Kernel compile time: {results['compile']['cold_s']:.1f} s on first use (cold numba cache), "
        f"{results['compile']['cached_s']:.2f} s when loaded from the cache in a new process"
        + (f"; the lanes kernel for this scenario's shape (5 lesions, 2 agents, 8 lanes): "
           f"{results['compile']['lanes_cold_s']:.1f} s and {results['compile']['lanes_cached_s']:.2f} s"
           if "lanes_cold_s" in results["compile"] else "") + ".",
        "",
        "'with setup' includes drawing the virtual subjects from the population and building their event tables in "
        "Python; the other figure is the integration alone. Rates of the slow baselines come from the subjects timed "
        "and are the same at every cohort size (labelled extrapolated).",
        "",
        "libRoadRunner loads and JIT-compiles each subject's export (the export writes the subject's values into its "
        "model), which dominates its end-to-end rate; the ratios above use its simulation alone, the rate it would "
        "reach if one loaded model served every subject. AMICI compiles one model for all subjects (event numbers and "
        "subject values become parameters) and its compile is left out of its rate. AMICI builds from source "
        "(`pip install amici` in a separate virtual environment, with Debian's swig, libopenblas-dev and "
        "libhdf5-serial-dev); `ABSCOPAL_AMICI_PYTHON=/path/to/that/python` tells the benchmark where it is, "
        "otherwise the AMICI row says it did not run.",
        "",
        "Integrator choice: CyRK's numba RK45 on the same generated right-hand side is the maintained alternative. At "
        "rtol 1e-5 it misses the 1e-5 accuracy bar and runs slower than abscopal's kernel on one thread; at rtol 1e-6 "
        "it meets the bar but is slower still (rows above; CyRK integrates the drug compartments like every other "
        "state). So the engine keeps its own "
        "kernel (Dormand-Prince 5(4) per subject with events between steps, subjects in parallel threads, generated from "
        "model/equations.py like the CyRK right-hand side).",
    ]
    cohort = Path(__file__).with_name("results") / "cohort.json"
    if cohort.exists():  # the headline: what a user waits for, before the integrator-only table
        at = lines.index("", 2) + 1  # after the title and the "Generated by" line
        lines[at:at] = [*cohort_section(json.loads(cohort.read_text()), results), ""]
    evaluation = Path(__file__).with_name("results") / "evaluation.json"
    if evaluation.exists():
        quick = Path(__file__).with_name("results") / "cohort_quick.json"
        lines += ["", *compiled_recist_section(json.loads(evaluation.read_text()),
                                               json.loads(quick.read_text()) if quick.exists() else None)]
        lines += ["", EARLIER_MACHINE]
    lanes = Path(__file__).with_name("results") / "lanes.json"
    if lanes.exists():
        lines += ["", *lanes_section(json.loads(lanes.read_text()))]
    tolerance = Path(__file__).with_name("results") / "tolerance.json"
    if tolerance.exists():
        lines += ["", *tolerance_section(json.loads(tolerance.read_text()), results["rtol"])]
    ensemble = Path(__file__).with_name("results") / "ensemble.json"
    if ensemble.exists():
        lines += ["", *ensemble_section(json.loads(ensemble.read_text()))]
    if million.exists():
        m = json.loads(million.read_text())
        when = (f"Measured {m['date']} on the machine of the end-to-end table above." if m.get("date")
                else EARLIER_MACHINE)
        lines += ["", "## One million subject-years", "", *m.get("summary_lines", [json.dumps(m)]), "", when]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    write_performance_doc(json.loads((root / "benchmarks/results/engine.json").read_text()), root / "docs/performance.md")
