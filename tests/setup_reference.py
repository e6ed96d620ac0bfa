"""A slow, cache-free reference for population sampling and subject set-up (tests only).

The straightforward algorithm the fast path must reproduce bit for bit: every parameter and population file
is read and parsed again, every value converted by pint itself, scipy.stats used as written, objects
rebuilt with dataclasses.replace, and the per-fraction radiation effects computed on every day. It shares
no cache, table or memo with the package (only the agents' PK table, the pure model functions and the
target resolution of the scenario reader), so a wrong cache key or a shared mutable table shows up as a
difference. Keep in step with population.sample_subject and model.subject.subject_from_scenario.
"""

from __future__ import annotations

import dataclasses
import math
import zlib

import numpy as np
from scipy import stats

from abscopal import units
from abscopal import vocabulary as vocab
from abscopal.errors import InputError
from abscopal.model import host as host_mod
from abscopal.model.codegen import scalar_quantities
from abscopal.model.declarations import PARAMETERS, SITE_PARAMETERS
from abscopal.model.lymphocytes import bath_survival, fraction_effect, lymphocyte_survival
from abscopal.model.occult import draw_occult
from abscopal.model.subject import LesionSpec, RTEvent, Subject, drug_event_table
from abscopal.parameters.store import _read, parse_entries
from abscopal.population import FRACTIONS_VARIED, VARIED
from abscopal.scenario.load import resolve_targets
from abscopal.scenario.model import Lesion, Patient, Scenario

SITE_UNITS = {p.name: p.unit for p in SITE_PARAMETERS}


def to(entry, unit: str) -> float:
    """Entry.to through pint, without the memo."""
    if entry.unit in ("", "1") and unit in ("", "1"):
        return entry.value
    return units._convert(entry.value, entry.unit if entry.unit != "1" else "", unit if unit != "1" else "")


def parameter_entries(species: str, tumour: str):
    entries = parse_entries(_read(f"shared/{species}.toml")["parameters"], f"shared/{species}.toml")
    file = f"tumours/{species}/{tumour}.toml"
    entries.update(parse_entries(_read(file).get("parameters", {}), file))
    return entries


def site_entries(species: str):
    data = _read("shared/sites.toml")
    return {site: parse_entries(table, f"shared/sites.toml[{species}.{site}]") for site, table in data["sites"][species].items()}


def population_values(species: str) -> dict[str, float]:
    entries = parse_entries(_read(f"populations/{species}.toml")["parameters"], f"populations/{species}.toml")
    unit = {"lesion_diameter_median": "mm", "lesion_diameter_min": "mm", "lesion_diameter_max": "mm", "weight_median": "kg",
            "os_baseline_hazard": "1/day", "os_reference_burden": "mm^3"}
    return {name: to(entry, unit.get(name, "1")) for name, entry in entries.items()}


def tumour_meta(species: str, tumour: str) -> dict:
    return dict(_read(f"tumours/{species}/{tumour}.toml").get("meta", {}))


def _lognormal_factor(rng, cv: float) -> float:
    sigma = math.sqrt(math.log(1.0 + cv * cv))
    return math.exp(sigma * rng.standard_normal() - 0.5 * sigma * sigma)


def sample_subject(scenario: Scenario, spec, k: int) -> Scenario:
    """Conditioning on presentation: the first draw (attempt 0, 1, ...) whose untreated effector expansion rate at
    baseline is not positive and that belongs to the ALC subgroup the patient block selects; after 30 attempts (200
    with a given ALC) the first presenting draw, else the first draw."""
    first = first_presenting = None
    for attempt in range(200 if scenario.patient.alc_per_ul is not None else 30):
        subject, margin, in_subgroup = _draw(scenario, spec, k, attempt)
        if margin <= 0.0 and in_subgroup:
            return subject
        first = first or subject
        if margin <= 0.0:
            first_presenting = first_presenting or subject
    return first_presenting or first


