"""A subject: one resolved patient or mouse - lesions, parameter values, treatment events - ready to
be stacked into a batch. Built from a Scenario (and, for cohorts, from sampled covariates)."""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

import numpy as np

from ..agents import get_agent
from ..parameters import load_parameter_set, tumour_meta
from ..parameters.store import load_sites
from ..scenario.model import DrugRegimen, Scenario
from . import host as host_mod
from .declarations import parameter_declarations, site_declarations
from .equations import MECHANISM_FLAGS
from .lymphocytes import FractionEffect, bath_survival, fraction_effect, lymphocyte_survival
from .occult import draw_occult

SITE_UNITS = {p.name: p.unit for p in site_declarations().values()}


@dataclass
class LesionSpec:
    id: str
    site: str
    volume_mm3: float
    appears_day: float | None = None
    occult: bool = False
    irradiated: bool = False
    growth_factor: float = 1.0

    @property
    def at_baseline(self) -> bool:
        """Measurable at the baseline scan: not an occult deposit and present from day 0."""
        return not self.occult and self.appears_day in (None, 0.0)


@dataclass
class RTEvent:
    """Radiation delivered at one instant: dose and coverage per lesion slot, whole-body effects."""

    lesion_dose: dict[int, float] = field(default_factory=dict)
    lesion_coverage: dict[int, float] = field(default_factory=dict)
    node_lesions: set[int] = field(default_factory=set)
    node_dose: float = 0.0
    alc_factor: float = 1.0
    blood_factor: float = 1.0
    marrow_factor: float = 1.0


@dataclass
class Subject:
    species: str
    tumour: str
    lesions: list[LesionSpec]
    values: dict[str, float]  # canonical units of the declarations
    sites: list[dict[str, float]]  # per lesion slot
    mechanisms: dict[str, bool]
    host: str
    agents: list[str]
    rt_events: dict[float, RTEvent]
    drug_events: dict[float, dict[str, float]]  # time -> agent -> mg into the dosing compartment
    alc0: float
    weight_kg: float
    bsa_m2: float
    parameter_set: str = ""
    model: str = "abscopal"


def _convert_site(entries) -> dict[str, float]:
    return {name: entry.to(SITE_UNITS[name]) for name, entry in entries.items()}


@cache
def _species_site_values(species: str) -> Mapping[str, Mapping[str, float]]:
    """Every site's values of a species in declaration units, converted once (read-only views)."""
    return MappingProxyType({site: MappingProxyType(_convert_site(entries)) for site, entries in load_sites(species).items()})


def site_value_table(pset) -> Mapping[str, Mapping[str, float]]:
    """``{site: {name: value}}`` of a parameter set in declaration units (read-only; copy before handing out)."""
    if pset.sites is load_sites(pset.species):
        return _species_site_values(pset.species)
    return {site: _convert_site(entries) for site, entries in pset.sites.items()}


@cache
def _declared_values(species: str, tumour: str) -> Mapping[str, float]:
    """Every declared parameter of (species, tumour) in declaration units, converted once (read-only)."""
    pset = load_parameter_set(species, tumour)
    return MappingProxyType({name: pset[name].to(p.unit) for name, p in parameter_declarations().items()})


def parameter_values(species: str, tumour: str, overrides=()) -> tuple[dict[str, float], object]:
    """A fresh, caller-owned values dict (declared parameters, then ``overrides``) and the parameter set."""
    pset = load_parameter_set(species, tumour)
    values = _declared_values(species, tumour).copy()  # a plain dict (MappingProxyType.copy copies the dict)
    for name, text in overrides:
        values[name] = float(text)
    return values, pset


def drug_amount_mg(regimen: DrugRegimen, species: str, weight_kg: float, bsa_m2: float) -> float:
    agent = get_agent(species, regimen.agent)
    amount = regimen.dose.amount
    basis = regimen.dose.basis
    if basis.startswith("IU"):
        amount = amount / agent.iu_per_mg
    if basis.endswith("/kg"):
        amount *= weight_kg
    elif basis.endswith("/m2"):
        amount *= bsa_m2
    return amount


