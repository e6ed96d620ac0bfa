"""Virtual populations: a scenario's ``population`` block -> one resolved Scenario per subject.

Every random draw for subject k comes from its own stream keyed by (seed, k), so results do not depend
on chunking, workers or arm order, and the first n subjects of a larger cohort equal a cohort of n
(CONTRACT.md, Randomness). Distributions and their sources are in ``parameters/populations/``.

Per subject: tumour type (``tumour_mix``), lesions (count, sites, sizes; or the given lesions with varied
sizes), covariates (ALC correlated with burden, PD-L1 TPS, TMB, weight; fixed when given in
``patient``), log-normal between-subject variability of growth, radiosensitivity, antigenicity,
suppression, priming, doomed-cell clearance and stroma remodelling, and logit-normal variability of the
stromal and hypoxic fractions (as parameter overrides; a user override fixes that parameter for everyone).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from types import MappingProxyType

import numpy as np

from . import vocabulary as vocab
from .errors import InputError
from .parameters import load_parameter_set, tumour_keys, tumour_meta
from .parameters.store import _read, parse_entries, species_data
from .scenario.fields import as_int, as_list, as_mapping, check_keys, choice
from .scenario.limits import MAX_SEED, MAX_SUBJECTS, MAX_WEIGHT
from .scenario.load import select_targets
from .scenario.model import Lesion, Patient, Scenario, Simulation

POPULATION_KEYS = ("size", "seed", "lesions", "covariates", "tumour_mix", "prior_pd1")
PRIOR_PD1 = ("naive", "progressed")  # population.prior_pd1: no selection, or disease that progressed on PD-(L)1 blockade
POPULATION_LESION_KEYS = ("count", "sites")
COVARIATE_KEYS = ("alc", "pdl1_tps", "tmb", "weight")
VARIED = {  # parameter -> population CV entry
    "doubling_time": "doubling_time_cv",
    "alpha": "alpha_cv",
    "antigenicity": "antigenicity_cv",
    "suppression_baseline": "suppression_cv",
    "priming_rate": "priming_cv",
    "doomed_clearance_rate": "doomed_clearance_cv",
    "stroma_remodel_rate": "stroma_remodel_cv",
}
FRACTIONS_VARIED = {  # fraction parameter -> population SD of its logit (logit-normal: stays inside (0, 1))
    "hypoxic_fraction": "hypoxic_fraction_logit_sd",
    "stromal_fraction": "stromal_fraction_logit_sd",
}


@dataclass(frozen=True)
class PopulationSpec:
    size: int
    seed: int
    lesion_count: tuple[int, int] | None = None
    lesion_sites: tuple[str, ...] | None = None
    tumour_mix: tuple[tuple[str, float], ...] | None = None
    prior_pd1: str = "naive"


@species_data
@cache
def population_values(species: str) -> Mapping[str, float]:
    """The population file's values in canonical units (cached; read-only)."""
    entries = parse_entries(_read(f"populations/{species}.toml")["parameters"], f"populations/{species}.toml")
    units = {"lesion_diameter_median": "mm", "lesion_diameter_min": "mm", "lesion_diameter_max": "mm", "weight_median": "kg",
             "os_baseline_hazard": "1/day", "os_reference_burden": "mm^3"}
    return MappingProxyType({name: entry.to(units.get(name, "1")) for name, entry in entries.items()})


