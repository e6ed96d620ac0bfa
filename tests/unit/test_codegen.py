"""The one model definition (model/equations.py) and what is generated from it.

* _generated.py is what the generator writes today (no stale or hand-edited copy);
* the compiled cohort engine reproduces the NumPy engine on subjects that exercise every event kind
  (RT fractions with node irradiation, i.v. and i.p. drugs, a lesion that appears later) and the
  switchable paths (trafficking off);
* the checker rejects unknown names and scope errors, so a typo in equations.py cannot reach the engines.
"""

import ast

import numpy as np
import pytest

from abscopal.engine import integrate_batch
from abscopal.engine.compiled import run_compiled
from abscopal.engine.linear import ExactPK
from abscopal.model import codegen
from abscopal.model.batch import Batch
from abscopal.model.subject import subject_from_scenario
from abscopal.simulate import output_times
from tests.helpers import human_base, mouse_base, scenario


def test_generated_module_is_up_to_date():
    assert codegen.GENERATED.read_text() == codegen.module_source(), "run: python -m abscopal.model.codegen"


def test_checker_rejects_unknown_names_and_lesion_names_outside_a_reduction():
    with pytest.raises(ValueError, match="unknown name 'kil_rate'"):
        codegen.check("lesion", codegen.parse("kil_rate * effectors"), "test")
    with pytest.raises(ValueError, match="lesion name 'cells' used in a systemic expression"):
        codegen.check("systemic", codegen.parse("priming_rate * cells"), "test")
    codegen.check("systemic", codegen.parse("priming_rate * sum_lesions(cells)"), "test")  # allowed
    with pytest.raises(ValueError, match="unknown function"):
        codegen.check("lesion", codegen.parse("sqrt(cells)"), "test")


def test_every_state_has_a_rate_and_every_quantity_is_used():
    sym = codegen.symbols()
    states = {n for n, k in sym.kind.items() if k == "state"}
    assert states == set(codegen.eq.RATES)
    used = set()
    for _, _, expr in codegen.eq.QUANTITIES:
        used |= codegen.names_in(ast.parse(expr, mode="eval"))
    for expr in codegen.eq.RATES.values():
        used |= codegen.names_in(ast.parse(expr, mode="eval"))
    unused = {name for _, name, _ in codegen.eq.QUANTITIES} - used
    assert not unused


def _subjects():
    human = human_base(
        radiotherapy=[{"lesions": ["lung1"], "dose": "8 Gy", "fractions": 3, "nodes": True}],
        drugs=[{"agent": "ipilimumab", "dose": "3 mg/kg", "every": "3 weeks", "count": 4},
               {"agent": "nivolumab", "dose": "240 mg", "every": "2 weeks"}],
        simulation={"duration": "200 days"},
    )
    human["patient"]["lesions"].append({"id": "brain1", "site": "brain", "diameter": "6 mm", "appears": "day 40"})
    off = human_base(radiotherapy=[{"lesions": ["lung1"], "dose": "12 Gy", "fractions": 2}],
                     drugs=[{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks"}],
                     mechanisms={"trafficking": False, "occult_lesions": False}, simulation={"duration": "200 days"})
    human_subjects = [subject_from_scenario(scenario(doc), k) for k, doc in enumerate([human, off])]
    mouse = mouse_base(radiotherapy=[{"lesions": ["primary"], "dose": "8 Gy", "fractions": 3}],
                       drugs=[{"agent": "anti-ctla-4", "dose": "200 ug", "start": "day 2", "every": "3 days", "count": 3}, {"agent": "flt3l", "dose": "10 ug", "every": "1 day", "count": 5}])
    return [human_subjects, [subject_from_scenario(scenario(mouse), 0)]]


@pytest.mark.parametrize("group", [0, 1], ids=["human", "mouse"])
def test_compiled_engine_equals_numpy_engine(group):
    subjects = _subjects()[group]
    batch = Batch(subjects)
    t_out = output_times(200.0 if group == 0 else 30.0, 1.0)
    y0, active = batch.initial_state()
    ref, ref_status, _ = integrate_batch(batch.rhs, y0, active, t_out, batch.ev_time, batch.apply_events,
                                         nonnegative=batch.nonnegative(), rtol=1e-7, exact=ExactPK.of_batch(batch))
    out, status, steps = run_compiled(batch, t_out, rtol=1e-7, threads=1)
    assert (status == ref_status).all() and (status == 1).all()
    assert steps[:, 0].min() > 50  # it really integrated
    scale = np.maximum(np.abs(ref), 1e-6)
    assert np.max(np.abs(out - ref) / scale) < 1e-9
    volumes = [batch.readout(i, out[i], t_out)["volume_mm3"] for i in range(len(subjects))]
    assert all(np.isfinite(v).all() for v in volumes)


def test_compiled_results_do_not_depend_on_batch_composition_or_threads():
    subjects = _subjects()[0]
    t_out = output_times(200.0, 7.0)
    batch_all, batch_one = Batch(subjects), Batch(subjects[1:])
    together, _, _ = run_compiled(batch_all, t_out, threads=2)
    alone, _, _ = run_compiled(batch_one, t_out, threads=1)
    a = batch_all.readout(1, together[1], t_out)
    b = batch_one.readout(0, alone[0], t_out)
    for key in ("volume_mm3", "alc", "concentration"):
        np.testing.assert_array_equal(a[key], b[key])
