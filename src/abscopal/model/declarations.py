"""Every parameter of the flagship model: name, canonical unit, symbol, mechanism, meaning.

Values live in the parameter files (``abscopal/parameters``); this table is the single place that
says what each one means. ``docs/model.md``, ``describe()`` and the contract tests read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Param:
    name: str
    unit: str  # canonical unit the model uses ("1" = dimensionless)
    symbol: str
    mechanism: str  # M1..M14, "readout" or "limits"
    description: str
    scope: str = "species"  # species | tumour | site


_P = Param
PARAMETERS: tuple[Param, ...] = (
    # M1 growth
    _P("doubling_time", "day", "T_d", "M1", "volume doubling time of an untreated lesion at the reference volume", "tumour"),
    _P("reference_volume", "mm^3", "V_ref", "M1", "volume at which the doubling time holds", "tumour"),
    _P("carrying_capacity", "mm^3", "K", "M1", "Gompertz plateau volume of one lesion", "tumour"),
    _P("natural_death_rate", "1/day", "d_0", "M1", "spontaneous loss of viable tumour cells", "tumour"),
    _P("cell_density", "1/mm^3", "rho", "M1", "tumour cells per mm^3 of lesion volume"),
    _P("max_proliferation_rate", "1/day", "g_max", "M1", "upper bound of the specific growth rate (cell-cycle limit) at small volumes"),
    _P("lesion_growth_sd", "1", "sigma_L", "M1", "within-subject SD of the log growth rate between a subject's lesions (log-normal around the subject's rate)"),
    _P("extinction_scale", "1", "N_x", "M1", "clonogen number below which growth is damped (stochastic extinction of the last cells)"),
    _P("stromal_fraction", "1", "f_S", "M1", "fraction of an untreated lesion's volume that is stroma (not tumour cells)"),
    _P("stroma_remodel_rate", "1/day", "k_Z", "M1", "rate at which stroma / fibrosis follows the cellular volume (scar remodelling)"),
    # M2 radiation
    _P("alpha", "1/Gy", "alpha", "M2", "linear LQ coefficient of the tumour cells", "tumour"),
    _P("alpha_beta", "Gy", "alpha/beta", "M2", "LQ alpha/beta ratio of the tumour cells", "tumour"),
    _P("hypoxic_fraction", "1", "h", "M2", "radiobiologically hypoxic fraction (re-oxygenated between fractions)", "tumour"),
    _P("oer", "1", "OER", "M2", "oxygen enhancement ratio of hypoxic cells"),
    _P("doomed_clearance_rate", "1/day", "mu_d", "M2", "clearance of lethally irradiated (doomed) cells from the measured volume", "tumour"),
    # M3 immunogenic cell death
    _P("antigenicity", "1", "a_g", "M3", "relative immunogenicity of the tumour (1 = highly immunogenic reference)", "tumour"),
    _P("tmb", "1/Mb", "TMB_0", "M3", "typical tumour mutational burden of the tumour type", "tumour"),
    _P("tmb_exponent", "1", "nu", "M3", "antigenicity scales as (TMB/TMB_0)^nu for a patient with a given TMB"),
    _P("icd_radiation", "1", "w_RT", "M3", "immunogenic weight of radiation-induced cell death (danger signals)"),
    _P("icd_basal", "1", "w_0", "M3", "immunogenic weight of spontaneous and immune-mediated cell death"),
    _P("recognition_half_saturation", "1", "K_R", "M7", "antigenicity at which T-cell recognition (killing, expansion) is half-saturated: recognition = a_g (1 + K_R)/(a_g + K_R), 1 at a_g = 1"),
    _P("antigen_half_saturation", "1/day", "K_A", "M3", "antigenic death rate (cells/day) giving half-maximal antigen uptake"),
    # M4 interferon / Trex1
    _P("ifn_per_gy", "1/Gy", "k_IFN", "M4", "type I IFN signal (cGAS-STING) produced per Gy per fraction"),
    _P("ifn_dose_scale", "Gy", "D_I", "M4", "dose per fraction at which the quadratic (misrepair, micronucleus) share of cytosolic-DNA yield equals the linear share: yield ~ d (1 + d/D_I)"),
    _P("ifn_decay_rate", "1/day", "delta_I", "M4", "decay of the intratumoural type I IFN signal"),
    _P("ifn_half_maturation", "1", "K_I", "M4", "IFN signal giving half-maximal dendritic-cell maturation"),
    _P("ifn_basal", "1", "I_0", "M4", "basal danger / IFN signal of an untreated lesion"),
    _P("trex1_threshold", "Gy", "D_T", "M4", "dose per fraction of half-maximal Trex1 induction", "tumour"),
    _P("trex1_hill", "1", "n_T", "M4", "steepness of Trex1 induction with dose per fraction"),
    _P("trex1_max_inhibition", "1", "tau_max", "M4", "largest fraction of cytosolic-DNA signalling that Trex1 removes (attenuated, not abolished)"),
    _P("trex1_decay_rate", "1/day", "delta_T", "M4", "decay of induced Trex1"),
    # M5 priming
    _P("dc_turnover_rate", "1/day", "delta_M", "M5", "turnover of mature antigen-loaded dendritic cells in the draining node"),
    _P("priming_rate", "1/day", "k_P", "M5", "tumour-specific CD8 T cells primed per day at full DC stimulation (cells/day)"),
    _P("expansion_fraction", "1", "f_0", "M5", "clonal expansion: fraction of primed cells' output re-invested in proliferation"),
    _P("max_expansion_fraction", "1", "f_max", "M5", "upper bound of the expansion fraction under co-stimulatory agents"),
    _P("node_egress_rate", "1/day", "k_out", "M5", "rate at which primed effector cells leave the node for the blood"),
    _P("ctla4_priming_gain", "1", "g_C", "M5", "relative increase of priming at full CTLA-4 blockade (CD28 freed from CTLA-4 competition)"),
    _P("priming_threshold", "1", "s_T", "M5", "priming signal (DC stimulation x co-stimulation) at which half of the encounters activate naive T cells (activation threshold; 0 = linear priming)"),
    _P("priming_hill", "1", "n_P", "M5", "steepness of T-cell activation around the priming threshold"),
    _P("alc_reference", "1/uL", "ALC_ref", "M5", "ALC at which the naive repertoire supports reference priming"),
    _P("alc_priming_exponent", "1", "n_A", "M5", "priming scales as (ALC/ALC_ref)^n_A (precursor frequency and help from the lymphocyte pool)"),
    # M6 trafficking
    _P("effector_extraction", "1", "epsilon", "M6", "probability that a circulating effector T cell passing through a lesion's vessels enters it", "tumour"),
    _P("perfusion_size_exponent", "1", "gamma_Q", "M6", "blood flow per volume of a lesion falls as (V_Q/V)^gamma_Q with its size"),
    _P("perfusion_reference_volume", "mm^3", "V_Q", "M6", "lesion volume at which the site's tumour perfusion holds"),
    _P("damage_recruitment_gain", "1", "g_D", "M6", "rise of effector entry per unit doomed share of a lesion (RT-induced chemokines and adhesion molecules)"),
    _P("blood_effector_death_rate", "1/day", "delta_B", "M6", "loss of circulating effector T cells"),
    # M7 killing and PD-1 axis
    _P("kill_rate", "1/day", "k_K", "M7", "tumour cells killed per effector T cell per day (mass action, unsaturated)"),
    _P("doomed_target_weight", "1", "w_D", "M7", "share of effector engagement that a doomed (lethally irradiated) cell absorbs relative to a viable cell in the effector:target ratio"),
    _P("kill_saturation_ratio", "1", "q_s", "M7", "recognised effector:target ratio (recognition x ratio) at which killing per tumour cell half-saturates"),
    _P("effector_death_rate", "1/day", "delta_E", "M7", "death of effector T cells inside a lesion"),
    _P("til_proliferation_rate", "1/day", "r_E", "M7", "antigen-driven proliferation of effector T cells inside a lesion, before PD-L1 and suppression"),
    _P("til_proliferation_half_ratio", "1", "q_E", "M7", "effector:target ratio at which intratumoural proliferation is halved (antigen competition)"),
    _P("exhaustion_gain", "1", "x_E", "M7", "extra effector loss per unit of unblocked PD-L1 engagement (exhaustion)"),
    _P("pdl1_tps", "1", "P_0", "M7", "baseline PD-L1 level of tumour cells (tumour proportion score)", "tumour"),
    _P("pdl1_max_inhibition", "1", "p_max", "M7", "largest fraction of killing that unblocked PD-L1 removes"),
    _P("pdl1_host_share", "1", "h_L", "M7", "share of PD-1 engagement from PD-L1 on host myeloid cells and dendritic cells, present whatever the tumour cells express"),
    _P("pdl1_rate", "1/day", "k_L", "M7", "rate of PD-L1 up- and down-regulation"),
    _P("pdl1_ifng_gain", "1", "g_L", "M7", "PD-L1 induction by IFN-gamma of infiltrating T cells (adaptive resistance)"),
    _P("pdl1_ifng_half_ratio", "1", "q_L", "M7", "effector:target ratio giving a half-maximal IFN-gamma field of infiltrating T cells (the field raises PD-L1 and arrests proliferation)"),
    _P("ifng_cytostasis", "1", "c_G", "M7", "largest fraction of tumour-cell proliferation that the IFN-gamma field of infiltrating T cells arrests (bystander G1 arrest), at a saturating field: the cell-intrinsic IFN-gamma sensitivity of the tumour", "tumour"),
    _P("pdl1_rt_gain", "1", "g_R", "M7", "PD-L1 induction by radiation (through the type I IFN signal)"),
    _P("til_alpha", "1/Gy", "alpha_E", "M9", "LQ alpha of effector T cells inside an irradiated lesion (more resistant than naive cells)"),
    _P("til_beta", "1/Gy^2", "beta_E", "M9", "LQ beta of effector T cells inside an irradiated lesion"),
    # M8 suppression
    _P("suppression_baseline", "1", "S_0", "M8", "baseline immunosuppression of a lesion (Tregs, MDSC, M2, TGF-beta)", "tumour"),
    _P("suppression_rate", "1/day", "k_S", "M8", "rate at which lesion suppression follows its drivers"),
    _P("suppression_rt_gain", "1", "g_S", "M8", "rise of suppression per unit doomed fraction of the lesion (RT-activated TGF-beta, MDSC)"),
    _P("systemic_suppression_burden", "mm^3", "B_S", "M8", "total tumour volume that halves priming through systemic suppression (MDSC, Tregs, TGF-beta)"),
    _P("burden_suppression_gain", "1", "g_B", "M8", "rise of every lesion's baseline suppression per unit of total burden / B_S (burden-driven systemic MDSC and Treg expansion infiltrates all lesions)"),
    _P("dc_suppression_gain", "1", "g_M", "M8", "inhibition of DC maturation per unit lesion suppression (TGF-beta, IL-10: DC maturation x 1/(1 + g_M S_i))"),
    _P("treg_share", "1", "phi_T", "M8", "share of baseline suppression due to regulatory T cells"),
    _P("tgfb_block_max", "1", "b_T", "M8", "fraction of TGF-beta-mediated suppression (RT-induced, and the TGF-beta share of baseline) removed at full TGF-beta blockade"),
    _P("tgfb_share", "1", "phi_B", "M8", "share of baseline suppression due to tumour-secreted TGF-beta"),
    # M9 lymphocytes
    _P("alc_baseline", "1/uL", "ALC_0", "M9", "baseline absolute lymphocyte count", "tumour"),
    _P("alc_recovery_rate", "1/day", "r_A", "M9", "recovery of the lymphocyte count toward its baseline"),
    _P("lymphocyte_alpha", "1/Gy", "alpha_L", "M9", "LQ alpha of circulating / nodal lymphocytes"),
    _P("lymphocyte_beta", "1/Gy^2", "beta_L", "M9", "LQ beta of circulating / nodal lymphocytes"),
    _P("blood_volume", "L", "V_B", "M9", "circulating blood volume"),
    _P("node_lymphocyte_fraction", "1", "f_N", "M9", "fraction of body lymphocytes in the draining node basin of one lesion"),
    _P("node_recovery_rate", "1/day", "r_N", "M9", "recovery of an irradiated draining node's function"),
    _P("marrow_recovery_rate", "1/day", "r_M", "M9", "recovery of marrow lymphopoiesis after irradiation"),
    _P("proton_blood_dose_factor", "1", "f_p", "M9", "blood and body dose of a proton plan relative to a photon plan"),
    _P("field_margin_factor", "1", "m_F", "M9", "default irradiated volume as a multiple of the lesion volume"),
    _P("bath_volume_factor", "1", "m_B", "M9", "low-dose volume (entry, exit and scatter dose) around a treated lesion's field, as a multiple of the field"),
    _P("bath_dose_ratio", "1", "r_B", "M9", "mean dose per fraction in the low-dose volume relative to the prescribed dose per fraction"),
    _P("bath_max_volume", "cm^3", "V_max", "M9", "largest low-dose volume of one treated field (the body region a plan's beams cross)"),
    _P("bath_lymphocyte_density", "1/cm^3", "l_B", "M9", "share of body lymphocytes per cm^3 of the low-dose volume"),
    # M11 agents
    _P("dc_expansion_rate", "1/day", "k_B", "M11", "rate at which dendritic-cell abundance follows DC growth factors"),
    _P("flt3_dc_gain", "1", "g_F", "M11", "relative increase of DC abundance at full Flt3-L effect"),
    _P("gmcsf_dc_gain", "1", "g_G", "M11", "relative increase of DC abundance at full GM-CSF effect"),
    _P("tlr3_danger_gain", "1", "g_3", "M11", "danger signal added by a TLR3 agonist at full effect (IFN-signal units)"),
    _P("il2_expansion_gain", "1", "g_2", "M11", "co-stimulatory boost of clonal expansion by IL-2 at full effect"),
    _P("il2_effector_gain", "1", "g_I2", "M11", "relative increase of the proliferation rate of a lesion's effector T cells at full IL-2 effect"),
    _P("ox40_expansion_gain", "1", "g_O", "M11", "co-stimulatory boost of clonal expansion by anti-OX40 at full effect"),
    _P("cd137_expansion_gain", "1", "g_K", "M11", "co-stimulatory boost of clonal expansion by anti-CD137 at full effect"),
    # M12 host
    _P("t_cell_deficient_alc_fraction", "1", "f_TD", "M12", "ALC of a T-cell-deficient host relative to a competent one (B and NK cells remain)"),
    _P("cd8_alc_fraction", "1", "f_CD8", "M12", "fraction of blood lymphocytes that are CD8 T cells (removed by CD8 depletion)"),
    _P("effector_ratio_baseline", "1", "q_0", "M7", "effector:target ratio of an untreated lesion at baseline"),
    # M14 occult lesions
    _P("occult_lesion_count", "1", "lambda_occ", "M14", "expected number of occult (sub-detection) lesions at baseline", "tumour"),
    _P("occult_min_diameter", "mm", "d_occ,min", "M14", "smallest occult lesion diameter at baseline"),
    _P("occult_max_diameter", "mm", "d_occ,max", "M14", "largest occult lesion diameter at baseline"),
    _P("new_lesion_diameter", "mm", "d_new", "M14", "diameter at which an occult lesion is detected as a new lesion"),
    # readouts and limits
    _P("disappearance_diameter", "mm", "d_CR", "readout", "diameter below which a lesion counts as disappeared (RECIST CR)"),
    _P("max_lesion_diameter", "mm", "d_lim", "limits", "largest lesion diameter accepted in a scenario"),
    _P("max_lesion_volume", "mm^3", "V_lim", "limits", "largest lesion volume accepted in a scenario"),
    _P("body_weight", "kg", "W", "limits", "default body weight"),
    _P("body_surface_area", "m^2", "BSA", "limits", "default body surface area"),
    _P("min_body_weight", "kg", "W_min", "limits", "smallest body weight accepted"),
    _P("max_body_weight", "kg", "W_max", "limits", "largest body weight accepted"),
)

SITE_PARAMETERS: tuple[Param, ...] = (
    _P("tumour_perfusion", "1/min", "Q_T", "M6", "blood flow per volume of a lesion at this site (mL/min per mL)", "site"),
    _P("tissue_perfusion", "1/min", "Q_F", "M9", "blood flow per volume of the irradiated tissue at this site", "site"),
    _P("blood_volume_fraction", "1", "b_F", "M9", "blood volume per volume of tissue in the field", "site"),
    _P("default_field_size", "cm^3", "V_F", "M9", "smallest default irradiated volume at this site", "site"),
    _P("beam_on_time_per_gy", "min/Gy", "t_B", "M9", "beam-on time per Gy per fraction at this site", "site"),
    _P("lymphocyte_density", "1/cm^3", "l_F", "M9", "fraction of body lymphocytes resident per cm^3 of tissue at this site", "site"),
    _P("marrow_density", "1/cm^3", "m_F", "M9", "fraction of active bone marrow per cm^3 of tissue at this site", "site"),
)


@lru_cache(maxsize=1)
def parameter_declarations() -> dict[str, Param]:
    return {p.name: p for p in PARAMETERS}


@lru_cache(maxsize=1)
def site_declarations() -> dict[str, Param]:
    return {p.name: p for p in SITE_PARAMETERS}
