"""Invariants of the flagship model (ARCHITECTURE.md: tests/property)."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abscopal.scenario.model import DrugDose, DrugRegimen, RadiotherapyBlock
from abscopal.simulate import simulate, simulate_many
from tests.helpers import human_base, mouse_base, scenario

FAST = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

diameters = st.floats(min_value=8.0, max_value=45.0)
mouse_volumes = st.floats(min_value=20.0, max_value=300.0)


def _lesion_series(result):
    d = result.to_dict()
    return {les["id"]: np.array(les["volume_mm3"]) for les in d["lesions"]}, np.array(d["alc_per_ul"])


@FAST
@given(d1=diameters, d2=diameters, alc=st.floats(500, 3000), species=st.sampled_from(["human", "mouse"]))
def test_zero_dose_and_zero_drug_equal_the_untreated_course(d1, d2, alc, species):
    """No RT and no drug (zero dose, zero mg) gives the untreated course to relative 1e-9."""
    if species == "human":
        doc = human_base(patient={"alc": f"{alc} /uL", "lesions": [
            {"id": "a", "site": "lung", "diameter": f"{d1} mm"}, {"id": "b", "site": "liver", "diameter": f"{d2} mm"}]})
        agent = "pembrolizumab"
    else:
        doc = mouse_base(patient={"lesions": [
            {"id": "a", "site": "flank", "diameter": f"{d1 / 5:.3f} mm"}, {"id": "b", "site": "flank", "diameter": f"{d2 / 6:.3f} mm"}]})
        agent = "anti-pd-l1"
    untreated = scenario(doc)
    zero_rt = RadiotherapyBlock(targets=("a",), lesion_ids=("a",), site=None, dose_per_fraction_gy=0.0, days=(0.0, 1.0, 2.0))
    zero_drug = DrugRegimen(agent=agent, dose=DrugDose(0.0, "mg"), days=(0.0, 21.0))
    treated = dataclasses.replace(untreated, radiotherapy=(zero_rt,), drugs=(zero_drug,))
    a, b = simulate_many([untreated, treated])
    (va, alca), (vb, alcb) = _lesion_series(a), _lesion_series(b)
    for lid in va:
        np.testing.assert_allclose(vb[lid], va[lid], rtol=1e-9, atol=0)
    np.testing.assert_allclose(alcb, alca, rtol=1e-9)


@FAST
@given(v=mouse_volumes, low=st.floats(1.0, 15.0), extra=st.floats(0.5, 20.0), fractions=st.integers(1, 5),
       tumour=st.sampled_from(["tsa", "ct26", "4t1", "b16f10"]))
def test_t_cell_deficient_higher_dose_leaves_no_more_surviving_cells(v, low, extra, fractions, tumour):
    """Without T cells, a higher dose per fraction never leaves more viable cells in the irradiated lesion."""
    def run(dose):
        doc = mouse_base(tumour=tumour, host={"immune": "t_cell_deficient"},
                         patient={"lesions": [{"id": "primary", "site": "flank", "volume": f"{v} mm^3"}]},
                         radiotherapy=[{"lesions": ["primary"], "dose": f"{dose} Gy", "fractions": fractions}])
        return simulate(scenario(doc)).trajectory.viable_cells[:, 0]
    cells_low, cells_high = run(low), run(low + extra)
    assert np.all(cells_high <= cells_low * (1 + 1e-9) + 1e-12)
    assert cells_high[-1] < cells_low[-1]


@FAST
@given(perm=st.permutations([0, 1, 2]), rt_target=st.integers(0, 2), ds=st.lists(diameters, min_size=3, max_size=3))
def test_reordering_lesions_changes_no_lesion(perm, rt_target, ds):
    sites = ["lung", "liver", "bone"]
    lesions = [{"id": f"L{k}", "site": sites[k], "diameter": f"{ds[k]} mm"} for k in range(3)]
    base = dict(patient={"lesions": lesions}, radiotherapy=[{"lesions": [f"L{rt_target}"], "dose": "8 Gy", "fractions": 3}],
                drugs=[{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks", "start": "day 0"}])
    shuffled = dict(base, patient={"lesions": [lesions[k] for k in perm]})
    a, b = simulate_many([scenario(human_base(**base)), scenario(human_base(**shuffled))])
    (va, alca), (vb, alcb) = _lesion_series(a), _lesion_series(b)
    for lid in va:
        np.testing.assert_allclose(vb[lid], va[lid], rtol=1e-9)
    np.testing.assert_allclose(alcb, alca, rtol=1e-9)


@FAST
@given(ds=st.lists(diameters, min_size=2, max_size=4), dose=st.sampled_from(["8 Gy", "20 Gy", "2 Gy"]),
       host=st.sampled_from(["t_cell_deficient", "cd8_depleted"]),
       drug=st.sampled_from([None, "pembrolizumab", "ipilimumab"]))
def test_no_non_irradiated_lesion_shrinks_without_t_cells(ds, dose, host, drug):
    lesions = [{"id": f"L{k}", "site": s, "diameter": f"{d} mm"} for k, (d, s) in enumerate(zip(ds, ["lung", "liver", "bone", "adrenal"], strict=False))]
    doc = human_base(host={"immune": host}, patient={"lesions": lesions},
                     radiotherapy=[{"lesions": ["largest"], "dose": dose, "fractions": 3}])
    if drug:
        doc["drugs"] = [{"agent": drug, "dose": "200 mg", "every": "3 weeks"}]
    result = simulate(scenario(doc))
    for les in result.to_dict()["lesions"]:
        if not les["irradiated"]:
            v = np.array(les["volume_mm3"])
            assert np.all(np.diff(v) >= -1e-9 * v[:-1]), les["id"]
            assert les["best_change_pct"] >= -1e-6
