"""Reading scenario files (YAML or JSON) into :class:`~abscopal.scenario.model.Scenario`.

Every problem is one :class:`~abscopal.errors.InputError` naming the file and the key path.
Unknown keys are errors, not silently ignored.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import vocabulary as vocab
from ..errors import InputError
from ..units import parse_quantity, ureg
from .bounds import ORDERED, bound_for
from .document import read_document
from .fields import (
    ID_PATTERN,
    as_bool,
    as_fraction,
    as_int,
    as_list,
    as_mapping,
    as_str,
    check_keys,
    choice,
    event_day,
    positive_quantity,
)
from .limits import (
    BSA_RANGE_M2,
    INPUT_LIMITS,
    MAX_BEAM_ON_TIME_MIN,
    MAX_DOSES_PER_REGIMEN,
    MAX_DRUG_REGIMENS,
    MAX_DURATION_DAYS,
    MAX_EVENT_DAY,
    MAX_FIELD_SIZE_CM3,
    MAX_FRACTIONS,
    MAX_LESIONS,
    MAX_OUTPUTS,
    MAX_RT_BLOCKS,
    MAX_SEED,
    MAX_TMB_PER_MB,
    MIN_DOSING_INTERVAL_DAYS,
    MIN_LESION_DIAMETER_MM,
)
from .model import DrugDose, DrugRegimen, Lesion, Patient, RadiotherapyBlock, Scenario, Simulation

TOP_KEYS = (
    "abscopal", "name", "species", "tumour", "model", "overrides", "mechanisms", "host", "patient",
    "radiotherapy", "drugs", "simulation", "population",
)
PATIENT_KEYS = ("alc", "weight", "bsa", "pdl1_tps", "tmb", "lesions")
LESION_KEYS = ("id", "site", "diameter", "volume", "appears")
RT_KEYS = (
    "lesions", "site", "dose", "fractions", "start", "interval", "days", "schedule", "nodes", "coverage",
    "field_size", "beam_on_time", "modality",
)
DRUG_KEYS = ("agent", "dose", "every", "start", "count", "until")
SIM_KEYS = ("duration", "output_interval", "endpoint_volume", "seed")
HOST_KEYS = ("immune",)
MAX_DOSE_PER_FRACTION_GY = 100.0
WARN_DOSE_PER_FRACTION_GY = 30.0


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file."""
    data, text = read_document(path)
    try:
        return parse_scenario(data, source=str(path), text=text)
    except InputError as exc:
        raise exc.with_file(str(path)) from None