def _truncated(z: float, low: float, high: float) -> float:
    """The standard normal draw z carried into [low, high] through its quantile."""
    if low == -math.inf and high == math.inf:
        return z
    p_low, p_high = stats.norm.cdf(low), stats.norm.cdf(high)
    if p_high - p_low < 1e-12:
        return low if low > 0.0 else high
    return float(stats.norm.ppf(p_low + stats.norm.cdf(z) * (p_high - p_low)))


def _escape_margin(species, tumour, overrides, tmb, pdl1, burden_mm3) -> float:
    entries = parameter_entries(species, tumour)
    v = {name: to(entries[name], unit) for name, unit in (
        ("til_proliferation_rate", "1/day"), ("pdl1_max_inhibition", "1"), ("effector_ratio_baseline", "1"),
        ("til_proliferation_half_ratio", "1"), ("effector_death_rate", "1/day"), ("exhaustion_gain", "1"),
        ("burden_suppression_gain", "1"), ("systemic_suppression_burden", "mm^3"), ("antigenicity", "1"),
        ("suppression_baseline", "1"), ("tmb", "1/Mb"), ("tmb_exponent", "1"), ("pdl1_host_share", "1"),
        ("recognition_half_saturation", "1"), ("il2_effector_gain", "1"))}
    for name, value in overrides:
        if name in v:
            v[name] = float(value)
    a_g = v["antigenicity"] * (max(tmb, 1e-3) / v["tmb"]) ** v["tmb_exponent"]
    s_burden = v["suppression_baseline"] * (1 + v["burden_suppression_gain"] * burden_mm3 / v["systemic_suppression_burden"]) / (
        1 + v["burden_suppression_gain"])
    # the M7 rate itself is a pure model function: evaluated from model/equations.py, as the package does
    inputs = dict(v, antigenicity=a_g, suppression=min(v["suppression_baseline"], s_burden), ratio=v["effector_ratio_baseline"],
                  pdl1=pdl1, o_pd1=0.0, o_pdl1=0.0, o_il2=0.0, flag_pd1_axis=1.0, immune_on=1.0, active=1.0)
    return scalar_quantities(("effector_net_rate",), inputs)["effector_net_rate"]


