"""Benchmark: abscopal's cohort engine against the usual ways of solving the same model, side by side.

    .venv/bin/python benchmarks/engine.py            # all cases; writes benchmarks/results/engine.json
                                                     # and the table in docs/performance.md
    .venv/bin/python benchmarks/engine.py --quick    # 1k and 10k only, fewer baseline subjects

Scenario: benchmarks/scenarios/five_lesions_sbrt_ipi_nivo.yaml (melanoma, 5 lesions, SBRT 8 Gy x 3 to one
lesion, ipilimumab 3 mg/kg q3w x4 and nivolumab 240 mg q2w; population variability on; 365 days).
Subject k is the same in every case (population stream keyed by (seed, k)).

Cases (each in its own process, so that peak memory is its own):
  abscopal          compiled engine (model/equations.py -> numba), all threads; setup and integration timed
  abscopal-numpy    the vectorised NumPy engine (same algorithm and equations), one process
  cyrk              CyRK's numba RK45 (nbsolve_ivp) on the same compiled right-hand side, interval by interval
  scipy-lsoda/-bdf  scipy.integrate.solve_ivp looped over subjects, pure-Python right-hand side (the generated
                    scalar function, uncompiled), interval by interval between events
  roadrunner-1/-2   libRoadRunner on abscopal's own SBML export (`abscopal sbml`), 1 and 2 processes
  amici             AMICI on the same SBML (run under this Python if it has amici, else $ABSCOPAL_AMICI_PYTHON):
                    one compile for all subjects (timed apart, `compile_s`; subjects differ only in parameter
                    values, set per run), then CVODES at rtol 1e-8 per subject, as roadrunner
Accuracy: final tumour burden (sum of measured lesion volumes at day 365) against abscopal's compiled engine at
rtol 1e-10 / atol 1e-12, as max |x - ref| / max(ref, 1 mm^3) over the timed subjects.
Slow baselines are timed on at most 100 subjects; their per-subject rate is extrapolated to 1k/10k/100k and
labelled so. Speed is never asserted in the test suite; this script only measures and reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "benchmarks" / "scenarios" / "five_lesions_sbrt_ipi_nivo.yaml"
DURATION = 365.0
RTOL, ATOL = 4e-6, 1e-9  # the tolerances of every simulation (abscopal.simulate.RTOL; 1e-5 until 2026-12-05,
# which missed the 1e-5 accuracy bar on 1 subject in 2,000: docs/performance.md, 'Tolerance and accuracy')
REF_RTOL, REF_ATOL = 1e-10, 1e-12


# ----------------------------------------------------------------------------------------------- cohort
def subjects(indices):
    from abscopal.model.subject import subject_from_scenario
    from abscopal.population import parse_population, sample_subject
    from abscopal.scenario.load import load_scenario

    scenario = load_scenario(SCENARIO)
    spec = parse_population(scenario.population, scenario.species)
    return [subject_from_scenario(sample_subject(scenario, spec, k), k) for k in indices]


def final_burden(batch, i, y_final):
    t = np.array([DURATION])
    return float(batch.readout(i, y_final[None, :], t)["volume_mm3"][-1].sum())


def reference(n):
    """Final burden of subjects 0..n-1 at rtol 1e-10 (compiled engine), cached per n and per model in the temp folder
    (the file name holds the model fingerprint: a reference computed by an older model is never reused)."""
    from abscopal.validation.cache import model_fingerprint

    path = Path(tempfile.gettempdir()) / f"abscopal-bench-ref-{model_fingerprint()[:16]}-{n}.npy"
    if path.exists():
        return np.load(path)
    from abscopal.engine.compiled import run_compiled
    from abscopal.model.batch import Batch

    batch = Batch(subjects(range(n)))
    t_out = np.array([0.0, DURATION])
    out, status, _ = run_compiled(batch, t_out, rtol=REF_RTOL, atol=REF_ATOL)
    ref = np.array([final_burden(batch, i, out[i, -1]) for i in range(n)])
    np.save(path, ref)
    return ref


def relative_errors(values, n):
    """Each subject's final-burden error relative to max(reference, 1 mm^3), subjects 0..n-1."""
    ref = reference(n)
    return np.abs(np.asarray(values) - ref[:n]) / np.maximum(ref[:n], 1.0)


