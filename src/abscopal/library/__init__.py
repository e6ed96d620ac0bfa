"""Published reference models that run through abscopal's scenario files, engine and CLI
(``model: <name>`` in a scenario). Each module builds subjects from a scenario and provides a batch
class with the protocol of :mod:`abscopal.model.registry`."""

from .kosinsky2018 import (
    Kosinsky2018Batch,
    KosinskySubject,
    kosinsky_parameters,
    subject_from_scenario_kosinsky,
)

__all__ = ["Kosinsky2018Batch", "KosinskySubject", "kosinsky_parameters", "subject_from_scenario_kosinsky"]