def parse_population(raw: Mapping | None, species: str, *, size: int | None = None, seed: int | None = None) -> PopulationSpec:
    raw = as_mapping(raw or {}, "population")
    check_keys(raw, POPULATION_KEYS, "population")
    n = as_int(size, "--size", 1, MAX_SUBJECTS) if size is not None else as_int(raw.get("size", 100), "population.size", 1, MAX_SUBJECTS)
    s = as_int(seed, "--seed", 0, MAX_SEED) if seed is not None else as_int(raw.get("seed", 0), "population.seed", 0, MAX_SEED)
    count = sites = mix = None
    if "lesions" in raw:
        les = as_mapping(raw["lesions"], "population.lesions")
        check_keys(les, POPULATION_LESION_KEYS, "population.lesions")
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
        check_keys(cov, COVARIATE_KEYS, "population.covariates")
        for name, value in cov.items():
            if value != "default":
                raise InputError(f"{value!r} is not supported", key=f"population.covariates.{name}",
                                 expected="'default' (fix a covariate for every subject in `patient` instead)")
    if "tumour_mix" in raw:
        m = as_mapping(raw["tumour_mix"], "population.tumour_mix", "a mapping tumour -> weight")
        items = []
        for name, weight in m.items():
            choice(name, tumour_keys(species), f"population.tumour_mix.{name}", f"{species} tumour")
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= MAX_WEIGHT:
                raise InputError(f"{weight!r} is not a weight", key=f"population.tumour_mix.{name}",
                                 expected=f"a number from 0 to {MAX_WEIGHT:g}")
            items.append((name, float(weight)))
        total = sum(w for _, w in items)
        if not items or total <= 0:
            raise InputError("no positive weight", key="population.tumour_mix", expected="weights that sum to more than 0")
        mix = tuple((name, w / total) for name, w in items)
    prior = choice(raw.get("prior_pd1", "naive"), PRIOR_PD1, "population.prior_pd1", "prior PD-(L)1 status")
    return PopulationSpec(size=n, seed=s, lesion_count=count, lesion_sites=sites, tumour_mix=mix, prior_pd1=prior)


@species_data
@cache
def p53_prevalence(species: str) -> Mapping[str, float]:
    """Fraction of TP53-mutant patients per tumour type (``[p53_mutant_fraction]`` of the population file; read-only)."""
    table = _read(f"populations/{species}.toml").get("p53_mutant_fraction", {})
    return MappingProxyType({name: entry.value for name, entry in parse_entries(table, f"populations/{species}.toml").items()})


@species_data
@cache
def pdl1_concentration(species: str) -> Mapping[str, float]:
    """Per-tumour concentration of the TPS beta distribution (``[pdl1_beta_concentration]`` of the population file,
    where a tumour type's measured TPS prevalence fixes it; otherwise the population-wide value applies)."""
    table = _read(f"populations/{species}.toml").get("pdl1_beta_concentration", {})
    return MappingProxyType({name: entry.value for name, entry in parse_entries(table, f"populations/{species}.toml").items()})


def _lognormal_factor(rng: np.random.Generator, cv: float) -> float:
    sigma = math.sqrt(math.log(1.0 + cv * cv))
    return math.exp(sigma * rng.standard_normal() - 0.5 * sigma * sigma)


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    return math.log(p / (1.0 - p))


def _sigma(cv: float) -> float:
    """Log-scale SD of a log-normal factor with coefficient of variation ``cv`` (as in :func:`_lognormal_factor`)."""
    return math.sqrt(math.log(1.0 + cv * cv))


@dataclass(frozen=True)
class _TumourConstants:
    """What sampling needs from the parameter and population files of one (species, tumour), computed once:
    canonical values and the log-normal sigmas. Every expression is the one the draws used inline, so the
    numbers are the same bits."""

    pset: object
    pop: Mapping[str, float]
    log_burden_reference: float
    alc_baseline: float  # /uL
    alc_rho: float
    alc_rho_c: float
    alc_sigma: float
    tmb_sigma: float
    weight_sigma: float
    weight_base: float
    growth_rho: float
    growth_rho_c: float
    varied: tuple[tuple[str, float, float], ...]  # (parameter, base value in its unit, sigma)
    varied_fractions: tuple[tuple[str, float, float], ...]  # (parameter, logit of its value, SD of the logit)
    lesion_size_sigma: float
    default_sites: tuple[str, ...]
    p53_prevalence: float | None
    species: str = ""
    tumour: str = ""


