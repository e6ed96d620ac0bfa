"""Loading and running validation targets (``targets/<id>.yaml``).

A target file holds: ``id``, ``kind``, ``citation``, ``direction`` (the published relation, verbatim),
``status`` (``encoded`` or ``out_of_scope`` with a ``reason``), a ``design`` (a trial document of
CONTRACT.md without ``abscopal: 1``; omitted for probe-only targets), named ``observables``, ``checks``
of the direction (safe expressions over observables, fixed before any fitting), optional ``numeric``
checks against published numbers with a justified tolerance, ``published`` numbers for the report, and
``fast: true`` for the subset CI runs.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from .expressions import ExpressionError, evaluate
from .metrics import observable
from .probes import PROBES


@cache
def extensions() -> tuple[dict, dict]:
    """Probes and custom metrics from modules ``validation/probes_*.py`` (``PROBES``, ``METRICS`` dicts)."""
    import importlib
    import pkgutil

    from .. import validation

    probes, metrics = dict(PROBES), {}
    for info in pkgutil.iter_modules(validation.__path__):
        if info.name.startswith("probes_"):
            module = importlib.import_module(f"abscopal.validation.{info.name}")
            probes.update(getattr(module, "PROBES", {}))
            metrics.update(getattr(module, "METRICS", {}))
    return probes, metrics


@dataclass(frozen=True)
class Target:
    id: str
    kind: str
    citation: str
    direction: str
    status: str = "encoded"
    reason: str = ""
    design: dict | None = None
    observables: dict[str, dict] = field(default_factory=dict)
    checks: tuple[dict, ...] = ()
    numeric: tuple[dict, ...] = ()
    published: dict[str, Any] = field(default_factory=dict)
    fast: bool = False
    note: str = ""
    negative: bool = False  # the published result is null or negative (no benefit added, or no response)
    immune: bool = True  # the claim involves immunity: the target is re-run with T cells absent and must fail there
    readback: str = ""  # why the target cannot fail (reads parameters back, or an identity); reported, never counted
    # design amendments made after the model's result on the target was seen (docs/validation.md, Protocol 1): each
    # {date, change, why, counted_failed_in}; while one has no counted_failed_in, the target counts as failed
    amended: tuple[dict, ...] = ()


AMENDMENT_KEYS = ("date", "change", "why", "counted_failed_in")
NOT_SIMULATED = ("amended",)  # target fields that cannot change a simulated value: left out of cache keys


def target_content(target: Target) -> dict:
    """The target as the caches key it (validation, history matching): every field that can change what its
    evaluations return. The amendment record is left out, so recording where an amendment was counted as failed
    does not re-simulate the target (its design change already did), and the keys of unamended targets are those
    they had before the field existed."""
    import dataclasses

    content = dataclasses.asdict(target)
    for name in NOT_SIMULATED:
        content.pop(name, None)
    return content


def pending_amendments(target: Target) -> list[dict]:
    """Amendments not yet counted as failed: the report that first scores the amended design counts the target as
    failed (directions and every numeric check) whatever its checks say; once that report is committed, the entry
    records where (``counted_failed_in``: the commit, or the report file and date) and later reports score it."""
    return [a for a in target.amended if not a.get("counted_failed_in")]


@cache
def load_targets() -> dict[str, Target]:
    folder = resources.files("abscopal.validation").joinpath("targets")
    targets = {}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".yaml"):
            continue
        raw = yaml.safe_load(path.read_text())
        target = Target(
            id=raw["id"], kind=raw["kind"], citation=raw.get("citation", ""), direction=raw.get("direction", ""),
            status=raw.get("status", "encoded"), reason=raw.get("reason", ""), design=raw.get("design"),
            observables=raw.get("observables", {}), checks=tuple(raw.get("checks", [])),
            numeric=tuple(raw.get("numeric", [])), published=raw.get("published", {}), fast=bool(raw.get("fast", False)),
            note=raw.get("note", ""), negative=bool(raw.get("negative", False)),
            immune=bool(raw.get("immune", raw.get("design") is not None)), readback=raw.get("readback", ""),
            amended=tuple({k: str(v) for k, v in a.items()} if isinstance(a, dict) else a  # YAML reads dates as dates
                          for a in raw.get("amended", []) or []),
        )
        if path.name != f"{target.id}.yaml":
            raise ValueError(f"validation target file {path.name} holds id {target.id}")
        targets[target.id] = target
    return targets


SEED_STEP = 1000  # CONTRACT.md: seeds are the encoded seed, +1000, +2000, ...
PASS_PROBABILITY = 0.8  # a check passes when it holds on at least this share of seeds


@dataclass
class TargetResult:
    target: Target
    row: dict
    run: Any = None
    summary: dict | None = None
    seconds: float = 0.0


@dataclass
class Evaluation:
    """One run of a target's design at one seed (index ``seed``: the encoded seed + SEED_STEP * seed)."""

    values: dict[str, float | None]
    problems: list[str]
    summary: dict | None = None
    run: Any = None
    seconds: float = 0.0


