"""``describe()``: the flagship model's mechanisms, equations and parameters (value, unit, source).

One definition: the equations printed under each mechanism are rendered from ``equations.py`` itself
(QUANTITIES, RATES, EVENT; ``formula.render``), the symbols from ``declarations.py``, the values from the
parameter files. A mechanism module's docstring holds only its prose and the formulas of what is computed
before the solve (event data such as the LQ survival of a fraction, derived inputs such as the Gompertz
constant), never a rate, jump or quantity of equations.py (tests/unit/test_describe.py checks both).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections import Counter
from typing import NamedTuple

from . import equations as eq
from .declarations import PARAMETERS, SITE_PARAMETERS
from .formula import parameter_symbols, render

MECHANISM_MODULES = [
    ("M1", "Tumour growth", "growth"),
    ("M2", "Radiation cell kill (LQ, doomed compartment)", "radiation"),
    ("M3", "Immunogenic cell death", "immunogenic_death"),
    ("M4", "Type I interferon, cGAS-STING and the Trex1 ceiling", "interferon"),
    ("M5", "Dendritic cells, priming and CTLA-4", "priming"),
    ("M6", "Circulation and trafficking to every lesion", "trafficking"),
    ("M7", "Killing and the PD-1/PD-L1 axis", "killing"),
    ("M8", "Immunosuppression", "suppression"),
    ("M9", "Lymphocyte radiosensitivity and ALC", "lymphocytes"),
    ("M10", "Drug pharmacokinetics and occupancy", "pharmacokinetics"),
    ("M12", "Host immune competence", "host"),
    ("M14", "Occult lesions", "occult"),
]

# The mechanism each quantity and rate of equations.py belongs to (kept here so that equations.py stays the
# expressions alone). A name not listed falls back to the mechanism most of its parameters belong to, then to
# "other"; every line is printed somewhere (tests/unit/test_describe.py).
MECHANISM_OF = {
    # quantities
    "occ": "M10", "treg_depletion": "M8",
    "cells": "M1", "total": "M1", "volume": "M1", "log_volume": "M1", "growth": "M1",
    "ratio": "M7", "engaged": "M7", "kill": "M7", "proliferation": "M7", "pdl1_target": "M7",
    "release": "M3", "uptake": "M3",
    "danger": "M4",
    "stimulation": "M5", "stimulation_total": "M5", "priming_signal": "M5", "priming_in": "M5",
    "costimulation": "M5", "expanding": "M5",
    "burden": "M8", "suppression_target": "M8",
    "entry_systemic": "M6", "entry_total": "M6", "active_count": "M6", "entry": "M6", "influx": "M6",
    "influx_total": "M6",
    # rates (a state's rate; its event jumps are tagged by the event data they read, below)
    "log_cells": "M1", "stroma": "M1", "doomed": "M2", "effectors": "M7", "pdl1": "M7", "suppression": "M8",
    "ifn": "M4", "trex1": "M4", "dc": "M5", "primed": "M5", "blood_effectors": "M6", "node": "M9", "alc": "M9",
    "marrow": "M9", "dc_abundance": "M11", "depot": "M10", "central": "M10", "peripheral": "M10",
}
OCCUPANCY_PREFIX = "o_"  # o_<target>: combined occupancy of a target (M10)
# An event line belongs to the mechanism of the event data it reads; lines that read none, by their target.
EVENT_DATA_MECHANISM = {
    "ev_activate": "M14", "ev_tumour_surv": "M2", "ev_ifn_dose": "M4", "ev_trex1": "M4", "ev_til_surv": "M9",
    "ev_node_surv": "M9", "ev_alc": "M9", "ev_blood": "M9", "ev_marrow": "M9", "ev_depot": "M10", "ev_central": "M10",
}
EVENT_TARGET_MECHANISM = {"stimulation_before": "M9"}
AGENT_PARAMETER_MEANING = {
    "ka": "absorption rate from the depot (1/day)", "k10": "elimination rate CL/V_c (1/day)",
    "k12": "central-to-peripheral rate Q/V_c (1/day)", "k21": "peripheral-to-central rate Q/V_p (1/day)",
    "vc": "central volume V_c (L)", "ec50": "concentration of half-maximal occupancy EC50 (ug/mL)",
    "treg": "Treg-depleting capacity of the drug (Fc-dependent anti-CTLA-4; 0..1)",
}
SCOPE_WORD = {"lesion": "lesion", "systemic": "subject", "agent": "drug"}

def _parameters_in(expr: str) -> list[str]:
    """Declared parameters an expression uses, in order of first appearance."""
    from .codegen import parse
    from .declarations import parameter_declarations

    decl = parameter_declarations()
    seen = []
    for node in ast.walk(parse(expr)):
        name = getattr(node, "id", None)
        if name in decl and name not in seen:
            seen.append(name)
    return seen


def _by_parameters(expr: str) -> str:
    from .declarations import parameter_declarations

    mechanisms = [parameter_declarations()[n].mechanism for n in _parameters_in(expr)]
    mechanisms = [m for m in mechanisms if m.startswith("M")]
    return Counter(mechanisms).most_common(1)[0][0] if mechanisms else "other"


class Line(NamedTuple):
    """One line of equations.py as docs/model.md prints it."""

    mechanism: str  # M1..M14, or "other"
    kind: str  # quantity | rate | event
    scope: str  # lesion | systemic | agent
    name: str
    statement: str  # rendered math (formula.render): "x = ...", "d x/dt = ...", "x <- ..."
    expression: str  # the expression string of equations.py


def equation_lines() -> list[Line]:
    """Every line of equations.py (QUANTITIES, RATES, EVENT), in its order, with its mechanism."""
    from .codegen import symbols

    sym = symbols()
    out = []
    for scope, name, expr in eq.QUANTITIES:
        mech = MECHANISM_OF.get(name) or ("M10" if name.startswith(OCCUPANCY_PREFIX) else _by_parameters(expr))
        out.append(Line(mech, "quantity", scope, name, f"{name} = {render(expr)}", expr))
    for name, expr in eq.RATES.items():
        out.append(Line(MECHANISM_OF.get(name) or _by_parameters(expr), "rate", sym.scope[name], name,
                        f"d {name}/dt = {render(expr)}", expr))
    for scope, name, expr in eq.EVENT:
        used = [n for n in eq.EVENT_DATA if re.search(rf"\b{n}\b", expr)]
        mech = next((EVENT_DATA_MECHANISM[n] for n in used if n in EVENT_DATA_MECHANISM), None)
        mech = mech or EVENT_TARGET_MECHANISM.get(name) or _by_parameters(expr)
        out.append(Line(mech, "event", scope, name, f"{name} <- {render(expr)}", expr))
    return out


def _comments(table: str) -> dict[str, str]:
    """The comment beside each entry ``"name": "scope",  # comment`` of a dict in equations.py."""
    source = inspect.getsource(eq)
    start = source.find(f"{table} = {{")
    if start < 0:
        return {}
    end = source.find("\n", source.find("}", start))
    found = re.findall(r'"(\w+)":\s*"\w+"\s*[,}]?\s*#\s*(.+)', source[start:end if end > 0 else None])
    return {name: text.strip() for name, text in found}


