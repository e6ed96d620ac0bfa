"""The command line of CONTRACT.md. Exit status: 0 done, 2 input wrong (one line, no traceback), 1 other."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path

from .errors import AbscopalError, InputError
from .jsonout import json_text

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(EXIT_INPUT, f"abscopal: {message}; see 'abscopal --help'\n")


def _write_json(data: dict, target: str | None) -> None:
    if target is None:
        return
    text = json_text(data)
    if target == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(text + "\n")


COMMAND_LINE = "<command line>"


def _workers(args, default: int) -> int:
    """--workers, or ``default`` when it is not given; 0 or a negative count is refused (it used to fall back silently)."""
    if args.workers is None:
        return default
    if args.workers < 1:
        raise InputError(f"{args.workers} workers", key="--workers", file=COMMAND_LINE, expected="a positive integer")
    return args.workers

# Output options and what they name: checked before any work starts, so that a wrong path never costs a run.
# An option a command does not have is skipped (getattr), so a new output option needs only a line here.
OUTPUT_OPTIONS = {"out": "folder", "json": "file", "docs": "folder", "report": "file"}
OUTPUT_OPTIONS_BY_COMMAND = {"sbml": {"out": "file"}}


def _check_output(path: str, option: str, kind: str) -> None:
    """Refuse a path that cannot be written (exit status 2, one line): a folder that is a file or the reverse,
    a path under a file, or a folder without write permission."""
    if kind == "file" and path == "-":
        return
    where = Path(path)

    def refuse(problem: str, expected: str) -> None:
        raise InputError(problem, key=f"--{option}", file=COMMAND_LINE, expected=expected)

    expected = "a folder that exists or can be created" if kind == "folder" else "a file path in a writable folder"
    if where.exists():
        if kind == "folder" and not where.is_dir():
            refuse(f"{path} is a file, not a folder", expected)
        if kind == "file" and where.is_dir():
            refuse(f"{path} is a folder, not a file", expected)
        if not os.access(where, os.W_OK):
            refuse(f"{path} is not writable", expected)
        return
    parent = where.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        refuse(f"{path} cannot be created: {parent} is a file", expected)
    if not os.access(parent, os.W_OK | os.X_OK):
        refuse(f"{path} cannot be created: {parent} is not writable", expected)


def check_outputs(args) -> None:
    """Every output path of the command, checked before anything is read or simulated."""
    kinds = OUTPUT_OPTIONS_BY_COMMAND.get(args.command, OUTPUT_OPTIONS)
    for option, kind in kinds.items():
        path = getattr(args, option, None)
        if path is not None:
            _check_output(str(path), option, kind)


def _wrong_command(exc: InputError, args) -> InputError:
    """A trial file given to simulate or cohort, or a scenario given to trial: say which command reads it."""
    trial_given = exc.key == "arms" and exc.problem.startswith("unknown key")
    scenario_given = args.command == "trial" and (  # a scenario's treatment keys sit at the top, a trial's in arms
        (exc.key == "arms" and exc.problem.startswith("required key"))
        or (exc.key in ("radiotherapy", "drugs") and exc.problem.startswith("unknown key")))
    if trial_given:
        return InputError(f"this is a trial file (it has arms), which `abscopal {args.command}` does not read",
                          key="arms", file=exc.file or args.file, expected=f"`abscopal trial {args.file}`")
    if scenario_given:
        return InputError("this is a scenario without arms, which `abscopal trial` does not read", key="arms",
                          file=exc.file or args.file,
                          expected=f"`abscopal simulate {args.file}` (one subject) or `abscopal cohort {args.file}` "
                                   "(a population), or an arms block")
    return exc


def _load_scenario(args):
    from .scenario.load import load_scenario

    try:
        return load_scenario(args.file)
    except InputError as exc:
        raise _wrong_command(exc, args) from None


def _warn(scenarios, file: str) -> None:
    """Warnings for valid but implausible input (abscopal.plausibility) on standard error; the run goes on.

    ``scenarios``: (key prefix, scenario) pairs; a warning shared by every arm of a trial is printed once."""
    from .plausibility import scenario_warnings

    found = [(prefix, w) for prefix, scenario in scenarios for w in scenario_warnings(scenario)]
    shared = {(w.key, w.message) for _, w in found if sum((w.key, w.message) == (v.key, v.message) for _, v in found)
              == len(scenarios)}
    printed = set()
    for prefix, w in found:
        line = w.line(file) if (w.key, w.message) in shared else f"{file}: {prefix}{w.key}: warning: {w.message}"
        if line not in printed:
            printed.add(line)
            print(line, file=sys.stderr)


def cmd_simulate(args) -> int:
    from .simulate import simulate

    scenario = _load_scenario(args)
    if not scenario.patient.lesions:
        raise InputError("no lesions to simulate", key="patient.lesions", expected="explicit lesions (use `abscopal cohort` for a population)", file=args.file)
    _warn([("", scenario)], args.file)
    ensemble = _ensemble_for(args, scenario.species, scenario.model)  # checked before any solve
    result = simulate(scenario)
    data = result.to_dict()
    if ensemble is not None:
        result.data = data = _simulate_draws(args, data, ensemble)
    summary_stream = sys.stderr if args.json == "-" else sys.stdout
    result.print_summary(file=summary_stream)
    _write_json(data, args.json)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        _write_json(data, str(out / "result.json"))
        _write_csv(data, out / "timecourse.csv")
        if data["status"] == "ok":
            for path in result.plot(out):
                print(f"wrote {path}", file=summary_stream)
        else:
            print(f"no figures: the solve failed ({data['status']})", file=summary_stream)
    if args.report and data["status"] != "ok":
        print(f"no report: the solve failed ({data['status']})", file=summary_stream)
    elif args.report:
        from .report import simulate_report

        print(f"wrote {simulate_report(args.report, result, args.file, args.command_line)}", file=summary_stream)
    return EXIT_OK if data["status"] == "ok" else EXIT_FAIL


def _ensemble_for(args, species: str, model: str):
    """The posterior ensemble for ``--uncertainty N`` (None without it); input errors before anything runs."""
    n = getattr(args, "uncertainty", None)
    if n is None:
        return None
    if n < 2:
        raise InputError(f"{n} draws", key="--uncertainty", file="(command line)", expected="N >= 2 draws of the posterior ensemble")
    if model != "abscopal":
        raise InputError(f"the posterior ensemble covers the flagship model, not {model!r}", key="--uncertainty",
                         file=args.file, expected="model: abscopal (the default), or no --uncertainty")
    from .inference.posterior import load_ensemble, model_note

    ensemble = load_ensemble(species, n)
    note = model_note(ensemble, _model_status(ensemble))
    if note:
        print(note, file=sys.stderr, flush=True)
    return ensemble


def _model_status(ensemble) -> str:
    """"current", "changed" or "not recorded": whether the ensemble was calibrated on the running model."""
    from .inference.posterior import model_status
    from .validation.cache import model_fingerprint

    return model_status(ensemble, model_fingerprint(ensemble.species))


def _draw_progress(k: int, n: int) -> None:
    print(f"uncertainty: draw {k}/{n} of the posterior ensemble", file=sys.stderr, flush=True)


def _uncertainty_block(ensemble, n: int, **extra) -> dict:
    from .inference.intervals import METHOD

    return {"draws": n, "ensemble": str(ensemble.path), "ensemble_sha256": ensemble.sha256, "method": ensemble.method,
            "source": ensemble.source, "created": ensemble.created, "parameters": list(ensemble.parameters),
            "model": ensemble.model, "model_status": _model_status(ensemble), "interval": METHOD, **extra}


def _simulate_draws(args, data: dict, ensemble) -> dict:
    """The scenario once per draw (the first N sets), in this process: one subject needs no workers."""
    from .inference.intervals import with_intervals
    from .inference.patch import values
    from .scenario.load import load_scenario
    from .simulate import simulate

    sets, weights = ensemble.first(args.uncertainty)
    draws, kept = [], []
    for k, (draw, weight) in enumerate(zip(sets, weights, strict=True), 1):
        _draw_progress(k, len(sets))
        with values(draw, ensemble.species):  # the scenario is read inside too: its defaults may come from the files
            d = simulate(load_scenario(args.file)).to_dict()
        if d["status"] == "ok":  # a draw whose solve failed is left out and counted
            draws.append(d)
            kept.append(weight)
    out = with_intervals(data, draws, kept) if draws else dict(data)
    out["uncertainty"] = _uncertainty_block(ensemble, len(sets), failed_draws=len(sets) - len(draws))
    return out


def _trial_draws(args, cohort: bool, run, result: dict, ensemble, workers: int) -> dict:
    """The cohort or trial once per draw on the same subjects and seed (only the parameters change).

    The parameter swap of a draw is in-process, so it is applied in the parent (reading the design) and again
    in every worker around each chunk (``run_trial(within=...)``): draws run with workers as usual."""
    import contextlib
    import functools

    from .inference.intervals import series_bounds, with_intervals
    from .inference.patch import values
    from .simulate import expecting
    from .trial.analysis import trial_summary
    from .trial.design import load_trial
    from .trial.run import run_trial, worker_pool
    from .trial.uncertainty import survival_curves
    from .trial_report import ProgressBar

    grid = [float(t) for t in run.time_days]
    sets, weights = ensemble.first(args.uncertainty)
    summaries, curves = [], []
    # one pool of workers for every draw: their start-up and imports cost about as much as a draw's simulations
    with worker_pool(workers) if workers > 1 and args.scheduler is None else contextlib.nullcontext() as pool:
        for k, draw in enumerate(sets, 1):
            _draw_progress(k, len(sets))
            with values(draw, ensemble.species):
                design = load_trial(args.file, size=args.size, seed=args.seed, cohort=cohort)
            # every draw integrates the same shapes: size x draws subjects in all (engine/lanes.py, choose)
            within = functools.partial(expecting, design.population.size * len(sets),
                                       functools.partial(values, draw, ensemble.species))
            drawn = run_trial(design, workers=workers, progress=ProgressBar(len(design.arms)),
                              chunk_size=args.chunk_size, scheduler=args.scheduler, within=within, pool=pool)
            summaries.append(trial_summary(drawn))
            curves.append(survival_curves(drawn, grid))
    out = with_intervals(result, summaries, weights)
    bands: dict = {"time_days": grid}
    for endpoint in curves[0]:
        bands[endpoint] = {arm: series_bounds([c[endpoint][arm] for c in curves], weights)
                           for arm in curves[0][endpoint] if all(arm in c.get(endpoint, {}) for c in curves)}
    out["uncertainty"] = _uncertainty_block(ensemble, len(sets), survival_ci90=bands)
    return out


def _write_csv(data: dict, path: Path) -> None:
    import csv

    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        header = ["day"] + [f"{les['id']}_volume_mm3" for les in data["lesions"]] + [f"{les['id']}_diameter_mm" for les in data["lesions"]] + ["alc_per_ul"]
        header += [f"{d['agent']}_ug_per_ml" for d in data["drugs"]]
        writer.writerow(header)
        for i, t in enumerate(data["time_days"]):
            row = [t] + [les["volume_mm3"][i] for les in data["lesions"]] + [les["diameter_mm"][i] for les in data["lesions"]]
            row += [data["alc_per_ul"][i]] + [d["concentration_ug_per_ml"][i] for d in data["drugs"]]
            writer.writerow(row)


def _run_trial_like(args, *, cohort: bool) -> int:
    from .api import complete, summarise
    from .trial.design import load_trial
    from .trial.run import run_trial
    from .trial_report import ProgressBar, summary_text, write_outputs

    try:
        design = load_trial(args.file, size=args.size, seed=args.seed, cohort=cohort)
    except InputError as exc:
        raise _wrong_command(exc, args) from None
    _warn([(f"arms.{name}." if not cohort else "", scenario) for name, scenario in design.arms], args.file)
    ensemble = _ensemble_for(args, design.species, design.arms[0][1].model)
    workers = _workers(args, min(2, os.cpu_count() or 1))
    if args.chunk_size is not None and args.chunk_size < 1:
        raise InputError(f"{args.chunk_size} subjects per chunk", key="--chunk-size", file=args.file, expected="a positive integer")
    power_n = getattr(args, "power_n", None)
    if power_n is not None and power_n < 1:
        raise InputError(f"{power_n} subjects per arm", key="--power-n", file=args.file, expected="a positive integer")
    run = run_trial(design, workers=workers, progress=ProgressBar(len(design.arms)), out=args.out,
                    chunk_size=args.chunk_size, scheduler=args.scheduler)
    if run.chunks_reused:
        print(f"resumed: {run.chunks_reused} finished chunk(s) reused from {run.out}", file=sys.stderr)
    result = summarise(run, cohort=cohort, power=getattr(args, "power", False), power_n=power_n)
    if ensemble is not None:
        result = _trial_draws(args, cohort, run, result, ensemble, workers)
    biomarkers = complete(result, run)  # provenance, notice, biomarkers: shared with the Python API
    stream = sys.stderr if args.json == "-" else sys.stdout
    print(summary_text(result), file=stream)
    _write_json(result, args.json)
    if args.out:
        for path in write_outputs(run, result, Path(args.out), biomarkers):
            print(f"wrote {path}", file=stream)
    if args.report:
        from .trial_report import trial_report

        print(f"wrote {trial_report(args.report, run, result, biomarkers, args.file, args.command_line)}", file=stream)
    return EXIT_OK


def cmd_cohort(args) -> int:
    return _run_trial_like(args, cohort=True)


def cmd_trial(args) -> int:
    return _run_trial_like(args, cohort=False)


def cmd_optimise(args) -> int:
    from .optimisation import load_problem, optimise

    problem = load_problem(args.file)
    stream = sys.stderr if args.json == "-" else sys.stdout
    workers = _workers(args, 1)
    result = optimise(problem, out=args.out, workers=workers, progress=not args.quiet)
    result.print_summary(file=stream)
    _write_json(result.summary(), args.json)
    if args.out:
        for path in result.write(args.out):
            print(f"wrote {path}", file=stream)
    if args.report:
        _results_report(args, result, "optimisation", args.file, stream)
    return EXIT_OK


def _results_report(args, result, kind: str, input_file, stream) -> None:
    """--report of fit and optimise: the printed summary, the result's table, its figures and provenance."""
    import io

    from . import report

    tables = {"fit": report.fit_tables, "optimisation": report.optimisation_tables}[kind]
    text = io.StringIO()
    result.print_summary(file=text)
    data = result.summary()
    path = report.results_report(args.report, title=f"abscopal {args.command}: {Path(input_file).name}",
                                 summary=text.getvalue(), tables=tables(data),
                                 write_figures=result.write, input_file=input_file,
                                 provenance=data.get("provenance") or {}, command_line=args.command_line)
    print(f"wrote {path}", file=stream)


