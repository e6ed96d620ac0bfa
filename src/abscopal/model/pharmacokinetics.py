"""M10: drug pharmacokinetics per agent and target occupancy.

Linear two-compartment model with first-order absorption from a depot (i.p. / s.c.), with per-drug rate
constants computed before the solve:
    k10 = CL / V_c,  k12 = Q / V_c,  k21 = Q / V_p
The concentration A_c / V_c (mg/L = ug/mL) gives the occupancy C / (C + EC50); several agents on one target
combine as o = 1 - prod(1 - o_a). Doses: i.v. into the central compartment (infusions of 30-90 min are
treated as boluses), i.p./s.c. into the depot times the bioavailability. mg/kg doses use the body weight,
/m^2 doses the body surface area, IU doses the agent's IU per mg.
"""

from __future__ import annotations
