"""Fitting the model to a user's own measurements (``abscopal fit``; ``abscopal.fit(...)`` from Python).

- :mod:`.data`: the long-format tables (mouse volumes or calipers, clinical diameters), checked row by row;
- :mod:`.design`: the scenario or trial file that says which treatment each group received;
- :mod:`.model`: priors, the mixed-effects likelihood and its batched simulations;
- :mod:`.sampler`: emcee with checkpoint and resume, and convergence diagnostics;
- :mod:`.summary`, :mod:`.figures`, :mod:`.fitted`: the posterior table, warnings, goodness of fit, figures
  and the fitted scenario;
- :mod:`.synthetic`: data made by the model, for recovery tests.

docs/fit.md is the tutorial.
"""

from .api import FitResult as FitResult
from .api import fit as fit
