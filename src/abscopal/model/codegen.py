"""Code generation from the one model definition (equations.py).

Two Python back-ends are produced from the same parsed equations:
  * ``numpy``: vectorised over subjects; lesion quantities are (S, L) arrays, agent ones (S, A),
    systemic ones (S, 1); used by the batched engine (engine/dopri.py).
  * ``scalar``: one subject, explicit loops over lesions and agents, plain floats; compiled by numba for
    the cohort engine (engine/compiled.py).
The generated source is written to ``_generated.py`` (checked in; a test fails when it is stale):
    python -m abscopal.model.codegen
SBML is produced from the same parse tree by ``abscopal.sbml``.
"""

from __future__ import annotations

import ast
import math
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import equations as eq
from .declarations import PARAMETERS
from .state import DRUG_STATES, LESION_STATES, SYSTEMIC_STATES

FUNCTIONS = ("exp", "log", "min", "max", "where", "sum_lesions", "prod_agents")
GENERATED = Path(__file__).with_name("_generated.py")


@dataclass(frozen=True)
class Symbols:
    """Every name the equations may use, with its kind and scope."""

    scope: dict[str, str]  # name -> lesion | systemic | agent
    kind: dict[str, str]  # name -> state | parameter | agent_parameter | aux | quantity | event_data | event_temp


def state_offsets(n_lesions: int, n_agents: int) -> dict[str, int]:
    """Offset of each state block in a subject's state vector (same layout as state.Layout)."""
    offsets, k = {}, 0
    for name, _, _ in LESION_STATES:
        offsets[name] = k
        k += n_lesions
    for name, _, _ in SYSTEMIC_STATES:
        offsets[name] = k
        k += 1
    for name, _, _ in DRUG_STATES:
        offsets[name] = k
        k += n_agents
    return offsets


@cache
def symbols() -> Symbols:
    scope, kind = {}, {}

    def add(name, sc, kd):
        if name in scope:
            raise ValueError(f"equations: {name!r} defined twice")
        scope[name], kind[name] = sc, kd

    for name, _, _ in LESION_STATES:
        add(name, "lesion", "state")
    for name, _, _ in SYSTEMIC_STATES:
        add(name, "systemic", "state")
    for name, _, _ in DRUG_STATES:
        add(name, "agent", "state")
    for decl in PARAMETERS:
        add(decl.name, "systemic", "parameter")
    for name, sc in eq.SUBJECT_INPUTS.items():
        add(name, sc, "parameter")
    for name in eq.MECHANISM_FLAGS:
        add(f"flag_{name}", "systemic", "parameter")
    for name in eq.AGENT_PARAMETERS:
        add(name, "agent", "agent_parameter")
    for name, sc in eq.AUX.items():
        add(name, sc, "aux")
    for name, sc in eq.EVENT_DATA.items():
        add(name, sc, "event_data")
    for sc, name, _ in eq.QUANTITIES:
        add(name, sc, "quantity")
    for sc, name, _ in eq.EVENT:
        if name not in scope:
            add(name, sc, "event_temp")
    return Symbols(scope, kind)


def parse(expr: str) -> ast.expr:
    return ast.parse(expr, mode="eval").body


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id not in FUNCTIONS}


def check(expr_scope: str, node: ast.AST, context: str) -> None:
    """Every name is known; lesion/agent names appear in a systemic expression only inside their reduction."""
    sym = symbols()

    def visit(n, inside):
        if isinstance(n, ast.Call):
            fname = n.func.id if isinstance(n.func, ast.Name) else None
            if fname not in FUNCTIONS:
                raise ValueError(f"{context}: unknown function {ast.unparse(n.func)!r}")
            if fname == "sum_lesions":
                inside = "lesion"
            elif fname == "prod_agents":
                inside = "agent"
            for a in n.args:
                visit(a, inside)
            return
        if isinstance(n, ast.Name):
            if n.id not in sym.scope:
                raise ValueError(f"{context}: unknown name {n.id!r}")
            s = sym.scope[n.id]
            if s != "systemic" and s != inside:
                raise ValueError(f"{context}: {s} name {n.id!r} used in a {inside} expression")
            return
        for child in ast.iter_child_nodes(n):
            visit(child, inside)

    visit(node, expr_scope)


_SCALAR_FUNCTIONS = {"exp": math.exp, "log": math.log, "min": min, "max": max,
                     "where": lambda condition, a, b: a if condition else b}


