"""M4: type I interferon via cGAS-STING with a Trex1 ceiling.

At each fraction of dose d (coverage c) to a lesion:
    R <- R + (1 - R) * d^n / (d^n + D_T^n)                 (Trex1 induction above ~12-18 Gy)
    I <- I + k_IFN * c * d * (1 - tau_max * R)              (cytosolic DNA -> IFN, degraded by Trex1)
Between fractions:  dI/dt = -delta_I I,  dR/dt = -delta_T R.
Priming per fraction therefore rises with dose per fraction up to ~8-12 Gy and falls above the threshold;
3 x 8 Gy gives more IFN signal than 1 x 20 Gy.
"""

from __future__ import annotations

import numpy as np


def trex1_induction(dose, threshold, hill):
    dn = np.power(np.maximum(dose, 0.0), hill)
    return dn / (dn + np.power(threshold, hill))