def _probe_value(spec: dict) -> float:
    args = {k: v for k, v in spec.items() if k not in ("metric", "probe")}
    return float(extensions()[0][spec["probe"]](**args))


def _value(spec: dict, run, summary):
    if spec.get("metric") == "probe":
        return _probe_value(spec)
    custom = extensions()[1].get(spec.get("metric"))
    if custom is not None:
        return custom(spec, run, summary)
    return observable(spec, run, summary)


def design_document(target: Target, seed: int = 0, immune_null: bool = False) -> dict:
    """The target's trial document at seed index ``seed``, optionally with T cells absent in every arm."""
    import copy

    doc = copy.deepcopy(dict(target.design, abscopal=1))
    population = dict(doc.get("population") or {})
    population["seed"] = int(population.get("seed", 1)) + SEED_STEP * int(seed)
    doc["population"] = population
    if immune_null:
        doc["host"] = dict(doc.get("host") or {}, immune="t_cell_deficient")
        for arm in (doc.get("arms") or {}).values():
            if isinstance(arm, dict) and "host" in arm:
                arm["host"] = dict(arm["host"], immune="t_cell_deficient")
    return doc


def evaluate_target(target: Target, seed: int = 0, immune_null: bool = False, keep: bool = False) -> Evaluation:
    """Every observable of a target at one seed (``keep`` keeps the run and its summary, for figures)."""
    from ..parameters.store import species_scope
    from .cache import target_species

    with species_scope(target_species(target)):  # its cache key covers only its own species' files
        return _evaluate_target(target, seed, immune_null, keep)


def _evaluate_target(target: Target, seed: int, immune_null: bool, keep: bool) -> Evaluation:
    start = time.perf_counter()
    run = summary = None
    if target.design is not None:
        from ..trial.analysis import trial_summary
        from ..trial.design import parse_trial
        from ..trial.run import run_trial

        run = run_trial(parse_trial(design_document(target, seed, immune_null), source=f"validation:{target.id}"))
        summary = trial_summary(run)
    values: dict[str, float | None] = {}
    problems = []
    for name, spec in target.observables.items():
        try:
            value = _value(spec, run, summary)
            values[name] = None if value is None or not np.isfinite(float(value)) else float(value)
        except (KeyError, ValueError, TypeError, ZeroDivisionError) as exc:
            values[name] = None
            problems.append(f"{name}: {exc}")
    return Evaluation(values, problems, summary if keep else None, run if keep else None, time.perf_counter() - start)


def _holds(check: dict, values: dict) -> tuple[bool, str | None]:
    try:
        return bool(evaluate(check["expr"], values)), None
    except ExpressionError as exc:
        return False, str(exc)


def _numeric_check(spec: dict) -> dict:
    name = spec["observable"]
    return {"expr": f"{spec['low']} <= {name} <= {spec['high']}",
            "text": f"{name} within [{spec['low']}, {spec['high']}] ({spec.get('why', 'published interval')})"}


def _directions_hold(target: Target, values: dict) -> bool:
    return bool(target.checks) and all(_holds(c, values)[0] for c in target.checks)


