"""M7: killing of tumour cells by effector T cells, inhibited by PD-1/PD-L1 (adaptive resistance).

    q_i    = E_i / (N_i + D_i)                                  (effector:target ratio)
    P_eff  = P_i (1 - o_PD1)(1 - o_PDL1)                         (engaged PD-L1)
    k_i    = k_K q_i / (1 + q_i / q_s) * (1 - p_max P_eff) / (1 + S_i)
    dP_i/dt = k_L (P_0 + (1 - P_0) min(1, g_L q_i/(q_i + q_L) + g_R I_i/(I_i + K_I)) - P_i)
    dE_i/dt = J_i + r_E E_i (1 - p_max P_eff)/((1 + S_i)(1 + q_i/q_E)) - delta_E (1 + x_E P_eff) E_i
The intratumoural proliferation term is the lever of PD-1/PD-L1 blockade: with PD-L1 engaged and
suppression high, loss exceeds proliferation; blockade lets effectors expand until antigen competition
(q_i/q_E) balances loss.
"""

from __future__ import annotations

import numpy as np


def engaged_pdl1(pdl1, o_pd1, o_pdl1, pd1_axis_on):
    return pd1_axis_on * pdl1 * (1.0 - o_pd1) * (1.0 - o_pdl1)


def kill_rate_per_cell(ratio, engaged, suppression, p):
    return p.kill_rate * ratio / (1.0 + ratio / p.kill_saturation_ratio) * (1.0 - p.pdl1_max_inhibition * engaged) / (1.0 + suppression)


def pdl1_target(ratio, ifn, p):
    drive = p.pdl1_ifng_gain * ratio / (ratio + p.pdl1_ifng_half_ratio) + p.pdl1_rt_gain * ifn / (ifn + p.ifn_half_maturation)
    return p.pdl1_baseline + (1.0 - p.pdl1_baseline) * np.minimum(drive, 1.0)


def til_proliferation(ratio, engaged, suppression, p):
    return p.til_proliferation_rate * (1.0 - p.pdl1_max_inhibition * engaged) / ((1.0 + suppression) * (1.0 + ratio / p.til_proliferation_half_ratio))