def _draw(scenario: Scenario, spec, k: int, attempt: int):
    extra = [attempt] if attempt else []
    rng = np.random.default_rng([spec.seed, k, 7, *extra])
    species = scenario.species
    pop = population_values(species)
    tumour = scenario.tumour
    if spec.tumour_mix:
        names, weights = zip(*spec.tumour_mix, strict=True)
        tumour = names[int(rng.choice(len(names), p=np.array(weights)))]
    pset = parameter_entries(species, tumour)
    lesions = _sample_lesions(rng, scenario, spec, species, tumour, pop)
    patient = scenario.patient
    burden = sum(les.diameter_mm for les in lesions)
    z_burden = max(-3.0, min(3.0, (math.log(burden) - math.log(pop.get("lesion_diameter_median", 1.0) * 2.5)) / 0.6))
    z = rng.standard_normal()
    alc = patient.alc_per_ul
    rho = pop.get("alc_burden_correlation", 0.0)
    sigma = math.sqrt(math.log(1.0 + pop["alc_cv"] ** 2))
    drawn = to(pset["alc_baseline"], "1/uL") * math.exp(sigma * (rho * z_burden + math.sqrt(1 - rho * rho) * z))
    in_subgroup = True
    if alc is None:
        alc = drawn
    elif isinstance(alc, tuple):  # an ALC interval: the draw belongs when it falls inside
        in_subgroup = alc[0] <= drawn <= alc[1]
        alc = min(max(drawn, alc[0]), alc[1])
    elif rho != 0.0:  # a given ALC: burden given ALC by rejection, p(ALC | burden) / max
        z_alc = math.log(alc / to(pset["alc_baseline"], "1/uL")) / sigma
        keep = math.exp(-((z_alc - rho * z_burden) ** 2) / (2.0 * (1 - rho * rho)))
        in_subgroup = bool(np.random.default_rng([spec.seed, k, 9, *extra]).random() < keep)
    sigma = math.sqrt(math.log(1.0 + pop.get("tmb_cv", 0.0) ** 2))
    z_tmb = rng.standard_normal()
    tmb = patient.tmb_per_mb
    if tmb is None or isinstance(tmb, tuple):
        low, high = -math.inf, math.inf
        if tmb is not None:
            base = pset["tmb"].value
            low, high = ((-math.inf if v <= 0 else (math.log(v / base) + 0.5 * sigma * sigma) / sigma) for v in tmb)
        tmb = pset["tmb"].value * math.exp(sigma * _truncated(z_tmb, low, high) - 0.5 * sigma * sigma)
    weight_factor = _lognormal_factor(rng, pop["weight_cv"])
    weight = patient.weight_kg or (pop.get("weight_median", to(pset["body_weight"], "kg")) * weight_factor
                                   if species == "human" else to(pset["body_weight"], "kg") * weight_factor)
    fixed = {name for name, _ in scenario.overrides}
    overrides = list(scenario.overrides)
    z_varied = {}
    pdl1 = patient.pdl1_tps
    mean = min(max(pset["pdl1_tps"].value, 1e-3), 1 - 1e-3)
    table = _read(f"populations/{species}.toml").get("pdl1_beta_concentration", {})
    by_tumour = {n: e.value for n, e in parse_entries(table, f"populations/{species}.toml").items()}
    conc = by_tumour.get(tumour, pop.get("pdl1_beta_concentration", 2.0))
    a, b = mean * conc, (1 - mean) * conc

    def latent(tps):
        return min(max(float(stats.norm.ppf(stats.beta.cdf(tps, a, b))), -5.0), 5.0)

    zp = None
    if isinstance(pdl1, tuple):  # a TPS subgroup given as an interval: truncated beta, own stream
        zp = _truncated(np.random.default_rng([spec.seed, k, 8, *extra]).standard_normal(), latent(pdl1[0]), latent(pdl1[1]))
        pdl1 = float(stats.beta.ppf(stats.norm.cdf(zp), a, b))
    elif pdl1 is not None:
        zp = latent(pdl1)
    for name, cv_name in VARIED.items():
        z_varied[name] = rng.standard_normal()
        if name == "doubling_time":
            rho = pop.get("growth_burden_correlation", 0.0)
            z_varied[name] = -rho * z_burden + math.sqrt(1.0 - rho * rho) * z_varied[name]
        if name == "antigenicity" and zp is not None:  # antigenicity given the subgroup's TPS (the copula)
            rho = pop.get("pdl1_antigenicity_correlation", 0.0)
            z_varied[name] = rho * zp + math.sqrt(1.0 - rho * rho) * z_varied[name]
        sigma = math.sqrt(math.log(1.0 + pop.get(cv_name, 0.0) ** 2))
        factor = math.exp(sigma * z_varied[name] - 0.5 * sigma * sigma)
        if name not in fixed:
            unit = {"priming_rate": "1/day", "doubling_time": "day", "alpha": "1/Gy", "doomed_clearance_rate": "1/day",
                    "stroma_remodel_rate": "1/day"}.get(name, "1")
            overrides.append((name, str(to(pset[name], unit) * factor)))
    for name, sd_name in FRACTIONS_VARIED.items():
        zf = rng.standard_normal()
        sd = pop.get(sd_name, 0.0)
        if name not in fixed and sd > 0.0:
            p0 = min(max(to(pset[name], "1"), 1e-9), 1.0 - 1e-9)
            overrides.append((name, str(1.0 / (1.0 + math.exp(-(math.log(p0 / (1.0 - p0)) + sd * zf))))))
    if pdl1 is None:
        rng8 = np.random.default_rng([spec.seed, k, 8, *extra])
        rho = pop.get("pdl1_antigenicity_correlation", 0.0)
        zp = rho * z_varied["antigenicity"] + math.sqrt(1.0 - rho * rho) * rng8.standard_normal()
        pdl1 = float(stats.beta.ppf(stats.norm.cdf(zp), a, b))
    p53 = None
    table = _read(f"populations/{species}.toml").get("p53_mutant_fraction", {})
    prevalence = {n: e.value for n, e in parse_entries(table, f"populations/{species}.toml").items()}.get(tumour)
    if prevalence is not None:
        p53 = bool(np.random.default_rng([spec.seed, k, 53]).random() < prevalence)
        if p53 and "alpha" not in fixed:
            overrides = [(n, str(float(v) * pop["p53_alpha_factor"])) if n == "alpha" else (n, v) for n, v in overrides]
    new_patient = Patient(lesions=tuple(lesions), alc_per_ul=alc, weight_kg=weight, bsa_m2=patient.bsa_m2, pdl1_tps=pdl1,
                          tmb_per_mb=tmb, p53_mutant=p53)
    radiotherapy = tuple(b for b in (_resolve_block(b, lesions) for b in scenario.radiotherapy) if b is not None)
    simulation = dataclasses.replace(scenario.simulation, seed=spec.seed)
    margin = _escape_margin(species, tumour, overrides, tmb, pdl1, sum(les.volume_mm3 for les in lesions))
    return dataclasses.replace(scenario, tumour=tumour, patient=new_patient, overrides=tuple(overrides),
                               radiotherapy=radiotherapy, simulation=simulation, population=None,
                               name=f"{scenario.name} #{k}"), margin, in_subgroup


