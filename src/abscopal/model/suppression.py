"""M8: immunosuppression in each lesion (Tregs, MDSC, M2 macrophages, TGF-beta); RT raises part of it.

    S*_i   = S_0 (1 - phi_T tau_C o_CTLA4) + g_S (D_i/max(N_i + D_i, 1 cell)) (1 - b_T o_TGFb)
    dS_i/dt = k_S (S*_i - S_i)
(the one-cell floor keeps the doomed share of an eradicated lesion, where both counts vanish, from
amplifying round-off: a lesion of fewer than one cell has no meaningful doomed share.)
tau_C is the Treg-depleting capacity of the anti-CTLA-4 agent (Fc-dependent), o its occupancy.
Systemic suppression: a large total tumour burden B expands MDSC and Tregs and lowers priming by
1/(1 + B/B_S) (M5), one reason why low burden favours response (Joseph 2018 Clin Cancer Res 24:4960).
"""

from __future__ import annotations
