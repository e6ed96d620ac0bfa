"""Observables that are not trial outcomes: blood dose of one fraction, PK half-lives, model rules.
Each probe is a named function of keyword arguments returning a number."""

from __future__ import annotations

import math

from ..agents import get_agent
from ..model.lymphocytes import blood_exposure, fraction_effect
from ..model.subject import SITE_UNITS
from ..parameters import load_parameter_set


def course_setup(species: str, site: str, field_cm3: float | None, modality: str = "photon"):
    """Parameter set, site values, field (cm^3), blood volume (mL) and modality factor of a probe's RT course."""
    pset = load_parameter_set(species, "nsclc" if species == "human" else "ct26")
    site_vals = {name: entry.to(SITE_UNITS[name]) for name, entry in pset.sites[site].items()}
    field = field_cm3 if field_cm3 is not None else site_vals["default_field_size"]
    factor = pset["proton_blood_dose_factor"].value if modality == "proton" else 1.0
    return pset, site_vals, field, pset["blood_volume"].to("L") * 1000.0, factor


def blood_exposed_fraction(species: str = "human", site: str = "brain", beam_on_s: float = 60.0,
                           field_cm3: float | None = None, dose_gy: float = 2.0) -> float:
    """Fraction of circulating blood that passes the field during one fraction (M9 blood-dose model)."""
    _, site_vals, field, blood_ml, _ = course_setup(species, site, field_cm3)
    return blood_exposure(dose_gy, field, beam_on_s / 60.0, site_vals, blood_ml)[0]


def lymphocyte_fraction_surviving(species: str = "human", site: str = "brain", dose_gy: float = 2.0, fractions: int = 30,
                                  beam_on_s: float = 60.0, field_cm3: float | None = None, modality: str = "photon") -> float:
    """ALC surviving a course without recovery (product of per-fraction factors)."""
    pset, site_vals, field, blood_ml, factor = course_setup(species, site, field_cm3, modality)
    values = {"blood_volume_ml": blood_ml, "lymphocyte_alpha": pset["lymphocyte_alpha"].to("1/Gy"),
              "lymphocyte_beta": pset["lymphocyte_beta"].to("1/Gy^2")}
    effect = fraction_effect(dose_gy, field, beam_on_s / 60.0, site_vals, values, factor)
    return effect.alc_factor ** fractions


def terminal_half_life(species: str = "human", agent: str = "pembrolizumab") -> float:
    return get_agent(species, agent).terminal_half_life()


def lq_parameter(species: str = "human", tumour: str = "nsclc", name: str = "alpha_beta") -> float:
    pset = load_parameter_set(species, tumour)
    return pset[name].value


def edic(mld: float, mhd: float, mbd: float, fractions: int) -> float:
    """Jin et al. EDIC (Gy) as quoted in the calibration targets (used to check the formula encoding)."""
    return 0.12 * mld + 0.08 * mhd + (0.45 + 0.35 * 0.85 * math.sqrt(fractions / 45.0)) * mbd


PROBES = {f.__name__: f for f in (blood_exposed_fraction, lymphocyte_fraction_surviving, terminal_half_life, lq_parameter, edic)}
