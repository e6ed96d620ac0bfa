"""Models that run through the same scenario files, engine and CLI.

A model's batch class takes a list of subjects and provides ``initial_state()``, ``rhs(t, y, aux)``,
``ev_time``, ``apply_events(y, aux, rows, events)``, ``nonnegative()`` and ``readout(i, states, t_out)``.
"""

from __future__ import annotations


def make_batch(subjects):
    from .batch import Batch

    models = {getattr(s, "model", "abscopal") for s in subjects}
    if len(models) != 1:
        raise ValueError("all subjects of a batch must use one model")
    model = models.pop()
    if model == "abscopal":
        return Batch(subjects)
    if model == "Kosinsky2018":
        from ..library.kosinsky2018 import Kosinsky2018Batch

        return Kosinsky2018Batch(subjects)
    raise ValueError(f"unknown model {model!r}")
