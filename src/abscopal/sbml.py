"""SBML level 3 version 1 export of one subject of the flagship model (``abscopal sbml FILE --out PATH``).

The export is generated from the same parsed equations (model/equations.py) as the NumPy and compiled
engines, so there is no second copy of the model to keep in step:
  * every state (per lesion slot, systemic, per drug compartment) is a non-constant parameter with a
    ``rateRule`` (equations.RATES);
  * every quantity (equations.QUANTITIES) is an ``assignmentRule``, lesion and agent quantities unrolled
    over the subject's lesions and drugs, ``sum_lesions`` / ``prod_agents`` expanded into sums and products;
  * every treatment day (RT fraction, drug dose, lesion appearance) is one SBML event at ``time >= day``
    whose assignments are the sequential jumps of equations.EVENT composed into simultaneous ones (SBML
    evaluates all assignments of an event on the values before it); the event data (LQ survival, covered
    dose, lymphocyte survival, drug amounts) are numbers computed by the same code as for the engines
    (model/batch.py);
  * ``min``, ``max`` and ``where`` become MathML ``piecewise`` (SBML L3V1 has no min/max);
  * the observable of each lesion, ``measured_volume__<slot>`` (mm^3: viable and doomed cells over the cell
    density, plus stroma), is an assignment rule.
Element ids carry the slot (``__L0`` ... per lesion, ``__A0`` ... per drug); the ``name`` attribute gives
the lesion id or agent key of the scenario. Time is in days.

Not exported: the engines keep non-negative states at or above zero after every step (a guard against
round-off that the exact solution never needs); SBML has no such clamp.
"""

from __future__ import annotations

import ast
import copy
import math
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from .model import codegen
from .model import equations as eq
from .model.batch import Batch
from .model.state import DRUG_STATES, LESION_STATES, SYSTEMIC_STATES

MATHML = "http://www.w3.org/1998/Math/MathML"
SBML_NS = "http://www.sbml.org/sbml/level3/version1/core"
TIME_URL = "http://www.sbml.org/sbml/symbols/time"


def sid(name: str, lesion: int | None = None, agent: int | None = None) -> str:
    """SBML id of a model name in a lesion slot or agent column."""
    if lesion is not None:
        return f"{name}__L{lesion}"
    if agent is not None:
        return f"{name}__A{agent}"
    return name


# ------------------------------------------------------------------------------------ flattening
class _Flatten:
    """Equation-language AST -> plain AST over SBML ids (reductions unrolled, event data as numbers)."""

    def __init__(self, L: int, A: int, event_values: dict[str, float] | None = None):
        self.L, self.A = L, A
        self.event_values = event_values or {}
        self.sym = codegen.symbols()

    def __call__(self, node: ast.AST, lesion: int | None = None, agent: int | None = None) -> ast.expr:
        if isinstance(node, ast.Call):
            fname = node.func.id
            if fname == "sum_lesions":
                terms = [self(node.args[0], lesion=k) for k in range(self.L)]
                return _chain(ast.Add(), terms, 0.0)
            if fname == "prod_agents":
                terms = [self(node.args[0], agent=a) for a in range(self.A)]
                return _chain(ast.Mult(), terms, 1.0)
            args = [self(a, lesion, agent) for a in node.args]
            if fname == "where":
                cond = _fold(args[0])
                if isinstance(cond, ast.Constant):
                    return args[1] if cond.value else args[2]
            if all(isinstance(a, ast.Constant) for a in args) and fname in _FOLD:
                return ast.Constant(float(_FOLD[fname](*(a.value for a in args))))
            return ast.Call(ast.Name(fname, ast.Load()), args, [])
        if isinstance(node, ast.Name):
            scope = self.sym.scope[node.id]
            kind = self.sym.kind[node.id]
            key = sid(node.id, lesion if scope == "lesion" else None, agent if scope == "agent" else None)
            if kind == "event_data":
                return ast.Constant(float(self.event_values[key]))
            return ast.Name(key, ast.Load())
        if isinstance(node, ast.Constant):
            return ast.Constant(float(node.value))
        if isinstance(node, ast.BinOp):
            left, right = self(node.left, lesion, agent), self(node.right, lesion, agent)
            if isinstance(left, ast.Constant) and isinstance(right, ast.Constant):
                return ast.Constant(float(_BINOPS[type(node.op)](left.value, right.value)))
            return ast.BinOp(left, node.op, right)
        if isinstance(node, ast.UnaryOp):
            return ast.UnaryOp(node.op, self(node.operand, lesion, agent))
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return ast.Compare(self(node.left, lesion, agent), node.ops, [self(node.comparators[0], lesion, agent)])
        raise ValueError(f"SBML export: unsupported expression {ast.unparse(node)!r}")