def _sample_lesions(rng, scenario, spec, species, tumour, pop) -> list[Lesion]:
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


def subject_from_scenario(scenario: Scenario, subject_index: int = 0) -> Subject:
    species = scenario.species
    entries = parameter_entries(species, scenario.tumour)
    values = {p.name: to(entries[p.name], p.unit) for p in PARAMETERS}
    for name, text in scenario.overrides:
        values[name] = float(text)
    patient = scenario.patient
    weight = patient.weight_kg or values["body_weight"]
    bsa = patient.bsa_m2 or values["body_surface_area"]
    if patient.pdl1_tps is not None:
        values["pdl1_tps"] = patient.pdl1_tps
    if patient.tmb_per_mb is not None:
        values["antigenicity"] *= (max(patient.tmb_per_mb, 1e-3) / values["tmb"]) ** values["tmb_exponent"]
    mechanisms = {name: scenario.mechanism_on(name) for name in
                  ("immunogenic_death", "interferon", "trex1", "priming", "ctla4", "trafficking", "pd1_axis",
                   "suppression", "lymphocyte_kill", "occult_lesions")}
    irradiated = scenario.irradiated_ids
    lesions = [LesionSpec(id=les.id, site=les.site, volume_mm3=les.volume_mm3, appears_day=les.appears_day,
                          irradiated=les.id in irradiated) for les in patient.lesions]
    if mechanisms["occult_lesions"] and values["occult_lesion_count"] > 0:
        sites = list(tumour_meta(species, scenario.tumour).get("default_sites", [])) or [lesions[0].site]
        for oid, site, diameter in draw_occult(scenario.simulation.seed, subject_index, values["occult_lesion_count"], sites,
                                               values["occult_min_diameter"], values["occult_max_diameter"]):
            lesions.append(LesionSpec(id=oid, site=site, volume_mm3=math.pi * diameter**3 / 6.0, occult=True))
    sigma = values["lesion_growth_sd"]
    if sigma > 0:  # M1 within-subject spread, written out: baseline lesions centred, unit sample SD
        z = [float(np.random.default_rng([scenario.simulation.seed, subject_index, 15, zlib.crc32(les.id.encode("utf-8"))])
                   .standard_normal(1)[0]) for les in lesions]
        base = [k for k, les in enumerate(lesions) if not les.occult and les.appears_day in (None, 0.0)]
        if len(base) == 1:
            z[base[0]] = 0.0
        elif len(base) > 1:
            values_base = np.array([z[k] for k in base])
            mean, sd = np.mean(values_base), np.std(values_base, ddof=1)
            for k in base:
                z[k] = (z[k] - mean) / sd
        lesions = [dataclasses.replace(les, growth_factor=math.exp(sigma * float(z[k]))) for k, les in enumerate(lesions)]
    site_table = site_entries(species)

    def site_values(site):
        return {name: to(entry, SITE_UNITS[name]) for name, entry in site_table[site].items()}

    alc0 = (patient.alc_per_ul or values["alc_baseline"]) * host_mod.alc_fraction(scenario.host_immune, values)
    rt_events = _rt_events(scenario, lesions, values, site_values, mechanisms["lymphocyte_kill"])
    return Subject(
        species=species, tumour=scenario.tumour, lesions=lesions, values=values,
        sites=[site_values(les.site) for les in lesions], mechanisms=mechanisms, host=scenario.host_immune,
        agents=sorted({r.agent for r in scenario.drugs}), rt_events=rt_events,
        drug_events=drug_event_table(scenario, weight, bsa), alc0=alc0, weight_kg=weight, bsa_m2=bsa,
        parameter_set=f"{species}/{scenario.tumour}",
    )