def _notation() -> list[str]:
    from ..agents.library import TARGETS

    out = ["## Notation", "",
           "The equations under each mechanism are rendered from `model/equations.py` (the table that also generates",
           "the NumPy and numba kernels and the SBML), so they are the model as it runs. States (table above) and",
           "intermediate quantities keep their names; a parameter appears as its symbol (the parameter table of its",
           "mechanism gives its name, unit, meaning and value; each block lists the symbols it borrows from other",
           "mechanisms). Each line is per lesion, per subject or per drug, as marked. Quantities are evaluated in the",
           "order given in the section 'Order of evaluation', then the rates; at a treatment or appearance event the",
           "jumps (`x <- ...`) apply in the order listed there, each seeing the ones before. `·` multiplies, `^` is a",
           "power, `ln` the natural log, `(a if c else b)` a choice, `Σ_lesions(x)` a sum over the subject's lesion",
           "slots and `Π_drugs(x)` a product over its drugs.", "",
           "Other names in the equations (inputs fixed per subject before the solve, per-drug constants, event data",
           "computed per event from the scenario):", "",
           "| name | per | meaning |", "|---|---|---|"]
    comments = _comments("SUBJECT_INPUTS")
    for name, scope in eq.SUBJECT_INPUTS.items():
        out.append(f"| `{name}` | {SCOPE_WORD[scope]} | {comments.get(name, 'input of the subject')} |")
    flags = ", ".join(f"`flag_{m}`" for m in eq.MECHANISM_FLAGS)
    out.append(f"| {flags} | subject | 1 when the scenario's `mechanisms:` key is on, else 0 |")
    for name in eq.AGENT_PARAMETERS:
        if not name.startswith("target_"):
            out.append(f"| `{name}` | drug | {AGENT_PARAMETER_MEANING.get(name, 'per-drug constant (pharmacokinetics.py)')} |")
    out.append(f"| `target_<T>`; `o_<T>` | drug; subject | 1 when the drug binds target T; combined occupancy of target T "
               f"(T: {', '.join(TARGETS)}) |")
    comments = _comments("AUX")
    for name, scope in eq.AUX.items():
        out.append(f"| `{name}` | {SCOPE_WORD[scope]} | {comments.get(name, 'auxiliary, changed by events only')} |")
    comments = _comments("EVENT_DATA")
    for name, scope in eq.EVENT_DATA.items():
        out.append(f"| `{name}` | {SCOPE_WORD[scope]} | event data: {comments.get(name, 'computed per event from the scenario')} |")
    out.append("")
    return out


