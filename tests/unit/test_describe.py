"""docs/model.md is generated from the one model definition (model/equations.py) and kept current.

* docs/model.md is what ``abscopal describe`` writes today (no stale or hand-edited copy);
* every line of QUANTITIES, RATES and EVENT appears, rendered, in the generated text;
* the rendering is faithful: each rendered formula, read back, evaluates to the same number as the
  expression of equations.py at random values of every name (so a dropped parenthesis cannot change a
  formula in the docs);
* no mechanism docstring states a rate, jump or quantity of equations.py: a docstring's indented formula
  lines define only what is computed before the solve (event data, derived inputs), so prose and equations
  cannot drift apart again.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest

from abscopal.model import codegen
from abscopal.model import equations as eq
from abscopal.model.describe import MECHANISM_MODULES, describe, equation_lines
from abscopal.model.formula import render, to_python

ROOT = Path(__file__).resolve().parents[2]
MODEL_MD = ROOT / "docs" / "model.md"

# Left-hand sides a mechanism docstring may define in an indented formula line: quantities computed in Python
# before the solve (event data and per-subject or per-drug constants), which equations.py does not define.
PRECOMPUTED = {
    "a",  # growth.gompertz_constant -> gompertz_a
    "S(d)", "S_c",  # radiation.covered_survival -> ev_tumour_surv
    "R_d",  # interferon.trex1_induction -> ev_trex1
    "f_exp", "d_b", "S_blood", "S_res", "S_node", "S_marrow", "S_TIL",  # lymphocytes.fraction_effect -> ev_*
    "S_bath",  # lymphocytes.bath_survival -> ev_alc
    "k10",  # pharmacokinetics: per-drug rate constants
}


def test_docs_model_is_up_to_date():
    assert MODEL_MD.read_text() == describe(file=False) + "\n", "run: abscopal describe > docs/model.md"


def test_every_line_of_the_equations_appears_in_the_generated_text():
    text = describe(file=False)
    statements = [f"{name} = {render(expr)}" for _, name, expr in eq.QUANTITIES]
    statements += [f"d {name}/dt = {render(expr)}" for name, expr in eq.RATES.items()]
    statements += [f"{name} <- {render(expr)}" for _, name, expr in eq.EVENT]
    assert len(statements) == len(equation_lines())
    for statement in statements:
        assert statement in text, statement
    known = {number for number, _, _ in MECHANISM_MODULES} | {"M11"}
    untagged = [line.name for line in equation_lines() if line.mechanism not in known]
    assert not untagged or "## Other lines of equations.py" in text


def _evaluate(expr: str, values: dict[str, float]) -> float:
    env = {"exp": math.exp, "log": math.log, "min": min, "max": max, "where": lambda c, a, b: a if c else b,
           "sum_lesions": lambda x: x, "prod_agents": lambda x: x, **values}
    return eval(compile(expr, "<expr>", "eval"), {"__builtins__": {}}, env)


TRICKY = ["kill_rate - (effectors - doomed)", "-(kill_rate ** 2)", "(-kill_rate) ** 2", "kill_rate / (effectors * doomed)",
          "kill_rate ** -doomed", "kill_rate ** (effectors ** doomed)", "(kill_rate ** effectors) ** doomed",
          "kill_rate / effectors / doomed", "kill_rate - -doomed", "where(kill_rate > 1.0, 2.0, 1e-09) * doomed"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rendered_formulas_read_back_to_the_same_values(seed):
    rng = np.random.default_rng(seed)
    values = {name: float(rng.uniform(0.2, 1.8)) for name in codegen.symbols().scope}
    expressions = ([expr for _, _, expr in eq.QUANTITIES] + list(eq.RATES.values())
                   + [expr for _, _, expr in eq.EVENT] + TRICKY)
    for expr in expressions:
        back = to_python(render(expr))
        assert _evaluate(back, values) == pytest.approx(_evaluate(expr, values), rel=1e-12), (expr, render(expr))


def test_renderer_uses_symbols_and_drops_only_needless_parentheses():
    assert render("kill_rate * ratio / (1.0 + ratio / kill_saturation_ratio)") == "k_K · ratio / (1 + ratio / q_s)"
    assert render("(alc / alc_reference) ** alc_priming_exponent") == "(alc / ALC_ref)^n_A"
    assert render("where(flag_trafficking > 0.0, entry_systemic, 0.0)") == "(entry_systemic if flag_trafficking > 0 else 0)"


FORMULA_LINE = re.compile(r"^ {4,}(\S+)\s*(=|<-)\s")


@pytest.mark.parametrize("module", [m for _, _, m in MECHANISM_MODULES])
def test_mechanism_docstrings_state_no_line_of_the_equations(module):
    doc = __import__(f"abscopal.model.{module}", fromlist=["_"]).__doc__ or ""
    for line in doc.splitlines():
        if not line.startswith("    "):
            continue
        assert "<-" not in line, f"{module}: a jump belongs in equations.py (EVENT), not the docstring: {line.strip()}"
        assert not re.search(r"\bd\s*\S+\s*/\s*dt\b", line), f"{module}: a rate belongs in equations.py: {line.strip()}"
        m = FORMULA_LINE.match(line)
        if m:
            assert m.group(1) in PRECOMPUTED, (
                f"{module}: the docstring defines {m.group(1)!r}; equations of the dynamics are rendered from "
                "equations.py, a docstring may state only what is computed before the solve (PRECOMPUTED here)")
