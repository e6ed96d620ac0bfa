"""M8: immunosuppression in each lesion (Tregs, MDSC, M2 macrophages, TGF-beta); RT raises part of it.

A lesion's suppression follows (rate k_S) a target: its baseline S_0, scaled by the total burden (below),
with the Treg share phi_T removed in proportion to Treg depletion by anti-CTLA-4 (each drug's Fc-dependent
depleting capacity times its occupancy) and the TGF-beta share phi_B reduced by TGF-beta blockade (b_T the
fraction a full blockade removes); plus g_S times the lesion's doomed share D_i/max(N_i + D_i, 1 cell)
(RT-activated TGF-beta, MDSC), of which blockade removes the same fraction b_T. The one-cell floor keeps
the doomed share of an eradicated lesion, where both counts vanish, from amplifying round-off: a lesion of
fewer than one cell has no meaningful doomed share. Local suppression reduces killing and intratumoural
proliferation (M7) and DC maturation (g_M, M5).
Systemic suppression: a large total tumour burden B expands MDSC and Tregs. It lowers priming by
1/(1 + B/B_S) (M5) and, as circulating MDSC infiltrate every lesion (Liang 2019 J Cancer 10:1341:
circulating MDSC rise with tumour burden), raises each lesion's baseline suppression by the factor
(1 + g_B B/B_S)/(1 + g_B), which is 1 at B = B_S (so S_0 is the suppression at that burden) and falls
as the disease shrinks. Both are reasons why low burden favours response (Joseph 2018 Clin Cancer
Res 24:4960: ORR 44% vs 23% below vs above the median baseline tumour size on pembrolizumab).
"""

from __future__ import annotations