def _equations_block(mechanism: str, lines) -> list[str]:
    """The rendered lines of one mechanism, grouped by kind, with the symbols it borrows from other mechanisms."""
    from .declarations import parameter_declarations

    mine = [line for line in lines if line.mechanism == mechanism]
    if not mine:
        return []
    out = ["Equations (rendered from `model/equations.py`):", "", "```"]
    for kind, heading in (("quantity", "quantities"), ("rate", "rates"), ("event", "at an event")):
        group = [line for line in mine if line.kind == kind]
        if group:
            out.append(heading)
            out += [f"  {SCOPE_WORD[line.scope]:<8}{line.statement}" for line in group]
    out.append("```")
    decl, symbol = parameter_declarations(), parameter_symbols()
    borrowed = []
    for line in mine:
        for p in _parameters_in(line.expression):
            if decl[p].mechanism != mechanism and p not in borrowed:
                borrowed.append(p)
    if borrowed:
        out += ["", "Symbols from other mechanisms: " + ", ".join(
            f"{symbol.get(p, p)} = `{p}` ({decl[p].mechanism})" for p in borrowed) + "."]
    out.append("")
    return out


def _order(lines) -> list[str]:
    quantities = ", ".join(f"{line.name} ({line.mechanism})" for line in lines if line.kind == "quantity")
    events = ", ".join(f"{line.name} ({line.mechanism})" for line in lines if line.kind == "event")
    return ["## Order of evaluation", "", f"Quantities, before the rates: {quantities}.", "",
            f"Jumps at an event, in order: {events}.", ""]


