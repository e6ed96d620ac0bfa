"""The flagship model's right-hand side and event jumps, written once as equations.

This table is the one definition of the dynamics. ``codegen.py`` turns it into
  * the vectorised NumPy right-hand side used by the batched engine (all subjects at once),
  * the scalar per-subject kernel that numba compiles for the cohort engine,
  * SBML level 3 (``abscopal sbml``) for libRoadRunner, COPASI and AMICI.
docs/model.md renders these expressions (model/describe.py, model/formula.py); the mechanism modules
(growth.py, killing.py, ...) hold the prose and the sources.

Expression language: Python arithmetic (+ - * / **, comparisons inside ``where``) over
  states (state.py), parameters (declarations.py, plus the derived and per-subject inputs below),
  earlier quantities, and the functions exp, log, min, max, where(cond, a, b),
  sum_lesions(x) (over the lesion slots) and prod_agents(x) (over the drugs of the subject).
Each quantity has a scope: ``lesion`` (one value per lesion slot), ``agent`` (one per drug) or
``systemic`` (one per subject). Quantities are evaluated in order.
"""

from __future__ import annotations

from ..agents.library import TARGETS

# parameters that are not in declarations.PARAMETERS: derived once per subject (batch.py) or inputs of
# the subject (host, mechanisms, baseline ALC); scope as above.
SUBJECT_INPUTS = {
    "gompertz_a": "systemic",  # ln 2 / (T_d ln(K/V_ref)), growth.gompertz_constant
    "log_carrying_capacity": "systemic",  # ln K
    "log_perfusion_reference_volume": "systemic",  # ln V_Q (-20.723... in the perfusion term is ln 1e-9)
    "blood_volume_mm3": "systemic",  # blood_volume in mm^3
    "icd_radiation_eff": "systemic",  # icd_radiation, or icd_basal with immunogenic_death switched off
    "pdl1_baseline": "systemic",  # the lesion's baseline PD-L1 (pdl1_tps)
    "suppression_on": "systemic",  # 1, or 0 with suppression switched off
    "immune_on": "systemic",  # host immune competence (M12)
    "alc0": "systemic",  # baseline ALC of the subject (1/uL)
    "tumour_perfusion": "lesion",  # perfusion of the lesion's site (mL/min/mL)
    "initial_cells": "lesion",  # viable cells at baseline (used when a lesion appears)
    "growth_factor": "lesion",  # the lesion's growth rate relative to the subject's, exp(sigma_L z) (M1)
}
MECHANISM_FLAGS = ("immunogenic_death", "interferon", "trex1", "priming", "ctla4", "trafficking", "pd1_axis",
                   "suppression", "lymphocyte_kill", "occult_lesions")
# per-drug constants (pharmacokinetics.py), and target_<T> = 1 when the drug binds target T
AGENT_PARAMETERS = ("ka", "k10", "k12", "k21", "vc", "ec50", "treg") + tuple(f"target_{t}" for t in TARGETS)
AUX = {"active": "lesion"}  # 1 once a lesion exists (lesions may appear later); changed by events only

_OCC_MAX = "0.999999999999999"  # 1 - 1e-15: keeps 1 - occupancy positive

