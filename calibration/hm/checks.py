"""Check margins, vectorised over points: calibrate.py's ``margin`` on arrays.

A check ``L op R`` has the signed relative margin (R - L)/(|L| + |R|), sign chosen so that > 0 passes; ``and``
takes the smallest, ``or`` the largest, a chained (interval) check its tighter side; any other boolean scores
+1 / -1; a missing observable (NaN) counts as a clear failure (-1), as in calibrate.py. Margins here are not
capped: history matching asks how far a check is from passing, not how much it pulls.

Observables are keyed ``<prefix>/<name>``: the prefix is the target id, so that the bare names of a target's
check expressions stay as written in its file.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import numpy as np

_EPS = 1e-12


@dataclass(frozen=True)
class Check:
    prefix: str  # the target id
    text: str
    expr: str
    hints: dict = field(default_factory=dict, compare=False, hash=False)  # observable name -> "fraction" | None

    @property
    def key(self) -> str:
        return f"{self.prefix}: {self.text}"

    @property
    def names(self) -> list[str]:
        tree = ast.parse(self.expr, mode="eval")
        called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        return sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in called})

    @property
    def observables(self) -> list[str]:
        return [f"{self.prefix}/{n}" for n in self.names]

    def margin(self, values) -> np.ndarray:
        """Margins for arrays (any common shape) or floats of the observables, looked up in ``values`` by key."""
        tree = ast.parse(self.expr, mode="eval").body
        arrays = {n: np.asarray(values[f"{self.prefix}/{n}"] if values.get(f"{self.prefix}/{n}") is not None
                                else np.nan, dtype=float) for n in self.names}
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else ()
        missing = np.zeros(shape, dtype=bool)
        for a in arrays.values():
            missing = missing | ~np.isfinite(a)
        with np.errstate(all="ignore"):
            m = np.broadcast_to(_margin(tree, arrays), shape).astype(float)
        return np.where(missing | ~np.isfinite(m), -1.0, m)


def _arith(node, names):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.BinOp):
        a, b = _arith(node.left, names), _arith(node.right, names)
        ops = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
        return ops[type(node.op)](a, b)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_arith(node.operand, names)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_arith(a, names) for a in node.args]
        if node.func.id == "abs":
            return np.abs(args[0])
        if node.func.id in ("min", "max"):
            out = args[0]
            for a in args[1:]:
                out = (np.minimum if node.func.id == "min" else np.maximum)(out, a)
            return out
    raise ValueError(f"unsupported expression {ast.unparse(node)!r}")


def _truth(node, names):
    if isinstance(node, ast.BoolOp):
        vals = [_truth(v, names) for v in node.values]
        out = vals[0]
        for v in vals[1:]:
            out = (out & v) if isinstance(node.op, ast.And) else (out | v)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_truth(node.operand, names)
    if isinstance(node, ast.Compare):
        return _margin(node, names) >= 0  # strictness at exactly 0 does not matter for margins
    return np.asarray(_arith(node, names)) != 0


def _margin(node, names):
    if isinstance(node, ast.BoolOp):
        ms = [_margin(v, names) for v in node.values]
        out = ms[0]
        for m in ms[1:]:
            out = (np.minimum if isinstance(node.op, ast.And) else np.maximum)(out, m)
        return out
    if isinstance(node, ast.Compare):
        terms, out = [node.left, *node.comparators], None
        for a, op, b in zip(terms[:-1], node.ops, terms[1:], strict=True):
            left, right = _arith(a, names), _arith(b, names)
            d = (right - left) if isinstance(op, (ast.Lt, ast.LtE)) else (left - right)
            m = d / (np.abs(left) + np.abs(right) + _EPS)
            out = m if out is None else np.minimum(out, m)
        return out
    return np.where(_truth(node, names), 1.0, -1.0)


FRACTION_METRICS = ("controlled_fraction", "tumour_free_fraction", "endpoint_free_fraction", "orr", "abscopal_rate",
                    "complete_response_rate", "rate_above_median", "rate_below_median", "conditional_rate")


def target_checks(target) -> list[Check]:
    """Every direction and numeric check of a validation target (as calibrate.py scores them)."""
    from abscopal.validation import suite

    hints = {name: "fraction" if spec.get("metric") in FRACTION_METRICS else None
             for name, spec in target.observables.items()}
    out = []
    for check in list(target.checks) + [suite._numeric_check(n) for n in target.numeric]:
        c = Check(target.id, check.get("text", check["expr"]), check["expr"])
        out.append(Check(c.prefix, c.text, c.expr, {n: hints.get(n) for n in c.names}))
    return out


def margins_table(checks: list[Check], rows: list[dict]) -> np.ndarray:
    """Margins (points x checks) of simulated observable dicts."""
    out = np.empty((len(rows), len(checks)))
    for j, check in enumerate(checks):
        cols = {k: np.array([np.nan if r.get(k) is None else r[k] for r in rows], dtype=float) for k in check.observables}
        out[:, j] = check.margin(cols) if rows else []
    return out
