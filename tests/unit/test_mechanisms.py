"""Unit behaviour of single mechanisms (equations in docs/model.md)."""

import numpy as np
import pytest

from abscopal.model.interferon import trex1_induction
from abscopal.model.lymphocytes import blood_exposure, fraction_effect
from abscopal.model.radiation import tumour_survival
from abscopal.parameters import load_parameter_set
from abscopal.simulate import simulate, simulate_many
from tests.helpers import human_base, mouse_base, scenario


def ifn_per_fraction(dose, threshold=15.0, hill=6.0, tau=0.97):
    """IFN signal of one fraction from a Trex1-naive lesion (M4 event rule)."""
    return dose * (1.0 - tau * trex1_induction(dose, threshold, hill))


def test_ifn_per_fraction_peaks_between_8_and_13_gy_and_falls_above_the_trex1_threshold():
    pset = load_parameter_set("mouse", "tsa")
    doses = np.linspace(1, 30, 291)
    signal = ifn_per_fraction(doses, pset["trex1_threshold"].value, pset["trex1_hill"].value, pset["trex1_max_inhibition"].value)
    peak = doses[np.argmax(signal)]
    assert 8.0 <= peak <= 13.0
    assert ifn_per_fraction(20.0) < 0.5 * ifn_per_fraction(8.0)
    assert 3 * ifn_per_fraction(8.0) > 4 * ifn_per_fraction(20.0)  # 3 x 8 Gy primes more than 1 x 20 Gy
    assert ifn_per_fraction(30.0) > 0  # attenuated, not abolished


def test_lq_with_hypoxia_is_monotone_in_dose():
    s = tumour_survival(np.linspace(0, 40, 401), 0.3, 10.0, 0.15, 3.0)
    assert np.all(np.diff(s) < 0) and s[0] == pytest.approx(1.0)


SITE = {"tissue_perfusion": 1.0, "blood_volume_fraction": 0.25, "lymphocyte_density": 7e-6, "marrow_density": 0.0}
SPECIES = {"lymphocyte_alpha": 0.73, "lymphocyte_beta": 0.0, "blood_volume_ml": 5000.0}


def test_blood_kill_grows_with_field_size_beam_on_time_and_perfusion():
    base = fraction_effect(2.0, 200.0, 0.5, SITE, SPECIES, 1.0).blood_survival
    assert fraction_effect(2.0, 400.0, 0.5, SITE, SPECIES, 1.0).blood_survival < base
    assert fraction_effect(2.0, 200.0, 2.0, SITE, SPECIES, 1.0).blood_survival < base
    assert fraction_effect(2.0, 200.0, 0.5, dict(SITE, tissue_perfusion=0.1), SPECIES, 1.0).blood_survival > base
    assert fraction_effect(2.0, 200.0, 0.5, SITE, SPECIES, 0.46).blood_survival > base  # protons


def test_blood_exposure_saturates_with_complete_mixing_and_keeps_the_energy_balance():
    """M9: f = 1 - (1 - b V/V_B) exp(-Q V t/V_B); the blood-volume-weighted dose f d_b = d b V / V_B."""
    brain = {"tissue_perfusion": 0.5, "blood_volume_fraction": 0.04}
    f, d_b = blood_exposure(2.0, 1400.0, 2.0, brain, 5000.0)
    assert f == pytest.approx(1.0 - (1.0 - 56.0 / 5000.0) * np.exp(-0.28))  # whole brain, 2 min: ~25%
    assert f * d_b == pytest.approx(2.0 * 56.0 / 5000.0)
    short, _ = blood_exposure(2.0, 300.0, 1e-3, brain, 5000.0)
    assert short == pytest.approx((12.0 + 0.5 * 300.0 * 1e-3) / 5000.0, rel=1e-3)  # short beam: the linear sum
    long, d_long = blood_exposure(2.0, 1400.0, 600.0, brain, 5000.0)  # blood that comes back is not counted again
    assert 0.99 < long <= 1.0 and long * d_long == pytest.approx(2.0 * 56.0 / 5000.0)
    assert blood_exposure(2.0, 1e6, 1.0, brain, 5000.0) == pytest.approx((1.0, 2.0))  # all the blood in the field
    assert blood_exposure(2.0, 0.0, 1.0, brain, 5000.0) == (0.0, 0.0)