def parse_scenario(data: Any, *, source: str = "<input>", text: str | None = None, allow_population: bool = True) -> Scenario:
    """Validate an already-parsed document (a dict) into a Scenario."""
    if not isinstance(data, Mapping):
        raise InputError("the document is not a mapping of keys", expected="a YAML mapping starting with 'abscopal: 1'")
    check_keys(data, TOP_KEYS, "")
    if "abscopal" not in data:
        raise InputError("missing contract version", key="abscopal", expected="'abscopal: 1' at the top of the file")
    if type(data["abscopal"]) is not int or data["abscopal"] != 1:  # 1.0 and true are not the version 1
        raise InputError(f"unsupported contract version {data['abscopal']!r}", key="abscopal", expected="1")
    species = choice(data.get("species"), vocab.SPECIES, "species", "species") if "species" in data else _missing("species", "human or mouse")
    tumour = _tumour(data.get("tumour"), species) if "tumour" in data else _missing("tumour", "a tumour key such as nsclc or ct26")
    model = choice(data.get("model", "abscopal"), vocab.MODELS, "model", "model")
    if model == "Kosinsky2018" and (species, tumour) != ("mouse", "ct26"):
        raise InputError(f"model Kosinsky2018 is not available for {species} {tumour}", key="model", expected="mouse ct26 for Kosinsky2018")
    name = as_str(data.get("name", Path(source).stem), "name")
    overrides = _overrides(data.get("overrides", {}), species, tumour)
    mechanisms = _mechanisms(data.get("mechanisms", {}))
    host = as_mapping(data.get("host", {}), "host")
    check_keys(host, HOST_KEYS, "host")
    host_immune = choice(host.get("immune", "competent"), vocab.HOST_IMMUNE, "host.immune", "host immune status")
    simulation = _simulation(data.get("simulation", {}), species)
    population = None
    if "population" in data:
        if not allow_population:
            raise InputError("a population block is not allowed here", key="population", expected="no population block")
        population = dict(as_mapping(data["population"], "population"))
    if "patient" not in data:
        if population is None:
            _missing("patient", "a patient block with lesions")
        patient = Patient(lesions=())
    else:
        patient = _patient(data["patient"], species, need_lesions=population is None)
    if population is None:
        for covariate, value in (("pdl1_tps", patient.pdl1_tps), ("tmb", patient.tmb_per_mb), ("alc", patient.alc_per_ul)):
            if isinstance(value, tuple):
                raise InputError("an interval selects a subgroup of a population, and there is no population block",
                                 key=f"patient.{covariate}", expected="one value for a single patient (or add a population block)")
    for k, lesion in enumerate(patient.lesions):
        if lesion.appears_day is not None and lesion.appears_day >= simulation.duration_days:
            raise InputError(f"the lesion appears on day {lesion.appears_day:g}, at or after the end of the simulation",
                             key=f"patient.lesions[{k}].appears", expected=f"a day before day {simulation.duration_days:g}")
    rt_raw = _bounded_list(data.get("radiotherapy", []), "radiotherapy", "a list of radiotherapy blocks", MAX_RT_BLOCKS)
    radiotherapy = tuple(_rt_block(raw, f"radiotherapy[{k}]", patient, species, simulation) for k, raw in enumerate(rt_raw))
    drugs_raw = _bounded_list(data.get("drugs", []), "drugs", "a list of drug regimens", MAX_DRUG_REGIMENS)
    drugs = tuple(_drug(raw, f"drugs[{k}]", species, simulation) for k, raw in enumerate(drugs_raw))
    sha = hashlib.sha256((text if text is not None else repr(data)).encode()).hexdigest()
    scenario = Scenario(
        name=name, species=species, tumour=tumour, model=model, patient=patient, radiotherapy=radiotherapy,
        drugs=drugs, simulation=simulation, overrides=overrides, mechanisms=mechanisms, host_immune=host_immune,
        population=population, source=source, sha256=sha,
    )
    if model == "Kosinsky2018":  # what the published model cannot represent is an input error, not ignored
        from ..library.kosinsky2018 import check_scenario

        check_scenario(scenario)
    return scenario


def _bounded_list(value: Any, key: str, what: str, limit: int) -> list:
    items = as_list(value, key, what)
    if len(items) > limit:
        raise InputError(f"{len(items)} entries", key=key, expected=f"{what} of at most {limit} entries")
    return items


def _missing(key: str, expected: str):
    raise InputError(f"required key {key!r} is missing", key=key, expected=expected)


def _tumour(value: Any, species: str) -> str:
    from ..parameters import tumour_keys

    known = tumour_keys(species) or vocab.TUMOURS[species]
    other = "mouse" if species == "human" else "human"
    if isinstance(value, str) and value in vocab.TUMOURS[other]:
        raise InputError(
            f"{value!r} is a {other} tumour, not a {species} one", key="tumour", expected="one of " + ", ".join(known)
        )
    return choice(value, known, "tumour", "tumour")