_VARIED_UNITS = {"priming_rate": "1/day", "doubling_time": "day", "alpha": "1/Gy", "doomed_clearance_rate": "1/day",
                 "stroma_remodel_rate": "1/day"}


@species_data
@cache
def _tumour_constants(species: str, tumour: str) -> _TumourConstants:
    pop = population_values(species)
    pset = load_parameter_set(species, tumour)
    alc_rho = pop.get("alc_burden_correlation", 0.0)
    growth_rho = pop.get("growth_burden_correlation", 0.0)
    body_weight = pset["body_weight"].to("kg")
    return _TumourConstants(
        pset=pset,
        pop=pop,
        log_burden_reference=math.log(pop.get("lesion_diameter_median", 1.0) * 2.5),
        alc_baseline=pset["alc_baseline"].to("1/uL"),
        alc_rho=alc_rho,
        alc_rho_c=math.sqrt(1 - alc_rho * alc_rho),
        alc_sigma=math.sqrt(math.log(1.0 + pop["alc_cv"] ** 2)),
        tmb_sigma=_sigma(pop.get("tmb_cv", 0.0)),
        weight_sigma=_sigma(pop["weight_cv"]),
        weight_base=pop.get("weight_median", body_weight) if species == "human" else body_weight,
        growth_rho=growth_rho,
        growth_rho_c=math.sqrt(1.0 - growth_rho * growth_rho),
        varied=tuple((name, pset[name].to(_VARIED_UNITS.get(name, "1")), math.sqrt(math.log(1.0 + pop.get(cv_name, 0.0) ** 2)))
                     for name, cv_name in VARIED.items()),
        varied_fractions=tuple((name, _logit(pset[name].to("1")), pop.get(sd_name, 0.0)) for name, sd_name in FRACTIONS_VARIED.items()),
        lesion_size_sigma=_sigma(pop.get("lesion_size_cv", pop.get("explicit_lesion_size_cv", 0.2))),
        default_sites=tuple(tumour_meta(species, tumour).get("default_sites", [])),
        p53_prevalence=p53_prevalence(species).get(tumour),
        species=species,
        tumour=tumour,
    )


PRESENTATION_ATTEMPTS = 30  # draws tried per subject before the first draw is kept (see sample_subject)
REFRACTORY_ATTEMPTS = 200  # the same with population.prior_pd1: progressed (a rarer condition) or an ALC subgroup


def sample_subject(scenario: Scenario, spec: PopulationSpec, k: int) -> Scenario:
    """The k-th subject of the population as a fully resolved single-patient Scenario.

    Conditioning on clinical presentation (immunoediting: a tumour that is measurable at enrolment has escaped
    immune control; Dunn GP, Old LJ, Schreiber RD. Immunity 2004;21:137-48): a draw whose untreated lesions would
    expand their own effector T cells at baseline (``escape_margin`` > 0: the tumour would be rejected without
    treatment) is not a patient or mouse that presents with a growing tumour, and is drawn again from the
    subject's next stream (seed, k, 7, attempt). The check uses only the subject's own values and ignores the
    arm (drugs, RT, host, mechanism switches), so every arm of a trial gets the same subjects. When no draw in
    PRESENTATION_ATTEMPTS escapes (overrides that fix a rejecting tumour), the first draw is kept.

    ``population.prior_pd1: progressed`` (disease that progressed on PD-(L)1 blockade, as in trials that enrol
    refractory patients) conditions further on escape with PD-1 fully blocked: the draw's effector T cells must not
    expand at baseline even with no PD-1 engagement (``escape_margin(..., blocked=True)`` <= 0), so that blockade
    alone cannot turn the balance. This is primary resistance by the model's own M7 balance; acquired resistance
    (antigen or HLA loss, interferon-pathway mutations after a response) has no representation of its own. When no
    draw in REFRACTORY_ATTEMPTS satisfies both, the first presenting draw is kept (and failing that, the first).

    Biomarker subgroups (CONTRACT.md, Semantics: Subgroups): a covariate fixed in ``patient`` (a value or an
    interval) selects that subgroup of the population, and the traits that go with it follow their
    distribution given it: antigenicity given PD-L1 TPS (the Gaussian copula of ``_pdl1``), tumour burden
    and with it growth given ALC (``_alc``; rejection, with up to REFRACTORY_ATTEMPTS draws), antigenicity
    given TMB (through its TMB factor, ``model.subject``). An interval draws the covariate from the type's
    distribution truncated to it.
    """
    first = first_presenting = None
    progressed = spec.prior_pd1 == "progressed"
    attempts = REFRACTORY_ATTEMPTS if progressed or scenario.patient.alc_per_ul is not None else PRESENTATION_ATTEMPTS
    for attempt in range(attempts):
        subject, margin, blocked, in_subgroup = _draw_subject(scenario, spec, k, attempt)
        if margin <= 0.0 and (not progressed or blocked <= 0.0) and in_subgroup:
            return subject
        first = first or subject
        if margin <= 0.0:
            first_presenting = first_presenting or subject
    return first_presenting or first


