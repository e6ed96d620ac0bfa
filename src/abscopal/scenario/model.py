"""Typed, immutable scenario objects (the file format is docs/format.md). Canonical units throughout:
days, mm, mm^3, Gy, kg, m^2, /uL, /Mb; drug doses keep their basis (mg, mg/kg, mg/m^2, IU, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Lesion:
    id: str
    site: str
    diameter_mm: float  # baseline longest diameter (human) or equivalent-sphere diameter (mouse)
    volume_mm3: float
    appears_day: float | None = None


@dataclass(frozen=True)
class Patient:
    lesions: tuple[Lesion, ...]
    alc_per_ul: float | tuple[float, float] | None = None  # an interval: a subgroup of a population
    weight_kg: float | None = None
    bsa_m2: float | None = None
    pdl1_tps: float | tuple[float, float] | None = None
    tmb_per_mb: float | tuple[float, float] | None = None
    p53_mutant: bool | None = None  # drawn in populations (not a scenario key)


@dataclass(frozen=True)
class RadiotherapyBlock:
    targets: tuple[str, ...]  # ids and/or selectors, as written
    lesion_ids: tuple[str, ...]  # resolved ids (empty for a site-only field)
    site: str | None  # field without a lesion (brain, elective nodal)
    dose_per_fraction_gy: float
    days: tuple[float, ...]
    nodes: bool = False
    coverage: float = 1.0
    field_size_cm3: float | None = None
    beam_on_time_min: float | None = None
    modality: str = "photon"

    @property
    def fractions(self) -> int:
        return len(self.days)


@dataclass(frozen=True)
class DrugDose:
    """A dose as written: ``amount`` in ``basis`` (mg, mg/kg, mg/m2, IU, IU/kg, IU/m2)."""

    amount: float
    basis: str


@dataclass(frozen=True)
class DrugRegimen:
    agent: str
    dose: DrugDose
    days: tuple[float, ...]
    until_progression: bool = False


@dataclass(frozen=True)
class Simulation:
    duration_days: float = 365.0
    output_interval_days: float = 1.0
    endpoint_volume_mm3: float | None = None
    seed: int = 0


@dataclass(frozen=True)
class Scenario:
    name: str
    species: str
    tumour: str
    model: str
    patient: Patient
    radiotherapy: tuple[RadiotherapyBlock, ...] = ()
    drugs: tuple[DrugRegimen, ...] = ()
    simulation: Simulation = field(default_factory=Simulation)
    overrides: tuple[tuple[str, str], ...] = ()
    mechanisms: tuple[tuple[str, bool], ...] = ()
    host_immune: str = "competent"
    population: dict[str, Any] | None = None
    source: str = "<input>"
    sha256: str = ""

    def mechanism_on(self, name: str) -> bool:
        return dict(self.mechanisms).get(name, True)

    @property
    def irradiated_ids(self) -> frozenset[str]:
        return frozenset(i for block in self.radiotherapy for i in block.lesion_ids)
