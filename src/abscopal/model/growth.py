"""M1: tumour growth per lesion (Gompertz with a proliferation cap and a one-clonogen extinction damping).

A lesion's viable clonogens grow at the Gompertz rate of its total cell volume (viable plus doomed cells,
so doomed cells still crowd the lesion), capped at the cell-cycle limit g_max, damped by N/(N + N_x) so that
fewer than about one surviving clonogen cannot regrow, and lose d_0 per day. The Gompertz constant is fixed
per subject (growth.gompertz_constant) so that the specific growth rate at V_ref is ln 2 / T_d:
    a = ln 2 / (T_d ln(K / V_ref))

Stroma: a lesion's measured volume is its cells plus stroma/fibrosis, which follows the cellular volume
slowly (remodelling at k_Z towards f_S/(1 - f_S) of it), so a sterilised lesion leaves a shrinking scar
rather than vanishing at once.
"""

from __future__ import annotations

import numpy as np


def gompertz_constant(doubling_time, reference_volume, carrying_capacity):
    return np.log(2.0) / (doubling_time * np.log(carrying_capacity / reference_volume))


def stroma_target(cell_volume, p):
    return p.stromal_fraction / (1.0 - p.stromal_fraction) * cell_volume