@cache
def _scalar_quantity(name: str):
    """(code object, names it uses) of quantity ``name`` for scalar_quantities, compiled once."""
    expressions = {q: expr for _, q, expr in eq.QUANTITIES}
    if name not in expressions:
        return None
    node = parse(expressions[name])
    if {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)} & {
            "sum_lesions", "prod_agents"}:
        raise KeyError(f"scalar_quantities: {name!r} is a reduction; give it among the inputs")
    return compile(ast.Expression(node), name, "eval"), tuple(sorted(names_in(node)))


def scalar_quantities(wanted: tuple[str, ...], inputs: dict[str, float]) -> dict[str, float]:
    """The quantities ``wanted`` of one lesion at one state, evaluated from their equations (a third back-end).

    ``inputs`` names every state, parameter and quantity the evaluation reaches and should not compute itself
    (a quantity given there is taken as is). Reductions over lesions or drugs (sum_lesions, prod_agents) are not
    evaluated: give the quantities that use them (o_pd1, burden, ...) in ``inputs``. Used where a rule outside the
    solver needs a model rate, so that rule and the dynamics keep one definition (population.escape_margin)."""
    env = dict(inputs)

    def value(name: str) -> float:
        if name not in env:
            compiled = _scalar_quantity(name)
            if compiled is None:
                raise KeyError(f"scalar_quantities: {name!r} is neither a quantity nor among the inputs")
            code, dependencies = compiled
            for dependency in dependencies:
                value(dependency)
            env[name] = float(eval(code, dict(_SCALAR_FUNCTIONS), env))
        return env[name]

    return {name: value(name) for name in wanted}


def quantity_parameters(name: str) -> frozenset[str]:
    """Declared parameters that quantity ``name`` reaches through the quantities it uses (not through states)."""
    expressions = {q: expr for _, q, expr in eq.QUANTITIES}
    sym, seen, found = symbols(), set(), set()

    def walk(q: str) -> None:
        if q in seen:
            return
        seen.add(q)
        for n in names_in(parse(expressions[q])):
            if sym.kind[n] == "quantity":
                walk(n)
            elif sym.kind[n] == "parameter":
                found.add(n)

    walk(name)
    return frozenset(found)


def parameters_used() -> tuple[list[str], list[str]]:
    """(systemic parameter names, lesion parameter names) that the equations use, in a fixed order."""
    sym = symbols()
    used = set()
    for _, _, expr in eq.QUANTITIES:
        used |= names_in(parse(expr))
    for expr in eq.RATES.values():
        used |= names_in(parse(expr))
    for _, _, expr in eq.EVENT:
        used |= names_in(parse(expr))
    params = sorted(n for n in used if sym.kind[n] == "parameter" and sym.scope[n] == "systemic")
    lesion_params = sorted(n for n in used if sym.kind[n] == "parameter" and sym.scope[n] == "lesion")
    return params, lesion_params


def event_parameters() -> list[str]:
    """Subject parameters (systemic and lesion) that the event lines use."""
    sym = symbols()
    used = set().union(*(names_in(parse(expr)) for _, _, expr in eq.EVENT))
    return sorted(n for n in used if sym.kind[n] == "parameter")


