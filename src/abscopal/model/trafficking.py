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

import numpy as np

MINUTES_PER_DAY = 1440.0


def infiltration_rate(volume, p):
    """Per-circulating-cell rate of entry into each lesion (1/day), shape (S, L)."""
    size_factor = (p.perfusion_reference_volume / np.maximum(volume, 1e-9)) ** p.perfusion_size_exponent
    return p.effector_extraction * MINUTES_PER_DAY * p.tumour_perfusion * size_factor * volume / p.blood_volume_mm3
