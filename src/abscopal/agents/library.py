"""Agents from ``agents/<species>.toml``: each PK value with unit and source, converted to canonical units.

One file per species, so that a change of one species' drug values leaves the other species' simulations (and the
caches keyed by their files, validation.cache.model_fingerprint) untouched.

Canonical: amounts mg, volumes L, clearances L/day, rates 1/day, concentrations mg/L (= ug/mL).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..errors import ParameterError
from ..parameters.store import Entry, parse_entries, species_data
from ..vocabulary import SPECIES

TARGETS = ("pd1", "pdl1", "ctla4", "gmcsf", "flt3", "il2", "tgfb", "tlr3", "ox40", "cd137")
ROUTES = ("iv", "ip", "sc")
REQUIRED = (
    "clearance", "central_volume", "peripheral_volume", "intercompartmental_clearance", "absorption_rate",
    "bioavailability", "molecular_weight", "ec50", "half_life",
)
CANONICAL = {
    "clearance": "L/day",
    "central_volume": "L",
    "peripheral_volume": "L",
    "intercompartmental_clearance": "L/day",
    "absorption_rate": "1/day",
    "bioavailability": "1",
    "molecular_weight": "kDa",
    "ec50": "ug/mL",
    "half_life": "day",
    "treg_depletion": "1",
    "iu_per_mg": "MIU/mg",
}


@dataclass(frozen=True)
class Agent:
    key: str
    species: str
    name: str
    drug_class: str
    target: str
    route: str
    typical_regimen: str
    entries: dict[str, Entry]

    def value(self, name: str) -> float:
        return self.entries[name].to(CANONICAL[name])

    @property
    def iu_per_mg(self) -> float | None:
        """International units per mg (IU/mg), for cytokines dosed in IU."""
        return self.value("iu_per_mg") * 1e6 if "iu_per_mg" in self.entries else None

    @property
    def treg_depletion(self) -> float:
        return self.value("treg_depletion") if "treg_depletion" in self.entries else 0.0

    def rate_constants(self) -> tuple[float, float, float, float]:
        """(ka, k10, k12, k21), 1/day, of the linear two-compartment model with a depot (model/equations.py):
        k10 = CL/Vc, k12 = Q/Vc, k21 = Q/Vp (both 0 without a peripheral compartment)."""
        vc, vp = self.value("central_volume"), self.value("peripheral_volume")
        q = self.value("intercompartmental_clearance")
        k12, k21 = (q / vc, q / vp) if vp > 0 else (0.0, 0.0)
        return self.value("absorption_rate"), self.value("clearance") / vc, k12, k21

    def terminal_half_life(self) -> float:
        """Terminal (beta-phase) half-life of the linear two-compartment model, days."""
        _, k10, k12, k21 = self.rate_constants()
        if k12 <= 0 or k21 <= 0:
            return math.log(2) / k10
        total = k10 + k12 + k21
        beta = 0.5 * (total - math.sqrt(total * total - 4 * k10 * k21))
        return math.log(2) / beta


@cache
def _load(species: str) -> dict[str, Agent]:
    if species not in SPECIES:
        raise ParameterError(f"agents: species {species!r}: expected one of {', '.join(SPECIES)}")
    path = f"{species}.toml"
    try:
        data = tomllib.loads(resources.files("abscopal.agents").joinpath(path).read_text())
    except FileNotFoundError:
        raise ParameterError(f"agents/{path} is missing") from None
    library: dict[str, Agent] = {}
    for key, table in data.items():
        where = f"agents/{path}: [{key}]"
        if not isinstance(table, dict):
            raise ParameterError(f"{where}: expected a table of agent values")
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        quantities = {k: v for k, v in table.items() if isinstance(v, dict)}
        entries = parse_entries(quantities, where)
        missing = [name for name in REQUIRED if name not in entries]
        if missing:
            raise ParameterError(f"{where}: missing {', '.join(missing)}")
        if scalars.get("target") not in TARGETS or scalars.get("route") not in ROUTES:
            raise ParameterError(f"{where}: bad target or route")
        library[key] = Agent(
            key=key, species=species, name=scalars.get("name", key), drug_class=scalars.get("drug_class", ""),
            target=scalars["target"], route=scalars["route"], typical_regimen=scalars.get("typical_regimen", ""),
            entries=entries,
        )
    return library


def agent_keys(species: str) -> tuple[str, ...]:
    """The agent names of a species (names only: not guarded by species_scope, so that a scenario naming the other
    species' drug gets a helpful message; a name cannot change a simulated value)."""
    return tuple(sorted(_load(species)))


@species_data
@cache
def get_agent(species: str, key: str) -> Agent:
    return _load(species)[key]


def all_agents() -> list[Agent]:
    return [agent for species in SPECIES for agent in _load(species).values()]