def drug_event_table(scenario: Scenario, weight_kg: float, bsa_m2: float) -> dict[float, dict[str, float]]:
    """time -> agent -> mg into the dosing compartment (doses on one day add; zero doses add no event)."""
    events: dict[float, dict[str, float]] = {}
    for regimen in scenario.drugs:
        amount = drug_amount_mg(regimen, scenario.species, weight_kg, bsa_m2)
        if amount <= 0:
            continue
        for day in regimen.days:
            slot = events.setdefault(day, {})
            slot[regimen.agent] = slot.get(regimen.agent, 0.0) + amount
    return events


def subject_from_scenario(scenario: Scenario, subject_index: int = 0) -> Subject:
    species = scenario.species
    values, pset = parameter_values(species, scenario.tumour, scenario.overrides)
    patient = scenario.patient
    weight = patient.weight_kg or values["body_weight"]
    bsa = patient.bsa_m2 or values["body_surface_area"]
    if patient.pdl1_tps is not None:
        values["pdl1_tps"] = patient.pdl1_tps
    if patient.tmb_per_mb is not None:
        values["antigenicity"] *= (max(patient.tmb_per_mb, 1e-3) / values["tmb"]) ** values["tmb_exponent"]
    switches = dict(scenario.mechanisms)  # what Scenario.mechanism_on reads, once rather than per mechanism
    mechanisms = {name: switches.get(name, True) for name in MECHANISM_FLAGS}
    irradiated = scenario.irradiated_ids
    lesions = [
        LesionSpec(id=les.id, site=les.site, volume_mm3=les.volume_mm3, appears_day=les.appears_day,
                   irradiated=les.id in irradiated)
        for les in patient.lesions
    ]
    if mechanisms["occult_lesions"] and values["occult_lesion_count"] > 0:
        sites = list(tumour_meta(species, scenario.tumour).get("default_sites", [])) or [lesions[0].site]
        for oid, site, diameter in draw_occult(
            scenario.simulation.seed, subject_index, values["occult_lesion_count"], sites,
            values["occult_min_diameter"], values["occult_max_diameter"],
        ):
            lesions.append(LesionSpec(id=oid, site=site, volume_mm3=math.pi * diameter**3 / 6.0, occult=True))
    if values["lesion_growth_sd"] > 0:
        lesions = scatter_growth(lesions, values["lesion_growth_sd"], scenario.simulation.seed, subject_index)
    site_table = site_value_table(pset)
    site_values = [dict(site_table[les.site]) for les in lesions]
    alc0 = (patient.alc_per_ul or values["alc_baseline"]) * host_mod.alc_fraction(scenario.host_immune, values)
    rt_events = _rt_events(scenario, lesions, values, site_table, mechanisms["lymphocyte_kill"])
    agents = sorted({r.agent for r in scenario.drugs})
    drug_events = drug_event_table(scenario, weight, bsa)
    return Subject(
        species=species, tumour=scenario.tumour, lesions=lesions, values=values, sites=site_values,
        mechanisms=mechanisms, host=scenario.host_immune, agents=agents, rt_events=rt_events,
        drug_events=drug_events, alc0=alc0, weight_kg=weight, bsa_m2=bsa, parameter_set=pset.name,
    )