def _overrides(raw: Any, species: str, tumour: str) -> tuple[tuple[str, str], ...]:
    from ..model.declarations import parameter_declarations

    raw = as_mapping(raw, "overrides", "a mapping of parameter name to quantity, e.g. {alpha: '0.25 /Gy'}")
    declared = parameter_declarations()
    out = []
    for name, value in raw.items():
        key = f"overrides.{name}"
        if name not in declared:
            raise InputError(
                f"unknown parameter {name!r}", key=key, expected="a parameter of `abscopal parameters TUMOUR`",
                suggestion=_near(name, declared),
            )
        if name in INPUT_LIMITS:  # read when the file is checked, before any override could apply
            raise InputError(f"{name!r} is an input limit of the file format, not a model parameter", key=key,
                             expected="a model parameter of `abscopal parameters TUMOUR` (input limits cannot be overridden)")
        unit = declared[name].unit
        bound = bound_for(name, species)
        if unit in ("", "1"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"{value!r} is not a number", key=key, expected=f"a plain number (parameter {name} is dimensionless)")
            magnitude = float(value)
        else:
            quantity = parse_quantity(value, key=key)
            target = ureg.Quantity(1, unit.replace("^", "**"))
            if quantity.dimensionality != target.dimensionality:
                raise InputError(f"{value!r} has the wrong dimension", key=key, expected=f"a quantity in {unit}")
            magnitude = float(quantity.to(target.units).magnitude)
        if not (math.isfinite(magnitude) and bound.contains(magnitude)):
            raise InputError(f"{value!r} is out of range", key=key, expected=bound.text(unit))
        out.append((name, str(magnitude)))
    _check_order(dict(out), species, tumour)
    return tuple(out)


def _check_order(given: dict[str, str], species: str, tumour: str) -> None:
    """Overridden pairs of :data:`~abscopal.scenario.bounds.ORDERED` stay ordered (defaults fill the other side)."""
    from ..model.declarations import parameter_declarations
    from ..parameters import load_parameter_set

    declared = parameter_declarations()
    for low_name, high_name, reason in ORDERED:
        if low_name not in given and high_name not in given:
            continue
        values = {}
        for name in (low_name, high_name):
            if name in given:
                values[name] = float(given[name])
            else:
                unit = declared[name].unit
                try:
                    values[name] = load_parameter_set(species, tumour).value(name, "1" if unit in ("", "1") else unit.replace("^", "**"))
                except (KeyError, InputError):
                    values[name] = None
        if None not in values.values() and values[low_name] > values[high_name]:
            name = low_name if low_name in given else high_name
            raise InputError(f"{low_name} {values[low_name]:g} is above {high_name} {values[high_name]:g}",
                             key=f"overrides.{name}", expected=f"{low_name} <= {high_name} ({reason})")


def _near(name: str, options) -> str | None:
    from ..errors import near_miss

    return near_miss(name, options)


def _mechanisms(raw: Any) -> tuple[tuple[str, bool], ...]:
    raw = as_mapping(raw, "mechanisms", "a mapping of mechanism name to true/false")
    out = []
    for name, value in raw.items():
        choice(name, vocab.MECHANISMS, f"mechanisms.{name}", "mechanism")
        out.append((name, as_bool(value, f"mechanisms.{name}")))
    return tuple(out)


def _simulation(raw: Any, species: str) -> Simulation:
    raw = as_mapping(raw, "simulation")
    check_keys(raw, SIM_KEYS, "simulation")
    duration = positive_quantity(raw.get("duration", "365 days" if species == "human" else "60 days"), "time", "simulation.duration")
    if duration > MAX_DURATION_DAYS:
        raise InputError(f"{raw['duration']!r} is too long", key="simulation.duration", expected="at most 20 years")
    interval = positive_quantity(raw.get("output_interval", "1 day"), "time", "simulation.output_interval")
    if interval > duration:
        raise InputError("output interval is longer than the simulation", key="simulation.output_interval", expected="an interval shorter than simulation.duration")
    if duration / interval > MAX_OUTPUTS:
        raise InputError("too many output times", key="simulation.output_interval", expected=f"at most {MAX_OUTPUTS} outputs (a longer interval)")
    endpoint = None
    if "endpoint_volume" in raw:
        endpoint = positive_quantity(raw["endpoint_volume"], "volume", "simulation.endpoint_volume")
    seed = as_int(raw.get("seed", 0), "simulation.seed", 0, MAX_SEED)
    return Simulation(duration_days=duration, output_interval_days=interval, endpoint_volume_mm3=endpoint, seed=seed)