_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b}
_FOLD = {"exp": math.exp, "log": math.log, "min": min, "max": max}


def _chain(op, terms, empty):
    if not terms:
        return ast.Constant(empty)
    out = terms[0]
    for t in terms[1:]:
        out = ast.BinOp(out, op, t)
    return out


_COMPARE = {ast.Gt: lambda a, b: a > b, ast.Lt: lambda a, b: a < b, ast.GtE: lambda a, b: a >= b,
            ast.LtE: lambda a, b: a <= b}


def _fold(node):
    """Fold a comparison of two numbers (event data) into a constant."""
    if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant)
            and isinstance(node.comparators[0], ast.Constant)):
        return ast.Constant(_COMPARE[type(node.ops[0])](node.left.value, node.comparators[0].value))
    return node


class _Substitute(ast.NodeTransformer):
    def __init__(self, current: dict[str, ast.expr]):
        self.current = current

    def visit_Name(self, node):
        return copy.deepcopy(self.current[node.id]) if node.id in self.current else node


# ------------------------------------------------------------------------------------ MathML
def _cn(value: float) -> str:
    if math.isnan(value):
        return "<notanumber/>"
    if math.isinf(value):
        return "<infinity/>" if value > 0 else "<apply><minus/><infinity/></apply>"
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f'<cn type="e-notation"> {mantissa} <sep/> {int(exponent)} </cn>'
    return f"<cn> {text} </cn>"


_MATH_OPS = {ast.Add: "plus", ast.Sub: "minus", ast.Mult: "times", ast.Div: "divide", ast.Pow: "power"}
_MATH_CMP = {ast.Gt: "gt", ast.Lt: "lt", ast.GtE: "geq", ast.LtE: "leq"}


def mathml(node: ast.AST) -> str:
    """Content MathML of a flattened expression."""
    if isinstance(node, ast.Constant):
        return _cn(float(node.value))
    if isinstance(node, ast.Name):
        if node.id == "time":
            return f'<csymbol encoding="text" definitionURL="{TIME_URL}"> time </csymbol>'
        return f"<ci> {node.id} </ci>"
    if isinstance(node, ast.BinOp):
        return f"<apply><{_MATH_OPS[type(node.op)]}/>{mathml(node.left)}{mathml(node.right)}</apply>"
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return f"<apply><minus/>{mathml(node.operand)}</apply>"
        return mathml(node.operand)
    if isinstance(node, ast.Compare):
        return f"<apply><{_MATH_CMP[type(node.ops[0])]}/>{mathml(node.left)}{mathml(node.comparators[0])}</apply>"
    if isinstance(node, ast.Call):
        fname = node.func.id
        args = [mathml(a) for a in node.args]
        if fname == "exp":
            return f"<apply><exp/>{args[0]}</apply>"
        if fname == "log":
            return f"<apply><ln/>{args[0]}</apply>"
        if fname in ("min", "max"):
            cmp = "leq" if fname == "min" else "geq"
            return (f"<piecewise><piece>{args[0]}<apply><{cmp}/>{args[0]}{args[1]}</apply></piece>"
                    f"<otherwise>{args[1]}</otherwise></piecewise>")
        if fname == "where":
            return f"<piecewise><piece>{args[1]}{args[0]}</piece><otherwise>{args[2]}</otherwise></piecewise>"
    raise ValueError(f"SBML export: unsupported expression {ast.unparse(node)!r}")


def _math(node: ast.AST) -> str:
    return f'<math xmlns="{MATHML}">{mathml(node)}</math>'