# ---------------------------------------------------------------------------------------------- numpy
class _NumpyNames(ast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        fname = node.func.id
        if fname == "sum_lesions":
            return _call("np.sum", node.args, keepdims=True)
        if fname == "prod_agents":
            return _call("np.prod", node.args, keepdims=True)
        mapping = {"exp": "np.exp", "log": "np.log", "min": "np.minimum", "max": "np.maximum", "where": "np.where"}
        node.func = ast.Name(mapping[fname], ast.Load())
        return node

    def visit_Name(self, node):
        sym = symbols()
        kind = sym.kind.get(node.id)
        if kind == "parameter":
            return ast.Name(f"P.{node.id}", ast.Load())
        if kind == "agent_parameter":
            return ast.Name(f"K.{node.id}", ast.Load())
        if kind == "event_data":
            return ast.Name(f"EV.{node.id}", ast.Load())
        return node


def _call(func, args, keepdims=False):
    keywords = [ast.keyword("axis", ast.Constant(1))]
    if keepdims:
        keywords.append(ast.keyword("keepdims", ast.Constant(True)))
    return ast.Call(ast.Name(func, ast.Load()), args, keywords)


def _np(expr: str, scope: str, context: str) -> str:
    node = parse(expr)
    check(scope, node, context)
    return ast.unparse(_NumpyNames().visit(node))


def _np_state_reads(indent: str) -> list[str]:
    lines = []
    for name, _, _ in LESION_STATES:
        lines.append(f"{indent}{name} = y[:, O.{name}:O.{name} + L]")
    for name, _, _ in SYSTEMIC_STATES:
        lines.append(f"{indent}{name} = y[:, O.{name}:O.{name} + 1]")
    for name, _, _ in DRUG_STATES:
        lines.append(f"{indent}{name} = y[:, O.{name}:O.{name} + A]")
    return lines


def numpy_source() -> str:
    out = ["def rhs_numpy(y, active, P, K, O, L, A):",
           '    """Derivatives of all subjects: y (S, n), active (S, L); P parameters, K agent constants."""',
           "    dy = np.empty_like(y)"]
    out += _np_state_reads("    ")
    for scope, name, expr in eq.QUANTITIES:
        out.append(f"    {name} = {_np(expr, scope, f'quantity {name}')}")
    sym = symbols()
    for name, expr in eq.RATES.items():
        scope = sym.scope[name]
        width = {"lesion": "L", "systemic": "1", "agent": "A"}[scope]
        out.append(f"    dy[:, O.{name}:O.{name} + {width}] = {_np(expr, scope, f'rate of {name}')}")
    out.append("    return dy")
    out.append("")
    out.append("")
    out += ["def event_numpy(y, active, P, K, EV, O, L, A):",
            '    """Apply one event per row (rows already selected): y (R, n), active (R, L) changed in place."""']
    out += _np_state_reads("    ")
    for scope, name, expr in eq.EVENT:
        value = _np(expr, scope, f"event line {name}")
        kind = sym.kind[name]
        if kind in ("state", "aux"):
            out.append(f"    {name}[...] = {value}")
        else:
            out.append(f"    {name} = {value}")
    out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- scalar
class _ScalarWriter:
    """Turns the equations into straight-line code over one subject.

    Consecutive lesion (or agent) statements share one loop; a quantity is a local float inside its loop
    and is stored in the work array only when a later loop or reduction reads it. Reductions
    (sum_lesions, prod_agents) inside systemic statements become their own loops, emitted just before.
    """

    def __init__(self, param_index, lesion_param_index, lesion_quantities, agent_quantities, vector_math=False):
        self.param_index = param_index
        self.lesion_param_index = lesion_param_index
        self.vector_math = vector_math  # exp, log and ** of model/vmath.py (the right-hand side) or the C library's
        self.lq = lesion_quantities  # name -> row of the lesion work array
        self.aq = agent_quantities
        self.counter = 0
        self.lines: list[str] = []
        self.local: set[str] = set()  # quantities held as locals in the loop being written

    def name(self, n: str, loop: str | None) -> str:
        sym = symbols()
        kind, scope = sym.kind[n], sym.scope[n]
        if scope == "systemic":
            if kind == "state":
                return f"y[O_{n}]"
            if kind == "event_data":
                return f"ev_systemic[{[k for k, s in eq.EVENT_DATA.items() if s == 'systemic'].index(n)}]"
            return n  # parameters are unpacked into locals; quantities and temps are locals
        index = "i" if scope == "lesion" else "a"
        if loop != scope:
            raise ValueError(f"{n} used outside its loop")
        if kind == "state":
            return f"y[O_{n} + {index}]"
        if kind == "parameter":
            return f"lpar[{self.lesion_param_index[n]}, i]"
        if kind == "agent_parameter":
            return f"apar[{eq.AGENT_PARAMETERS.index(n)}, a]"
        if kind == "aux":
            return "active[i]"
        if kind == "event_data":
            return f"ev_{scope}[{list(k for k, s in eq.EVENT_DATA.items() if s == scope).index(n)}, {index}]"
        if kind in ("quantity", "event_temp"):
            if n in self.local:
                return f"_{n}"
            return f"wl[{self.lq[n]}, i]" if scope == "lesion" else f"wa[{self.aq[n]}, a]"
        raise ValueError(n)

    def expr(self, node: ast.AST, loop: str | None, indent: str) -> str:
        """Source of ``node`` evaluated inside ``loop`` (None, 'lesion', 'agent'); reductions emitted first."""
        if isinstance(node, ast.Call):
            fname = node.func.id
            if fname in ("sum_lesions", "prod_agents"):
                if loop is not None:
                    raise ValueError("a reduction inside a lesion or agent expression is not supported")
                self.counter += 1
                acc = f"_r{self.counter}"
                inner_loop = "lesion" if fname == "sum_lesions" else "agent"
                var, bound, op, init = ("i", "L", "+=", "0.0") if fname == "sum_lesions" else ("a", "A", "*=", "1.0")
                saved, self.local = self.local, set()
                body = self.expr(node.args[0], inner_loop, indent + "    ")
                self.local = saved
                self.lines.append(f"{indent}{acc} = {init}")
                self.lines.append(f"{indent}for {var} in range({bound}):")
                self.lines.append(f"{indent}    {acc} {op} {body}")
                return acc
        if isinstance(node, ast.Name):
            return self.name(node.id, loop)
        return _render(node, lambda child: self.expr(child, loop, indent), self.vector_math)

    def write(self, statements):
        """statements: (scope, target name, target source, expression, context) in order of evaluation."""
        parsed = []
        for scope, name, target, expr, context in statements:
            node = parse(expr)
            check(scope, node, context)
            parsed.append((scope, name, target, node))
        k = 0
        while k < len(parsed):
            scope = parsed[k][0]
            if scope == "systemic":
                _, _, target, node = parsed[k]
                value = self.expr(node, None, "    ")
                self.lines.append(f"    {target} = {value}")
                k += 1
                continue
            group_end = k
            while group_end < len(parsed) and parsed[group_end][0] == scope:
                group_end += 1
            group = parsed[k:group_end]
            later = set()
            for _, _, _, node in parsed[group_end:]:
                later |= names_in(node)
            var, bound = ("i", "L") if scope == "lesion" else ("a", "A")
            self.lines.append(f"    for {var} in range({bound}):")
            self.local = set()
            for _, name, target, node in group:
                value = self.expr(node, scope, "        ")
                kind = symbols().kind.get(name)
                if kind in ("quantity", "event_temp"):
                    self.lines.append(f"        _{name} = {value}")
                    self.local.add(name)
                    if name in later:
                        store = f"wl[{self.lq[name]}, i]" if scope == "lesion" else f"wa[{self.aq[name]}, a]"
                        self.lines.append(f"        {store} = _{name}")
                else:
                    self.lines.append(f"        {target} = {value}")
            self.local = set()
            k = group_end


def _render(node: ast.AST, sub, vector_math: bool) -> str:
    """Source of a call (other than a reduction), constant or operator whose operands ``sub`` renders: the part
    of the expression language that the scalar and the lanes writers share (names and reductions are their own).
    ``vector_math``: exp, log and ** of model/vmath.py instead of the C library's."""
    if isinstance(node, ast.Call):
        fname = node.func.id
        args = [sub(a) for a in node.args]
        if fname == "where":
            return f"({args[1]} if {args[0]} else {args[2]})"
        if fname in ("exp", "log"):
            return f"v{fname}({args[0]})" if vector_math else f"math.{fname}({args[0]})"
        return f"{fname}({', '.join(args)})"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and vector_math:
        return f"vpow({sub(node.left)}, {sub(node.right)})"
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, ast.BinOp):
        return f"({sub(node.left)} {_OPS[type(node.op)]} {sub(node.right)})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"(-{sub(node.operand)})"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return f"({sub(node.left)} {_OPS[type(node.ops[0])]} {sub(node.comparators[0])})"
    raise ValueError(f"unsupported expression {ast.unparse(node)!r}")


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.Gt: ">", ast.Lt: "<",
        ast.GtE: ">=", ast.LtE: "<="}


