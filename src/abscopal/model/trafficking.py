"""M6: circulation of effector T cells and trafficking into every lesion by its blood supply.

A circulating effector completes CO/V_B circulations per minute and on each passes through lesion i
with probability Q_T V_i / CO (the lesion's share of cardiac output); it enters with probability
epsilon. Cardiac output cancels:
    J_i = epsilon * 1440 * Q_T(site_i) (V_Q/V_i)^gamma_Q * V_i / V_B * T_B        [cells/day]
Perfusion per volume falls as a lesion grows (poorly perfused cores; Vaupel P et al. Cancer Res 1989;49:6449),
so large lesions are less infiltrated per tumour cell than small ones.
so irradiated and non-irradiated lesions are reached alike (the abscopal path), in proportion to their
perfusion and volume, and a large total burden drains the circulating pool (burden effect).
With the mechanism switched off, each lesion receives effectors only in proportion to its own share
of priming (no systemic redistribution: the abscopal path is cut).
"""

from __future__ import annotations