QUANTITIES: tuple[tuple[str, str, str], ...] = (
    # M10 drug exposure and target occupancy
    ("agent", "occ", "max(central, 0.0) / vc / (max(central, 0.0) / vc + ec50)"),
    *(("systemic", f"o_{t}", f"1.0 - prod_agents(1.0 - min(occ, {_OCC_MAX}) * target_{t})") for t in TARGETS),
    ("systemic", "treg_depletion", f"(1.0 - prod_agents(1.0 - min(occ * treg, {_OCC_MAX}))) * flag_ctla4"),
    # M1 growth
    ("lesion", "cells", "exp(log_cells) * active"),
    ("lesion", "total", "cells + doomed"),
    ("lesion", "volume", "total / cell_density"),
    ("lesion", "log_volume", "log(max(volume, 1e-30))"),  # shared by growth and perfusion (one log per lesion)
    ("lesion", "ratio", "effectors / max(cells + doomed_target_weight * doomed, 1e-9)"),
    # M7 the IFN-gamma field of infiltrating T cells (raises PD-L1, arrests proliferation); 0 without effectors
    ("lesion", "ifng_field", "ratio / (ratio + pdl1_ifng_half_ratio)"),
    # M7 killing under PD-1/PD-L1
    ("lesion", "engaged", "flag_pd1_axis * (pdl1_host_share + (1.0 - pdl1_host_share) * pdl1) * (1.0 - o_pd1) * (1.0 - o_pdl1)"),
    ("systemic", "recognition", "antigenicity * (1.0 + recognition_half_saturation) / (antigenicity + recognition_half_saturation)"),
    ("lesion", "kill", "kill_rate * recognition * ratio / (1.0 + recognition * ratio / kill_saturation_ratio) * (1.0 - pdl1_max_inhibition * engaged)"
                       " / (1.0 + suppression) * immune_on"),
    ("lesion", "growth", "min(gompertz_a * growth_factor * (log_carrying_capacity - log_volume), max_proliferation_rate)"
                         " * cells / (cells + extinction_scale) * (1.0 - ifng_cytostasis * ifng_field)"),
    # M3 immunogenic death, M4 danger signal, M5 DC loading
    ("lesion", "release", "antigenicity * (icd_radiation_eff * doomed_clearance_rate * doomed"
                          " + icd_basal * (kill + natural_death_rate) * cells)"),
    ("lesion", "uptake", "release / (release + antigen_half_saturation) * active"),
    ("lesion", "danger", "(ifn + ifn_basal + tlr3_danger_gain * o_tlr3)"
                         " / (ifn + ifn_basal + tlr3_danger_gain * o_tlr3 + ifn_half_maturation)"),
    ("lesion", "stimulation", "dc * node"),
    # M5 priming (with M8 systemic suppression by burden) and expansion
    ("systemic", "burden", "sum_lesions(volume * active)"),
    ("systemic", "stimulation_total", "sum_lesions(stimulation)"),
    ("systemic", "priming_signal", "(1.0 + ctla4_priming_gain * o_ctla4 * flag_ctla4) * stimulation_total"
                                   " / (1.0 + flag_suppression * burden / systemic_suppression_burden)"),
    ("systemic", "priming_in", "priming_rate * (alc / alc_reference) ** alc_priming_exponent * priming_signal"
                               " / (1.0 + (priming_threshold / max(priming_signal, 1e-30)) ** priming_hill)"
                               " * flag_priming * immune_on"),
    ("systemic", "costimulation", "il2_expansion_gain * o_il2 + ox40_expansion_gain * o_ox40 + cd137_expansion_gain * o_cd137"),
    ("systemic", "expanding", "expansion_fraction + (max_expansion_fraction - expansion_fraction) * costimulation"
                              " / (1.0 + costimulation)"),
    # M6 trafficking by perfusion; with trafficking off, each lesion gets its own share of priming
    ("lesion", "entry_systemic", "effector_extraction * 1440.0 * tumour_perfusion"
                                 " * exp(perfusion_size_exponent * (log_perfusion_reference_volume - max(log_volume, -20.72326583694641)))"
                                 " * volume / blood_volume_mm3 * active"
                                 " * (1.0 + damage_recruitment_gain * doomed / max(total, 1.0))"),
    ("systemic", "entry_total", "sum_lesions(entry_systemic)"),
    ("systemic", "active_count", "max(sum_lesions(active), 1.0)"),
    ("lesion", "entry", "where(flag_trafficking > 0.0, entry_systemic, entry_total"
                        " * where(stimulation_total > 0.0, stimulation / stimulation_total, active / active_count))"),
    ("lesion", "influx", "entry * blood_effectors"),
    ("systemic", "influx_total", "sum_lesions(influx)"),
    # M7 intratumoural proliferation, PD-L1; M8 local suppression
    # IL-2 (M11) drives the proliferation of antigen-experienced effectors in the lesion (o_il2 = 0: factor exactly 1)
    ("lesion", "proliferation", "til_proliferation_rate * recognition * (1.0 - pdl1_max_inhibition * engaged)"
                                " * (1.0 + il2_effector_gain * o_il2)"
                                " / ((1.0 + suppression) * (1.0 + ratio / til_proliferation_half_ratio)) * immune_on * active"),
    # net per-capita rate of a lesion's effectors apart from influx; population.escape_margin evaluates it at baseline
    ("lesion", "effector_net_rate", "proliferation - effector_death_rate * (1.0 + exhaustion_gain * engaged)"),
    ("lesion", "pdl1_target", "pdl1_baseline + (1.0 - pdl1_baseline) * min(pdl1_ifng_gain * ifng_field"
                              " + pdl1_rt_gain * ifn / (ifn + ifn_half_maturation), 1.0)"),
    ("lesion", "suppression_target", "suppression_on * (suppression_baseline"
                                     " * (1.0 + burden_suppression_gain * burden / systemic_suppression_burden) / (1.0 + burden_suppression_gain)"
                                     " * max(1.0 - treg_share * treg_depletion - tgfb_share * tgfb_block_max * o_tgfb, 0.0)"
                                     " + suppression_rt_gain * doomed / max(total, 1.0) * (1.0 - tgfb_block_max * o_tgfb))"),
)

