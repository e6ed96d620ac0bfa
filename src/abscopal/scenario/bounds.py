"""Bounds of every model parameter that a scenario may override (``overrides:``).

The parameter declarations (:mod:`abscopal.model.declarations`) say what a parameter means and its
unit; this table says which values are physically possible, so that an override outside them is an
exit-2 input error instead of a negative cell count, a division by zero or a stiff system that never
finishes. Each parameter belongs to one class; each class has a reason. The bounds are wide: every
value of the shipped parameter files lies well inside them (a test checks this), so a study may move
a parameter by orders of magnitude, but not beyond what the quantity can be.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    low: float
    high: float
    low_open: bool = False  # the low end itself is excluded (a scale or a divisor cannot be zero)
    reason: str = ""

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def text(self, unit: str) -> str:
        unit = "" if unit in ("", "1") else f" {unit}"
        low = f"above {self.low:g}" if self.low_open else f"from {self.low:g}"
        return f"a value {low} to {self.high:g}{unit} ({self.reason})"


# Classes of parameters, each with its physical reason.
FRACTION = Bound(0.0, 1.0, reason="a fraction, share or probability lies in [0, 1]")
PROPER_FRACTION = Bound(0.0, 0.99, reason="a share of a lesion that is not tumour cells must leave some tumour cells")
RATE = Bound(0.0, 100.0, reason="a first-order rate is non-negative; faster than 100/day (a quarter of an hour) is "
                                "instantaneous on the model's time scale and makes the equations stiff")
FLUX = Bound(0.0, 1e13, reason="a number of cells per day is non-negative and below the body's cell count")
HALF_FLUX = Bound(0.0, 1e13, low_open=True, reason="a half-saturation flux is a divisor: above zero, below the body's cell count")
DURATION = Bound(0.01, 1e5, reason="a doubling time is positive and finite (a quarter of an hour to centuries)")
VOLUME = Bound(1e-3, 1e9, reason="a tumour volume scale is positive and smaller than a body (1 m^3)")
DENSITY = Bound(1.0, 1e10, reason="cells per mm^3 are positive and below the packing limit of cells")
RADIOSENSITIVITY = Bound(0.0, 10.0, reason="an LQ coefficient is non-negative; 10/Gy would kill any cell with one Gy")
DOSE_SCALE = Bound(0.01, 1e7, reason="a dose scale is a positive divisor")
OER = Bound(1.0, 5.0, reason="hypoxia protects cells (ratio at least 1); measured ratios are 2.5 to 3.5")
GAIN = Bound(0.0, 100.0, reason="a gain is non-negative; beyond 100-fold the model leaves its calibrated regime")
RATIO = Bound(0.0, 1e6, low_open=True, reason="a half-effect ratio or level is a positive divisor")
LEVEL = Bound(0.0, 1e6, reason="a signal level is non-negative")
EXPONENT = Bound(0.0, 10.0, reason="a scaling exponent of the model is non-negative and at most 10")
PERFUSION_EXPONENT = Bound(0.0, 1.0, reason="blood flow per volume falls with size at most as 1/V (a lesion's total flow "
                                            "does not shrink as it grows)")
HILL = Bound(0.1, 20.0, reason="a Hill coefficient is positive; beyond 20 it is a step")
COUNT = Bound(0.0, 50.0, reason="an expected number of occult lesions is non-negative and at most 50")
SCALE_COUNT = Bound(0.0, 1e9, low_open=True, reason="a cell number scale is a divisor: above zero, below a lesion's cell count")
LENGTH = Bound(0.01, 300.0, reason="a lesion diameter is positive and below the largest lesion accepted (300 mm)")
LIMIT_LENGTH = Bound(0.1, 1000.0, reason="a size limit is positive and below a body's size")
LIMIT_VOLUME = Bound(0.1, 1e9, reason="a size limit is positive and below a body's size")
CONCENTRATION = Bound(1.0, 1e5, reason="a lymphocyte count per uL is positive and below 100,000 (patient.alc's limit)")
TMB = Bound(0.0, 1e4, low_open=True, reason="a typical mutational burden is a divisor: above zero, below 10,000 per megabase")
BLOOD = Bound(1e-4, 20.0, reason="a blood volume is positive and below 20 L")
MASS = Bound(0.005, 500.0, reason="a body weight of a mouse or a human: 5 g to 500 kg")
AREA = Bound(0.001, 5.0, reason="a body surface area of a mouse or a human: 10 cm^2 to 5 m^2")
RELATIVE = Bound(0.0, 10.0, reason="a dose relative to a photon plan is non-negative and at most 10-fold")
MARGIN = Bound(1.0, 100.0, reason="an irradiated volume is at least the lesion and at most 100 times it")
BATH = Bound(0.0, 1000.0, reason="a low-dose volume is absent (0) or at most 1,000 times the field it surrounds")
BODY_VOLUME = Bound(0.0, 2e5, reason="a volume inside a body: non-negative and below 200 L")
BATH_DENSITY = Bound(0.0, 1.0, reason="a share of body lymphocytes per cm^3 is between 0 and 1")

BOUNDS: dict[str, Bound] = {
    # M1 growth
    "doubling_time": DURATION, "reference_volume": VOLUME, "carrying_capacity": VOLUME, "natural_death_rate": RATE,
    "cell_density": DENSITY, "max_proliferation_rate": RATE, "extinction_scale": SCALE_COUNT,
    "lesion_growth_sd": Bound(0.0, 3.0, reason="a log-scale spread is non-negative; 3 would put lesions of one patient 400-fold apart (2 SD)"),
    "stromal_fraction": PROPER_FRACTION, "stroma_remodel_rate": RATE,
    # M2 radiation
    "alpha": RADIOSENSITIVITY, "alpha_beta": DOSE_SCALE, "hypoxic_fraction": FRACTION, "oer": OER,
    "doomed_clearance_rate": RATE,
    # M3 immunogenic death
    "antigenicity": GAIN, "tmb": TMB, "tmb_exponent": EXPONENT, "icd_radiation": GAIN, "icd_basal": GAIN,
    "antigen_half_saturation": HALF_FLUX,
    "recognition_half_saturation": RATIO,
    # M4 interferon
    "ifn_per_gy": RADIOSENSITIVITY, "ifn_dose_scale": DOSE_SCALE, "ifn_decay_rate": RATE, "ifn_half_maturation": RATIO,
    "ifn_basal": LEVEL, "trex1_threshold": DOSE_SCALE, "trex1_hill": HILL, "trex1_max_inhibition": FRACTION,
    "trex1_decay_rate": RATE,
    # M5 priming
    "dc_turnover_rate": RATE, "priming_rate": FLUX, "expansion_fraction": FRACTION, "max_expansion_fraction": FRACTION,
    "node_egress_rate": RATE, "ctla4_priming_gain": GAIN, "priming_threshold": LEVEL, "priming_hill": HILL,
    "alc_reference": CONCENTRATION, "alc_priming_exponent": EXPONENT,
    # M6 trafficking
    "effector_extraction": FRACTION, "perfusion_size_exponent": PERFUSION_EXPONENT, "perfusion_reference_volume": VOLUME,
    "damage_recruitment_gain": GAIN, "blood_effector_death_rate": RATE,
    # M7 killing
    "kill_rate": RATE, "doomed_target_weight": FRACTION, "kill_saturation_ratio": RATIO, "effector_death_rate": RATE,
    "til_proliferation_rate": RATE, "til_proliferation_half_ratio": RATIO, "exhaustion_gain": GAIN,
    "pdl1_tps": FRACTION, "pdl1_max_inhibition": FRACTION, "pdl1_host_share": FRACTION, "pdl1_rate": RATE, "pdl1_ifng_gain": GAIN,
    "pdl1_ifng_half_ratio": RATIO, "ifng_cytostasis": FRACTION, "pdl1_rt_gain": GAIN, "til_alpha": RADIOSENSITIVITY, "til_beta": RADIOSENSITIVITY,
    "effector_ratio_baseline": LEVEL,
    # M8 suppression
    "suppression_baseline": GAIN, "suppression_rate": RATE, "suppression_rt_gain": GAIN,
    "systemic_suppression_burden": VOLUME, "burden_suppression_gain": GAIN, "dc_suppression_gain": GAIN,
    "treg_share": FRACTION, "tgfb_block_max": FRACTION, "tgfb_share": FRACTION,
    # M9 lymphocytes
    "alc_baseline": CONCENTRATION, "alc_recovery_rate": RATE, "lymphocyte_alpha": RADIOSENSITIVITY,
    "lymphocyte_beta": RADIOSENSITIVITY, "blood_volume": BLOOD, "node_lymphocyte_fraction": FRACTION,
    "node_recovery_rate": RATE, "marrow_recovery_rate": RATE, "proton_blood_dose_factor": RELATIVE,
    "field_margin_factor": MARGIN, "bath_volume_factor": BATH, "bath_dose_ratio": FRACTION,
    "bath_lymphocyte_density": BATH_DENSITY, "bath_max_volume": BODY_VOLUME,
    # M11 agents
    "dc_expansion_rate": RATE, "flt3_dc_gain": GAIN, "gmcsf_dc_gain": GAIN, "tlr3_danger_gain": GAIN,
    "il2_expansion_gain": GAIN, "il2_effector_gain": GAIN, "ox40_expansion_gain": GAIN, "cd137_expansion_gain": GAIN,
    # M12 host
    "t_cell_deficient_alc_fraction": FRACTION, "cd8_alc_fraction": FRACTION,
    # M14 occult lesions
    "occult_lesion_count": COUNT, "occult_min_diameter": LENGTH, "occult_max_diameter": LENGTH,
    "new_lesion_diameter": LENGTH,
    # readouts and limits
    "disappearance_diameter": LENGTH, "max_lesion_diameter": LIMIT_LENGTH, "max_lesion_volume": LIMIT_VOLUME,
    "body_weight": MASS, "body_surface_area": AREA, "min_body_weight": MASS, "max_body_weight": MASS,
}

# Bounds that differ between species (a mouse's blood volume is a thousandth of a human's); these
# replace the class bound above for that species.
SPECIES_BOUNDS: dict[str, dict[str, Bound]] = {
    "blood_volume": {
        "human": Bound(1.0, 20.0, reason="an adult's blood volume, 1 to 20 L (5 L typical); a smaller volume "
                                         "concentrates the blood dose and makes the equations stiff"),
        "mouse": Bound(0.0005, 0.01, reason="a mouse's blood volume, 0.5 to 10 mL (1.6 mL for a 20 g mouse)"),
    },
}


def bound_for(name: str, species: str) -> Bound:
    """The bound of parameter ``name`` for ``species``."""
    return SPECIES_BOUNDS.get(name, {}).get(species, BOUNDS[name])


# Pairs (low, high) that must stay ordered after overrides: the model draws or clips between them.
ORDERED: tuple[tuple[str, str, str], ...] = (
    ("occult_min_diameter", "occult_max_diameter", "occult lesion diameters are drawn between the two"),
    ("expansion_fraction", "max_expansion_fraction", "the expansion fraction is capped by its maximum"),
    ("min_body_weight", "max_body_weight", "a body weight is accepted between the two"),
)