# ------------------------------------------------------------------------------------ the document
def _state_ids(L: int, A: int) -> list[str]:
    """SBML ids of the state vector in the engine's layout order (model/state.py)."""
    ids = [sid(name, lesion=k) for name, _, _ in LESION_STATES for k in range(L)]
    ids += [name for name, _, _ in SYSTEMIC_STATES]
    ids += [sid(name, agent=a) for name, _, _ in DRUG_STATES for a in range(A)]
    return ids


def state_vector(rr, batch: Batch) -> np.ndarray:
    """The current state of a libRoadRunner instance of the export, in the engine's layout (one subject)."""
    return np.array([rr[i] for i in _state_ids(batch.L, batch.A)])


def subject_sbml(subject, *, model_id: str = "abscopal_flagship", notes: str = "") -> str:
    """SBML L3V1 text of one subject of the flagship model with its treatment events."""
    batch = Batch([subject])
    L, A = batch.L, batch.A
    sym = codegen.symbols()
    flat = _Flatten(L, A)
    p, k = batch.p, batch.k
    lesion_names = [les.id for les in subject.lesions]
    agent_names = list(batch.agents)

    def label(name, lesion=None, agent=None):
        if lesion is not None:
            return f"{name} ({lesion_names[lesion]})"
        if agent is not None:
            return f"{name} ({agent_names[agent]})"
        return name

    params: list[tuple[str, str, float, bool]] = []  # id, name, value, constant
    systemic_params, lesion_params = codegen.parameters_used()
    for name in systemic_params:
        params.append((name, name, float(np.broadcast_to(getattr(p, name), (1, 1))[0, 0]), True))
    for name in lesion_params:
        values = np.broadcast_to(getattr(p, name), (1, L))[0]
        params += [(sid(name, lesion=j), label(name, lesion=j), float(values[j]), True) for j in range(L)]
    for name in eq.AGENT_PARAMETERS:
        params += [(sid(name, agent=a), label(name, agent=a), float(getattr(k, name)[a]), True) for a in range(A)]

    y0, active0 = batch.initial_state()
    for (sbml_id, value), (name, j, a) in zip(zip(_state_ids(L, A), y0[0], strict=True), _state_slots(L, A), strict=True):
        params.append((sbml_id, label(name, j, a), float(value), False))
    params += [(sid("active", lesion=j), label("active", lesion=j), float(active0[0, j]), False) for j in range(L)]

    rules: list[str] = []

    def slots(scope):
        if scope == "lesion":
            return [{"lesion": j} for j in range(L)]
        if scope == "agent":
            return [{"agent": a} for a in range(A)]
        return [{}]

    for scope, name, expr in eq.QUANTITIES:
        node = codegen.parse(expr)
        for where in slots(scope):
            qid = sid(name, **where)
            params.append((qid, label(name, **where), 0.0, False))
            rules.append(f'<assignmentRule variable="{qid}">{_math(flat(node, **where))}</assignmentRule>')
    for j in range(L):
        vid = sid("measured_volume", lesion=j)
        params.append((vid, f"measured volume (mm^3) of lesion {lesion_names[j]}", 0.0, False))
        node = codegen.parse("((cells + doomed) / cell_density + stroma) * active")
        rules.append(f'<assignmentRule variable="{vid}">{_math(flat(node, lesion=j))}</assignmentRule>')
    for name, expr in eq.RATES.items():
        node = codegen.parse(expr)
        for where in slots(sym.scope[name]):
            rules.append(f'<rateRule variable="{sid(name, **where)}">{_math(flat(node, **where))}</rateRule>')

    events = [_event(batch, e, sym) for e in range(batch.E) if np.isfinite(batch.ev_time[0, e])]

    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<sbml xmlns="{SBML_NS}" level="3" version="1">',
           f'<model id="{model_id}" name={quoteattr(model_id)} timeUnits="day">']
    text = notes or "abscopal flagship model, one subject; time in days."
    out.append(f'<notes><body xmlns="http://www.w3.org/1999/xhtml"><p>{escape(text)}</p></body></notes>')
    out.append('<listOfUnitDefinitions><unitDefinition id="day"><listOfUnits>'
               '<unit kind="second" exponent="1" scale="0" multiplier="86400"/></listOfUnits></unitDefinition>'
               '</listOfUnitDefinitions>')
    out.append("<listOfParameters>")
    for pid, name, value, constant in params:
        out.append(f'<parameter id="{pid}" name={quoteattr(name)} value="{_value(value)}" constant="{str(constant).lower()}"/>')
    out.append("</listOfParameters>")
    out.append("<listOfRules>")
    out += rules
    out.append("</listOfRules>")
    if events:
        out.append("<listOfEvents>")
        out += events
        out.append("</listOfEvents>")
    out += ["</model>", "</sbml>", ""]
    return "\n".join(out)