def _patient(raw: Any, species: str, *, need_lesions: bool) -> Patient:
    from ..parameters import load_shared

    raw = as_mapping(raw, "patient")
    check_keys(raw, PATIENT_KEYS, "patient")
    alc = _covariate(raw, "alc", _alc, "a count such as '1000 /uL'")
    weight = positive_quantity(raw["weight"], "mass", "patient.weight") if "weight" in raw else None
    bsa = positive_quantity(raw["bsa"], "area", "patient.bsa") if "bsa" in raw else None
    if bsa is not None and not BSA_RANGE_M2[0] <= bsa <= BSA_RANGE_M2[1]:
        raise InputError(f"{raw['bsa']!r} is out of range", key="patient.bsa", expected=f"a body surface area from {BSA_RANGE_M2[0]:g} to {BSA_RANGE_M2[1]:g} m^2")
    shared = load_shared(species)
    if weight is not None:
        low, high = shared["min_body_weight"].to("kg"), shared["max_body_weight"].to("kg")
        if not low <= weight <= high:
            raise InputError(f"{raw['weight']!r} is outside the {species} range", key="patient.weight", expected=f"{low:g} to {high:g} kg")
    pdl1 = _covariate(raw, "pdl1_tps", as_fraction, "a number from 0 to 1 (e.g. 0.5)")
    tmb = _covariate(raw, "tmb", _tmb, "a quantity such as '10 /Mb'")
    if "lesions" not in raw and need_lesions:
        _missing("patient.lesions", "a list of lesions with id, site and diameter or volume")
    lesions_raw = as_list(raw.get("lesions", []), "patient.lesions", "a list of lesions")
    if len(lesions_raw) > MAX_LESIONS:
        raise InputError(f"{len(lesions_raw)} lesions", key="patient.lesions", expected=f"at most {MAX_LESIONS} lesions")
    if need_lesions and not lesions_raw:
        raise InputError("the lesion list is empty", key="patient.lesions", expected="at least one lesion")
    lesions, seen = [], set()
    for k, item in enumerate(lesions_raw):
        lesion = _lesion(item, f"patient.lesions[{k}]", species, shared)
        if lesion.id in seen:
            raise InputError(f"duplicate lesion id {lesion.id!r}", key=f"patient.lesions[{k}].id", expected="unique lesion ids")
        seen.add(lesion.id)
        lesions.append(lesion)
    return Patient(lesions=tuple(lesions), alc_per_ul=alc, weight_kg=weight, bsa_m2=bsa, pdl1_tps=pdl1, tmb_per_mb=tmb)


def _alc(value: Any, key: str) -> float:
    alc = positive_quantity(value, "concentration_cells", key)
    if alc > 1e5:
        raise InputError(f"{value!r} is implausibly high", key=key, expected="an absolute lymphocyte count below 100000 /uL")
    return alc


def _tmb(value: Any, key: str) -> float:
    tmb = positive_quantity(value, "tmb", key, allow_zero=True)
    if tmb > MAX_TMB_PER_MB:
        raise InputError(f"{value!r} is out of range", key=key, expected=f"at most {MAX_TMB_PER_MB:g} /Mb")
    return tmb


def _covariate(raw: Mapping, name: str, parse, one: str) -> float | tuple[float, float] | None:
    """A patient covariate: one value, or an interval [low, high] that selects a biomarker subgroup of a
    population (CONTRACT.md, Semantics: Subgroups); None when absent."""
    if name not in raw:
        return None
    key = f"patient.{name}"
    value = raw[name]
    if not isinstance(value, (list, tuple)):
        return parse(value, key)
    if len(value) != 2:
        raise InputError(f"{len(value)} values", key=key, expected=f"{one}, or an interval [low, high] of two such values")
    low, high = parse(value[0], f"{key}[0]"), parse(value[1], f"{key}[1]")
    if not low < high:
        raise InputError(f"the interval's low end {value[0]!r} is not below its high end {value[1]!r}", key=key,
                         expected="an interval [low, high] with low < high")
    return (low, high)