def cmd_validate(args) -> int:
    import time

    from . import vocabulary as vocab
    from .validation.cache import model_fingerprint
    from .validation.report import validation_table
    from .validation.suite import run_targets, validation_json

    stream = sys.stderr if args.json == "-" else sys.stdout
    if args.lint:
        from .validation.suite import lint_target, select_targets

        chosen = select_targets(args.ids or None)  # an unknown id is an input error, as without --lint
        bad = 0
        for target in chosen:
            for problem in lint_target(target):
                bad += 1
                print(f"{target.id}: {problem}", file=stream)
        print(f"linted {len(chosen)} targets: {bad} problems", file=stream)
        return EXIT_OK if not bad else 1
    workers = _workers(args, min(2, os.cpu_count() or 1))  # bad input is refused before any note or work
    if args.ids and args.part != "calibration":
        from .validation.split import split_of

        held = [i for i in args.ids if split_of(i) == "heldout"]
        if held:  # the protocol's one easy slip: scoring a candidate on the held-out part before adopting it
            print(f"note: {len(held)} named target(s) are in the held-out part ({', '.join(held)}); the validation "
                  "protocol scores a model on them only once it is adopted (docs/validation.md)", file=sys.stderr)
    start = time.perf_counter()

    def progress(done, total, name):
        print(f"[{done}/{total}] {name}", file=sys.stderr)

    results = run_targets(args.ids or None, fast=args.fast, progress=progress, seeds=args.seeds,
                          immune_null=not args.no_immune_null, workers=workers,
                          keep=bool(args.docs), cache=args.cache, part=args.part)
    seconds = time.perf_counter() - start
    data = validation_json(results)
    data["model"] = {species: model_fingerprint(species) for species in vocab.SPECIES}  # which model produced these results
    print(validation_table(data, seconds), file=stream)
    _write_json(data, args.json)
    if args.docs:
        from .validation.docs import write_docs

        print(f"wrote {write_docs(results, Path(args.docs), seconds)}", file=stream)
    return EXIT_OK