def _rt_events(scenario: Scenario, lesions, values, site_table, lymphocyte_kill: bool) -> dict[float, RTEvent]:
    index = {les.id: k for k, les in enumerate(lesions)}
    species_values = dict(values)
    species_values["blood_volume_ml"] = values["blood_volume"] * 1000.0
    events: dict[float, RTEvent] = {}
    for block in scenario.radiotherapy:
        dose = block.dose_per_fraction_gy
        if dose <= 0:  # an event that does nothing adds no stop (zero dose == untreated, exactly)
            continue
        modality = values["proton_blood_dose_factor"] if block.modality == "proton" else 1.0
        fields = []  # (site, field cm3)
        for lid in block.lesion_ids:
            les = lesions[index[lid]]
            default = max(site_table[les.site]["default_field_size"],
                          values["field_margin_factor"] * les.volume_mm3 / 1000.0)
            fields.append((les.site, block.field_size_cm3 / max(len(block.lesion_ids), 1) if block.field_size_cm3 else default))
        if block.site is not None:
            site_vals = site_table[block.site]
            fields.append((block.site, block.field_size_cm3 or site_vals["default_field_size"]))
        # The whole-body effects of one fraction are pure functions of the block, so they are computed once per
        # block and multiplied in on each of its days (the same factors, in the same order, as per day).
        node_factor, effects = None, ()
        if lymphocyte_kill and block.days:
            if block.nodes:
                survival = lymphocyte_survival(dose, values["lymphocyte_alpha"], values["lymphocyte_beta"])
                node_factor = (1.0 - values["node_lymphocyte_fraction"] * (1.0 - survival)) ** len(block.lesion_ids)
            effects = []
            for site, field_cm3 in fields:
                site_vals = site_table[site]
                beam_on = block.beam_on_time_min if block.beam_on_time_min else site_vals["beam_on_time_per_gy"] * dose
                effects.append(fraction_effect(dose, field_cm3, beam_on, site_vals, species_values, modality))
            # one low-dose bath around the block's lesion fields together (one plan); an explicit site block is one
            bath = bath_survival(dose, sum(field_cm3 for _, field_cm3 in fields[:len(block.lesion_ids)]), values, modality)
            if bath != 1.0:
                effects.append(FractionEffect(blood_survival=1.0, alc_factor=bath, marrow_factor=1.0))
        slots = [index[lid] for lid in block.lesion_ids]
        for day in block.days:
            event = events.get(day)
            if event is None:
                event = events[day] = RTEvent()
            for k in slots:
                event.lesion_dose[k] = event.lesion_dose.get(k, 0.0) + dose
                event.lesion_coverage[k] = max(event.lesion_coverage.get(k, 0.0), block.coverage)
            if not lymphocyte_kill:
                continue
            if block.nodes:
                event.node_lesions.update(slots)
                event.node_dose = max(event.node_dose, dose)
                event.alc_factor *= node_factor
            for effect in effects:
                event.alc_factor *= effect.alc_factor
                event.blood_factor *= effect.blood_survival
                event.marrow_factor *= effect.marrow_factor
    return events


def scatter_growth(lesions: list[LesionSpec], sigma: float, seed: int, subject_index: int) -> list[LesionSpec]:
    """M1: each lesion's growth rate relative to the subject's, exp(sigma z_k), z_k from the stream keyed by
    (seed, subject, 15, CRC-32 of the lesion id). The z of the lesions present at baseline are centred and scaled
    to unit sample SD, (z_k - mean) / sd, so the subject's measured disease keeps the subject's doubling time on
    the geometric mean and spreads by exactly sigma, and a single baseline lesion keeps it; occult and
    later-appearing lesions are drawn around the same centre without being centred or scaled."""
    z = np.array([np.random.default_rng([seed, subject_index, 15, zlib.crc32(les.id.encode())]).standard_normal()
                  for les in lesions])  # keyed by lesion id: the order of the lesions in a file changes nothing
    base = [k for k, les in enumerate(lesions) if les.at_baseline]
    if len(base) == 1:
        z[base[0]] = 0.0
    elif len(base) > 1:
        z[base] = (z[base] - np.mean(z[base])) / np.std(z[base], ddof=1)
    return [dataclasses.replace(les, growth_factor=math.exp(sigma * float(z[k]))) for k, les in enumerate(lesions)]