def _lesion(raw: Any, key: str, species: str, shared) -> Lesion:
    raw = as_mapping(raw, key, "a lesion with id, site and diameter or volume")
    check_keys(raw, LESION_KEYS, key, required=("id", "site"))
    lesion_id = raw["id"]
    if not isinstance(lesion_id, str) or not ID_PATTERN.match(lesion_id):
        raise InputError(f"invalid lesion id {lesion_id!r}", key=f"{key}.id", expected="letters, digits, '_' or '-'")
    if lesion_id in vocab.SELECTORS:
        raise InputError(
            f"{lesion_id!r} is a reserved selector name", key=f"{key}.id", expected="an id other than " + ", ".join(vocab.SELECTORS)
        )
    site = choice(raw["site"], vocab.SITES[species], f"{key}.site", f"{species} site")
    if ("diameter" in raw) == ("volume" in raw):
        raise InputError("give exactly one of diameter and volume", key=key, expected="diameter: '25 mm' or volume: '8 cm^3'")
    if "diameter" in raw:
        diameter = positive_quantity(raw["diameter"], "length", f"{key}.diameter")
        volume = math.pi * diameter**3 / 6.0
    else:
        volume = positive_quantity(raw["volume"], "volume", f"{key}.volume")
        diameter = (6.0 * volume / math.pi) ** (1.0 / 3.0)
    max_d = shared["max_lesion_diameter"].to("mm")
    max_v = shared["max_lesion_volume"].to("mm**3")
    which = "diameter" if "diameter" in raw else "volume"
    if diameter < MIN_LESION_DIAMETER_MM:
        raise InputError(f"{raw[which]!r} is below the smallest lesion", key=f"{key}.{which}",
                         expected=f"a diameter of at least {MIN_LESION_DIAMETER_MM:g} mm")
    # The limit of the given quantity decides: the two limits are rounded, so a lesion at the stated
    # diameter limit can be a hair above the stated volume limit (300 mm is 1.41372e7 mm^3 > 1.4137e7).
    if (diameter > max_d * (1 + 1e-9)) if which == "diameter" else (volume > max_v * (1 + 1e-9)):
        raise InputError(
            f"{raw[which]!r} is beyond the {species} size limit", key=f"{key}.{which}",
            expected=f"a diameter up to {max_d:g} mm (volume up to {max_v:g} mm^3)",
        )
    appears = event_day(raw["appears"], f"{key}.appears") if "appears" in raw else None
    return Lesion(id=lesion_id, site=site, diameter_mm=diameter, volume_mm3=volume, appears_day=appears)


def drawn_lesion_number(target: Any) -> int | None:
    """n for the selector L<n> of a lesion drawn in a cohort (L1 is the largest), else None."""
    return int(target[1:]) if isinstance(target, str) and target[:1] == "L" and target[1:].isdigit() else None


def resolve_targets(targets: list[str], lesions: tuple[Lesion, ...], key: str) -> tuple[str, ...]:
    """Turn ids and selectors into lesion ids (ranking by baseline diameter, ties in listed order)."""
    ids = [lesion.id for lesion in lesions]
    ranked = sorted(range(len(lesions)), key=lambda k: (-lesions[k].diameter_mm, k))
    return select_targets(targets, ids, ranked, key)


def select_targets(targets: list[str], ids: list[str], ranked: list[int], key: str) -> tuple[str, ...]:
    """:func:`resolve_targets` given the lesion ids and their ranking (indices by decreasing diameter,
    ties in listed order); the ranking is only read for selectors."""
    chosen: list[str] = []
    for k, target in enumerate(targets):
        if not isinstance(target, str):
            raise InputError(f"{target!r} is not a lesion id", key=f"{key}[{k}]", expected="a lesion id or a selector")
        if target == "largest":
            picked = [ids[ranked[0]]] if ranked else []
        elif target == "smallest":
            picked = [ids[ranked[-1]]] if ranked else []
        elif target == "all":
            picked = list(ids)
        elif target == "all_but_largest":
            picked = [ids[k2] for k2 in ranked[1:]]
        elif target in ids:
            picked = [target]
        else:
            raise InputError(
                f"unknown lesion id {target!r}", key=f"{key}[{k}]",
                expected="one of " + ", ".join(ids + list(vocab.SELECTORS)), suggestion=_near(target, ids + list(vocab.SELECTORS)),
            )
        chosen.extend(p for p in picked if p not in chosen)
    if not chosen:
        raise InputError("the selection is empty", key=key, expected="targets that select at least one lesion")
    return tuple(chosen)


