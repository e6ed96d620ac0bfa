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