@lru_cache(maxsize=1)
def _escape_parameters() -> frozenset[str]:
    """Parameters that can move escape_margin: those M7's effector_net_rate reaches, and those its inputs use."""
    from .model.codegen import quantity_parameters

    return quantity_parameters("effector_net_rate") | {
        "effector_ratio_baseline", "burden_suppression_gain", "systemic_suppression_burden", "suppression_baseline",
        "antigenicity", "tmb", "tmb_exponent"}


def escape_margin(c: _TumourConstants, overrides: list, tmb: float, pdl1: float, burden_mm3: float, *,
                  blocked: bool = False) -> float:
    """Net expansion rate (1/day) of a lesion's effector T cells at baseline without treatment: the model's own
    ``effector_net_rate`` (model/equations.py, M7), evaluated at the baseline effector-to-target ratio q_0 with no
    drug, with the subject's antigenicity (times its TMB factor), baseline PD-L1 P_0 and the lower of its initial
    and burden-adjusted suppression S; today r_E r (1 - p_max L_0) / ((1 + S)(1 + q_0/q_E)) - delta_E (1 + x_E L_0),
    L_0 = h_L + (1 - h_L) P_0.
    Above zero the untreated tumour would be rejected: not a presenting patient. ``blocked``: the same rate with
    PD-1 fully blocked (L_0 = 0), above zero when blockade alone would reject the tumour."""
    from .agents.library import TARGETS
    from .model.codegen import scalar_quantities
    from .model.subject import parameter_values

    escape = _escape_parameters()
    values = parameter_values(c.species, c.tumour, [(n, v) for n, v in overrides if n in escape])[0]
    g_b = values["burden_suppression_gain"]
    s_target = values["suppression_baseline"] * (1.0 + g_b * burden_mm3 / values["systemic_suppression_burden"]) / (1.0 + g_b)
    inputs = dict(values)
    inputs.update(
        antigenicity=values["antigenicity"] * (max(tmb, 1e-3) / values["tmb"]) ** values["tmb_exponent"],
        suppression=min(values["suppression_baseline"], s_target), ratio=values["effector_ratio_baseline"], pdl1=pdl1,
        flag_pd1_axis=1.0, immune_on=1.0, active=1.0)
    inputs.update({f"o_{target}": 0.0 for target in TARGETS})  # no drug at presentation, whichever terms read one
    inputs["o_pd1"] = 1.0 if blocked else 0.0
    return scalar_quantities(("effector_net_rate",), inputs)["effector_net_rate"]