def _rt_days(raw: Mapping, key: str, fractions: int | None) -> tuple[float, ...]:
    timing = [k for k in ("interval", "days", "schedule") if k in raw]
    if len(timing) > 1:
        raise InputError(f"both {timing[0]!r} and {timing[1]!r} are given", key=key, expected="one of interval, days or schedule")
    if "days" in raw:
        if "start" in raw:
            raise InputError("both 'start' and 'days' are given", key=key, expected="either days: [...] or start + fractions")
        days_raw = as_list(raw["days"], f"{key}.days", "a list of event times such as ['day 0', 'day 2']")
        days = [event_day(d, f"{key}.days[{k}]") for k, d in enumerate(days_raw)]
        if not days:
            raise InputError("the list of days is empty", key=f"{key}.days", expected="at least one 'day N'")
        if fractions is not None and fractions != len(days):
            raise InputError(f"fractions is {fractions} but {len(days)} days are listed", key=f"{key}.fractions", expected="the number of listed days")
        if len(days) > MAX_FRACTIONS:
            raise InputError(f"{len(days)} fractions", key=f"{key}.days", expected=f"1 to {MAX_FRACTIONS} fractions per block")
        if any(b <= a for a, b in zip(days, days[1:], strict=False)):
            raise InputError("days are not in strictly increasing order", key=f"{key}.days",
                             expected="increasing event times, each fraction on its own day (a repeated day is not two fractions)")
        return tuple(days)
    if fractions is None:
        raise InputError("required key 'fractions' is missing", key=f"{key}.fractions", expected=f"a whole number from 1 to {MAX_FRACTIONS}")
    start = event_day(raw.get("start", "day 0"), f"{key}.start")
    if raw.get("schedule") is not None:
        choice(raw["schedule"], ("weekdays", "daily"), f"{key}.schedule", "schedule")
        if raw["schedule"] == "daily":
            return tuple(start + k for k in range(fractions))
        days, day = [], start
        while len(days) < fractions:
            if int(math.floor(day)) % 7 < 5:  # day 0 is a Monday
                days.append(day)
            day += 1.0
        return tuple(days)
    interval = positive_quantity(raw.get("interval", "1 day"), "time", f"{key}.interval")
    return tuple(start + k * interval for k in range(fractions))