RATES: dict[str, str] = {
    # lesion states
    "log_cells": "(growth - kill - natural_death_rate) * active",
    "doomed": "-doomed_clearance_rate * doomed",
    "effectors": "influx + effector_net_rate * effectors",
    "pdl1": "pdl1_rate * (pdl1_target - pdl1)",
    "suppression": "suppression_rate * (suppression_target - suppression)",
    "ifn": "-ifn_decay_rate * ifn",
    "trex1": "-trex1_decay_rate * trex1",
    "dc": "dc_turnover_rate * (dc_abundance * uptake * danger / (1.0 + dc_suppression_gain * suppression) - dc)",
    "node": "node_recovery_rate * (1.0 - node)",
    "stroma": "stroma_remodel_rate * (stromal_fraction / (1.0 - stromal_fraction) * volume - stroma) * active",
    # systemic states
    "primed": "priming_in - node_egress_rate * (1.0 - expanding) * primed",
    "blood_effectors": "node_egress_rate * primed - blood_effector_death_rate * blood_effectors - influx_total",
    "alc": "alc_recovery_rate * (marrow * alc0 - alc)",
    "marrow": "marrow_recovery_rate * (1.0 - marrow)",
    "dc_abundance": "dc_expansion_rate * (1.0 + flt3_dc_gain * o_flt3 + gmcsf_dc_gain * o_gmcsf - dc_abundance)",
    # drug compartments (M10)
    "depot": "-ka * depot",
    "central": "ka * depot - (k10 + k12) * central + k21 * peripheral",
    "peripheral": "k12 * central - k21 * peripheral",
}

# Event data, one value per event (precomputed from the scenario by batch.py): scope of each.
EVENT_DATA = {
    "ev_activate": "lesion",  # 1 when the lesion appears at this event
    "ev_tumour_surv": "lesion",  # LQ survival of the lesion's viable cells (M2, with coverage)
    "ev_ifn_dose": "lesion",  # covered dose driving cGAS-STING (Gy; 0 with interferon off)
    "ev_trex1": "lesion",  # Trex1 induction of the fraction (M4; 0 with trex1 off)
    "ev_til_surv": "lesion",  # survival of in-field effector T cells (M9)
    "ev_node_surv": "lesion",  # survival of the lesion's draining-node lymphocytes (M9)
    "ev_alc": "systemic",  # ALC factor of the fraction (M9: blood, resident, nodes)
    "ev_blood": "systemic",  # survival of circulating effectors (M9)
    "ev_marrow": "systemic",  # marrow factor (M9)
    "ev_depot": "agent",  # drug amount into the depot (mg)
    "ev_central": "agent",  # drug amount into the central compartment (mg)
}

# Jumps at an event, applied in order (each line sees the lines before it).
EVENT: tuple[tuple[str, str, str], ...] = (
    ("lesion", "active", "where(ev_activate > 0.0, 1.0, active)"),
    ("lesion", "effectors", "where(ev_activate > 0.0, effector_ratio_baseline * initial_cells * immune_on, effectors)"),
    ("lesion", "doomed", "doomed + exp(log_cells) * active * (1.0 - ev_tumour_surv)"),
    ("lesion", "log_cells", "log_cells + log(ev_tumour_surv)"),
    ("lesion", "effectors", "effectors * ev_til_surv"),
    ("lesion", "trex1", "trex1 + (1.0 - trex1) * ev_trex1"),
    ("lesion", "ifn", "ifn + ifn_per_gy * ev_ifn_dose * (1.0 + ev_ifn_dose / ifn_dose_scale)"
                     " * (1.0 - trex1_max_inhibition * trex1)"),
    ("systemic", "stimulation_before", "sum_lesions(dc * node)"),
    ("systemic", "primed", "primed * (1.0 - where(stimulation_before > 0.0,"
                           " sum_lesions(dc * node * (1.0 - ev_node_surv)) / stimulation_before, 0.0))"),
    ("lesion", "node", "node * ev_node_surv"),
    ("systemic", "alc", "alc * ev_alc"),
    ("systemic", "blood_effectors", "blood_effectors * ev_blood"),
    ("systemic", "marrow", "marrow * ev_marrow"),
    ("agent", "depot", "depot + ev_depot"),
    ("agent", "central", "central + ev_central"),
)
