"""M3: immunogenic cell death. Dying cells release antigen and danger signals; radiation-induced
death is more immunogenic than spontaneous or immune-mediated death; antigenicity scales with TMB.

Antigen release of a lesion counts its doomed cells cleared (weight w_RT) and its viable cells dying by
immune killing and spontaneous loss (weight w_0), times the tumour's antigenicity a_g, which for a patient
of given TMB is scaled by (TMB/TMB_0)^nu before the solve. Dendritic-cell uptake saturates with release
(half at K_A). With the mechanism switched off, radiation-induced death is no more immunogenic than any
other (w_RT is replaced by w_0).
"""

from __future__ import annotations