def cmd_dose(args) -> int:
    from .radiobiology import bed, eqd2, parse_scheme
    from .units import to_canonical

    try:
        terms = parse_scheme(args.scheme)
        ab = to_canonical(args.alpha_beta, "absorbed_dose", key="--alpha-beta")
    except InputError as exc:
        raise exc.with_file(COMMAND_LINE) from None
    if ab <= 0:
        raise InputError(f"{args.alpha_beta!r} must be above zero", key="--alpha-beta", expected="e.g. '10 Gy'", file=COMMAND_LINE)
    total = sum(d * n for d, n in terms)
    total_bed = sum(bed(d, n, ab) for d, n in terms)
    total_eqd2 = sum(eqd2(d, n, ab) for d, n in terms)
    if args.json:
        _write_json({"schema": "abscopal.dose/1", "scheme": args.scheme, "alpha_beta_gy": ab, "total_dose_gy": total,
                     "bed_gy": total_bed, "eqd2_gy": total_eqd2,
                     "terms": [{"dose_per_fraction_gy": d, "fractions": n, "bed_gy": bed(d, n, ab), "eqd2_gy": eqd2(d, n, ab)} for d, n in terms]},
                    args.json)
        if args.json == "-":
            return EXIT_OK
    print(f"scheme {args.scheme}  (alpha/beta = {ab:g} Gy)")
    print(f"total dose {total:.2f} Gy   BED {total_bed:.2f} Gy   EQD2 {total_eqd2:.2f} Gy")
    return EXIT_OK


