"""M10: drug pharmacokinetics per agent and target occupancy.

Linear two-compartment model with first-order absorption from a depot (i.p. / s.c.):
    dA_d/dt = -k_a A_d
    dA_c/dt =  k_a A_d - (CL + Q)/V_c A_c + Q/V_p A_p
    dA_p/dt =  Q/V_c A_c - Q/V_p A_p
    C = A_c / V_c (mg/L = ug/mL),  occupancy o = C / (C + EC50)
Doses: i.v. into A_c (infusions of 30-90 min are treated as boluses), i.p./s.c. into A_d times the
bioavailability. mg/kg doses use the body weight, /m^2 doses the body surface area, IU doses the
agent's IU per mg. Several agents on one target combine as o = 1 - prod(1 - o_a).
"""

from __future__ import annotations

import numpy as np


def pk_derivatives(depot, central, peripheral, k):
    """k: namespace of per-agent arrays ka, k10, k12, k21 (1/day)."""
    absorbed = k.ka * depot
    d_depot = -absorbed
    d_central = absorbed - (k.k10 + k.k12) * central + k.k21 * peripheral
    d_peripheral = k.k12 * central - k.k21 * peripheral
    return d_depot, d_central, d_peripheral


def occupancy(central, k):
    concentration = central / k.vc
    return concentration / (concentration + k.ec50)


def combine_by_target(occ, target_matrix):
    """occ (S, A), target_matrix (A, T) of 0/1 -> combined occupancy per target (S, T)."""
    log_free = np.log1p(-np.minimum(occ, 1.0 - 1e-15)) @ target_matrix
    return -np.expm1(log_free)
