"""Loading and running validation targets (``targets/<id>.yaml``).

A target file holds: ``id``, ``kind``, ``citation``, ``direction`` (the published relation, verbatim),
``status`` (``encoded`` or ``out_of_scope`` with a ``reason``), a ``design`` (a trial document of
CONTRACT.md without ``abscopal: 1``; omitted for probe-only targets), named ``observables``, ``checks``
of the direction (safe expressions over observables, fixed before any fitting), optional ``numeric``
checks against published numbers with a justified tolerance, ``published`` numbers for the report, and
``fast: true`` for the subset CI runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

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
            note=raw.get("note", ""),
        )
        if path.name != f"{target.id}.yaml":
            raise ValueError(f"validation target file {path.name} holds id {target.id}")
        targets[target.id] = target
    return targets


@dataclass
class TargetResult:
    target: Target
    row: dict
    run: Any = None
    summary: dict | None = None
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


def run_target(target: Target) -> TargetResult:
    start = time.perf_counter()
    row = {"id": target.id, "kind": target.kind, "passed": None, "direction": target.direction,
           "simulated": {}, "published": dict(target.published), "note": target.reason or target.note}
    if target.status == "out_of_scope":
        row["note"] = f"out of scope: {target.reason}"
        return TargetResult(target, row, seconds=time.perf_counter() - start)
    run = summary = None
    if target.design is not None:
        from ..trial.analysis import trial_summary
        from ..trial.design import parse_trial
        from ..trial.run import run_trial

        run = run_trial(parse_trial(dict(target.design, abscopal=1), source=f"validation:{target.id}"))
        summary = trial_summary(run)
    values: dict[str, float | None] = {}
    problems = []
    for name, spec in target.observables.items():
        try:
            values[name] = _value(spec, run, summary)
        except (KeyError, ValueError, TypeError, ZeroDivisionError) as exc:
            values[name] = None
            problems.append(f"{name}: {exc}")
    row["simulated"] = {k: (None if v is None else round(float(v), 6)) for k, v in values.items()}
    outcomes = []
    for check in list(target.checks) + [_numeric_check(n) for n in target.numeric]:
        try:
            ok = bool(evaluate(check["expr"], values))
        except ExpressionError as exc:
            ok = False
            problems.append(str(exc))
        outcomes.append(ok)
        if not ok:
            problems.append(f"failed: {check.get('text', check['expr'])}")
    row["passed"] = bool(outcomes) and all(outcomes)
    notes = [target.note] if target.note else []
    row["note"] = "; ".join(notes + problems)
    return TargetResult(target, row, run=run, summary=summary, seconds=time.perf_counter() - start)


def _numeric_check(spec: dict) -> dict:
    name = spec["observable"]
    return {"expr": f"{spec['low']} <= {name} <= {spec['high']}",
            "text": f"{name} within [{spec['low']}, {spec['high']}] ({spec.get('why', 'published interval')})"}


def run_targets(ids: list[str] | None = None, *, fast: bool = False, progress=None) -> list[TargetResult]:
    targets = load_targets()
    unknown = [i for i in ids or [] if i not in targets]
    if unknown:
        from ..errors import unknown_name

        raise unknown_name("validation target", unknown[0], targets, "ID").with_file("<command line>")
    chosen = [targets[i] for i in ids] if ids else [t for t in targets.values() if t.fast or not fast]
    results = []
    for k, target in enumerate(chosen):
        results.append(run_target(target))
        if progress is not None:
            progress(k + 1, len(chosen), target.id)
    return results


def validation_json(results: list[TargetResult]) -> dict:
    rows = [r.row for r in results]
    encoded = [r for r in rows if r["passed"] is not None]
    return {"schema": "abscopal.validation/1", "targets": rows, "passed": sum(r["passed"] for r in encoded),
            "total": len(encoded), "out_of_scope": len(rows) - len(encoded)}