def _draw_subject(scenario: Scenario, spec: PopulationSpec, k: int, attempt: int) -> tuple[Scenario, float, float, bool]:
    """One draw of subject k (attempt 0: the subject's first stream), its escape margin, the margin with PD-1
    fully blocked (0.0 unless the population is selected on it: population.prior_pd1) and whether the draw
    belongs to the ALC subgroup that the patient block selects (``_alc``; always with no ALC given)."""
    rng = np.random.default_rng([spec.seed, k, 7] + ([attempt] if attempt else []))
    species = scenario.species
    tumour = scenario.tumour
    if spec.tumour_mix:
        names, weights = zip(*spec.tumour_mix, strict=True)
        tumour = names[int(rng.choice(len(names), p=np.array(weights)))]
    c = _tumour_constants(species, tumour)
    pop = c.pop
    lesions = _sample_lesions(rng, scenario, spec, c)
    patient = scenario.patient
    burden = sum(les.diameter_mm for les in lesions)
    z_burden = max(-3.0, min(3.0, (math.log(burden) - c.log_burden_reference) / 0.6))
    z = rng.standard_normal()
    alc, in_subgroup = _alc(patient.alc_per_ul, c, z_burden, z, (spec.seed, k, attempt))
    sigma = c.tmb_sigma
    z_tmb = rng.standard_normal()
    tmb = patient.tmb_per_mb
    if tmb is None or isinstance(tmb, tuple):  # a TMB interval: the type's log-normal TMB truncated to it
        tmb = c.pset["tmb"].value * math.exp(sigma * _truncated(z_tmb, *_tmb_latent(tmb, c, sigma)) - 0.5 * sigma * sigma)
    sigma = c.weight_sigma
    weight_factor = math.exp(sigma * rng.standard_normal() - 0.5 * sigma * sigma)
    weight = patient.weight_kg or c.weight_base * weight_factor
    fixed = {name for name, _ in scenario.overrides}
    overrides = list(scenario.overrides)
    z_varied = {}
    # a PD-L1 subgroup (patient.pdl1_tps given): antigenicity follows its distribution given that TPS
    # (the copula of _pdl1 read the other way; CONTRACT.md, Semantics: Subgroups)
    pdl1 = patient.pdl1_tps
    tps_z = None
    if pdl1 is not None:
        shape = _pdl1_beta(c.pset["pdl1_tps"].value, pop, pdl1_concentration(species).get(tumour))
        if isinstance(pdl1, tuple):  # a TPS interval: the type's TPS distribution truncated to it, own stream
            z_pdl1 = np.random.default_rng([spec.seed, k, 8] + ([attempt] if attempt else [])).standard_normal()
            tps_z = _truncated(z_pdl1, _pdl1_latent(pdl1[0], shape), _pdl1_latent(pdl1[1], shape))
            pdl1 = beta_ppf_of_normal(tps_z, *shape)
        else:
            tps_z = _pdl1_latent(pdl1, shape)
    for name, base, sigma in c.varied:
        zv = rng.standard_normal()
        if name == "doubling_time":  # larger burden, faster growth (shorter doubling time)
            zv = -c.growth_rho * z_burden + c.growth_rho_c * zv
        elif name == "antigenicity" and tps_z is not None:
            rho = pop.get("pdl1_antigenicity_correlation", 0.0)
            zv = rho * tps_z + math.sqrt(1.0 - rho * rho) * zv
        z_varied[name] = zv
        factor = math.exp(sigma * zv - 0.5 * sigma * sigma)
        if name not in fixed:
            overrides.append((name, str(base * factor)))
    for name, logit, sd in c.varied_fractions:  # drawn after the log-normal ones, so adding these kept earlier draws
        zv = rng.standard_normal()
        if name not in fixed and sd > 0.0:
            overrides.append((name, str(1.0 / (1.0 + math.exp(-(logit + sd * zv))))))
    if pdl1 is None:  # own stream: the other draws of subject k do not depend on it
        pdl1 = _pdl1(c.pset["pdl1_tps"].value, z_varied["antigenicity"], pop, pdl1_concentration(species).get(tumour),
                     np.random.default_rng([spec.seed, k, 8] + ([attempt] if attempt else [])))
    p53 = None
    prevalence = c.p53_prevalence
    if prevalence is not None:  # own stream (seed, k, 53)
        p53 = bool(np.random.default_rng([spec.seed, k, 53]).random() < prevalence)
        if p53 and "alpha" not in fixed:
            overrides = [(n, str(float(v) * pop["p53_alpha_factor"])) if n == "alpha" else (n, v) for n, v in overrides]
    new_patient = Patient(lesions=tuple(lesions), alc_per_ul=alc, weight_kg=weight, bsa_m2=patient.bsa_m2, pdl1_tps=pdl1,
                          tmb_per_mb=tmb, p53_mutant=p53)
    radiotherapy = tuple(b for b in (_resolve_block(b, lesions) for b in scenario.radiotherapy) if b is not None)
    volume = sum(les.volume_mm3 for les in lesions)
    margin = escape_margin(c, overrides, tmb, pdl1, volume)
    blocked = escape_margin(c, overrides, tmb, pdl1, volume, blocked=True) if spec.prior_pd1 == "progressed" else 0.0
    subject = dataclasses.replace(scenario, tumour=tumour, patient=new_patient, overrides=tuple(overrides),
                                  radiotherapy=radiotherapy, simulation=_with_seed(scenario.simulation, spec.seed),
                                  population=None, name=f"{scenario.name} #{k}")
    return subject, margin, blocked, in_subgroup


