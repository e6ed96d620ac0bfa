"""M3: immunogenic cell death. Dying cells release antigen and danger signals; radiation-induced
death is more immunogenic than spontaneous or immune-mediated death; antigenicity scales with TMB.

    A_i   = a_g (TMB/TMB_0)^nu * ( w_RT mu_d D_i + w_0 (k_i + d_0) N_i )        [cells/day]
    A*_i  = A_i / (A_i + K_A)                                                   (saturating DC uptake)
"""

from __future__ import annotations