class _LanesWriter:
    """The right-hand side for a fixed number of lesions L and agents A, over W subjects at once ("lanes").

    Every per-subject array is flat with the lanes last: element (j, w) of the state sits at j * W + w, of the
    parameters at p * W + w, of the lesion parameters at (k * L + i) * W + w, of ``active`` at i * W + w. Lesion
    and agent loops are unrolled (lesion i's quantity q is the local ``l_q_i``), reductions become sums and
    products written out in the scalar loops' order, and the body is straight-line code inside one loop over the
    lanes, which the compiler vectorises (engine/lanes.py sets the LLVM option this needs). Indices are unsigned so
    that numba emits no negative-index wrap-around, which LLVM cannot analyse; the derivatives are stored after
    every read. Arithmetic is the scalar writer's, operation for operation, so a subject's derivatives are the
    same bit for bit in every lane, with any W, and in the scalar kernel.
    """

    def __init__(self, param_index, lesion_param_index, n_lesions, n_agents, lanes):
        self.param_index = param_index
        self.lesion_param_index = lesion_param_index
        self.L, self.A, self.W = n_lesions, n_agents, lanes
        self.offsets = state_offsets(n_lesions, n_agents)
        self.lines: list[str] = []
        self.stores: list[str] = []

    def at(self, array: str, row: int) -> str:
        return f"{array}[np.uint64({row * self.W}) + w]"

    def name(self, n: str, index: int | None) -> str:
        sym = symbols()
        kind, scope = sym.kind[n], sym.scope[n]
        if scope == "systemic":
            if kind == "state":
                return self.at("y", self.offsets[n])
            if kind == "parameter":
                return self.at("par", self.param_index[n])
            if kind == "quantity":
                return f"s_{n}"
            raise ValueError(f"{n}: {kind} not supported in the lanes right-hand side")
        if index is None:
            raise ValueError(f"{n} used outside its loop")
        if kind == "state":
            return self.at("y", self.offsets[n] + index)
        if kind == "parameter":
            return self.at("lpar", self.lesion_param_index[n] * self.L + index)
        if kind == "agent_parameter":
            return f"apar[{eq.AGENT_PARAMETERS.index(n)}, {index}]"
        if kind == "aux":
            return self.at("active", index)
        if kind == "quantity":
            return f"{scope[0]}_{n}_{index}"
        raise ValueError(f"{n}: {kind} not supported in the lanes right-hand side")

    def expr(self, node: ast.AST, index: int | None) -> str:
        if isinstance(node, ast.Call):
            fname = node.func.id
            if fname in ("sum_lesions", "prod_agents"):
                count, op, init = (self.L, "+", "0.0") if fname == "sum_lesions" else (self.A, "*", "1.0")
                acc = init
                for k in range(count):
                    acc = f"({acc} {op} {self.expr(node.args[0], k)})"
                return acc
        if isinstance(node, ast.Name):
            return self.name(node.id, index)
        return _render(node, lambda child: self.expr(child, index), vector_math=True)

    def write(self):
        sym = symbols()
        statements = [(scope, name, expr) for scope, name, expr in eq.QUANTITIES]
        statements += [(sym.scope[name], name, expr) for name, expr in eq.RATES.items()]
        k = 0
        while k < len(statements):
            scope = statements[k][0]
            end = k
            while end < len(statements) and statements[end][0] == scope:
                end += 1
            count = {"systemic": 1, "lesion": self.L, "agent": self.A}[scope]
            for index in range(count):  # the scalar writer's loop order: index outside, statements inside
                for _, name, expr in statements[k:end]:
                    node = parse(expr)
                    check(scope, node, f"{name} (lanes)")
                    idx = None if scope == "systemic" else index
                    value = self.expr(node, idx)
                    if sym.kind[name] == "state":
                        row = self.offsets[name] + (0 if idx is None else idx)
                        self.lines.append(f"        d_{row} = {value}")
                        self.stores.append(f"        {self.at('dy', row)} = d_{row}")
                    else:
                        self.lines.append(f"        {self.name(name, idx)} = {value}")
            k = end


