"""abscopal: in-silico radioimmunotherapy for multi-lesion virtual patients and mice (research use only)."""

from .model.describe import describe as describe
from .scenario.load import load_scenario as load_scenario
from .scenario.load import parse_scenario as parse_scenario
from .simulate import Result as Result
from .simulate import __version__ as __version__
from .simulate import simulate as simulate
from .simulate import simulate_many as simulate_many

# Cohorts and trials (abscopal.api), imported on first use: `import abscopal` stays light for one simulation.
_TRIAL_API = ("load_trial", "run_trial", "run_cohort", "TrialResult")
_FIT_API = ("fit", "FitResult")  # abscopal.fitting: fit parameters to the user's own measurements
# Regimen optimisation (abscopal.optimisation), likewise on first use.
_OPTIMISE_API = ("optimise", "load_problem", "OptimisationResult")


def __getattr__(name: str):
    if name in _TRIAL_API:
        from . import api

        return getattr(api, name)
    if name in _FIT_API:
        from . import fitting

        return getattr(fitting, name)
    if name in _OPTIMISE_API:
        import importlib

        return getattr(importlib.import_module(".optimisation", __name__), name)
    raise AttributeError(f"module 'abscopal' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_TRIAL_API) + list(_FIT_API) + list(_OPTIMISE_API))