def accuracy(values, n):
    return float(np.max(relative_errors(values, n)))


# ----------------------------------------------------------------------------------------------- cases
def case_abscopal(n, chunk=10_000, threads=None, lanes=None):
    """lanes: None lets run_compiled choose (the lanes engine for these chunks), 0 the scalar kernel."""
    import numba

    from abscopal.engine.compiled import run_compiled
    from abscopal.engine.lanes import LANES_MIN_SUBJECTS
    from abscopal.model.batch import Batch

    t_out = np.array([0.0, DURATION])
    t0 = time.perf_counter()
    warm = Batch(subjects(range(LANES_MIN_SUBJECTS)))  # large enough for the lanes engine: its kernel loads here
    run_compiled(warm, np.array([0.0, 1.0]), rtol=RTOL, atol=ATOL, lanes=lanes)  # load (or compile) the kernel
    load_s = time.perf_counter() - t0
    setup_s = integrate_s = 0.0
    burdens = []
    for start in range(0, n, chunk):
        t0 = time.perf_counter()
        batch = Batch(subjects(range(start, min(n, start + chunk))))
        t1 = time.perf_counter()
        out, status, steps = run_compiled(batch, t_out, rtol=RTOL, atol=ATOL, threads=threads, lanes=lanes)
        t2 = time.perf_counter()
        setup_s += t1 - t0
        integrate_s += t2 - t1
        if start == 0:
            burdens = [final_burden(batch, i, out[i, -1]) for i in range(min(100, batch.S))]
            mean_steps = steps.mean(axis=0).tolist()
        del out, batch
    years = n * DURATION / 365.25
    return {"n_timed": n, "threads": threads or numba.get_num_threads(), "kernel_load_s": load_s, "setup_s": setup_s,
            "integrate_s": integrate_s, "subject_years_per_s": years / integrate_s,
            "subject_years_per_s_with_setup": years / (setup_s + integrate_s),
            "accepted_rejected_steps_per_subject": mean_steps, "accuracy": accuracy(burdens, len(burdens))}


def case_abscopal_numpy(n):
    from abscopal.engine import integrate_batch
    from abscopal.engine.linear import ExactPK
    from abscopal.model.batch import Batch

    batch = Batch(subjects(range(n)))
    y0, active = batch.initial_state()
    t_out = np.array([0.0, DURATION])
    t0 = time.perf_counter()
    out, status, _ = integrate_batch(batch.rhs, y0, active, t_out, batch.ev_time, batch.apply_events,
                                     nonnegative=batch.nonnegative(), rtol=RTOL, atol=ATOL,
                                     exact=ExactPK.of_batch(batch))
    wall = time.perf_counter() - t0
    burdens = [final_burden(batch, i, out[i, -1]) for i in range(min(n, 100))]
    return {"n_timed": n, "integrate_s": wall, "subject_years_per_s": n * DURATION / 365.25 / wall,
            "accuracy": accuracy(burdens, len(burdens))}


def _intervals(batch, i):
    times = [t for t in batch.ev_time[i] if np.isfinite(t) and t < DURATION]
    return times


def _scalar_inputs(batch):
    inputs = batch.compiled_inputs()
    from abscopal.model import _generated as g

    work = (np.empty((g.N_LESION_WORK, batch.L)), np.empty((g.N_AGENT_WORK, max(batch.A, 1))))
    return inputs, work


def case_scipy(n, method):
    from scipy.integrate import solve_ivp

    from abscopal.model import _generated as g
    from abscopal.model.batch import Batch

    batch = Batch(subjects(range(n)))
    inputs, (wl, wa) = _scalar_inputs(batch)
    nonneg = inputs["nonneg"]
    burdens = []
    t0 = time.perf_counter()
    for i in range(n):
        y = inputs["y0"][i].copy()
        active = inputs["active"][i].copy()
        args = (inputs["par"][i], inputs["lpar"][i], inputs["apar"], inputs["offsets"], wl, wa)
        dy = np.empty_like(y)

        def f(t, state, active=active, args=args, dy=dy):
            g.rhs_scalar(state, dy, active, *args)
            return dy.copy()

        events = _intervals(batch, i)
        t = 0.0
        for e, t_event in enumerate(events + [DURATION]):
            if t_event > t:
                sol = solve_ivp(f, (t, t_event), y, method=method, rtol=1e-8, atol=1e-10)
                y = np.where(nonneg, np.maximum(sol.y[:, -1], 0.0), sol.y[:, -1])
                t = t_event
            if e < len(events):
                g.event_scalar(y, active, *args, inputs["ev_lesion"][i, e], inputs["ev_systemic"][i, e], inputs["ev_agent"][i, e])
        burdens.append(final_burden(batch, i, y))
    wall = time.perf_counter() - t0
    return {"n_timed": n, "extrapolated": True, "integrate_s": wall, "rtol": 1e-8, "atol": 1e-10,
            "subject_years_per_s": n * DURATION / 365.25 / wall, "accuracy": accuracy(burdens, n)}


