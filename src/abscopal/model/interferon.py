"""M4: type I interferon via cGAS-STING with a Trex1 ceiling.

At each fraction of dose d to a lesion (covered fraction c), the fraction's Trex1 induction is computed
before the solve (interferon.trex1_induction; event data ev_trex1, 0 with trex1 off):
    R_d = d^n_T / (d^n_T + D_T^n_T)                        (Trex1 induction above ~12-18 Gy)
Trex1 first rises by R_d towards 1; then the fraction adds an IFN signal that grows linear-quadratically with
the covered dose c d (cytosolic DNA from misrepair and micronuclei: a quadratic share equal to the linear
one at c d = D_I), times k_IFN, reduced by the share tau_max of the Trex1 level that includes this
fraction's induction. Between fractions IFN and Trex1 decay (delta_I, delta_T). The IFN signal, with a basal
signal I_0 and a TLR3 agonist's danger (M11), matures dendritic cells (half at K_I) and raises PD-L1 (M7).
With a steep Trex1 induction near D_T, the yield per fraction rises with dose per fraction up to just below
D_T and falls above it, so several moderate fractions (3 x 8 Gy) can give more IFN signal than one large
one (1 x 20 Gy); how strongly depends on D_T, n_T, tau_max and D_I of the parameter set.
"""

from __future__ import annotations

import numpy as np


def trex1_induction(dose, threshold, hill):
    dn = np.power(np.maximum(dose, 0.0), hill)
    return dn / (dn + np.power(threshold, hill))
