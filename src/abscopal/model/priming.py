"""M5: dendritic-cell maturation, migration to the draining node, cross-priming and clonal expansion.

    dM_i/dt = delta_M (B A*_i G_i - M_i)                     (mature antigen-loaded DCs from lesion i)
    P_in    = k_P (ALC/ALC_ref)^n_A (1 + g_C o_CTLA4) sum_i M_i F_i / (1 + B/B_S)
              (priming; node function F_i; B = total tumour volume, systemic suppression of M8)
    dT_P/dt = P_in - k_out (1 - f) T_P,   output to blood k_out T_P
    f       = f_0 + (f_max - f_0) c/(1 + c),  c = g_2 o_IL2 + g_O o_OX40 + g_K o_CD137
CTLA-4 competes with CD28 for CD80/86: blockade raises priming (and lowers Tregs, M8).
"""

from __future__ import annotations
