"""Virtual trials: arms on shared virtual subjects, response, survival and comparisons.

The package returns data: design (files), run (simulation in chunks), analysis and statistics, endpoints, store.
The Python API (``load_trial``, ``run_trial``, ``run_cohort``) is :mod:`abscopal.api`; the printed summary, the
files of ``--out`` and the figures are drawn by the face (:mod:`abscopal.trial_report`, :mod:`abscopal.trial_plots`)."""