def case_cyrk(n, rtol=1e-6):
    import numba as nb
    from CyRK import nbsolve_ivp

    from abscopal.engine.compiled import kernel
    from abscopal.model.batch import Batch

    rhs = kernel()._rhs
    event = kernel()._event

    @nb.njit
    def diffeq(t, y, active, par, lpar, apar, offsets, wl, wa):
        dy = np.empty_like(y)
        rhs(y, dy, active, par, lpar, apar, offsets, wl, wa)
        return dy

    @nb.njit
    def run(y, active, par, lpar, apar, offsets, wl, wa, events, ev_l, ev_s, ev_a, nonneg, duration, rtol, atol):
        t = 0.0
        for e in range(events.shape[0] + 1):
            t_next = events[e] if e < events.shape[0] else duration
            if t_next > t:
                result = nbsolve_ivp(diffeq, (t, t_next), y, args=(active, par, lpar, apar, offsets, wl, wa),
                                           rtol=rtol, atol=atol, rk_method=1, warnings=False)
                y = result.y[:, -1].copy()
                for j in range(y.shape[0]):
                    if nonneg[j] and y[j] < 0.0:
                        y[j] = 0.0
                t = t_next
            if e < events.shape[0]:
                event(y, active, par, lpar, apar, offsets, wl, wa, ev_l[e], ev_s[e], ev_a[e])
        return y

    batch = Batch(subjects(range(n)))
    inputs, (wl, wa) = _scalar_inputs(batch)
    t0 = time.perf_counter()
    args0 = (inputs["y0"][0].copy(), inputs["active"][0].copy(), inputs["par"][0], inputs["lpar"][0], inputs["apar"],
             inputs["offsets"], wl, wa, np.array(_intervals(batch, 0)), inputs["ev_lesion"][0], inputs["ev_systemic"][0],
             inputs["ev_agent"][0], inputs["nonneg"], DURATION, rtol, ATOL)
    run(*args0)
    compile_s = time.perf_counter() - t0
    burdens = []
    t0 = time.perf_counter()
    for i in range(n):
        events = np.array(_intervals(batch, i))
        y = run(inputs["y0"][i].copy(), inputs["active"][i].copy(), inputs["par"][i], inputs["lpar"][i], inputs["apar"],
                inputs["offsets"], wl, wa, events, inputs["ev_lesion"][i], inputs["ev_systemic"][i], inputs["ev_agent"][i],
                inputs["nonneg"], DURATION, rtol, ATOL)
        burdens.append(final_burden(batch, i, y))
    wall = time.perf_counter() - t0
    return {"n_timed": n, "extrapolated": True, "threads": 1, "compile_s": compile_s, "integrate_s": wall, "rtol": rtol,
            "subject_years_per_s": n * DURATION / 365.25 / wall, "accuracy": accuracy(burdens, n)}


def _roadrunner_subject(args):
    """Export, load and simulate one subject with libRoadRunner; returns (final burden, load s, simulate s)."""
    k, = args
    import roadrunner

    from abscopal.model.batch import Batch
    from abscopal.sbml import subject_sbml

    subject = subjects([k])[0]
    batch = Batch([subject])
    t0 = time.perf_counter()
    rr = roadrunner.RoadRunner(subject_sbml(subject))
    t1 = time.perf_counter()
    rr.integrator.relative_tolerance = 1e-8
    rr.integrator.absolute_tolerance = 1e-10
    rr.simulate(0.0, DURATION, 2)
    t2 = time.perf_counter()
    from abscopal.sbml import state_vector

    return final_burden(batch, 0, state_vector(rr, batch)), t1 - t0, t2 - t1


