"""M6: circulation of effector T cells and trafficking into every lesion by its blood supply.

A circulating effector completes CO/V_B circulations per minute and on each passes through lesion i
with probability Q_T V_i / CO (the lesion's share of cardiac output); it enters with probability
epsilon. Cardiac output cancels: entry per day is epsilon 1440 Q_T (V_Q/V_i)^gamma_Q V_i / V_B per
circulating effector. Perfusion per volume falls as a lesion grows (poorly perfused cores; Vaupel P et al.
Cancer Res 1989;49:6449), so large lesions are less infiltrated per tumour cell than small ones (the size
factor is capped for lesions below 1e-9 mm^3). Radiation damage recruits: entry rises by 1 + g_D times
the lesion's doomed share D_i/max(N_i + D_i, 1 cell) (RT-induced chemokines and adhesion molecules).
Irradiated and non-irradiated lesions are reached alike (the abscopal path), in proportion to their
perfusion and volume, and a large total burden drains the circulating pool (burden effect); circulating
effectors are fed by the nodes (M5) and die at delta_B.
With the mechanism switched off, the same total entry is shared by the lesions in proportion to their own
share of priming (equally among existing lesions while none primes): no systemic redistribution, the
abscopal path is cut.
"""

from __future__ import annotations