def _rt_block(raw: Any, key: str, patient: Patient, species: str, simulation: Simulation) -> RadiotherapyBlock:
    raw = as_mapping(raw, key, "a radiotherapy block with lesions, dose and fractions")
    check_keys(raw, RT_KEYS, key, required=("dose",))
    if ("lesions" in raw) == ("site" in raw):
        raise InputError("give exactly one of 'lesions' and 'site'", key=key, expected="lesions: [ids or selectors], or site: brain for a field without a lesion")
    dose = positive_quantity(raw["dose"], "absorbed_dose", f"{key}.dose")
    if dose > MAX_DOSE_PER_FRACTION_GY:
        raise InputError(f"{raw['dose']!r} per fraction is refused", key=f"{key}.dose", expected=f"at most {MAX_DOSE_PER_FRACTION_GY:g} Gy per fraction")
    fractions = as_int(raw["fractions"], f"{key}.fractions", 1, MAX_FRACTIONS) if "fractions" in raw else None
    days = _rt_days(raw, key, fractions)
    if not days[-1] <= MAX_EVENT_DAY:  # also catches inf (an interval of 1e308 days)
        raise InputError(f"the last fraction falls on day {days[-1]:g}", key=f"{key}.interval",
                         expected=f"fractions within day {MAX_EVENT_DAY:g}")
    if days[0] > simulation.duration_days:
        raise InputError(f"radiotherapy starts on day {days[0]:g}, after the end of the simulation", key=f"{key}.start", expected=f"a start no later than day {simulation.duration_days:g}")
    site, lesion_ids, targets = None, (), ()
    if "lesions" in raw:
        targets = tuple(as_list(raw["lesions"], f"{key}.lesions", "a list of lesion ids or selectors"))
        if patient.lesions:
            lesion_ids = resolve_targets(list(targets), patient.lesions, f"{key}.lesions")
            for k, target in enumerate(targets):
                lesion = next((les for les in patient.lesions if les.id == target), None)
                if lesion is not None and lesion.appears_day is not None and days[0] < lesion.appears_day:
                    raise InputError(f"lesion {target!r} appears on day {lesion.appears_day:g}, after the fraction on day {days[0]:g}",
                                     key=f"{key}.lesions[{k}]", expected="fractions to a lesion on or after the day it appears")
        else:  # population without explicit lesions: only selectors make sense
            for k, target in enumerate(targets):
                if target not in vocab.SELECTORS and drawn_lesion_number(target) is None:
                    raise InputError(f"unknown lesion id {target!r}", key=f"{key}.lesions[{k}]", expected="a selector (largest, smallest, all, all_but_largest) or L1, L2, ...")
        if not targets:
            raise InputError("the selection is empty", key=f"{key}.lesions", expected="at least one lesion id or selector")
    else:
        site = choice(raw["site"], vocab.SITES[species], f"{key}.site", f"{species} site")
    coverage = as_fraction(raw["coverage"], f"{key}.coverage", allow_zero=False) if "coverage" in raw else 1.0
    field = positive_quantity(raw["field_size"], "volume", f"{key}.field_size") / 1000.0 if "field_size" in raw else None
    if field is not None and field > MAX_FIELD_SIZE_CM3:
        raise InputError(f"{raw['field_size']!r} is larger than a body", key=f"{key}.field_size",
                         expected=f"at most {MAX_FIELD_SIZE_CM3:g} cm^3")
    beam_on = positive_quantity(raw["beam_on_time"], "time", f"{key}.beam_on_time") * 1440.0 if "beam_on_time" in raw else None
    if beam_on is not None and beam_on > MAX_BEAM_ON_TIME_MIN:
        raise InputError(f"{raw['beam_on_time']!r} is too long", key=f"{key}.beam_on_time",
                         expected=f"at most {MAX_BEAM_ON_TIME_MIN:g} min per fraction")
    modality = choice(raw.get("modality", "photon"), vocab.MODALITIES, f"{key}.modality", "modality")
    nodes = as_bool(raw.get("nodes", False), f"{key}.nodes")
    return RadiotherapyBlock(
        targets=targets, lesion_ids=lesion_ids, site=site, dose_per_fraction_gy=dose, days=days, nodes=nodes,
        coverage=coverage, field_size_cm3=field, beam_on_time_min=beam_on, modality=modality,
    )


