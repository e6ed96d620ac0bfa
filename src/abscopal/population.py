"""Virtual populations: a scenario's ``population`` block -> one resolved Scenario per subject.

Every random draw for subject k comes from its own stream keyed by (seed, k), so results do not depend
on chunking, workers or arm order, and the first n subjects of a larger cohort equal a cohort of n
(CONTRACT.md, Randomness). Distributions and their sources are in ``parameters/populations/``.

Per subject: tumour type (``tumour_mix``), lesions (count, sites, sizes; or the given lesions with varied
sizes), covariates (ALC correlated with burden, PD-L1 TPS, TMB, weight; fixed when given in
``patient``), and log-normal between-subject variability of growth, radiosensitivity, antigenicity,
suppression and priming (as parameter overrides; a user override fixes that parameter for everyone).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np

from . import vocabulary as vocab
from .errors import InputError
from .parameters import load_parameter_set, tumour_keys, tumour_meta
from .parameters.store import _read, parse_entries
from .scenario.fields import as_int, as_list, as_mapping, check_keys, choice
from .scenario.load import resolve_targets
from .scenario.model import Lesion, Patient, Scenario

POPULATION_KEYS = ("size", "seed", "lesions", "covariates", "tumour_mix")
VARIED = {  # parameter -> population CV entry
    "doubling_time": "doubling_time_cv",
    "alpha": "alpha_cv",
    "antigenicity": "antigenicity_cv",
    "suppression_baseline": "suppression_cv",
    "priming_rate": "priming_cv",
}


@dataclass(frozen=True)
class PopulationSpec:
    size: int
    seed: int
    lesion_count: tuple[int, int] | None = None
    lesion_sites: tuple[str, ...] | None = None
    tumour_mix: tuple[tuple[str, float], ...] | None = None


@cache
def population_values(species: str) -> dict[str, float]:
    entries = parse_entries(_read(f"populations/{species}.toml")["parameters"], f"populations/{species}.toml")
    units = {"lesion_diameter_median": "mm", "lesion_diameter_min": "mm", "lesion_diameter_max": "mm", "weight_median": "kg",
             "os_baseline_hazard": "1/day", "os_reference_burden": "mm^3"}
    return {name: entry.to(units.get(name, "1")) for name, entry in entries.items()}


def parse_population(raw: Mapping | None, species: str, *, size: int | None = None, seed: int | None = None) -> PopulationSpec:
    raw = as_mapping(raw or {}, "population")
    check_keys(raw, POPULATION_KEYS, "population")
    n = size if size is not None else as_int(raw.get("size", 100), "population.size", 1, 10_000_000)
    s = seed if seed is not None else as_int(raw.get("seed", 0), "population.seed", 0)
    count = sites = mix = None
    if "lesions" in raw:
        les = as_mapping(raw["lesions"], "population.lesions")
        check_keys(les, ("count", "sites"), "population.lesions")
        if "count" in les:
            c = les["count"]
            if isinstance(c, int) and not isinstance(c, bool):
                c = [c, c]
            c = as_list(c, "population.lesions.count", "[min, max], e.g. [2, 5]")
            if len(c) != 2:
                raise InputError(f"{c!r} is not [min, max]", key="population.lesions.count", expected="[min, max], e.g. [2, 5]")
            lo, hi = (as_int(v, f"population.lesions.count[{k}]", 1, 20) for k, v in enumerate(c))
            if lo > hi:
                raise InputError(f"min {lo} is above max {hi}", key="population.lesions.count", expected="[min, max] with min <= max")
            count = (lo, hi)
        if "sites" in les:
            sites = tuple(choice(v, vocab.SITES[species], f"population.lesions.sites[{k}]", f"{species} site")
                          for k, v in enumerate(as_list(les["sites"], "population.lesions.sites", "a list of sites")))
            if not sites:
                raise InputError("the site list is empty", key="population.lesions.sites", expected="at least one site")
    if "covariates" in raw:
        cov = as_mapping(raw["covariates"], "population.covariates")
        check_keys(cov, ("alc", "pdl1_tps", "tmb", "weight"), "population.covariates")
        for name, value in cov.items():
            if value != "default":
                raise InputError(f"{value!r} is not supported", key=f"population.covariates.{name}",
                                 expected="'default' (fix a covariate for every subject in `patient` instead)")
    if "tumour_mix" in raw:
        m = as_mapping(raw["tumour_mix"], "population.tumour_mix", "a mapping tumour -> weight")
        items = []
        for name, weight in m.items():
            choice(name, tumour_keys(species), f"population.tumour_mix.{name}", f"{species} tumour")
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
                raise InputError(f"{weight!r} is not a weight", key=f"population.tumour_mix.{name}", expected="a non-negative number")
            items.append((name, float(weight)))
        total = sum(w for _, w in items)
        if not items or total <= 0:
            raise InputError("no positive weight", key="population.tumour_mix", expected="weights that sum to more than 0")
        mix = tuple((name, w / total) for name, w in items)
    return PopulationSpec(size=n, seed=s, lesion_count=count, lesion_sites=sites, tumour_mix=mix)


@cache
def p53_prevalence(species: str) -> dict[str, float]:
    """Fraction of TP53-mutant patients per tumour type (``[p53_mutant_fraction]`` of the population file)."""
    table = _read(f"populations/{species}.toml").get("p53_mutant_fraction", {})
    return {name: entry.value for name, entry in parse_entries(table, f"populations/{species}.toml").items()}


def _lognormal_factor(rng: np.random.Generator, cv: float) -> float:
    sigma = math.sqrt(math.log(1.0 + cv * cv))
    return math.exp(sigma * rng.standard_normal() - 0.5 * sigma * sigma)


def sample_subject(scenario: Scenario, spec: PopulationSpec, k: int) -> Scenario:
    """The k-th subject of the population as a fully resolved single-patient Scenario."""
    rng = np.random.default_rng([spec.seed, k, 7])
    species = scenario.species
    pop = population_values(species)
    tumour = scenario.tumour
    if spec.tumour_mix:
        names, weights = zip(*spec.tumour_mix, strict=True)
        tumour = names[int(rng.choice(len(names), p=np.array(weights)))]
    pset = load_parameter_set(species, tumour)
    lesions = _sample_lesions(rng, scenario, spec, species, tumour, pop)
    patient = scenario.patient
    burden = sum(les.diameter_mm for les in lesions)
    z_burden = max(-3.0, min(3.0, (math.log(burden) - math.log(pop.get("lesion_diameter_median", 1.0) * 2.5)) / 0.6))
    z = rng.standard_normal()
    alc = patient.alc_per_ul
    if alc is None:
        rho = pop.get("alc_burden_correlation", 0.0)
        sigma = math.sqrt(math.log(1.0 + pop["alc_cv"] ** 2))
        alc = pset["alc_baseline"].to("1/uL") * math.exp(sigma * (rho * z_burden + math.sqrt(1 - rho * rho) * z))
    tmb_factor = _lognormal_factor(rng, pop.get("tmb_cv", 0.0))
    tmb = patient.tmb_per_mb if patient.tmb_per_mb is not None else pset["tmb"].value * tmb_factor
    weight_factor = _lognormal_factor(rng, pop["weight_cv"])
    weight = patient.weight_kg or (pop.get("weight_median", pset["body_weight"].to("kg")) * weight_factor
                                   if species == "human" else pset["body_weight"].to("kg") * weight_factor)
    fixed = {name for name, _ in scenario.overrides}
    overrides = list(scenario.overrides)
    z_varied = {}
    for name, cv_name in VARIED.items():
        z_varied[name] = rng.standard_normal()
        if name == "doubling_time":  # larger burden, faster growth (shorter doubling time)
            rho = pop.get("growth_burden_correlation", 0.0)
            z_varied[name] = -rho * z_burden + math.sqrt(1.0 - rho * rho) * z_varied[name]
        sigma = math.sqrt(math.log(1.0 + pop.get(cv_name, 0.0) ** 2))
        factor = math.exp(sigma * z_varied[name] - 0.5 * sigma * sigma)
        if name not in fixed:
            unit = "1/day" if name == "priming_rate" else ("day" if name == "doubling_time" else ("1/Gy" if name == "alpha" else "1"))
            overrides.append((name, str(pset[name].to(unit) * factor)))
    pdl1 = patient.pdl1_tps
    if pdl1 is None:  # own stream: fixing PD-L1 (a subgroup) leaves every other draw of subject k unchanged
        pdl1 = _pdl1(pset["pdl1_tps"].value, z_varied["antigenicity"], pop, np.random.default_rng([spec.seed, k, 8]))
    p53 = None
    prevalence = p53_prevalence(species).get(tumour)
    if prevalence is not None:  # own stream (seed, k, 53)
        p53 = bool(np.random.default_rng([spec.seed, k, 53]).random() < prevalence)
        if p53 and "alpha" not in fixed:
            overrides = [(n, str(float(v) * pop["p53_alpha_factor"])) if n == "alpha" else (n, v) for n, v in overrides]
    new_patient = Patient(lesions=tuple(lesions), alc_per_ul=alc, weight_kg=weight, bsa_m2=patient.bsa_m2, pdl1_tps=pdl1,
                          tmb_per_mb=tmb, p53_mutant=p53)
    radiotherapy = tuple(b for b in (_resolve_block(b, lesions) for b in scenario.radiotherapy) if b is not None)
    simulation = dataclasses.replace(scenario.simulation, seed=spec.seed)
    return dataclasses.replace(scenario, tumour=tumour, patient=new_patient, overrides=tuple(overrides),
                               radiotherapy=radiotherapy, simulation=simulation, population=None,
                               name=f"{scenario.name} #{k}")


def _pdl1(typical: float, z_antigenicity: float, pop: dict, rng: np.random.Generator) -> float:
    """Beta-distributed TPS (mean = the tumour's typical TPS) correlated with antigenicity by a Gaussian copula."""
    rho = pop.get("pdl1_antigenicity_correlation", 0.0)
    z = rho * z_antigenicity + math.sqrt(1.0 - rho * rho) * rng.standard_normal()
    mean = min(max(typical, 1e-3), 1 - 1e-3)
    conc = pop.get("pdl1_beta_concentration", 2.0)
    return beta_ppf_of_normal(z, mean * conc, (1 - mean) * conc)


@cache
def _scipy_kernels():
    from scipy import special, stats

    return special.ndtr, stats.beta._ppf


def beta_ppf_of_normal(z: float, a: float, b: float) -> float:
    """``float(stats.beta.ppf(stats.norm.cdf(z), a, b))``, bit for bit, without the ~250 us per call of
    scipy's generic distribution machinery (argument broadcasting and checks around the same kernels).

    For finite z, ``norm.cdf`` is ``ndtr((z - 0) / 1)`` and, for 0 < q < 1 and a, b > 0, ``beta.ppf`` is
    ``beta._ppf(q, a, b) * 1 + 0``; every other case goes through scipy itself.
    """
    ndtr, beta_ppf = _scipy_kernels()
    if math.isfinite(z):
        q = ndtr(z)
        if 0.0 < q < 1.0 and a > 0.0 and b > 0.0:
            return float(beta_ppf(q, a, b) * 1.0 + 0.0)
    from scipy import stats

    return float(stats.beta.ppf(stats.norm.cdf(z), a, b))


def _sample_lesions(rng, scenario: Scenario, spec: PopulationSpec, species: str, tumour: str, pop) -> list[Lesion]:
    given = scenario.patient.lesions
    if given:
        cv = pop.get("lesion_size_cv", pop.get("explicit_lesion_size_cv", 0.2))
        out = []
        for les in given:
            volume = les.volume_mm3 * _lognormal_factor(rng, cv)
            out.append(dataclasses.replace(les, volume_mm3=volume, diameter_mm=(6 * volume / math.pi) ** (1 / 3)))
        return out
    lo, hi = spec.lesion_count or (int(pop["lesion_count_min"]), int(pop["lesion_count_max"]))
    count = int(rng.integers(lo, hi + 1))
    sites = spec.lesion_sites or tuple(tumour_meta(species, tumour).get("default_sites", [])) or ("soft_tissue",)
    diameters, chosen = [], []
    for _ in range(count):
        d = pop["lesion_diameter_median"] * math.exp(pop["lesion_diameter_sd_log"] * rng.standard_normal())
        diameters.append(min(max(d, pop["lesion_diameter_min"]), pop["lesion_diameter_max"]))
        chosen.append(sites[int(rng.integers(len(sites)))])
    order = sorted(range(count), key=lambda i: -diameters[i])
    return [Lesion(id=f"L{r + 1}", site=chosen[i], diameter_mm=diameters[i], volume_mm3=math.pi * diameters[i] ** 3 / 6)
            for r, i in enumerate(order)]


def _resolve_block(block, lesions):
    """Resolve a block's targets against one subject's lesions. Named ids the subject lacks are dropped;
    a block that selects nothing for this subject is dropped (the subject is not irradiated by it)."""
    if block.site is not None:
        return block
    ids = {les.id for les in lesions}
    targets = [t for t in block.targets if t in vocab.SELECTORS or t in ids]
    if not targets:
        return None
    try:
        chosen = resolve_targets(targets, tuple(lesions), "radiotherapy")
    except InputError:
        return None
    return dataclasses.replace(block, lesion_ids=chosen)