@lru_cache(maxsize=256)
def _with_seed(simulation: Simulation, seed: int) -> Simulation:
    return dataclasses.replace(simulation, seed=seed)


def _pdl1_beta(typical: float, pop: dict, concentration: float | None) -> tuple[float, float]:
    """Shape parameters (a, b) of the tumour type's TPS distribution: mean = the tumour's typical TPS,
    concentration from the tumour's row of ``[pdl1_beta_concentration]`` or the population-wide value."""
    mean = min(max(typical, 1e-3), 1 - 1e-3)
    conc = concentration if concentration is not None else pop.get("pdl1_beta_concentration", 2.0)
    return mean * conc, (1 - mean) * conc


def _pdl1(typical: float, z_antigenicity: float, pop: dict, concentration: float | None, rng: np.random.Generator) -> float:
    """Beta-distributed TPS (``_pdl1_beta``) correlated with antigenicity by a Gaussian copula."""
    rho = pop.get("pdl1_antigenicity_correlation", 0.0)
    z = rho * z_antigenicity + math.sqrt(1.0 - rho * rho) * rng.standard_normal()
    return beta_ppf_of_normal(z, *_pdl1_beta(typical, pop, concentration))


LATENT_LIMIT = 5.0  # |z| cap of a given covariate's latent normal (a TPS of exactly 0 or 1 has z = -/+inf)


def _pdl1_latent(tps: float, shape: tuple[float, float]) -> float:
    """The copula's latent normal of a given TPS: Phi^-1(F_beta(tps)), the inverse of ``_pdl1``'s map."""
    from scipy import special

    z = float(special.ndtri(special.betainc(shape[0], shape[1], tps)))
    return min(max(z, -LATENT_LIMIT), LATENT_LIMIT)


def _truncated(z: float, low: float, high: float) -> float:
    """A standard normal draw z carried into [low, high] by its quantile (the normal truncated to the
    interval, from the same draw); z itself when the bounds are infinite."""
    if low == -math.inf and high == math.inf:
        return z
    from scipy import special

    p_low, p_high = float(special.ndtr(low)), float(special.ndtr(high))
    if p_high - p_low < 1e-12:  # an interval far out in a tail: its end nearer the centre
        return low if low > 0.0 else high
    return float(special.ndtri(p_low + float(special.ndtr(z)) * (p_high - p_low)))


def _tmb_latent(given, c, sigma: float) -> tuple[float, float]:
    """Bounds, on the scale of the TMB draw's standard normal, of a TMB interval (-inf, inf without one)."""
    if given is None:
        return -math.inf, math.inf
    base = c.pset["tmb"].value

    def z(v: float) -> float:
        return -math.inf if v <= 0.0 else (math.log(v / base) + 0.5 * sigma * sigma) / sigma

    return z(given[0]), z(given[1])