def state_count(n_lesions: int, n_agents: int) -> int:
    """Length of a subject's state vector."""
    return len(LESION_STATES) * n_lesions + len(SYSTEMIC_STATES) + len(DRUG_STATES) * n_agents


def lanes_source(n_lesions: int, n_agents: int, lanes: int) -> str:
    """Source of ``rhs_lanes(y, dy, active, par, lpar, apar)`` for L lesions, A agents and W lanes (_LanesWriter);
    engine/lanes.py compiles it together with its integrator."""
    params, lesion_params, _, _ = _scalar_layout()
    writer = _LanesWriter({n: k for k, n in enumerate(params)}, {n: k for k, n in enumerate(lesion_params)},
                          n_lesions, n_agents, lanes)
    writer.write()
    out = [f"# right-hand side for {n_lesions} lesion(s), {n_agents} agent(s), {lanes} lanes: generated by",
           "# abscopal.model.codegen.lanes_source from model/equations.py",
           "def rhs_lanes(y, dy, active, par, lpar, apar):",
           f"    for w in range(np.uint64(y.shape[0]) // np.uint64({state_count(n_lesions, n_agents)})):"]
    out += writer.lines + writer.stores
    out.append("")
    return "\n".join(out)


def _scalar_layout():
    sym = symbols()
    params, lesion_params = parameters_used()
    lq, aq = {}, {}
    for scope, name, _ in list(eq.QUANTITIES) + [e for e in eq.EVENT if sym.kind[e[1]] == "event_temp"]:
        if scope == "lesion":
            lq.setdefault(name, len(lq))
        elif scope == "agent":
            aq.setdefault(name, len(aq))
    return params, lesion_params, lq, aq


