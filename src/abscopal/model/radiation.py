"""M2: radiation cell kill by the linear-quadratic model, per fraction, with re-oxygenating hypoxic cells.

The survival of a fraction of dose d is computed before the solve (radiation.covered_survival; event data
ev_tumour_surv), the hypoxic share being re-oxygenated between fractions:
    S(d) = (1 - h) exp(-alpha d - beta d^2) + h exp(-alpha d / OER - beta d^2 / OER^2),  beta = alpha / (alpha/beta)
    S_c  = (1 - c) + c S(d)       (a fraction c of the lesion covered by the field)

At the fraction, a share 1 - S_c of the viable cells becomes doomed: it stops dividing, stays in the
measured volume, and is cleared at rate mu_d (shrinkage lags dose by days).
"""

from __future__ import annotations

import numpy as np


def lq_survival(dose, alpha, beta):
    return np.exp(-alpha * dose - beta * dose * dose)


def tumour_survival(dose, alpha, alpha_beta, hypoxic_fraction, oer):
    beta = alpha / alpha_beta
    oxic = lq_survival(dose, alpha, beta)
    hypoxic = lq_survival(dose, alpha / oer, beta / (oer * oer))
    return (1.0 - hypoxic_fraction) * oxic + hypoxic_fraction * hypoxic


SURVIVAL_FLOOR = 1e-300  # a fraction never kills more than this: below it every cell of any lesion is dead anyway


def covered_survival(dose, coverage, alpha, alpha_beta, hypoxic_fraction, oer):
    """Survival of the whole lesion when a fraction ``coverage`` of it receives ``dose``.

    Floored at SURVIVAL_FLOOR: a steep LQ curve (a very small alpha/beta, or a large alpha, with a large dose)
    underflows to 0, and the event takes its logarithm (log_cells); 1e-300 of at most ~1e12 cells is none."""
    return np.maximum((1.0 - coverage) + coverage * tumour_survival(dose, alpha, alpha_beta, hypoxic_fraction, oer),
                      SURVIVAL_FLOOR)
