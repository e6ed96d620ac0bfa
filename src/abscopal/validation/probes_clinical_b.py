"""Probes and custom metrics of the clinical_b target group.

``PROBES`` (name -> function(**kwargs) -> float), discovered by ``suite.extensions()``:

- ``cumulative_blood_exposed_fraction``: share of circulating blood that has passed the field at least once
  after ``fractions`` fractions, 1 - (1 - f)^n with f the one-fraction exposed share of the M9 blood-dose model
  (``probes.blood_exposed_fraction``). The model acts on the whole circulating pool at every fraction, i.e. it
  assumes complete mixing of the blood between fractions; this probe states that assumption as a cumulative
  exposure (Yovino 2013 / Hammi 2020 report the same quantity from their blood-flow models).
- ``mean_blood_dose``: mean dose (Gy) to the whole circulating blood pool accumulated over a course, by the M9
  energy balance: per fraction f_exp * d_b = d f_p b_F V_F / V_B (when f_exp < 1), summed over fractions.
- ``lq_parameter_median``: median of one parameter (default ``alpha_beta``) over a list of parameter sets.

``METRICS`` (name -> function(spec, run, summary) -> float | None):

- ``os_hazard_ratio_below_vs_above_median``: Cox hazard ratio of overall survival of subjects at or below the
  arm's median of a baseline covariate relative to those above it (below 1: the low group lives longer).
  Arguments: ``arm``, ``covariate`` (a record key, e.g. ``baseline_sum_diameters_mm``).
"""

from __future__ import annotations

import numpy as np

from ..model.lymphocytes import blood_exposure
from .probes import blood_exposed_fraction, course_setup, lq_parameter


def cumulative_blood_exposed_fraction(species: str = "human", site: str = "brain", beam_on_s: float = 60.0,
                                      field_cm3: float | None = None, dose_gy: float = 2.0, fractions: int = 1) -> float:
    f = blood_exposed_fraction(species=species, site=site, beam_on_s=beam_on_s, field_cm3=field_cm3, dose_gy=dose_gy)
    return 1.0 - (1.0 - f) ** int(fractions)


def mean_blood_dose(species: str = "human", site: str = "brain", dose_gy: float = 2.0, fractions: int = 30,
                    beam_on_s: float = 60.0, field_cm3: float | None = None, modality: str = "photon") -> float:
    _, site_vals, field, blood_ml, factor = course_setup(species, site, field_cm3, modality)
    f_exp, d_b = blood_exposure(dose_gy, field, beam_on_s / 60.0, site_vals, blood_ml, factor)
    return float(int(fractions) * f_exp * d_b)


def lq_parameter_median(species: str = "human", tumours: list | None = None, name: str = "alpha_beta") -> float:
    return float(np.median([lq_parameter(species=species, tumour=t, name=name) for t in tumours or []]))


PROBES = {f.__name__: f for f in (cumulative_blood_exposed_fraction, mean_blood_dose, lq_parameter_median)}


def os_hazard_ratio_below_vs_above_median(spec: dict, run, summary) -> float | None:
    import pandas as pd
    from lifelines import CoxPHFitter

    records = [r for r in run.records[spec["arm"]] if r.get("status") == "ok" and r.get("os_day") is not None]
    if not records:
        return None
    x = np.array([r[spec["covariate"]] for r in records], float)
    low = (x <= np.median(x)).astype(float)
    frame = pd.DataFrame({"t": [r["os_day"] for r in records], "e": [bool(r["os_event"]) for r in records], "low": low})
    if frame["e"].sum() == 0 or low.all() or not low.any():
        return None
    fit = CoxPHFitter().fit(frame, duration_col="t", event_col="e")
    return float(np.exp(fit.params_["low"]))


METRICS = {f.__name__: f for f in (os_hazard_ratio_below_vs_above_median,)}