def _state_slots(L: int, A: int) -> list[tuple[str, int | None, int | None]]:
    slots = [(name, j, None) for name, _, _ in LESION_STATES for j in range(L)]
    slots += [(name, None, None) for name, _, _ in SYSTEMIC_STATES]
    slots += [(name, None, a) for name, _, _ in DRUG_STATES for a in range(A)]
    return slots


def _value(value: float) -> str:
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


def _event(batch: Batch, e: int, sym) -> str:
    """One treatment day: the sequential jumps of equations.EVENT composed into simultaneous assignments."""
    L, A = batch.L, batch.A
    values: dict[str, float] = {}
    for name, scope in eq.EVENT_DATA.items():
        data = getattr(batch, name)[0, e]
        if scope == "lesion":
            values.update({sid(name, lesion=j): float(data[j]) for j in range(L)})
        elif scope == "agent":
            values.update({sid(name, agent=a): float(data[a]) for a in range(A)})
        else:
            values[name] = float(data)
    flat = _Flatten(L, A, values)
    current: dict[str, ast.expr] = {}  # id -> its value after the lines so far, over pre-event values
    changed: list[str] = []
    for scope, name, expr in eq.EVENT:
        node = codegen.parse(expr)
        wheres = [{"lesion": j} for j in range(L)] if scope == "lesion" else (
            [{"agent": a} for a in range(A)] if scope == "agent" else [{}])
        updates = {}
        for where in wheres:
            target = sid(name, **where)
            value = _Substitute(current).visit(flat(node, **where))
            if _unchanged(value, target):
                continue
            updates[target] = value
        for target, value in updates.items():
            current[target] = value
            if sym.kind[name] != "event_temp" and target not in changed:
                changed.append(target)
    day = float(batch.ev_time[0, e])
    trigger = ast.Compare(ast.Name("time", ast.Load()), [ast.GtE()], [ast.Constant(day)])
    assignments = "".join(f'<eventAssignment variable="{t}">{_math(current[t])}</eventAssignment>' for t in changed)
    return (f'<event id="treatment_{e}" name="day {day:g}" useValuesFromTriggerTime="true">'
            f'<trigger initialValue="false" persistent="true">{_math(trigger)}</trigger>'
            f"<listOfEventAssignments>{assignments}</listOfEventAssignments></event>")


def _unchanged(value: ast.expr, target: str) -> bool:
    """The jump leaves ``target`` as it is (x * 1, x + 0, x - 0): no assignment needed."""
    if isinstance(value, ast.Name):
        return value.id == target
    if isinstance(value, ast.BinOp) and isinstance(value.left, ast.Name) and value.left.id == target:
        right = value.right
        if isinstance(right, ast.Constant):
            if isinstance(value.op, ast.Mult | ast.Div) and right.value == 1.0:
                return True
            if isinstance(value.op, ast.Add | ast.Sub) and right.value == 0.0:
                return True
    return False


def scenario_sbml(scenario) -> str:
    """SBML of the scenario's subject (the scenario as written; a population block is not sampled)."""
    from .model.subject import subject_from_scenario

    subject = subject_from_scenario(scenario)
    notes = (f"abscopal flagship model: {scenario.species} {scenario.tumour}, {len(subject.lesions)} lesions, "
             f"drugs {', '.join(subject.agents) or 'none'}; treatment days are SBML events. Time in days, "
             f"lesion volumes in mm^3 (measured_volume__L*).")
    return subject_sbml(subject, notes=notes)
