"""Loading parameter files: ``shared/<species>.toml``, ``shared/sites.toml``, ``tumours/<species>/<key>.toml``.

An :class:`Entry` keeps value, unit, source/assumption; a :class:`ParameterSet` merges the shared
species file with one tumour file (tumour values override shared ones of the same name).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..errors import ParameterError
from ..units import convert_unit


@dataclass(frozen=True)
class Entry:
    name: str
    value: float
    unit: str
    source: str | None
    assumption: str | None
    note: str | None
    file: str

    @property
    def provenance(self) -> str:
        return self.source if self.source else f"assumption: {self.assumption}"

    def to(self, unit: str) -> float:
        """The value converted to ``unit``."""
        if (self.unit in ("", "1")) and unit in ("", "1"):
            return self.value
        return convert_unit(self.value, self.unit if self.unit != "1" else "", unit if unit != "1" else "")


# Caches elsewhere that hold results computed from parameter values (a validation probe's variant runs, for
# example): inference.patch clears them whenever it swaps values in or out, like this module's own caches.
DEPENDENT_CACHES: list = []


def depends_on_parameters(function):
    """Register a cached function (``functools.cache``/``lru_cache``) whose results depend on parameter values."""
    DEPENDENT_CACHES.append(function)
    return function


def _root():
    return resources.files("abscopal.parameters")


# The species whose simulation is running under a species-keyed cache (validation.cache keys a target with a design
# by the fingerprint of its own species' files only): reading the other species' files then would let a stale
# cached result survive a change of those files, so it is refused.
_SCOPE: list[str | None] = [None]


class SpeciesScopeError(RuntimeError):
    """A simulation keyed to one species read the other species' parameters (a bug, never bad input)."""


@contextlib.contextmanager
def species_scope(species: str | None):
    """While open, loaders of species data refuse any species but ``species`` (None: no restriction)."""
    previous = _SCOPE[0]
    _SCOPE[0] = species
    try:
        yield
    finally:
        _SCOPE[0] = previous


def species_data(function):
    """Outermost decorator of a cached loader whose first argument is a species: refuses another species than the
    open species_scope's (checked on every call, cache hits included); cache_clear is passed through."""
    @functools.wraps(function)
    def wrapper(species, *args, **kwargs):
        scope = _SCOPE[0]
        if scope is not None and species != scope:
            raise SpeciesScopeError(f"a {scope} simulation read {species} parameters ({function.__name__}); its cache "
                                    f"key (validation.cache.model_fingerprint('{scope}')) does not cover them")
        return function(species, *args, **kwargs)

    wrapper.cache_clear = function.cache_clear
    wrapper.cache_info = function.cache_info
    return wrapper


def _read(path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(_root().joinpath(path).read_text())
    except FileNotFoundError:
        raise ParameterError(f"parameter file {path} is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"parameter file {path} is not valid TOML: {exc}") from None


def parse_entries(table: dict[str, Any], file: str) -> dict[str, Entry]:
    entries = {}
    for name, raw in table.items():
        if not isinstance(raw, dict) or "value" not in raw or "unit" not in raw:
            raise ParameterError(f"{file}: {name}: each entry needs value and unit")
        value = raw["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ParameterError(f"{file}: {name}: value {value!r} is not a finite number")
        entries[name] = Entry(
            name=name,
            value=float(value),
            unit=str(raw["unit"]),
            source=raw.get("source"),
            assumption=raw.get("assumption"),
            note=raw.get("note"),
            file=file,
        )
    return entries


@species_data
@cache
def load_shared(species: str) -> dict[str, Entry]:
    """Shared values of a species (immune system, lymphocytes, physiology)."""
    return parse_entries(_read(f"shared/{species}.toml")["parameters"], f"shared/{species}.toml")


@cache
def load_sites(species: str) -> dict[str, dict[str, Entry]]:
    """Per-site physiology of a species: ``{site: {name: Entry}}``."""
    data = _read("shared/sites.toml")
    return {site: parse_entries(table, f"shared/sites.toml[{species}.{site}]") for site, table in data["sites"][species].items()}


@cache
def tumour_keys(species: str) -> tuple[str, ...]:
    folder = _root().joinpath("tumours", species)
    try:
        return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))
    except FileNotFoundError:
        return ()


@species_data
@cache
def _tumour_file(species: str, key: str) -> dict[str, Any]:
    return _read(f"tumours/{species}/{key}.toml")


def tumour_meta(species: str, key: str) -> dict[str, Any]:
    return dict(_tumour_file(species, key).get("meta", {}))


@dataclass(frozen=True)
class ParameterSet:
    """Shared species values merged with one tumour's values (tumour wins)."""

    species: str
    tumour: str
    entries: dict[str, Entry]
    sites: dict[str, dict[str, Entry]]

    def __getitem__(self, name: str) -> Entry:
        return self.entries[name]

    def value(self, name: str, unit: str) -> float:
        return self.entries[name].to(unit)

    @property
    def sha256(self) -> str:
        text = "|".join(f"{k}={e.value}{e.unit}" for k, e in sorted(self.entries.items()))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def name(self) -> str:
        return f"{self.species}/{self.tumour}"


@species_data
@cache
def load_parameter_set(species: str, tumour: str) -> ParameterSet:
    entries = dict(load_shared(species))
    file = f"tumours/{species}/{tumour}.toml"
    entries.update(parse_entries(_tumour_file(species, tumour).get("parameters", {}), file))
    return ParameterSet(species=species, tumour=tumour, entries=entries, sites=load_sites(species))
