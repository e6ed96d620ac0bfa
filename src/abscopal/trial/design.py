"""Trial files (docs/format.md, The trial file): arms validated as scenarios on one shared population."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..population import PopulationSpec, parse_population
from ..scenario.fields import as_bool, as_mapping, as_str, check_keys, choice, positive_quantity
from ..scenario.limits import MIN_ASSESSMENT_INTERVAL_DAYS
from ..scenario.load import TOP_KEYS, drawn_lesion_number, parse_scenario, read_document
from ..scenario.model import Scenario
from ..units import parse_day

TRIAL_KEYS = ("abscopal", "name", "species", "tumour", "model", "population", "arms", "endpoints", "simulation",
              "patient", "mechanisms", "host", "overrides")
ARM_KEYS = ("radiotherapy", "drugs", "host", "mechanisms")
ENDPOINT_KEYS = ("response_at", "assessments", "abscopal_definition", "confirm", "baseline_scan", "volume_at",
                 "progression")
DEFINITIONS = ("golden2015", "recist_out_of_field")
PROGRESSION_SETS = ("all", "out_of_field")  # the lesions RECIST progression (PFS) is read on


@dataclass(frozen=True)
class Endpoints:
    response_at: float | None
    assessments: float
    abscopal_definition: str
    confirm: bool
    baseline_scan: float = 0.0  # day of the RECIST baseline scan (scans follow it every `assessments`)
    volume_at: float | None = None  # mice: the day tumour volumes are compared (Mann-Whitney); None: the last day
    progression: str = "all"  # human trials: RECIST progression read on every lesion, or on the out-of-field ones


@dataclass(frozen=True)
class TrialDesign:
    name: str
    species: str
    arms: tuple[tuple[str, Scenario], ...]
    population: PopulationSpec
    endpoints: Endpoints
    source: str
    sha256: str

    @property
    def duration(self) -> float:
        return self.arms[0][1].simulation.duration_days


def load_trial(path: str | Path, *, size: int | None = None, seed: int | None = None, cohort: bool = False) -> TrialDesign:
    """A trial file, or (``cohort=True``) a scenario with a population block as a one-arm trial."""
    data, text = read_document(path)
    try:
        if cohort:
            return cohort_design(data, text=text, source=str(path), size=size, seed=seed)
        return parse_trial(data, text=text, source=str(path), size=size, seed=seed)
    except InputError as exc:
        raise exc.with_file(str(path)) from None


def _endpoints(raw: Any, species: str, duration: float) -> Endpoints:
    raw = as_mapping(raw or {}, "endpoints")
    check_keys(raw, ENDPOINT_KEYS, "endpoints")
    baseline = 0.0
    if "baseline_scan" in raw:
        baseline = parse_day(raw["baseline_scan"], key="endpoints.baseline_scan")
        if not 0 <= baseline < duration:
            raise InputError(f"{raw['baseline_scan']!r} is outside the simulation", key="endpoints.baseline_scan",
                             expected=f"a day from 0 to before {duration:g}")
    response_at = None
    if "response_at" in raw:
        response_at = parse_day(raw["response_at"], key="endpoints.response_at")
        if not baseline < response_at <= duration:
            raise InputError(f"{raw['response_at']!r} is not after the baseline scan inside the simulation",
                             key="endpoints.response_at", expected=f"a day after {baseline:g} and up to {duration:g}")
    default = "8 weeks" if species == "human" else "3 days"
    assessments = positive_quantity(raw.get("assessments", default), "time", "endpoints.assessments")
    if "assessments" not in raw:  # the default interval, in a run shorter than it: one scan at the end
        assessments = min(assessments, duration)
    if not MIN_ASSESSMENT_INTERVAL_DAYS <= assessments <= duration:
        raise InputError(f"{raw.get('assessments')!r} is out of range", key="endpoints.assessments",
                         expected=f"a scan interval from {MIN_ASSESSMENT_INTERVAL_DAYS:g} day to the simulation's {duration:g} days")
    definition = choice(raw.get("abscopal_definition", "golden2015"), DEFINITIONS, "endpoints.abscopal_definition", "abscopal definition")
    confirm = as_bool(raw.get("confirm", False), "endpoints.confirm")
    volume_at = None
    if "volume_at" in raw:
        volume_at = parse_day(raw["volume_at"], key="endpoints.volume_at")
        if not 0 < volume_at <= duration:
            raise InputError(f"{raw['volume_at']!r} is outside the simulation", key="endpoints.volume_at",
                             expected=f"a day after 0 and up to {duration:g}")
    progression = choice(raw.get("progression", "all"), PROGRESSION_SETS, "endpoints.progression", "lesion set")
    return Endpoints(response_at, assessments, definition, confirm, baseline, volume_at, progression)


def parse_trial(data: Any, *, text: str = "", source: str = "<input>", size: int | None = None, seed: int | None = None) -> TrialDesign:
    if not isinstance(data, Mapping):
        raise InputError("the document is not a mapping of keys", expected="a trial file starting with 'abscopal: 1'")
    check_keys(data, TRIAL_KEYS, "")
    if "arms" not in data:
        raise InputError("required key 'arms' is missing", key="arms", expected="a mapping of arm name to treatment")
    arms_raw = as_mapping(data["arms"], "arms", "a mapping of arm name to {radiotherapy, drugs}")
    if not arms_raw:
        raise InputError("no arms", key="arms", expected="at least one arm")
    base = {k: copy.deepcopy(v) for k, v in data.items() if k in TOP_KEYS and k not in ("arms", "endpoints")}
    base.setdefault("population", {})
    arms = []
    for name, arm in arms_raw.items():
        if not as_str(name, "arms", "an arm name (text)").strip():
            raise InputError("an arm has an empty name", key="arms", expected="a name for every arm, such as rt or rt_pd1")
        arm = as_mapping(arm if arm is not None else {}, f"arms.{name}")
        check_keys(arm, ARM_KEYS, f"arms.{name}")
        doc = copy.deepcopy(base)
        for key in ("radiotherapy", "drugs"):
            if key in arm:
                doc[key] = copy.deepcopy(arm[key])
        for key in ("host", "mechanisms"):
            if key in arm:
                merged = dict(doc.get(key, {}))
                merged.update(as_mapping(arm[key], f"arms.{name}.{key}"))
                doc[key] = merged
        try:
            scenario = parse_scenario(doc, source=source, text=text)
        except InputError as exc:
            if exc.key.split(".")[0].split("[")[0] in ("radiotherapy", "drugs", "host", "mechanisms"):
                exc.with_prefix(f"arms.{name}")
            raise
        arms.append((str(name), scenario))
    species = arms[0][1].species
    population = parse_population(data.get("population"), species, size=size, seed=seed)
    _check_lesions(arms, population, in_trial=True)
    endpoints = _endpoints(data.get("endpoints"), species, arms[0][1].simulation.duration_days)
    return TrialDesign(name=arms[0][1].name, species=species, arms=tuple(arms), population=population,
                       endpoints=endpoints, source=source, sha256=arms[0][1].sha256)


def _check_lesions(arms, population: PopulationSpec, *, in_trial: bool) -> None:
    """Lesion keys that would otherwise be ignored without a word: a population lesion count beside explicit
    lesions, and lesion selectors L<n> beyond the largest lesion count of the population."""
    from ..population import population_values

    for name, scenario in arms:
        prefix = f"arms.{name}." if in_trial else ""
        if scenario.patient.lesions:
            if population.lesion_count is not None:
                raise InputError("population.lesions.count is given together with patient.lesions, whose lesions every "
                                 "subject has", key="population.lesions.count",
                                 expected="either patient.lesions or population.lesions.count, not both")
            continue
        if population.lesion_count is not None:
            most = population.lesion_count[1]
        else:
            most = int(population_values(scenario.species).get("lesion_count_max", 0))
        for k, block in enumerate(scenario.radiotherapy):
            for j, target in enumerate(block.targets):
                number = drawn_lesion_number(target)
                if number is not None and most and number > most:
                    raise InputError(f"{target!r} selects lesion {target[1:]}, but subjects have at most {most} lesions",
                                     key=f"{prefix}radiotherapy[{k}].lesions[{j}]",
                                     expected=f"L1 to L{most} (or raise population.lesions.count)")


def cohort_design(data: Any, *, text: str = "", source: str = "<input>", size: int | None = None, seed: int | None = None) -> TrialDesign:
    """A scenario with a population block as a one-arm trial (a cohort is a trial with one arm)."""
    scenario = parse_scenario(data, source=source, text=text)
    if scenario.population is None and size is None:
        raise InputError("no population block", key="population", expected="population: {size: N, seed: S} (or --size)")
    population = parse_population(scenario.population, scenario.species, size=size, seed=seed)
    _check_lesions((("cohort", scenario),), population, in_trial=False)
    endpoints = _endpoints(None, scenario.species, scenario.simulation.duration_days)
    return TrialDesign(name=scenario.name, species=scenario.species, arms=(("cohort", scenario),), population=population,
                       endpoints=endpoints, source=source, sha256=scenario.sha256)
