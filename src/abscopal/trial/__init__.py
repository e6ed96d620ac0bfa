"""Virtual trials: arms on shared virtual subjects, response, survival and comparisons.

The Python API (``load_trial``, ``run_trial``, ``run_cohort``) is :mod:`abscopal.trial.api`; the package's lower
layers are design (files), run (simulation in chunks), analysis and statistics, store, plots and report."""

from .api import TrialResult, load_trial, run_cohort, run_trial

__all__ = ["TrialResult", "load_trial", "run_cohort", "run_trial"]