def test_nodal_irradiation_blunts_priming_and_the_abscopal_effect():
    """PRODUCT.md M9: elective nodal irradiation blunts priming (draining nodes in the field)."""
    def run(nodes):
        return mouse_base(radiotherapy=[{"lesions": ["primary"], "dose": "8 Gy", "fractions": 3, "nodes": nodes}],
                          drugs=[{"agent": "anti-ctla-4", "dose": "200 ug", "every": "3 days", "start": "day 2", "count": 3}])
    without, with_nodes = simulate_many([scenario(run(False)), scenario(run(True))])
    sec = lambda r: next(les for les in r.to_dict()["lesions"] if les["id"] == "secondary")["volume_mm3"][-1]  # noqa: E731
    assert sec(with_nodes) > sec(without)
    assert with_nodes.to_dict()["summary"]["alc_nadir_per_ul"] < without.to_dict()["summary"]["alc_nadir_per_ul"]


def test_until_progression_stops_dosing_at_the_progression_scan():
    doc = human_base(tumour="pancreas", drugs=[{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks", "until": "progression"}],
                     simulation={"duration": "400 days"})
    result = simulate(scenario(doc))
    day = result.to_dict()["summary"]["progression_day"]
    assert day is not None
    doses = result.to_dict()["drugs"][0]["dose_days"]
    assert doses and max(doses) <= day
    conc = np.array(result.to_dict()["drugs"][0]["concentration_ug_per_ml"])
    t = np.array(result.to_dict()["time_days"])
    assert np.all(np.diff(conc[t > max(doses) + 1]) <= 0)


def test_a_larger_total_burden_raises_the_suppression_of_every_lesion():
    """M8: burden-driven systemic MDSC expansion raises each lesion's baseline suppression by (1 + g_B B/B_S)/(1 + g_B)
    (Liang 2019 J Cancer 10:1341; the reason ORR falls with baseline tumour size, Joseph 2018 Clin Cancer Res 24:4960)."""
    from abscopal.model.state import Layout

    lung = {"id": "lung1", "site": "lung", "diameter": "28 mm"}
    extra = [{"id": f"liver{k}", "site": "liver", "diameter": "45 mm"} for k in range(3)]

    def suppression_of_lung(lesions, gain=None):
        doc = human_base(patient={"lesions": lesions}, simulation={"duration": "60 days"})
        if gain is not None:
            doc["overrides"] = {"burden_suppression_gain": gain}
        result = simulate(scenario(doc))
        lay = Layout(len(result.subject.lesions), len(result.subject.agents))
        return result.trajectory.states[-1, lay.lesion("suppression")][0]

    alone, crowded = suppression_of_lung([lung]), suppression_of_lung([lung, *extra])
    assert crowded > 1.5 * alone  # B/B_S grows ~0.8 -> ~6: factor (1 + 0.9 x 6)/(1 + 0.9 x 0.8) ~ 3.7
    assert suppression_of_lung([lung], 0.0) == pytest.approx(suppression_of_lung([lung, *extra], 0.0), rel=1e-6)


def test_recognition_scales_killing_and_t_cell_expansion_with_antigenicity():
    """M7: a_g multiplies killing and the antigen-driven expansion of effectors (Yarchoan 2017 NEJM 377:2500). With
    priming switched off, antigenicity can act only through the effectors already in the lesion: a low-antigenicity
    lesion then keeps more of its cells and holds fewer effectors per tumour cell than a high-antigenicity one under
    pembrolizumab (before 2026-12-04 the two were identical), and without T cells antigenicity changes nothing."""
    from abscopal.model.state import Layout

    def lesion(antigenicity, host="competent"):
        doc = human_base(drugs=[{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks", "until": "day 119"}],
                         mechanisms={"occult_lesions": False, "priming": False},
                         overrides={"antigenicity": antigenicity}, host={"immune": host})
        result = simulate(scenario(doc))
        lay = Layout(len(result.subject.lesions), len(result.subject.agents))
        states = result.trajectory.states
        cells = np.exp(states[:, lay.lesion("log_cells")][:, 0])
        ratio = states[:, lay.lesion("effectors")][:, 0] / cells
        return cells[-1] / cells[0], ratio[-1]

    cold, hot = lesion(0.15), lesion(1.0)
    assert cold[0] > hot[0] * (1 + 1e-6)  # the cold lesion keeps more of its cells
    assert cold[1] < hot[1]  # and holds fewer effectors per tumour cell
    assert lesion(0.15, "t_cell_deficient")[0] == pytest.approx(lesion(1.0, "t_cell_deficient")[0], rel=1e-9)


def test_killing_saturates_at_a_ceiling_that_does_not_depend_on_recognition():
    """M7 (QR, docs/calibration.md 2026-12-06): recognition sets how often a target is hit (the mass-action part,
    proportional to recognition at low effector:target ratios); how fast a hit target dies is the killing
    machinery's, so the largest kill per viable cell is k_K q_s whatever the recognition (about one kill per
    4-5 h: Breart 2008, Weigelin 2021). Read from the one definition (equations.py), which the engines are
    generated from; before QR the ceiling was k_K r q_s and a poorly recognised line could never be killed fast."""
    from abscopal.model.equations import QUANTITIES

    kill = next(expr for scope, name, expr in QUANTITIES if name == "kill")

    def rate(recognition, ratio):
        names = {"kill_rate": 11.55, "kill_saturation_ratio": 0.5, "recognition": recognition, "ratio": ratio,
                 "pdl1_max_inhibition": 0.7, "engaged": 0.0, "suppression": 0.0, "immune_on": 1.0}
        return eval(kill, {"__builtins__": {}}, names)  # the expression language is Python arithmetic

    ceiling = 11.55 * 0.5
    for recognition in (0.2, 1.0 / 3.0, 1.0):
        assert rate(recognition, 1e6) == pytest.approx(ceiling, rel=1e-4)
    assert rate(1.0 / 3.0, 1e-4) == pytest.approx(rate(1.0, 1e-4) / 3.0, rel=1e-3)  # mass action at low E:T
    assert rate(1.0 / 3.0, 1.0) < rate(1.0, 1.0)  # recognition still matters below the ceiling


def test_il2_drives_the_proliferation_of_a_lesions_effectors():
    """M11/M7: IL-2 multiplies the proliferation of a lesion's effectors by 1 + g_I2 o_IL2 (IL2C, docs/calibration.md).
    One cycle of high-dose IL-2 (14 doses every 8 h) raises the lesion's effectors several-fold by day 5; with the gain
    at 0 they are those of an untreated subject (up to the solver's steps at the doses; without the drug the term is a
    factor of exactly 1, which is why every target that gives no IL-2 kept bit-identical results); and without T cells
    IL-2 does nothing."""
    from abscopal.model.state import Layout

    il2 = [{"agent": "il-2", "dose": "600000 IU/kg", "every": "8 h", "start": "day 0", "count": 14}]

    def effectors(drugs, host="competent", **overrides):
        doc = human_base(tumour="melanoma", drugs=drugs, mechanisms={"occult_lesions": False, "priming": False},
                         overrides=overrides, host={"immune": host}, simulation={"duration": "10 days"})
        result = simulate(scenario(doc))
        lay = Layout(len(result.subject.lesions), len(result.subject.agents))
        at = int(np.argmin(abs(result.trajectory.time - 5.0)))
        return result.trajectory.states[at, lay.lesion("effectors")], result.trajectory.volume_mm3[-1]

    untreated, treated = effectors([]), effectors(il2)
    assert np.all(treated[0] > 3 * untreated[0])
    off = effectors(il2, il2_effector_gain=0.0)
    assert off[0] == pytest.approx(untreated[0], rel=1e-6) and off[1] == pytest.approx(untreated[1], rel=1e-6)
    nude_untreated, nude_treated = effectors([], "t_cell_deficient"), effectors(il2, "t_cell_deficient")
    assert nude_treated[1] == pytest.approx(nude_untreated[1], rel=1e-6)


def test_the_ifng_field_of_effectors_slows_growth_and_does_nothing_without_t_cells():
    """M7 (IG, IGL, docs/calibration.md 2026-12-07): the IFN-gamma field G = ratio/(ratio + q_L) of a lesion's effectors
    multiplies its growth by 1 - c_G G (bystander G1 arrest: Matsushita 2015, Hoekstra 2020). Read from the one
    definition: the growth factor is 1 with no effectors, 1 - c_G/2 at ratio q_L and tends to 1 - c_G; and PD-L1 is
    driven by the same field. In a simulation, an irradiated TSA lesion holds fewer cells on day 30 with the field
    than with c_G = 0, while in T-cell-deficient hosts the two are identical."""
    from abscopal.model.codegen import scalar_quantities

    base = {"gompertz_a": 0.05, "growth_factor": 1.0, "log_carrying_capacity": 10.0, "log_volume": 4.0,
            "max_proliferation_rate": 0.7, "cells": 1e8, "extinction_scale": 0.01, "pdl1_ifng_half_ratio": 0.2,
            "ifng_cytostasis": 0.9}

    def growth(ratio, **changes):
        return scalar_quantities(("growth",), {**base, "ratio": ratio, **changes})["growth"]

    free = growth(0.0)
    assert free == pytest.approx(0.3 * 1e8 / (1e8 + 0.01))
    assert growth(0.2) == pytest.approx(free * (1 - 0.45))
    assert growth(1e9) == pytest.approx(free * 0.1, rel=1e-6)
    assert growth(0.2, ifng_cytostasis=0.0) == pytest.approx(free)

    def cells_on_day_30(host, **overrides):
        doc = mouse_base(radiotherapy=[{"lesions": ["primary"], "dose": "12 Gy", "fractions": 1, "start": "day 0"}],
                         overrides=overrides, host={"immune": host})
        return simulate(scenario(doc)).trajectory.viable_cells[-1, 0]

    assert cells_on_day_30("competent", ifng_cytostasis=0.7) < 0.9 * cells_on_day_30("competent", ifng_cytostasis=0.0)
    assert cells_on_day_30("t_cell_deficient", ifng_cytostasis=0.7) == pytest.approx(
        cells_on_day_30("t_cell_deficient", ifng_cytostasis=0.0), rel=1e-9)


def test_the_ifng_arrest_is_a_property_of_the_line():
    """M7 (IGL, docs/calibration.md 2026-12-07): c_G is the line's measured antiproliferative response to IFN-gamma:
    B16-F10 0.7 (60-81% growth inhibition in vitro), TS/A 0 (IFN-gamma did not alter its proliferation), lines without a
    measurement the species median of the measured ones (0 in mice), and 0 in every human type until a human
    registration sets one."""
    from abscopal.model.subject import parameter_values

    value = {(s, t): parameter_values(s, t)[0]["ifng_cytostasis"] for s, t in
             (("mouse", "b16f10"), ("mouse", "tsa"), ("mouse", "ct26"), ("mouse", "fsa"), ("human", "nsclc"))}
    assert value[("mouse", "b16f10")] == pytest.approx(0.7)
    assert value[("mouse", "tsa")] == value[("mouse", "ct26")] == value[("mouse", "fsa")] == value[("human", "nsclc")] == 0.0