def cmd_agents(args) -> int:
    from .agents import all_agents

    print(f"{'species':<8}{'agent':<15}{'target':<7}{'route':<6}{'t1/2 (d)':>9}  typical regimen")
    for agent in all_agents():
        print(f"{agent.species:<8}{agent.key:<15}{agent.target:<7}{agent.route:<6}{agent.value('half_life'):>9.2f}  {agent.typical_regimen}")
    return EXIT_OK


def cmd_tumours(args) -> int:
    from .parameters import tumour_keys, tumour_meta

    for species in ("mouse", "human"):
        for key in tumour_keys(species):
            print(f"{species:<7}{key:<12}{tumour_meta(species, key).get('name', '')}")
    return EXIT_OK


def cmd_parameters(args) -> int:
    from . import vocabulary as vocab
    from .errors import unknown_name
    from .model.declarations import parameter_declarations
    from .parameters import load_parameter_set, tumour_keys

    species = next((s for s in vocab.SPECIES if args.tumour in tumour_keys(s)), None)
    if species is None:
        raise unknown_name("tumour", args.tumour, tumour_keys("mouse") + tumour_keys("human"), "TUMOUR").with_file("<command line>")
    pset = load_parameter_set(species, args.tumour)
    for name, decl in parameter_declarations().items():
        entry = pset[name]
        print(f"{decl.mechanism:<8}{name:<32}{entry.value:>12.4g} {entry.unit:<10} {entry.provenance}")
    return EXIT_OK