def scalar_source() -> str:
    sym = symbols()
    params, lesion_params, lq, aq = _scalar_layout()
    pidx = {n: k for k, n in enumerate(params)}
    lidx = {n: k for k, n in enumerate(lesion_params)}
    unpack = [f"    {n} = par[{k}]" for k, n in enumerate(params)]

    index = {"lesion": "i", "agent": "a"}
    statements = []
    for scope, name, expr in eq.QUANTITIES:
        statements.append((scope, name, name, expr, f"quantity {name}"))
    for name, expr in eq.RATES.items():
        scope = sym.scope[name]
        target = f"dy[O_{name}]" if scope == "systemic" else f"dy[O_{name} + {index[scope]}]"
        statements.append((scope, name, target, expr, f"rate of {name}"))
    w = _ScalarWriter(pidx, lidx, lq, aq, vector_math=True)
    w.write(statements)
    rhs_body = w.lines

    statements = []
    for scope, name, expr in eq.EVENT:
        kind = sym.kind[name]
        if scope == "systemic":
            target = f"y[O_{name}]" if kind == "state" else name
        elif kind == "state":
            target = f"y[O_{name} + {index[scope]}]"
        elif kind == "aux":
            target = "active[i]"
        else:
            target = name
        statements.append((scope, name, target, expr, f"event line {name}"))
    w = _ScalarWriter(pidx, lidx, lq, aq)
    w.write(statements)
    event_body = w.lines

    offsets = [f"    O_{name} = offsets[{k}]" for k, name in enumerate(state_offsets(0, 0))]
    out = ["def rhs_scalar(y, dy, active, par, lpar, apar, offsets, wl, wa):",
           '    """Derivatives of one subject (plain floats; compiled by numba)."""',
           "    L = active.shape[0]",
           "    A = apar.shape[1]"]
    out += offsets + unpack + rhs_body
    out += ["", "", "def event_scalar(y, active, par, lpar, apar, offsets, wl, wa, ev_lesion, ev_systemic, ev_agent):",
            '    """Apply one event to one subject in place."""',
            "    L = active.shape[0]",
            "    A = apar.shape[1]"]
    out += offsets + unpack + event_body
    out.append("")
    header = [
        "",
        f"PARAMETERS = {tuple(params)!r}",
        f"LESION_PARAMETERS = {tuple(lesion_params)!r}",
        f"AGENT_PARAMETERS = {tuple(eq.AGENT_PARAMETERS)!r}",
        f"N_LESION_WORK = {len(lq)}",
        f"N_AGENT_WORK = {max(len(aq), 1)}",
        f"EVENT_LESION = {tuple(k for k, s in eq.EVENT_DATA.items() if s == 'lesion')!r}",
        f"EVENT_SYSTEMIC = {tuple(k for k, s in eq.EVENT_DATA.items() if s == 'systemic')!r}",
        f"EVENT_AGENT = {tuple(k for k, s in eq.EVENT_DATA.items() if s == 'agent')!r}",
        f"OFFSET_ORDER = {tuple(state_offsets(0, 0))!r}",
        "",
        "",
    ]
    return "\n".join(header + out)


def module_source() -> str:
    head = ('"""GENERATED by `python -m abscopal.model.codegen` from model/equations.py: do not edit.\n\n'
            'A test fails when this file differs from what the generator writes."""\n'
            "# ruff: noqa\n\nimport math\n\nimport numpy as np\n\nfrom abscopal.model.vmath import vexp, vlog, vpow\n\n")
    return head + scalar_source() + "\n\n" + numpy_source()


def main(argv=None) -> int:
    GENERATED.write_text(module_source())
    print(f"wrote {GENERATED}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
