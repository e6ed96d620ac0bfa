"""M1: tumour growth per lesion (Gompertz with a proliferation cap and a one-clonogen extinction damping).

A lesion's viable clonogens grow at the Gompertz rate of its total cell volume (viable plus doomed cells,
so doomed cells still crowd the lesion), capped at the cell-cycle limit g_max, damped by N/(N + N_x) so that
fewer than about one surviving clonogen cannot regrow, slowed by the IFN-gamma field of the lesion's effector T
cells (times 1 - c_G G, M7), and lose d_0 per day. The Gompertz constant is fixed
per subject (growth.gompertz_constant) so that the specific growth rate at V_ref is ln 2 / T_d:
    a = ln 2 / (T_d ln(K / V_ref))
Lesions of one subject do not grow alike: lesion k's rate is a f_k, f_k = exp(sigma_L z_k) (subject.scatter_growth,
z_k from a stream keyed by the lesion id), with the baseline lesions' z centred and scaled to unit sample SD, so T_d
is the geometric mean of the subject's measured lesions and a single lesion keeps it; occult deposits draw around the
same centre. sigma_L (human 0.1) makes progression on PD-1 blockade mixed (one lesion growing while another does not)
about as often as published (Osorio 2019: 45% in NSCLC); untreated pulmonary metastases spread more (Am J Clin Oncol
2003;26(4)); mice have none.

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
