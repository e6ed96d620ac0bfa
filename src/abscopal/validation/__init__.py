"""The literature validation suite: each published target becomes a design (scenario/trial), named
observables and checks of its direction (written down before fitting), plus numeric checks where the
published numbers allow. `abscopal validate` runs them and reports pass/fail honestly."""

from .suite import Target, load_targets, run_target, run_targets

__all__ = ["Target", "load_targets", "run_target", "run_targets"]
