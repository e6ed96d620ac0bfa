"""Every parameter override at either edge of its declared bounds runs (or is refused for ordering).

The bounds of :mod:`abscopal.scenario.bounds` promise that any value inside them is safe: a run that
crashes, hangs or gives a non-finite number at a bound means the bound is too wide. A single subject
(``simulate``) and a two-subject cohort (the compiled cohort engine) are both checked.
"""

from __future__ import annotations

import copy

import pytest

from abscopal.model.declarations import parameter_declarations
from abscopal.scenario.bounds import BOUNDS, bound_for
from abscopal.scenario.limits import INPUT_LIMITS
from tests.fuzz.engine import Case, _dump, examples, run_case

POOL = {example.name: example for example in examples()}
# the input limits are not overridable (tests/unit/test_safe_input.py checks they are refused)
EDGES = [(name, edge) for name in sorted(BOUNDS) if name not in INPUT_LIMITS for edge in ("low", "high")]


def _value(name: str, edge: str, species: str):
    bound, unit = bound_for(name, species), parameter_declarations()[name].unit
    value = bound.high if edge == "high" else (bound.low * 1.001 + 1e-9 if bound.low_open else bound.low)
    return value if unit in ("", "1") else f"{value:g} {unit}"


@pytest.mark.parametrize("example", ["nsclc_sbrt_pembrolizumab.yaml", "cohort_nsclc_sbrt_pembrolizumab.yaml",
                                     "trial_mouse_tsa_four_arms.yaml"])
def test_overrides_at_every_bound_run(example):
    failures = []
    for name, edge in EDGES:
        data = copy.deepcopy(POOL[example].data)
        data["overrides"] = {name: _value(name, edge, data["species"])}
        if "population" in data:
            data["population"]["size"] = 2
        outcome = run_case(Case(POOL[example], "bound_edge", [f"{name} {edge}"], _dump(data).encode()), limit_s=30.0)
        ordered = outcome.kind == "input_error" and "<=" in outcome.detail  # an ordered pair, refused on purpose
        if outcome.kind not in ("good", "solver") and not ordered:
            failures.append(f"{name} at {edge}: {outcome.kind} {outcome.detail[:160]}")
    assert failures == []