def _alc(given, c, z_burden: float, z: float, stream: tuple[int, int, int]) -> tuple[float, bool]:
    """The subject's baseline ALC and whether the draw belongs to the ALC subgroup that ``given`` selects.

    Without a given ALC: log-normal, correlated with tumour burden (always in the subgroup). A given value:
    that ALC, and the draw is kept with probability p(ALC | burden) / max p, so that burden (and what goes
    with it) follows its distribution given the ALC (rejection sampling; CONTRACT.md, Semantics: Subgroups).
    An interval: the draw's own ALC, kept when it falls inside (clamped into it when no draw of the subject
    does). ``stream``: (seed, k, attempt) of the acceptance draw's own stream."""
    drawn = c.alc_baseline * math.exp(c.alc_sigma * (c.alc_rho * z_burden + c.alc_rho_c * z))
    if given is None:
        return drawn, True
    if isinstance(given, tuple):
        return min(max(drawn, given[0]), given[1]), given[0] <= drawn <= given[1]
    if c.alc_rho == 0.0:
        return given, True
    z_alc = math.log(given / c.alc_baseline) / c.alc_sigma
    keep = math.exp(-((z_alc - c.alc_rho * z_burden) ** 2) / (2.0 * c.alc_rho_c ** 2))
    seed, k, attempt = stream
    return given, bool(np.random.default_rng([seed, k, 9] + ([attempt] if attempt else [])).random() < keep)


@cache
def _scipy_kernels():
    """(ndtr, beta quantile kernel): the ufuncs behind norm.cdf and beta._ppf. Importing them from
    scipy.special avoids importing scipy.stats (~0.6 s per process, e.g. per trial worker)."""
    from scipy import special

    try:
        from scipy.special._ufuncs import _beta_ppf  # what scipy.stats.beta._ppf calls
    except ImportError:  # a scipy that moved it: the method itself
        from scipy import stats

        _beta_ppf = stats.beta._ppf
    return special.ndtr, _beta_ppf


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


def _sample_lesions(rng, scenario: Scenario, spec: PopulationSpec, c: _TumourConstants) -> list[Lesion]:
    pop = c.pop
    given = scenario.patient.lesions
    if given:
        sigma = c.lesion_size_sigma
        out = []
        for les in given:
            volume = les.volume_mm3 * math.exp(sigma * rng.standard_normal() - 0.5 * sigma * sigma)
            # all of Lesion's fields (tests/unit/test_setup_cache.py checks the list): dataclasses.replace costs 4x
            out.append(Lesion(id=les.id, site=les.site, diameter_mm=(6 * volume / math.pi) ** (1 / 3), volume_mm3=volume,
                              appears_day=les.appears_day))
        return out
    lo, hi = spec.lesion_count or (int(pop["lesion_count_min"]), int(pop["lesion_count_max"]))
    count = int(rng.integers(lo, hi + 1))
    sites = spec.lesion_sites or c.default_sites or ("soft_tissue",)
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
    ids = tuple(les.id for les in lesions)
    ranked = None
    if any(t in vocab.SELECTORS for t in block.targets):  # selectors pick by size: the ranking is part of the key
        ranked = tuple(sorted(range(len(lesions)), key=lambda k: (-lesions[k].diameter_mm, k)))
    return _resolve_block_for(block, ids, ranked)


@lru_cache(maxsize=4096)
def _resolve_block_for(block, ids: tuple[str, ...], ranked: tuple[int, ...] | None):
    """The resolved block for lesions with these ids ranked so by size (what resolve_targets depends on);
    blocks are immutable, so subjects with the same ids and ranking share one."""
    present = set(ids)
    targets = [t for t in block.targets if t in vocab.SELECTORS or t in present]
    if not targets:
        return None
    try:
        chosen = select_targets(targets, list(ids), list(ranked) if ranked is not None else [], "radiotherapy")
    except InputError:
        return None
    return dataclasses.replace(block, lesion_ids=chosen)
