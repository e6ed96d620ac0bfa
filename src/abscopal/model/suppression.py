"""M8: immunosuppression in each lesion (Tregs, MDSC, M2 macrophages, TGF-beta); RT raises part of it.

    S*_i   = S_0 (1 + g_B B/B_S)/(1 + g_B) max(1 - phi_T tau_C o_CTLA4 - phi_B b_T o_TGFb, 0)
             + g_S (D_i/max(N_i + D_i, 1 cell)) (1 - b_T o_TGFb)
    dS_i/dt = k_S (S*_i - S_i)
(the one-cell floor keeps the doomed share of an eradicated lesion, where both counts vanish, from
amplifying round-off: a lesion of fewer than one cell has no meaningful doomed share.)
tau_C is the Treg-depleting capacity of the anti-CTLA-4 agent (Fc-dependent), o its occupancy;
phi_T and phi_B are the Treg and TGF-beta shares of baseline suppression, b_T the fraction of
TGF-beta suppression a full blockade removes.
Systemic suppression: a large total tumour burden B expands MDSC and Tregs. It lowers priming by
1/(1 + B/B_S) (M5) and, as circulating MDSC infiltrate every lesion (Liang 2019 J Cancer 10:1341:
circulating MDSC rise with tumour burden), raises each lesion's baseline suppression by the factor
(1 + g_B B/B_S)/(1 + g_B), which is 1 at B = B_S (so S_0 is the suppression at that burden) and falls
as the disease shrinks. Both are reasons why low burden favours response (Joseph 2018 Clin Cancer
Res 24:4960: ORR 44% vs 23% below vs above the median baseline tumour size on pembrolizumab).
"""

from __future__ import annotations
