"""Regimen optimisation under constraints (``abscopal optimise``; docs/optimise.md).

    >>> import abscopal
    >>> result = abscopal.optimise("examples/optimise_nsclc_sbrt_pd1.yaml")   # doctest: +SKIP
    >>> result.regimens[0]["objective"], result.summary()["standard"]["objective"]   # doctest: +SKIP
"""

from .problem import Problem, load_problem
from .run import OptimisationResult, optimise

__all__ = ["OptimisationResult", "Problem", "load_problem", "optimise"]