def case_roadrunner(n, processes):
    import multiprocessing as mp

    t0 = time.perf_counter()
    if processes > 1:
        with mp.get_context("spawn").Pool(processes) as pool:
            results = pool.map(_roadrunner_subject, [(k,) for k in range(n)])
    else:
        results = [_roadrunner_subject((k,)) for k in range(n)]
    wall = time.perf_counter() - t0
    burdens = [r[0] for r in results]
    return {"n_timed": n, "extrapolated": True, "processes": processes, "integrate_s": wall,
            "load_s_per_subject": float(np.mean([r[1] for r in results])),
            "simulate_s_per_subject": float(np.mean([r[2] for r in results])), "rtol": 1e-8,
            "subject_years_per_s": n * DURATION / 365.25 / wall, "accuracy": accuracy(burdens, n)}


def _amici_python():
    """An interpreter with amici: this one if it imports amici, else $ABSCOPAL_AMICI_PYTHON, else None."""
    try:
        import amici  # noqa: F401

        return sys.executable
    except ImportError:
        return os.environ.get("ABSCOPAL_AMICI_PYTHON")


def case_amici(n):
    """AMICI on the SBML export: compiled once per model structure (timed apart), then each subject simulated.

    The SBML of subjects 0..n-1 is written here; `amici_worker` (this file, under the AMICI interpreter)
    compiles and simulates it and returns the final states; the burden and its accuracy are computed here."""
    python = _amici_python()
    if python is None:
        return {"error": "AMICI not installed (set ABSCOPAL_AMICI_PYTHON to a Python with amici)"}
    from abscopal.model.batch import Batch
    from abscopal.sbml import _state_ids, subject_sbml

    cohort = subjects(range(n))
    batch = Batch(cohort)
    with tempfile.TemporaryDirectory() as folder:
        for k, subject in enumerate(cohort):
            Path(folder, f"subject{k}.xml").write_text(subject_sbml(subject))
        env = dict(os.environ, PATH=f"{Path(python).parent}{os.pathsep}{os.environ.get('PATH', '')}")  # its own swig
        proc = subprocess.run([python, __file__, "--amici-worker", folder, "--size", str(n)], capture_output=True,
                              text=True, env=env)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    ids = _state_ids(batch.L, batch.A)
    burdens = [final_burden(batch, i, np.array([x[s] for s in ids])) for i, x in enumerate(out.pop("final"))]
    wall = float(np.sum(out.pop("simulate_s")))
    return {"n_timed": n, "extrapolated": True, **out, "integrate_s": wall, "rtol": 1e-8, "atol": 1e-10,
            "subject_years_per_s": n * DURATION / 365.25 / wall, "accuracy": accuracy(burdens, n)}


def _amici_sbml(path):
    """Read one subject's export for AMICI; returns the document, rewritten to the same model in AMICI's terms:

      * each number in an event (trigger day, dose, survival factor) becomes a constant parameter `event_k`, so
        that subjects differ only in parameter values and one compiled model serves them all;
      * `piecewise(a, a <= b, b)` (the export's min, max) becomes SBML L3V2 min/max: AMICI would otherwise
        turn `x / max(total, 1e-9)` into `x * (H / total + 1e9 * (1 - H))` with a Heaviside H, expand it, and
        lose 1 / total to cancellation against 1e9 (the lesion's effector-to-cell ratio came out 0)."""
    import libsbml

    doc = libsbml.readSBMLFromFile(path)
    doc.setLevelAndVersion(3, 2, False)
    model = doc.getModel()
    relation = {libsbml.AST_RELATIONAL_LEQ: libsbml.AST_FUNCTION_MIN, libsbml.AST_RELATIONAL_GEQ: libsbml.AST_FUNCTION_MAX}
    text = libsbml.formulaToL3String

    def rewrite(node, in_event):
        for i in range(node.getNumChildren()):
            rewrite(node.getChild(i), in_event)
        if in_event and node.isNumber():
            p = model.createParameter()
            p.setId(f"event_{model.getNumParameters()}"), p.setValue(node.getValue()), p.setConstant(True)
            node.setType(libsbml.AST_NAME), node.setName(p.getId())
        elif node.getType() == libsbml.AST_FUNCTION_PIECEWISE and node.getNumChildren() == 3:
            a, cond, b = (node.getChild(i) for i in range(3))
            if (cond.getType() in relation and cond.getNumChildren() == 2 and text(cond.getChild(0)) == text(a)
                    and text(cond.getChild(1)) == text(b)):
                node.removeChild(1)
                node.setType(relation[cond.getType()])

    def fix(element, in_event=False):
        math = element.getMath().deepCopy()
        rewrite(math, in_event)
        element.setMath(math)

    for rule in model.getListOfRules():
        fix(rule)
    for event in model.getListOfEvents():
        fix(event.getTrigger(), True)
        for assignment in event.getListOfEventAssignments():
            fix(assignment, True)
    return doc