def _agent_tables() -> list[str]:
    from ..agents import all_agents

    out = ["## M10 agents: the drug library", "",
           "| species | agent | target | route | CL | V_c | V_p | Q | k_a | EC50 | t1/2 label (model) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for a in all_agents():
        e = a.entries
        out.append(
            f"| {a.species} | {a.key} | {a.target} | {a.route} | {e['clearance'].value:g} {e['clearance'].unit} | "
            f"{e['central_volume'].value:g} {e['central_volume'].unit} | {e['peripheral_volume'].value:g} | "
            f"{e['intercompartmental_clearance'].value:g} | {e['absorption_rate'].value:g} /day | {e['ec50'].value:g} ug/mL | "
            f"{a.value('half_life'):.3g} d ({a.terminal_half_life():.3g} d) |")
    out += ["", "Sources of every agent value:", ""]
    for a in all_agents():
        for name, entry in a.entries.items():
            out.append(f"- {a.species}/{a.key} `{name}` = {entry.value:g} {entry.unit}: {entry.provenance}")
    out.append("")
    return out


def describe(species: str = "human", tumour: str = "nsclc", *, markdown: bool = False, file=None) -> str:
    """Return (and print unless ``file is False``) the model description with one parameter set's values."""
    from ..parameters import load_parameter_set

    pset = load_parameter_set(species, tumour)
    from .state import DRUG_STATES, LESION_STATES, SYSTEMIC_STATES

    lines = equation_lines()
    out = [f"# The abscopal flagship model (values: {species}/{tumour})", "",
           "Generated by `abscopal describe`: the equations from `model/equations.py` itself, the symbols from",
           "`model/declarations.py`, the prose from the mechanism modules' docstrings, the values from the parameter",
           "files; do not edit by hand (regenerate with `abscopal describe > docs/model.md`; a test fails when this file",
           "is out of date). Each lesion i of a subject carries the lesion states;",
           "the subject carries the systemic states and three compartments per drug. Every mechanism below can be switched",
           "off with the scenario's `mechanisms:` keys (M3 immunogenic_death, M4 interferon and trex1, M5 priming and ctla4,",
           "M6 trafficking, M7 pd1_axis, M8 suppression, M9 lymphocyte_kill, M14 occult_lesions); M12 is `host.immune`.",
           "Values marked `assumption` are first estimates awaiting calibration (see the evidence issue).", "",
           "| state | scope | unit | meaning |", "|---|---|---|---|"]
    for scope, table in (("lesion", LESION_STATES), ("subject", SYSTEMIC_STATES), ("drug", DRUG_STATES)):
        out += [f"| `{name}` | {scope} | {unit} | {meaning} |" for name, meaning, unit in table]
    out.append("")
    out += _notation()
    for number, title, module in MECHANISM_MODULES:
        doc = importlib.import_module(f"abscopal.model.{module}").__doc__ or ""
        out += [f"## {number}: {title}", "", "```", doc.strip(), "```", ""]
        out += _equations_block(number, lines)
        params = [p for p in PARAMETERS if p.mechanism == number]
        if params:
            out += ["| parameter | symbol | value | unit | scope | meaning | source |", "|---|---|---|---|---|---|---|"]
            for p in params:
                e = pset[p.name]
                out.append(f"| `{p.name}` | {p.symbol} | {e.value:.4g} | {e.unit} | {p.scope} | {p.description} | {e.provenance} |")
            out.append("")
    out += _agent_tables()
    out += ["## M11: other immune agents", "",
            "GM-CSF and Flt3-L raise dendritic-cell abundance, a TLR3 agonist adds a danger signal, IL-2 and agonist "
            "anti-OX40 / anti-CD137 raise clonal expansion, IL-2 also multiplies the proliferation of a lesion's "
            "effectors by 1 + g_I2 o_IL2 (M7's proliferation term), anti-TGF-beta removes part of the TGF-beta-mediated "
            "suppression (RT-induced and the TGF-beta share of baseline, M8); each acts "
            "through its target's occupancy (agent tables above).", ""]
    out += _equations_block("M11", lines)
    params = [p for p in PARAMETERS if p.mechanism == "M11"]
    out += ["| parameter | symbol | value | unit | meaning | source |", "|---|---|---|---|---|---|"]
    for p in params:
        e = pset[p.name]
        out.append(f"| `{p.name}` | {p.symbol} | {e.value:.4g} | {e.unit} | {p.description} | {e.provenance} |")
    out.append("")
    known = {number for number, _, _ in MECHANISM_MODULES} | {"M11"}
    if any(line.mechanism not in known for line in lines):
        out += ["## Other lines of equations.py", "", "```"]
        out += [f"  {SCOPE_WORD[line.scope]:<8}{line.statement}" for line in lines if line.mechanism not in known]
        out += ["```", ""]
    out += _order(lines)
    out += ["## Readouts and limits", "", "| parameter | value | unit | meaning | source |", "|---|---|---|---|---|"]
    for p in PARAMETERS:
        if p.mechanism in ("readout", "limits"):
            e = pset[p.name]
            out.append(f"| `{p.name}` | {e.value:.4g} | {e.unit} | {p.description} | {e.provenance} |")
    out += ["", "## Site parameters (per lesion site)", "", "| parameter | symbol | unit | meaning |", "|---|---|---|---|"]
    for p in SITE_PARAMETERS:
        out.append(f"| `{p.name}` | {p.symbol} | {p.unit} | {p.description} |")
    text = "\n".join(out)
    if file is not False:
        print(text, file=file)
    return text
