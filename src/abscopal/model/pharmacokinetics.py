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