def amici_worker(folder, n):
    """The AMICI side of case_amici (imports amici and libsbml, not abscopal): prints one JSON line.

    Subjects whose rewritten SBML is the same apart from parameter values share one compiled model (here: all).
    Constants equal in every subject are compiled in (hardcode_symbols), the others are fixed parameters set
    per subject, with the initial state; CVODES at rtol 1e-8 / atol 1e-10, as the libRoadRunner case."""
    import re

    import amici.sim.sundials as sim
    import libsbml
    from amici import SbmlImporter, import_model_module

    docs = [_amici_sbml(str(Path(folder, f"subject{k}.xml"))) for k in range(n)]
    values = [{p.getId(): p.getValue() for p in d.getModel().getListOfParameters()} for d in docs]
    groups = {}  # structure (the SBML without values) -> subjects
    for k, d in enumerate(docs):
        groups.setdefault(re.sub(r' value="[^"]*"', "", libsbml.writeSBMLToString(d)), []).append(k)
    compile_s, simulate_s, status, final = 0.0, [0.0] * n, [0] * n, [None] * n
    for g, members in enumerate(groups.values()):
        constants = [p.getId() for p in docs[members[0]].getModel().getListOfParameters() if p.getConstant()]
        varying = [c for c in constants if len({values[k][c] for k in members}) > 1]
        path = str(Path(folder, f"model{g}.xml"))
        libsbml.writeSBMLToFile(docs[members[0]], path)
        t0 = time.perf_counter()
        SbmlImporter(path).sbml2amici(f"abscopal_amici{g}", Path(folder, f"model{g}"), fixed_parameters=varying,
                                      hardcode_symbols=sorted(set(constants) - set(varying)), verbose=False,
                                      generate_sensitivity_code=False, compute_conservation_laws=False)
        model = import_model_module(f"abscopal_amici{g}", Path(folder, f"model{g}")).get_model()
        compile_s += time.perf_counter() - t0
        model.set_timepoints([0.0, DURATION])
        solver = model.create_solver()
        solver.set_relative_tolerance(1e-8)
        solver.set_absolute_tolerance(1e-10)
        solver.set_max_steps(10**6)
        for k in members:
            model.set_fixed_parameters([values[k][i] for i in model.get_fixed_parameter_ids()])
            model.set_free_parameters([values[k][i] for i in model.get_free_parameter_ids()])
            model.set_initial_state([values[k][i] for i in model.get_state_ids()])
            t0 = time.perf_counter()
            rdata = sim.run_simulation(model, solver)
            simulate_s[k] = time.perf_counter() - t0
            status[k] = int(rdata.status)
            final[k] = dict(zip(model.get_state_ids(), np.asarray(rdata.x)[-1].tolist(), strict=True))
    import amici

    print(json.dumps({"amici_version": amici.__version__, "models_compiled": len(groups), "compile_s": compile_s,
                      "subject_parameters": len(model.get_fixed_parameter_ids()), "failed": sum(s != 0 for s in status),
                      "simulate_s": simulate_s, "final": final}))