def score_target(target: Target, evaluations: list[Evaluation], nulls: list[Evaluation] | None = None) -> dict:
    """The validation/2 row of a target from its evaluations over seeds (and the immune-null ones)."""
    from .split import register, split_of

    seeds = len(evaluations)
    fitted = register().get(target.id, {}).get("previously_fitted", "no") == "yes"
    row = {"id": target.id, "kind": target.kind, "split": split_of(target.id), "negative": target.negative,
           "passed": None, "pass_probability": None, "seeds": seeds, "immune_null": "not_applicable",
           "counted": False, "direction": target.direction, "simulated": {}, "simulated_se": {},
           "published": dict(target.published), "note": target.reason or target.note, "checks": [], "numeric": [],
           "numeric_passed": 0, "numeric_total": 0, "previously_fitted": fitted}
    if target.status == "out_of_scope":
        row["note"] = f"out of scope: {target.reason}"
        return row
    names = list(target.observables)
    for name in names:
        xs = [e.values.get(name) for e in evaluations]
        ok = [x for x in xs if x is not None]
        row["simulated"][name] = round(float(np.mean(ok)), 6) if ok else None
        row["simulated_se"][name] = round(float(np.std(ok, ddof=1) / np.sqrt(len(ok))), 6) if len(ok) > 1 else None
    problems = sorted({p for e in evaluations for p in e.problems})
    held = [_directions_hold(target, e.values) for e in evaluations]
    for check in target.checks:
        share = float(np.mean([_holds(check, e.values)[0] for e in evaluations]))
        row["checks"].append({"text": check.get("text", check["expr"]), "expr": check["expr"], "pass_probability": share})
        if share < 1.0:
            problems.append(f"direction held on {share:.0%} of seeds: {check.get('text', check['expr'])}")
    for spec in target.numeric:
        check = _numeric_check(spec)
        share = float(np.mean([_holds(check, e.values)[0] for e in evaluations]))
        passed = share >= PASS_PROBABILITY if seeds > 1 else share == 1.0
        row["numeric"].append({"observable": spec["observable"], "low": spec["low"], "high": spec["high"],
                               "why": spec.get("why", ""), "pass_probability": share, "passed": passed})
        if not passed:
            problems.append(f"numeric held on {share:.0%} of seeds: {check['text']}")
    pending = pending_amendments(target)
    for amendment in pending:
        problems.append(f"design amended on {amendment.get('date')} after its result was seen ({amendment.get('change')}): "
                        "counted as failed once, in this report, whatever its checks say")
        for n in row["numeric"]:
            n["passed"] = False
    if target.amended:
        row["amended"] = [dict(a) for a in target.amended]
    row["numeric_total"] = len(row["numeric"])
    row["numeric_passed"] = sum(n["passed"] for n in row["numeric"])
    probability = float(np.mean(held))
    row["pass_probability"] = probability if seeds > 1 else None
    row["passed"] = (probability >= PASS_PROBABILITY if seeds > 1 else bool(held[0])) and not pending
    if nulls:
        null_probability = float(np.mean([_directions_hold(target, e.values) for e in nulls]))
        null_passes = null_probability >= PASS_PROBABILITY if len(nulls) > 1 else null_probability == 1.0
        row["immune_null"] = "passes" if null_passes else "fails"
        if null_passes and not target.negative:
            problems.append("does not test immunity: its directions still hold with T cells absent")
    row["counted"] = not target.readback and not (row["immune_null"] == "passes" and not target.negative)
    if target.readback:
        problems.append(f"not counted: {target.readback}")
    notes = [target.note] if target.note else []
    row["note"] = "; ".join(notes + problems)
    return row


def run_target(target: Target, seed: int = 0, immune_null: bool = False) -> TargetResult:
    """One target at one seed index, without the immune-null control (a quick check; see run_targets)."""
    if target.status == "out_of_scope":
        return TargetResult(target, score_target(target, []))
    evaluation = evaluate_target(target, seed, immune_null, keep=True)
    return TargetResult(target, score_target(target, [evaluation]), run=evaluation.run, summary=evaluation.summary,
                        seconds=evaluation.seconds)


def _job(args: tuple[str, int, bool]) -> Evaluation:
    target_id, seed, null = args
    return evaluate_target(load_targets()[target_id], seed, null)


def _worker_init() -> None:  # one numba thread per worker process: the workers share the cores
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):  # pragma: no cover
        pass


