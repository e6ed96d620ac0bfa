"""M9: radiosensitivity of lymphocytes - circulating-blood dose, in-field residents, draining nodes,
bone marrow - and recovery of the count. ALC is an output.

Per fraction of dose d to a field of volume V_F (cm^3) at a site with tissue perfusion Q_F, blood
volume fraction b_F and beam-on time t_B (min), with circulating blood volume V_B (mL), the survival
factors are computed before the solve (lymphocytes.fraction_effect; S_L(x) = exp(-alpha_L x - beta_L x^2)):
    f_exp    = 1 - (1 - b_F V_F / V_B) exp(-Q_F V_F t_B / V_B)   (fraction of circulating blood exposed)
    d_b      = d f_p b_F V_F / (f_exp V_B)                   (mean dose of exposed blood; energy balance)
    S_blood  = 1 - f_exp (1 - S_L(d_b))
    S_res    = 1 - min(1, l_F V_F) (1 - S_L(d))              (lymphocytes resident in the field)
    S_node   = 1 - f_N (1 - S_L(d))                          (per lesion whose nodes are in the field)
    S_marrow = 1 - min(1, m_F V_F) (1 - S_L(d))
    S_TIL    = (1 - c) + c exp(-alpha_E d - beta_E d^2)      (effectors inside a lesion, coverage c)
They enter the events as ev_alc = S_blood S_res (times S_node for each lesion whose nodes are irradiated),
ev_blood = S_blood (circulating effectors), ev_marrow = S_marrow, ev_til_surv = S_TIL, and ev_node_surv =
S_L(d) for the function of an irradiated draining node; the primed pool in the nodes loses the share of
its DC stimulation that sat in the irradiated nodes. Between fractions ALC recovers at r_A towards the
marrow-limited baseline M ALC_0, marrow lymphopoiesis M at r_M towards 1, node function at r_N towards 1.
Many small fractions re-expose the circulating pool each time, so 30 x 2 Gy depletes more than 3 x 8 Gy.

Low-dose bath (human plans): around each treated lesion's field V_F, entry, exit and scatter dose spread a low
dose over a much larger volume V_bath = min(m_B V_F, V_max) (m_B: bath_volume_factor; V_max: bath_max_volume, the
trunk region a plan can reach) at a mean r_B d per fraction (r_B: bath_dose_ratio, times f_p for protons). Its
resident lymphocytes, at l_B per cm^3 (a body-average share), are killed like those in the field:
    S_bath   = 1 - min(1, l_B V_bath) (1 - S_L(r_B f_p d))
and S_bath multiplies ev_alc. This is the integral-dose ("mean body dose") part of the effective dose to
circulating immune cells (Jin JY et al., Cancers 2021;13:6193), which counts most of a conventional course's
lymphocyte kill and which the field alone misses. Blocks given as a site and field size (an explicit low-dose
volume) get no further bath. m_B = 0 switches it off (mouse irradiators collimate to the tumour).

f_exp is the share of the blood that has been in the field at least once when the beam stops: the blood in the
field when it starts (b_F V_F) and the blood that flows in while it is on (Q_F V_F per minute). With complete
mixing the inflow is drawn from the whole pool, of which only the still-unexposed share u is new
(du/dt = -Q_F V_F u / V_B, u(0) = 1 - b_F V_F / V_B): blood that has passed the field and comes back is not
counted again, so f_exp saturates towards 1 instead of growing linearly (for a short beam,
f_exp ~ (b_F V_F + Q_F V_F t_B) / V_B). The blood-volume-weighted dose f_exp d_b = d f_p b_F V_F / V_B
(f_p: modality factor) does not depend on flow or beam-on time, which only spread it over more blood at a lower dose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class FractionEffect:
    blood_survival: float
    alc_factor: float
    marrow_factor: float


def lymphocyte_survival(dose: float, alpha: float, beta: float) -> float:
    return math.exp(-alpha * dose - beta * dose * dose)


def blood_exposure(dose: float, field_cm3: float, beam_on_min: float, site: dict[str, float], blood_ml: float,
                   modality_factor: float = 1.0) -> tuple[float, float]:
    """(fraction of circulating blood exposed, mean dose of the exposed blood in Gy) for one fraction.

    The one place the M9 blood-dose model is computed (simulation, batch runs and validation probes all call it)."""
    in_field = min(1.0, site["blood_volume_fraction"] * field_cm3 / blood_ml)  # share of the blood in the field
    turnover = site["tissue_perfusion"] * field_cm3 * max(beam_on_min, 0.0) / blood_ml  # blood volumes through it
    fraction_exposed = 1.0 - (1.0 - in_field) * math.exp(-turnover)
    blood_dose = dose * modality_factor * in_field / fraction_exposed if fraction_exposed > 0 else 0.0
    return fraction_exposed, blood_dose


def bath_survival(dose: float, field_cm3: float, values: dict[str, float], modality_factor: float = 1.0) -> float:
    """Share of body lymphocytes surviving one fraction's low-dose bath around a field of field_cm3 (S_bath above)."""
    volume = min(values["bath_volume_factor"] * field_cm3, values["bath_max_volume"])
    if volume <= 0.0 or dose <= 0.0:
        return 1.0
    share = min(1.0, values["bath_lymphocyte_density"] * volume)
    bath_dose = values["bath_dose_ratio"] * modality_factor * dose
    return 1.0 - share * (1.0 - lymphocyte_survival(bath_dose, values["lymphocyte_alpha"], values["lymphocyte_beta"]))


def fraction_effect(
    dose: float,
    field_cm3: float,
    beam_on_min: float,
    site: dict[str, float],
    species: dict[str, float],
    modality_factor: float,
) -> FractionEffect:
    """Effects of one fraction on circulating, resident and marrow lymphocytes (state-independent)."""
    alpha, beta = species["lymphocyte_alpha"], species["lymphocyte_beta"]
    fraction_exposed, blood_dose = blood_exposure(dose, field_cm3, beam_on_min, site, species["blood_volume_ml"], modality_factor)
    blood_survival = 1.0 - fraction_exposed * (1.0 - lymphocyte_survival(blood_dose, alpha, beta))
    killed_in_field = 1.0 - lymphocyte_survival(dose, alpha, beta)
    resident = min(1.0, site["lymphocyte_density"] * field_cm3)
    marrow = min(1.0, site["marrow_density"] * field_cm3)
    return FractionEffect(
        blood_survival=blood_survival,
        alc_factor=blood_survival * (1.0 - resident * killed_in_field),
        marrow_factor=1.0 - marrow * killed_in_field,
    )
