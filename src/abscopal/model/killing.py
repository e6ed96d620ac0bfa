"""M7: killing of tumour cells by effector T cells, inhibited by PD-1/PD-L1 (adaptive resistance).

    q_i    = E_i / (N_i + D_i)                                  (effector:target ratio)
    P_eff  = P_i (1 - o_PD1)(1 - o_PDL1)                         (engaged PD-L1)
    k_i    = k_K a_g q_i / (1 + q_i / q_s) * (1 - p_max P_eff) / (1 + S_i)
    dP_i/dt = k_L (P_0 + (1 - P_0) min(1, g_L q_i/(q_i + q_L) + g_R I_i/(I_i + K_I)) - P_i)
    dE_i/dt = J_i + r_E a_g E_i (1 - p_max P_eff)/((1 + S_i)(1 + q_i/q_E)) - delta_E (1 + x_E P_eff) E_i
Recognition: the subject's antigenicity a_g (M3: 1 = the highly immunogenic reference, scaled by the
patient's TMB) multiplies both killing and the antigen-driven expansion of effectors in the lesion. A T
cell kills, and divides on, only the tumour cells whose antigens it recognises, and tumours with few
neoantigens sustain little T-cell expansion: checkpoint-inhibitor response rates across tumour types rise
with their mutational burden (Yarchoan M et al. N Engl J Med 2017;377:2500, PMC6549688; r = 0.74 over 27
types), and microsatellite-stable colorectal and pancreatic cancers barely respond to PD-1 blockade
(Le DT et al. N Engl J Med 2015;372:2509). Before 2026-12-04 a_g entered only the antigen released for
priming (M3), where DC uptake saturates, so a cold tumour type was killed as fast as a hot one once T
cells arrived.
The intratumoural proliferation term is the lever of PD-1/PD-L1 blockade: with PD-L1 engaged and
suppression high, loss exceeds proliferation; blockade lets effectors expand until antigen competition
(q_i/q_E) balances loss.
"""

from __future__ import annotations