def select_targets(ids: list[str] | None = None, *, fast: bool = False, part: str = "all") -> list[Target]:
    """Targets by id (all when none), optionally only the fast subset or one part of the split: ``calibration``,
    ``heldout``, or ``open`` (the calibration part and the held-out targets earlier calibrations had already
    fitted; the rest of the held-out part stays unseen until it is run once, see docs/validation.md)."""
    from .split import register, split_of

    def in_part(target_id: str) -> bool:
        if part == "open":
            return split_of(target_id) == "calibration" or register().get(target_id, {}).get("previously_fitted") == "yes"
        return part == "all" or split_of(target_id) == part

    targets = load_targets()
    unknown = [i for i in ids or [] if i not in targets]
    if unknown:
        from ..errors import unknown_name

        raise unknown_name("validation target", unknown[0], targets, "ID").with_file("<command line>")
    chosen = [targets[i] for i in ids] if ids else [t for t in targets.values() if t.fast or not fast]
    return [t for t in chosen if in_part(t.id)]


def run_targets(ids: list[str] | None = None, *, fast: bool = False, progress=None, seeds: int = 1,
                immune_null: bool = True, workers: int = 1, keep: bool = False, cache=None,
                part: str = "all") -> list[TargetResult]:
    """Run targets at ``seeds`` population seeds, with the immune-null control for targets whose claim involves
    immunity. Jobs (target, seed, null) run in ``workers`` processes; results do not depend on it. With ``cache``
    (a folder), every finished job is stored on disk and reused by a later run of the same model and target."""
    targets = load_targets()
    if seeds < 1:
        from ..errors import InputError

        raise InputError(f"{seeds} seeds", key="--seeds", expected="an integer of at least 1", file="<command line>")
    chosen = select_targets(ids, fast=fast, part=part)
    jobs = []
    for target in chosen:
        if target.status == "out_of_scope":
            continue
        n = seeds if target.design is not None else 1  # probes do not depend on the population seed
        jobs += [(target.id, k, False) for k in range(n)]
        if immune_null and target.immune and target.design is not None and not target.readback:
            jobs += [(target.id, k, True) for k in range(n)]
    from .cache import EvaluationCache

    store = EvaluationCache(cache) if cache else None
    done: dict[tuple, Evaluation] = {}
    todo = []
    for job in jobs:
        hit = store.get(targets[job[0]], job[1], job[2]) if store else None
        if hit is not None and not (keep and job[1] == 0 and not job[2]):
            done[job] = hit
        else:
            todo.append(job)
    count = [len(done)]

    def finished(job, evaluation):
        done[job] = evaluation
        if store:
            store.put(targets[job[0]], job[1], job[2], evaluation)
        count[0] += 1
        if progress is not None:
            progress(count[0], len(jobs), f"{job[0]} seed {job[1]}{' immune-null' if job[2] else ''}")

    kept = [j for j in todo if keep and j[1] == 0 and not j[2]]
    rest = [j for j in todo if j not in kept]
    for job in kept:  # runs whose trial and summary are kept for figures stay in this process
        finished(job, evaluate_target(targets[job[0]], job[1], job[2], keep=True))
    if workers > 1 and len(rest) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_init) as pool:
            for job, evaluation in zip(rest, pool.map(_job, rest), strict=True):
                finished(job, evaluation)
    else:
        for job in rest:
            finished(job, _job(job))
    results = []
    for target in chosen:
        if target.status == "out_of_scope":
            results.append(TargetResult(target, score_target(target, [])))
            continue
        n = seeds if target.design is not None else 1
        evaluations = [done[(target.id, k, False)] for k in range(n)]
        nulls = [done[(target.id, k, True)] for k in range(n) if (target.id, k, True) in done]
        row = score_target(target, evaluations, nulls or None)
        first = evaluations[0]
        results.append(TargetResult(target, row, run=first.run, summary=first.summary,
                                    seconds=sum(e.seconds for e in evaluations + nulls)))
    return results


def _totals(rows: list[dict]) -> dict:
    directions = {"passed": sum(bool(r["passed"]) for r in rows), "total": len(rows)}
    numeric = {"passed": sum(r["numeric_passed"] for r in rows), "total": sum(r["numeric_total"] for r in rows)}
    return {**directions, "numeric": numeric}