def _rt_events(scenario, lesions, values, site_values, lymphocyte_kill: bool) -> dict[float, RTEvent]:
    index = {les.id: k for k, les in enumerate(lesions)}
    species_values = dict(values)
    species_values["blood_volume_ml"] = values["blood_volume"] * 1000.0
    events: dict[float, RTEvent] = {}
    for block in scenario.radiotherapy:
        dose = block.dose_per_fraction_gy
        if dose <= 0:
            continue
        modality = values["proton_blood_dose_factor"] if block.modality == "proton" else 1.0
        fields = []
        for lid in block.lesion_ids:
            les = lesions[index[lid]]
            default = max(site_values(les.site)["default_field_size"], values["field_margin_factor"] * les.volume_mm3 / 1000.0)
            fields.append((les.site, block.field_size_cm3 / max(len(block.lesion_ids), 1) if block.field_size_cm3 else default))
        if block.site is not None:
            fields.append((block.site, block.field_size_cm3 or site_values(block.site)["default_field_size"]))
        for day in block.days:
            event = events.setdefault(day, RTEvent())
            for lid in block.lesion_ids:
                k = index[lid]
                event.lesion_dose[k] = event.lesion_dose.get(k, 0.0) + dose
                event.lesion_coverage[k] = max(event.lesion_coverage.get(k, 0.0), block.coverage)
            if not lymphocyte_kill:
                continue
            if block.nodes:
                event.node_lesions.update(index[lid] for lid in block.lesion_ids)
                event.node_dose = max(event.node_dose, dose)
                survival = lymphocyte_survival(dose, values["lymphocyte_alpha"], values["lymphocyte_beta"])
                event.alc_factor *= (1.0 - values["node_lymphocyte_fraction"] * (1.0 - survival)) ** len(block.lesion_ids)
            for site, field_cm3 in fields:
                vals = site_values(site)
                beam_on = block.beam_on_time_min if block.beam_on_time_min else vals["beam_on_time_per_gy"] * dose
                effect = fraction_effect(dose, field_cm3, beam_on, vals, species_values, modality)
                event.alc_factor *= effect.alc_factor
                event.blood_factor *= effect.blood_survival
                event.marrow_factor *= effect.marrow_factor
            event.alc_factor *= bath_survival(dose, sum(f for _, f in fields[:len(block.lesion_ids)]), values, modality)
    return events
