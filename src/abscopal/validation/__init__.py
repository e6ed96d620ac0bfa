"""The literature validation suite: each published target becomes a design (scenario/trial), named
observables and checks of its direction (written down before fitting), plus numeric checks where the
published numbers allow. `abscopal validate` runs them and reports pass/fail honestly.

The suite's names are loaded on first use (PEP 562), so that importing a light submodule such as
``validation.cache`` (the model fingerprint that every ``--uncertainty`` run checks) does not import the suite,
its metrics and scipy.stats."""

__all__ = ["Target", "load_targets", "run_target", "run_targets"]


def __getattr__(name: str):
    if name in __all__:
        from . import suite

        return getattr(suite, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