def cmd_sbml(args) -> int:
    from .sbml import scenario_sbml

    scenario = _load_scenario(args)
    if scenario.model != "abscopal":
        raise InputError(f"SBML export covers the flagship model, not {scenario.model!r}", key="model",
                         expected="abscopal (the default), or no model key", file=args.file)
    if not scenario.patient.lesions:
        raise InputError("no lesions to export", key="patient.lesions",
                         expected="explicit lesions (the export is one subject, not a population)", file=args.file)
    text = scenario_sbml(scenario)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"wrote {out} (SBML level 3 version 1; time in days, lesion volumes measured_volume__L* in mm^3)")
    return EXIT_OK


def cmd_describe(args) -> int:
    from .model.describe import describe
    from .parameters import tumour_keys

    if args.tumour not in tumour_keys(args.species):
        other = next((sp for sp in ("human", "mouse") if sp != args.species and args.tumour in tumour_keys(sp)), None)
        if other is not None:
            raise InputError(f"{args.tumour!r} is a {other} tumour, not a {args.species} one", key="--tumour",
                             file=COMMAND_LINE, expected=f"--species {other} --tumour {args.tumour}")
        from .errors import unknown_name

        raise unknown_name(f"{args.species} tumour", args.tumour, tumour_keys(args.species), "--tumour").with_file(COMMAND_LINE)
    describe(args.species, args.tumour)
    return EXIT_OK


def _report_option(p) -> None:
    p.add_argument("--report", metavar="FILE.html", help="also write one self-contained HTML report (summary tables, "
                   "every figure embedded, the scenario as run, provenance) that opens offline in a browser")


def cmd_schema(args) -> int:
    from .scenario.spec import shipped_schema_path

    sys.stdout.write(shipped_schema_path().read_text())
    return EXIT_OK


def _uncertainty_option(p) -> None:
    p.add_argument("--uncertainty", type=int, metavar="N", help="also run the first N parameter sets of the shipped "
                   "posterior ensemble and add 90%% credible intervals (ci90) beside every summary figure "
                   "(ensemble folder: $ABSCOPAL_POSTERIOR_DIR, default the package's parameters/posterior)")