CASES = {
    "abscopal": case_abscopal,
    "abscopal-numpy": case_abscopal_numpy,
    "abscopal-1thread": lambda n: case_abscopal(n, threads=1),
    "abscopal-scalar": lambda n: case_abscopal(n, lanes=0),
    "abscopal-scalar-1thread": lambda n: case_abscopal(n, threads=1, lanes=0),
    "cyrk": case_cyrk,
    "cyrk-rtol1e-5": lambda n: case_cyrk(n, rtol=1e-5),
    "scipy-lsoda": lambda n: case_scipy(n, "LSODA"),
    "scipy-bdf": lambda n: case_scipy(n, "BDF"),
    "roadrunner-1": lambda n: case_roadrunner(n, 1),
    "roadrunner-2": lambda n: case_roadrunner(n, 2),
    "amici": case_amici,
}


def run_case(name, n, env=None):
    """Run one case in a fresh process; return its JSON with peak memory (MB)."""
    cmd = [sys.executable, __file__, "--case", name, "--size", str(n)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compile_time():
    """Cold compile of the kernel in a fresh cache folder (numba and abscopal caches both empty)."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, NUMBA_CACHE_DIR=folder, ABSCOPAL_CACHE_DIR=folder)
        def timed(size, lanes):
            code = ("import time, numpy as np; t=time.perf_counter();"
                    "from benchmarks.engine import subjects; from abscopal.model.batch import Batch;"
                    "from abscopal.engine.compiled import run_compiled;"
                    f"b=Batch(subjects(range({size}))); t1=time.perf_counter();"
                    f"run_compiled(b, np.array([0.0, 1.0]), lanes={lanes}); print(time.perf_counter()-t1)")
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
            return float(proc.stdout.split()[-1])

        result = {"cold_s": timed(2, 0), "cached_s": timed(2, 0)}
        result.update(lanes_cold_s=timed(8, 8), lanes_cached_s=timed(8, 8))
    return result


def versions():
    out = {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
           "processor": platform.processor() or platform.machine()}
    for module in ("abscopal", "numpy", "scipy", "numba", "CyRK", "roadrunner", "amici"):
        try:
            mod = __import__(module)
            out[module] = getattr(mod, "__version__", None) or getattr(mod, "version", lambda: "?")()
        except Exception:  # noqa: BLE001 - reported as absent
            out[module] = None
    try:
        with open("/proc/cpuinfo") as fh:
            out["cpu_model"] = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--amici-worker", help=argparse.SUPPRESS)  # folder of SBML files; under the AMICI Python
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, fewer baseline subjects")
    args = parser.parse_args()
    if args.amici_worker:
        amici_worker(args.amici_worker, args.size)
        return 0
    if args.case:
        result = CASES[args.case](args.size)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return 0

    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    baseline_n = {"cyrk": 100, "cyrk-rtol1e-5": 100, "scipy-lsoda": 10 if args.quick else 20, "scipy-bdf": 10 if args.quick else 20,
                  "roadrunner-1": 20 if args.quick else 50, "roadrunner-2": 20 if args.quick else 50,
                  "amici": 20 if args.quick else 50}
    reference(100)
    results = {"scenario": str(SCENARIO.relative_to(ROOT)), "duration_days": DURATION, "rtol": RTOL, "atol": ATOL,
               "machine": versions(), "compile": compile_time(), "cases": {}}
    print(f"kernel compile: {results['compile']}", file=sys.stderr)
    for n in sizes:
        results["cases"][f"abscopal@{n}"] = run_case("abscopal", n)
        print(f"abscopal {n}: {results['cases'][f'abscopal@{n}']}", file=sys.stderr)
    results["cases"]["abscopal-1thread@1000"] = run_case("abscopal-1thread", 1000)
    for name in ("abscopal-scalar", "abscopal-scalar-1thread"):  # the engine without lanes, same subjects
        results["cases"][f"{name}@1000"] = run_case(name, 1000)
        print(f"{name} 1000: {results['cases'][f'{name}@1000']}", file=sys.stderr)
    results["cases"]["abscopal-numpy@1000"] = run_case("abscopal-numpy", 1000)
    for name, n in baseline_n.items():
        results["cases"][f"{name}@{n}"] = run_case(name, n)
        print(f"{name} {n}: {results['cases'][f'{name}@{n}']}", file=sys.stderr)
    out = ROOT / "benchmarks" / "results" / "engine.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    from benchmarks.report import write_performance_doc

    write_performance_doc(results, ROOT / "docs" / "performance.md")
    print(f"wrote {out} and docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