def parse_drug_dose(value: Any, key: str, agent: str, species: str) -> DrugDose:
    """A drug dose: mg, mg/kg, mg/m^2, IU, IU/kg or IU/m^2 (mass units of any prefix)."""
    from ..agents import get_agent

    quantity = parse_quantity(value, key=key)
    expected = "a drug dose such as '200 mg', '10 mg/kg', '200 ug', '125 ug/m^2', '600000 IU/kg' or '18 MIU'"
    mass, activity, length = (ureg.get_dimensionality(d) for d in ("[mass]", "[biological_activity]", "[length]"))
    parts = [(name, ureg.get_dimensionality(name), exp) for name, exp in quantity.units._units.items()]
    numerator = [(n, d) for n, d, e in parts if e == 1 and d in (mass, activity)]
    rest = [(n, d, e) for n, d, e in parts if not (e == 1 and d in (mass, activity))]
    if len(numerator) != 1:
        raise InputError(f"{value!r} is not a drug amount", key=key, expected=expected)
    amount_unit, amount_dim = numerator[0]
    magnitude = float(quantity.magnitude)
    per_factor, per = 1.0, ""
    if len(rest) == 1 and rest[0][1] == mass and rest[0][2] == -1:
        per, per_factor = "/kg", float(ureg.Quantity(1, rest[0][0]).to("kg").magnitude)
    elif len(rest) == 1 and rest[0][1] == length and rest[0][2] == -2:
        per, per_factor = "/m2", float(ureg.Quantity(1, rest[0][0]).to("m").magnitude) ** 2
    elif rest:
        raise InputError(f"{value!r} has an unsupported basis", key=key, expected=expected)
    if amount_dim == mass:
        amount = float(ureg.Quantity(magnitude, amount_unit).to("mg").magnitude) / per_factor
        basis = "mg" + per
    else:
        amount = float(ureg.Quantity(magnitude, amount_unit).to("IU").magnitude) / per_factor
        basis = "IU" + per
        if get_agent(species, agent).iu_per_mg is None:
            raise InputError(f"{agent} is not dosed in international units", key=key, expected="a dose in mg, mg/kg or ug")
    if not amount > 0:
        raise InputError(f"{value!r} must be above zero", key=key, expected=expected)
    return DrugDose(amount=amount, basis=basis)


def _drug(raw: Any, key: str, species: str, simulation: Simulation) -> DrugRegimen:
    from ..agents import agent_keys

    raw = as_mapping(raw, key, "a drug regimen with agent, dose, start and every")
    check_keys(raw, DRUG_KEYS, key, required=("agent", "dose"))
    other = "mouse" if species == "human" else "human"
    agent = raw["agent"]
    if isinstance(agent, str) and agent not in agent_keys(species) and agent in agent_keys(other):
        raise InputError(
            f"{agent!r} is a {other} agent, not for a {species}", key=f"{key}.agent",
            expected="one of " + ", ".join(agent_keys(species)),
        )
    agent = choice(agent, agent_keys(species), f"{key}.agent", f"{species} agent")
    dose = parse_drug_dose(raw["dose"], f"{key}.dose", agent, species)
    start = event_day(raw.get("start", "day 0"), f"{key}.start")
    if start > simulation.duration_days:
        raise InputError(f"dosing starts on day {start:g}, after the end of the simulation", key=f"{key}.start", expected=f"a start no later than day {simulation.duration_days:g}")
    if "count" in raw and "until" in raw:
        raise InputError("both 'count' and 'until' are given", key=key, expected="exactly one of count and until")
    count = as_int(raw["count"], f"{key}.count", 1, 1000) if "count" in raw else None
    every = None
    if "every" in raw:
        every = positive_quantity(raw["every"], "time", f"{key}.every")
        if every < MIN_DOSING_INTERVAL_DAYS:
            raise InputError(f"{raw['every']!r} is too short", key=f"{key}.every",
                             expected=f"at least {MIN_DOSING_INTERVAL_DAYS * 24:g} hour between doses")
    elif count != 1:
        raise InputError("required key 'every' is missing", key=f"{key}.every", expected="a dosing interval such as '3 weeks' (or count: 1)")
    until_progression = False
    last = simulation.duration_days
    if "until" in raw:
        if raw["until"] == "progression":
            until_progression = True
        else:
            last = event_day(raw["until"], f"{key}.until")
            if last < start:
                raise InputError("'until' is before 'start'", key=f"{key}.until", expected=f"a day no earlier than day {start:g}")
    if count is not None:
        days = tuple(start + k * (every or 0.0) for k in range(count))
    else:
        n = int(math.floor((min(last, simulation.duration_days) - start) / every + 1e-9)) + 1
        if n > MAX_DOSES_PER_REGIMEN:
            raise InputError(f"{n} doses", key=f"{key}.every",
                             expected=f"at most {MAX_DOSES_PER_REGIMEN} doses per regimen (a longer interval or an earlier 'until')")
        days = tuple(start + k * every for k in range(n))
    days = tuple(d for d in days if d <= simulation.duration_days)
    return DrugRegimen(agent=agent, dose=dose, days=days, until_progression=until_progression)
