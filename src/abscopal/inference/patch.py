"""Run with other parameter values in place of the file values, in this process only.

Names follow calibration/calibrate.py: a shared value ``name`` (``parameters/shared/<species>.toml``), a
tumour value ``tumour.name`` (``parameters/tumours/<species>/<tumour>.toml``) and a between-subject spread
``pop.name`` (``parameters/populations/<species>.toml``). Shared and tumour values are in the unit their file
gives; population values in the canonical units of :func:`abscopal.population.population_values`.

The swap edits this process's cached parameter data and clears the caches built from it, so it does not
reach worker processes: code that runs chunks elsewhere applies it again inside each worker (see
``run_trial(within=...)``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import types

from .. import population
from ..errors import InputError, near_miss
from ..model import subject
from ..parameters import store


def _clear() -> None:
    for module in (store, subject, population):
        for name in dir(module):
            f = getattr(module, name)
            if hasattr(f, "cache_clear") and name not in ("load_shared", "_tumour_file", "load_sites"):
                f.cache_clear()
    for f in store.DEPENDENT_CACHES:  # results computed from the old values elsewhere (store.depends_on_parameters)
        f.cache_clear()


def _tumour_entry(name: str, species: str = "mouse") -> dict:
    """The raw entry of ``tumour.key`` in the (cached) tumour file."""
    tumour, key = name.split(".")
    return store._tumour_file(species, tumour)["parameters"][key]


def current(names, species: str = "mouse") -> dict[str, float]:
    """The file values of ``names``."""
    shared, pop = store.load_shared(species), population.population_values(species)
    return {name: pop[name[4:]] if name.startswith("pop.") else float(_tumour_entry(name, species)["value"]) if "." in name
            else shared[name].value for name in names}


def _file_value(name: str, species: str, file: str, key: str) -> float:
    """The file value of ``name``; an InputError naming ``file`` and ``key`` when no such parameter exists."""
    def unknown(problem, choices, expected):
        return InputError(problem, key=key, file=file, expected=expected, suggestion=near_miss(name, choices))

    if name.startswith("pop."):
        pop = population.population_values(species)
        if name[4:] not in pop:
            raise unknown(f"unknown population parameter {name!r}", [f"pop.{n}" for n in pop],
                          f"pop.NAME with NAME a key of parameters/populations/{species}.toml")
        return pop[name[4:]]
    if "." in name:
        tumour, _, short = name.partition(".")
        if tumour not in store.tumour_keys(species):
            raise unknown(f"unknown {species} tumour {tumour!r} in {name!r}", store.tumour_keys(species),
                          f"TUMOUR.NAME with TUMOUR one of {', '.join(store.tumour_keys(species))}")
        table = store._tumour_file(species, tumour).get("parameters", {})
        if short not in table or "." in short:
            raise unknown(f"{name!r}: the tumour file has no parameter {short!r}", [f"{tumour}.{n}" for n in table],
                          f"a key of parameters/tumours/{species}/{tumour}.toml (a shared value is named without the tumour)")
        return float(table[short]["value"])
    shared = store.load_shared(species)
    if name not in shared:
        raise unknown(f"unknown shared parameter {name!r}", shared,
                      f"a key of parameters/shared/{species}.toml, TUMOUR.NAME or pop.NAME")
    return shared[name].value


def check(candidate, species: str, *, file: str = "(parameter values)", prefix: str = "") -> None:
    """Refuse an unknown name or a value that is not a finite number, or negative where the file value is not
    (a parameter whose file value is negative, such as a correlation, is signed)."""
    for name, value in candidate.items():
        key = f"{prefix}{name}"
        if not isinstance(name, str) or not name:
            raise InputError(f"parameter name {name!r} is not a name", key=key, file=file, expected="NAME, TUMOUR.NAME or pop.NAME")
        base = _file_value(name, species, file, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"value {value!r} is not a finite number", key=key, file=file,
                             expected="a finite number in the file's unit of that parameter")
        if value < 0 and base >= 0:
            raise InputError(f"value {value!r} is negative", key=key, file=file,
                             expected="a value >= 0 (the file value is non-negative)")


@contextlib.contextmanager
def values(candidate: dict[str, float], species: str = "mouse"):
    """Run with ``candidate`` in place of the file values (in this process only); restores them afterwards."""
    check(candidate, species)
    shared, saved = store.load_shared(species), {}
    pop_values = {name[4:]: float(v) for name, v in candidate.items() if name.startswith("pop.")}
    original_population = population.population_values
    try:
        if pop_values:
            patched = types.MappingProxyType({**original_population(species), **pop_values})
            population.population_values = lambda s: patched if s == species else original_population(s)
        for name, v in candidate.items():
            if name.startswith("pop."):
                continue
            if "." in name:
                saved[name] = _tumour_entry(name, species)["value"]
                _tumour_entry(name, species)["value"] = v
            else:
                saved[name] = shared[name]
                shared[name] = dataclasses.replace(shared[name], value=float(v))
        _clear()
        yield
    finally:
        population.population_values = original_population
        for name, old in saved.items():
            if "." in name:
                _tumour_entry(name, species)["value"] = old
            else:
                shared[name] = old
        _clear()
