"""M1: tumour growth per lesion (Gompertz with a proliferation cap and a one-clonogen extinction damping).

    V_tot = (N + D) / rho
    g     = min(g_max, a * ln(K / V_tot)),  a = ln2 / (T_d * ln(K / V_ref))
    d lnN/dt |growth = g * N / (N + N_x) - d_0

With a = ln 2 / (T_d ln(K/V_ref)), the specific growth rate at V_ref is ln2/T_d (doubling time T_d).

Stroma: a lesion's measured volume is its cells plus stroma/fibrosis Z, which follows the cellular volume
slowly (remodelling), so a sterilised lesion leaves a shrinking scar rather than vanishing at once:
    dZ/dt = k_Z (f_S/(1 - f_S) V_cells - Z),   V_measured = V_cells + Z
"""

from __future__ import annotations

import numpy as np


def gompertz_constant(doubling_time, reference_volume, carrying_capacity):
    return np.log(2.0) / (doubling_time * np.log(carrying_capacity / reference_volume))


def stroma_target(cell_volume, p):
    return p.stromal_fraction / (1.0 - p.stromal_fraction) * cell_volume