def validation_json(results: list[TargetResult]) -> dict:
    rows = [r.row for r in results]
    counted = [r for r in rows if r["passed"] is not None and r["counted"]]
    data = {"schema": "abscopal.validation/2", "targets": rows,
            "calibration": _totals([r for r in counted if r["split"] == "calibration"]),
            "heldout": _totals([r for r in counted if r["split"] == "heldout"]),
            "heldout_never_fitted": _totals([r for r in counted if r["split"] == "heldout" and not r["previously_fitted"]]),
            **_totals(counted),
            "negative": sum(r["negative"] for r in counted),
            "seeds": max((r["seeds"] for r in rows), default=0),
            "out_of_scope": sum(r["passed"] is None for r in rows),
            "not_counted": [r["id"] for r in rows if r["passed"] is not None and not r["counted"]]}
    return data

BUILTIN_METRICS = ("lesion_mean_volume", "lesion_median_volume", "controlled_fraction", "tumour_free_fraction",
                   "endpoint_free_fraction", "median_endpoint_day", "median_pfs", "median_os", "orr", "abscopal_rate",
                   "complete_response_rate", "hazard_ratio", "alc_nadir_fraction", "rate_above_median",
                   "rate_below_median", "auc", "conditional_rate", "tcd50", "probe")


def _amendment_problems(target: Target) -> list[str]:
    problems = []
    for k, amendment in enumerate(target.amended):
        if not isinstance(amendment, dict) or set(amendment) - set(AMENDMENT_KEYS):
            problems.append(f"amended[{k}]: expected a mapping with keys {', '.join(AMENDMENT_KEYS)}")
            continue
        for key in ("date", "change", "why"):
            if not str(amendment.get(key) or "").strip():
                problems.append(f"amended[{k}].{key}: missing (the date, what changed in the design, and why)")
        if amendment.get("date") and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(amendment["date"])):
            problems.append(f"amended[{k}].date: {amendment['date']!r}; expected YYYY-MM-DD")
    return problems


def lint_target(target: Target) -> list[str]:
    """Problems of a target file found without running the model: the design parses, observables name known
    metrics, arms and lesions of the design, and every check names only defined observables. Encoders use it
    (``abscopal validate --lint``) so that a design is checked before, and independently of, the model's result."""
    import ast

    from ..errors import InputError
    from .split import register, split_of

    problems = _amendment_problems(target)
    if target.id not in register():
        problems.append(f"id not in split.tsv (append: {target.id}\t{split_of(target.id)}\t<date>\tno)")
    if target.status == "out_of_scope":
        return problems + ([] if target.reason else ["out_of_scope without a reason"])
    arms: set[str] = set()
    lesions: set[str] = set()
    if target.design is not None:
        from ..trial.design import parse_trial

        try:
            design = parse_trial(dict(target.design, abscopal=1), source=f"validation:{target.id}")
        except InputError as exc:
            return problems + [f"design: {exc}"]
        arms = {name for name, _ in design.arms}
        lesions = {les.id for les in design.arms[0][1].patient.lesions}
    metrics = set(BUILTIN_METRICS) | set(extensions()[1])
    for name, spec in target.observables.items():
        metric = spec.get("metric")
        if metric not in metrics:
            problems.append(f"observables.{name}: unknown metric {metric!r}")
            continue
        if metric == "probe":
            if spec.get("probe") not in extensions()[0]:
                problems.append(f"observables.{name}: unknown probe {spec.get('probe')!r}")
            continue
        if target.design is None:
            problems.append(f"observables.{name}: metric {metric!r} needs a design")
        named = [spec["arm"]] if "arm" in spec else list(spec.get("arms", []))
        for arm in named:
            if arm not in arms:
                problems.append(f"observables.{name}: no arm {arm!r} in the design (arms: {sorted(arms)})")
        for key in ("lesion",):
            if key in spec and lesions and spec[key] not in lesions:
                problems.append(f"observables.{name}: no lesion {spec[key]!r} (lesions: {sorted(lesions)})")
    for check in list(target.checks) + [_numeric_check(n) for n in target.numeric]:
        try:
            tree = ast.parse(check["expr"], mode="eval")
        except SyntaxError:
            problems.append(f"check {check['expr']!r} does not parse")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id not in target.observables and node.id not in ("abs", "min", "max"):
                problems.append(f"check {check['expr']!r} names unknown observable {node.id!r}")
    for n in target.numeric:
        if not n.get("why"):
            problems.append(f"numeric check on {n.get('observable')!r} has no 'why' (published value and tolerance)")
    if not target.checks:
        problems.append("no direction checks")
    return problems