def _version() -> str:
    """The installed distribution's version; the package's own when it runs from a source tree (PYTHONPATH=src)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("abscopal")
    except PackageNotFoundError:
        from . import __version__

        return __version__


def _command(sub, name: str, *, summary: str, description: str, examples: tuple[str, ...]) -> argparse.ArgumentParser:
    """A subcommand whose --help shows a description and worked examples (kept as data beside each command)."""
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
    return sub.add_parser(name, help=summary, description=textwrap.fill(description, 100), epilog=epilog,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


_FILE_HELP = {
    "simulate": "scenario file (YAML) of one subject with explicit lesions, e.g. examples/nsclc_sbrt_pembrolizumab.yaml",
    "cohort": "scenario file (YAML) with a population block, e.g. examples/cohort_nsclc_sbrt_pembrolizumab.yaml",
    "trial": "trial file (YAML) with arms, e.g. examples/trial_nsclc_sbrt_pembrolizumab.yaml",
    "sbml": "scenario file (YAML) of one subject, e.g. examples/nsclc_sbrt_pembrolizumab.yaml",
}
_TRIAL_LIKE = {
    "cohort": dict(
        summary="a scenario with a population block: a virtual cohort",
        description="Simulate a virtual cohort: the scenario's treatment in every subject drawn from its population "
                    "block (lesions, sites, ALC, PD-L1, TMB...). Prints response rates, survival medians and "
                    "biomarkers; --out also writes the per-subject table (Parquet) and figures.",
        examples=("abscopal cohort examples/cohort_nsclc_sbrt_pembrolizumab.yaml --size 200",
                  "abscopal cohort examples/cohort_nsclc_sbrt_pembrolizumab.yaml --size 1000 --out results/cohort",
                  "abscopal cohort examples/cohort_nsclc_sbrt_pembrolizumab.yaml --json - > cohort.json")),
    "trial": dict(
        summary="a trial: arms on the same virtual subjects",
        description="Run a virtual trial: every arm on the same virtual subjects, with response rates (Wilson "
                    "intervals), Kaplan-Meier medians, hazard ratios, log-rank and Fisher tests between arms.",
        examples=("abscopal trial examples/trial_nsclc_sbrt_pembrolizumab.yaml --size 100",
                  "abscopal trial examples/trial_mouse_tsa_four_arms.yaml --out results/tsa",
                  "abscopal trial examples/trial_nsclc_sbrt_pembrolizumab.yaml --power --power-n 60")),
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="abscopal", description="In-silico radioimmunotherapy (research use only).",
                     epilog="examples:\n  abscopal simulate examples/nsclc_sbrt_pembrolizumab.yaml --out results/nsclc\n"
                            "  abscopal dose '3 x 8 Gy'\n  abscopal simulate --help   (help of one command)",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"abscopal {_version()}",
                        help="print the version and exit")
    parser.add_argument("--verbose", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    p = _command(sub, "simulate", summary="simulate one scenario",
                 description="Simulate one subject (patient or mouse) with explicit lesions: lesion volumes, RECIST "
                             "1.1 in and out of field, the abscopal response, ALC and drug levels over time.",
                 examples=("abscopal simulate examples/nsclc_sbrt_pembrolizumab.yaml",
                           "abscopal simulate examples/mouse_tsa_bilateral_3x8_anti_ctla4.yaml --out results/tsa",
                           "abscopal simulate examples/melanoma_3x8_ipilimumab.yaml --json - > result.json"))
    p.add_argument("file", help=_FILE_HELP["simulate"])
    p.add_argument("--out", help="folder for figures, time-course CSV and result.json")
    p.add_argument("--json", help="write the JSON result to PATH, or '-' for standard output")
    _report_option(p)
    _uncertainty_option(p)
    p.set_defaults(func=cmd_simulate)
    for name, func in (("cohort", cmd_cohort), ("trial", cmd_trial)):
        p = _command(sub, name, **_TRIAL_LIKE[name])
        p.add_argument("file", help=_FILE_HELP[name])
        p.add_argument("--size", type=int, help="number of subjects (overrides population.size)")
        p.add_argument("--seed", type=int, help="population seed (overrides population.seed)")
        p.add_argument("--out", help="folder for the per-subject table (Parquet), figures and result.json")
        p.add_argument("--json", help="write the JSON result to PATH, or '-' for standard output")
        p.add_argument("--workers", type=int, help="worker processes (default: up to 2 cores); results do not depend on it")
        p.add_argument("--chunk-size", type=int, help="subjects per chunk (default 256, 2048 above 100k subjects); "
                       "results do not depend on it")
        p.add_argument("--scheduler", metavar="ADDRESS", help="run the chunks on a dask.distributed cluster: a scheduler "
                       "address (tcp://host:8786) or 'local' for a LocalCluster of --workers processes")
        _report_option(p)
        _uncertainty_option(p)
        if name == "trial":
            p.add_argument("--power", action="store_true", help="add power by resampling independent groups")
            p.add_argument("--power-n", type=int, help="subjects per arm for --power (default: the population size)")
        p.set_defaults(func=func)
    for name in ("optimise", "optimize"):
        p = _command(sub, name, summary="search regimens under constraints for an objective" if name == "optimise"
                     else "the same as optimise",
                     description="Search dose per fraction, fractions, interval, irradiated lesions, drug, drug start "
                                 "and number of doses for the best objective (out-of-field ORR, abscopal rate, PFS or "
                                 "tumour-free fraction) under constraints (fractions, normal-tissue EQD2/BED, grade >= 3 "
                                 "lymphopenia, drug exposure), every regimen on the same virtual subjects. Prints the "
                                 "ranked regimens; --out also writes the Pareto figure, every evaluation, trial files "
                                 "of the top regimens and a cache that a restarted run resumes from.",
                     examples=(f"abscopal {name} examples/optimise_nsclc_sbrt_pd1.yaml --out results/optimise",
                               f"abscopal {name} examples/optimise_nsclc_sbrt_pd1.yaml --json - > optimisation.json"))
        p.add_argument("file", help="optimisation file (YAML), e.g. examples/optimise_nsclc_sbrt_pd1.yaml")
        p.add_argument("--out", help="folder for result.json, pareto.png, evaluations.csv, trials/ and the resumable "
                       "evaluation cache")
        p.add_argument("--json", help="write the JSON result to PATH, or '-' for standard output")
        p.add_argument("--workers", type=int, help="worker processes per regimen (default 1); results do not depend on it")
        p.add_argument("--quiet", action="store_true", help="no progress line per evaluated regimen")
        _report_option(p)
        p.set_defaults(func=cmd_optimise)
    p = _command(sub, "validate", summary="the literature validation suite: one row per published target",
                 description="Score the model against published results (one row per target, simulated vs published). "
                             "A full run takes long; --lint only checks the target files.",
                 examples=("abscopal validate --lint", "abscopal validate --fast",
                           "abscopal validate aboudaram2017_melanoma_antipd1_concurrent_rt",
                           "abscopal validate --seeds 10 --cache .validation-cache"))
    p.add_argument("ids", nargs="*", metavar="ID", help="targets to run (default: all), e.g. "
                   "aboudaram2017_melanoma_antipd1_concurrent_rt (a target file's name without .yaml; docs/validation.md lists "
                   "them all)")
    p.add_argument("--json", help="write the JSON result to PATH, or '-' for standard output")
    p.add_argument("--fast", action="store_true", help="only the fast subset (the one CI runs)")
    p.add_argument("--seeds", type=int, default=1, help="score every check on N population seeds (the encoded seed, "
                   "+1000, +2000, ...); a check passes when it holds on at least 80%% of them")
    p.add_argument("--workers", type=int, help="worker processes (default: up to 2 cores); results do not depend on it")
    p.add_argument("--cache", metavar="DIR", help="keep every finished evaluation in DIR and reuse it on a later run "
                   "of the same model and target (resumable multi-seed runs; a target is keyed by its own species' "
                   "files, so a change of mouse values reuses every clinical evaluation and the reverse)")
    p.add_argument("--part", choices=("all", "calibration", "heldout", "open"), default="all",
                   help="only one part of the pre-registered split, or 'open': the calibration part and the held-out "
                   "targets already fitted before the split (docs/validation.md, Protocol)")
    p.add_argument("--no-immune-null", action="store_true", help="skip the immune-null control (T cells absent)")
    p.add_argument("--lint", action="store_true", help="check the target files (design, observables, checks, split "
                   "register) without running the model")
    p.add_argument("--docs", help="write DIR/validation.md and DIR/validation/*.png")
    p.set_defaults(func=cmd_validate)
    p = _command(sub, "dose", summary="BED and EQD2 of a fractionation scheme, e.g. '8 Gy x 3'",
                 description="Total dose, biologically effective dose (BED) and equivalent dose in 2-Gy fractions "
                             "(EQD2) of a fractionation scheme, by the linear-quadratic model.",
                 examples=("abscopal dose '8 Gy x 3'", "abscopal dose '3 x 8 Gy' --alpha-beta '3 Gy'",
                           "abscopal dose '60 Gy / 30'", "abscopal dose '20 Gy'",
                           "abscopal dose '2 Gy x 25 + 2 Gy x 5' --json -"))
    p.add_argument("scheme", help="the scheme, e.g. '8 Gy x 3', '3 x 8 Gy', '3x8Gy', '60 Gy / 30' (total / fractions), "
                   "'20 Gy' (one fraction), or a sum of terms joined by '+'")
    p.add_argument("--alpha-beta", default="10 Gy", help="alpha/beta ratio of the tissue (default '10 Gy'; "
                   "about '3 Gy' for late-responding tissue)")
    p.add_argument("--json", help="write the JSON result to PATH, or '-' for standard output")
    p.set_defaults(func=cmd_dose)
    p = _command(sub, "agents", summary="the drug library",
                 description="Every drug of the library, human and mouse, with target, route, half-life and typical "
                             "regimen. The keys are the names a scenario's drugs[].agent accepts.",
                 examples=("abscopal agents", "abscopal agents | grep mouse"))
    p.set_defaults(func=cmd_agents)
    p = _command(sub, "tumours", summary="the tumour parameter sets",
                 description="Every tumour parameter set by species. The keys are the names a scenario's tumour "
                             "accepts.",
                 examples=("abscopal tumours",))
    p.set_defaults(func=cmd_tumours)
    p = _command(sub, "parameters", summary="one tumour's parameters with units and sources",
                 description="Every model parameter of one tumour parameter set, with value, unit and source or "
                             "stated assumption.",
                 examples=("abscopal parameters nsclc", "abscopal parameters tsa"))
    p.add_argument("tumour", help="a tumour key from 'abscopal tumours', e.g. nsclc (human) or tsa (mouse)")
    p.set_defaults(func=cmd_parameters)
    p = _command(sub, "sbml", summary="the scenario's model, parameters and treatment events as SBML level 3",
                 description="Export one subject's model, parameters and treatment events as SBML level 3 version 1 "
                             "(loads in libRoadRunner and COPASI).",
                 examples=("abscopal sbml examples/nsclc_sbrt_pembrolizumab.yaml --out model.xml",))
    p.add_argument("file", help=_FILE_HELP["sbml"])
    p.add_argument("--out", required=True, help="path of the SBML file to write")
    p.set_defaults(func=cmd_sbml)
    p = _command(sub, "describe", summary="the model's equations and parameters (Markdown; docs/model.md)",
                 description="The model's equations, mechanism by mechanism, and the parameters of one tumour, as "
                             "Markdown (this is how docs/model.md is written).",
                 examples=("abscopal describe > model.md", "abscopal describe --species mouse --tumour tsa"))
    p.add_argument("--species", default="human", choices=["human", "mouse"], help="species of the parameter set")
    p.add_argument("--tumour", default="nsclc", help="a tumour key of that species from 'abscopal tumours' "
                   "(default nsclc)")
    p.set_defaults(func=cmd_describe)
    p = sub.add_parser("schema", help="the JSON Schema of scenario and trial files, for editors (docs/format.md)",
                       description="Print the JSON Schema (draft 2020-12) of scenario and trial files. Editors that read\n"
                                   "JSON Schema (VS Code's YAML extension, JetBrains IDEs) then check and complete files\n"
                                   "as you type; docs/format.md explains every key and how to set up an editor.",
                       epilog="examples:\n  abscopal schema > abscopal.schema.json\n"
                              "  abscopal schema | python -m json.tool | less",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=cmd_schema)
    _add_fit_command(sub)  # abscopal fit (issue 17)
    return parser


# --- abscopal fit (issue 17, section 1): fit chosen parameters to the user's own measurements ---------------------
def cmd_fit(args) -> int:
    from .fitting.api import fit, progress_printer

    names = [n.strip() for n in args.parameters.split(",") if n.strip()] if args.parameters is not None else None
    for option, value, low in (("--steps", args.steps, 2), ("--walkers", args.walkers, 4), ("--nodes", args.nodes, 1)):
        if value is not None and value < low:
            raise InputError(f"{value} is too small", key=option, file=COMMAND_LINE, expected=f"an integer >= {low}")
    if args.burn is not None and not 0 <= args.burn < args.steps:
        raise InputError(f"{args.burn} is out of range", key="--burn", file=COMMAND_LINE,
                         expected=f"an integer from 0 to below --steps ({args.steps})")
    stream = sys.stderr if args.json == "-" else sys.stdout
    result = fit(args.data, args.design, parameters=names, out=args.out, walkers=args.walkers, steps=args.steps,
                 burn=args.burn, seed=args.seed, nodes=args.nodes, move=args.move,
                 progress=None if args.quiet else progress_printer(sys.stderr))
    result.print_summary(file=stream)
    _write_json(result.summary(), args.json)
    if args.out:
        print(f"wrote {args.out}/fit.json, fitted*.yaml, posterior.csv, predictive.png, marginals.png, trace.png",
              file=stream)
    if args.report:
        _results_report(args, result, "fit", args.design, stream)
    return EXIT_OK


def _add_fit_command(sub) -> None:
    from .fitting.model import DEFAULT_PARAMETERS, NODES
    from .fitting.sampler import MOVES

    p = _command(sub, "fit", summary="fit chosen parameters to your own tumour measurements (Bayesian, MCMC)",
                 description="Fit chosen model parameters to measured tumour sizes: mouse volumes (or caliper length and "
                             "width) per group, animal, day and lesion, or clinical lesion diameters per patient. The "
                             "design file (scenario or trial; its arms are the groups) says each group's treatment. "
                             "Prints the posterior table; --out writes fit.json, the fitted scenario, posterior draws "
                             "and figures, and keeps the chain so that the same command resumes an interrupted fit "
                             "(docs/fit.md).",
                 examples=("abscopal fit examples/data/synthetic_tsa_rt.csv --design examples/fit_mouse_tsa_rt.yaml --out results/fit",
                           "abscopal fit data.csv --design design.yaml --parameters doubling_time,alpha --steps 2000",
                           "abscopal fit data.parquet --design design.yaml --json - > fit.json"))
    p.add_argument("data", help="long-format CSV or Parquet: group, animal, day, lesion, volume_mm3 (or length_mm, "
                   "width_mm); or patient, day, lesion, diameter_mm; e.g. examples/data/synthetic_tsa_rt.csv")
    p.add_argument("--design", required=True, help="scenario or trial file describing each group's treatment")
    p.add_argument("--parameters", help="comma-separated parameter names to fit (default: "
                   f"{','.join(DEFAULT_PARAMETERS)}); the others keep the design's values")
    p.add_argument("--out", help="folder for fit.json, fitted*.yaml, posterior.csv, figures and the resumable chain")
    p.add_argument("--json", help="write the JSON result to PATH, or '-' for standard output")
    p.add_argument("--steps", type=int, default=1000, help="MCMC steps per walker (default 1000)")
    p.add_argument("--burn", type=int, help="steps discarded as burn-in (default: half of --steps)")
    p.add_argument("--walkers", type=int, help="ensemble walkers (default: max(16, 2 x (parameters + 3)))")
    p.add_argument("--seed", type=int, default=0, help="random seed of the sampler (default 0)")
    p.add_argument("--nodes", type=int, default=NODES, help=f"Gauss-Hermite nodes for the random effect (default {NODES})")
    p.add_argument("--move", choices=MOVES, default="de", help="emcee proposal: de (default) or stretch")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    _report_option(p)
    p.set_defaults(func=cmd_fit)
# --- end of abscopal fit ------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["abscopal", *(sys.argv[1:] if argv is None else argv)]  # for --report's provenance
    try:
        check_outputs(args)
        return args.func(args)
    except InputError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_INPUT
    except AbscopalError as exc:
        if args.verbose:
            raise
        print(f"abscopal: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except BrokenPipeError:  # output piped into e.g. `head`
        return EXIT_OK
    except Exception as exc:  # an unexpected failure: one line (a traceback with --verbose), exit 1
        if args.verbose:
            raise
        print(f"abscopal: internal error: {exc.__class__.__name__}: {exc} (run with --verbose for details)", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("abscopal: interrupted", file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
