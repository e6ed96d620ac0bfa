"""The scenario and trial file format, written down once.

The loader (``scenario/load.py``, ``trial/design.py``, ``population.py``) checks files by hand; this module
describes the same format as data: every key with its type, unit, default, limits, whether it is required,
what it means and an example. ``spec_render.py`` generates two things from it, so they cannot drift apart:

- the JSON Schema (draft 2020-12) shipped as ``abscopal.schema.json`` beside this module, which editors use to
  check and complete YAML files (``abscopal schema`` prints it);
- the key tables of ``docs/format.md`` (the text between its ``<!-- keys:... -->`` markers).

Regenerate both with ``python -m abscopal.scenario.spec --write``; ``tests/contracts/test_format_spec.py``
fails when either is stale, when this table and the loader's key lists disagree, and when the schema and the
loader disagree on a handful of mutated files.

Lists of names that the loader reads from data (tumour types, agents, sites, parameters, shared limits) are
read here from the same data, at generation time.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .. import vocabulary as vocab

# The loader's numeric limits that these tables state (limits.py gives the reason for each); the tests check every
# one at its edge against the loader.
from .limits import (  # noqa: E402
    INPUT_LIMITS,
    MAX_DURATION_DAYS,
    MAX_LESIONS,
    MAX_OUTPUTS,
    MAX_SEED,
    MAX_WEIGHT,
    MIN_ASSESSMENT_INTERVAL_DAYS,
    MIN_DOSING_INTERVAL_DAYS,
    MIN_LESION_DIAMETER_MM,
)

MAX_DRUG_COUNT = 1000
MAX_POPULATION = 10_000_000
MAX_POPULATION_LESIONS = 20
MAX_ALC_PER_UL = 1e5

SCHEMA_FILE = "abscopal.schema.json"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# A number followed by a unit ("8 Gy", "1500 /uL", "1.5e9 /L", "0.3 1/Gy"); never negative. Which unit fits is
# checked by the loader (the schema states it in the description).
QUANTITY_PATTERN = r"^\s*(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?(?![eE][-+]?[0-9])\s*(?:[^\s0-9.+-]|1\s*/).*$"
# An event time, "day N" with N >= 0 (fractions allowed): the loader's own pattern without the minus sign.
DAY_PATTERN = r"^\s*day\s+(?:[0-9]*\.?[0-9]+)(?:[eE][-+]?[0-9]+)?\s*$"
ID_PATTERN = r"^[A-Za-z0-9_-]+$"
SPECIES = vocab.SPECIES

# quantity kind (abscopal.units.DIMENSIONS) -> (what it is, canonical unit as written in files, other units)
QUANTITY_KINDS = {
    "absorbed_dose": ("dose", "Gy", "cGy"),
    "time": ("duration", "day", "min, h, days, weeks, years"),
    "length": ("length", "mm", "cm, um"),
    "volume": ("volume", "mm^3", "cm^3, mL"),
    "mass": ("mass", "kg", "g"),
    "area": ("area", "m^2", "cm^2"),
    "concentration_cells": ("count per volume", "/uL", "/mL, /L"),
    "tmb": ("mutations per megabase", "/Mb", ""),
    "drug_dose": ("drug dose", "mg", "ug, mg/kg, mg/m^2, IU, MIU, IU/kg"),
}


@dataclass(frozen=True)
class Rule:
    """A constraint between keys of one mapping: ``exactly_one``, ``at_most_one`` or ``at_least_one`` of ``keys``."""

    kind: str
    keys: tuple[str, ...]

    def text(self) -> str:
        names = " and ".join(f"`{k}`" for k in self.keys) if len(self.keys) == 2 else ", ".join(f"`{k}`" for k in self.keys)
        return {"exactly_one": f"exactly one of {names}", "at_most_one": f"at most one of {names}",
                "at_least_one": f"at least one of {names}"}[self.kind]

    def schema(self) -> dict:
        if self.kind == "exactly_one":
            return {"oneOf": [{"required": [k]} for k in self.keys]}
        if self.kind == "at_least_one":
            return {"anyOf": [{"required": [k]} for k in self.keys]}
        pairs = [[a, b] for i, a in enumerate(self.keys) for b in self.keys[i + 1:]]
        return {"not": {"anyOf": [{"required": p} for p in pairs]}} if len(pairs) > 1 else {"not": {"required": pairs[0]}}


@dataclass(frozen=True)
class Key:
    """One key of a file (or, for lists and free-name mappings, the shape of their items).

    ``kind``: version, text, id, choice, integer, number, boolean, quantity, day, mapping, list, table (a mapping
    whose names are chosen by the user or from ``choices``), or any_of (one of ``options``).
    ``choices``: a tuple, or a mapping species -> tuple when the names depend on the species.
    ``default``: the value used when the key is absent (a JSON value), ``default_text`` when that depends on
    something (shown in the docs instead). ``required``: True, or a condition in words (documents only; the
    condition itself is a :class:`Rule` of the enclosing mapping). ``limits``: what the schema cannot say.
    """

    name: str
    kind: str
    about: str = ""
    example: Any = None
    required: bool | str = False
    default: Any = None
    default_text: str = ""
    unit: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] | dict[str, tuple[str, ...]] | None = None
    limits: str = ""
    keys: tuple[Key, ...] = ()
    rules: tuple[Rule, ...] = ()
    item: Key | None = None
    min_items: int | None = None
    max_items: int | None = None
    value: Key | None = None
    options: tuple[Key, ...] = ()
    nullable: bool = False
    names: str = "name"  # what the user-chosen names of a table are
    section: str = ""  # where its table is in docs/format.md (mappings with a table of their own)
    conditions: tuple[dict, ...] = ()  # schema conditions that no field above expresses (added to allOf)

    def key(self, name: str) -> Key:
        for k in self.keys:
            if k.name == name:
                return k
        raise KeyError(name)


# --------------------------------------------------------------------------- names read from data


@cache
def tumours() -> dict[str, tuple[str, ...]]:
    from ..parameters import tumour_keys

    return {s: tuple(tumour_keys(s) or vocab.TUMOURS[s]) for s in SPECIES}


@cache
def agents() -> dict[str, tuple[str, ...]]:
    from ..agents import agent_keys

    return {s: tuple(agent_keys(s)) for s in SPECIES}


def sites() -> dict[str, tuple[str, ...]]:
    return {s: tuple(vocab.SITES[s]) for s in SPECIES}


@cache
def shared_limits() -> dict[str, dict[str, float]]:
    from ..parameters import load_shared

    out = {}
    for s in SPECIES:
        sh = load_shared(s)
        out[s] = {"weight_min": sh["min_body_weight"].to("kg"), "weight_max": sh["max_body_weight"].to("kg"),
                  "diameter_max": sh["max_lesion_diameter"].to("mm"), "volume_max": sh["max_lesion_volume"].to("mm**3")}
    return out


MECHANISM_ABOUT = {
    "immunogenic_death": "radiation-killed tumour cells are more immunogenic than cells dying otherwise (off: the same)",
    "interferon": "type I interferon from cytosolic DNA sensing (cGAS-STING) after radiation (off: none from radiation)",
    "trex1": "Trex1, induced by a high dose per fraction, degrades cytosolic DNA and caps the interferon signal "
             "(off: no cap)",
    "priming": "priming and expansion of tumour-specific CD8 T cells in the draining lymph nodes (off: no new T cells)",
    "ctla4": "what CTLA-4 blockade does: more priming and fewer regulatory T cells (off: anti-CTLA-4 has no effect)",
    "trafficking": "effector T cells reach each lesion through the blood, in proportion to its perfusion (off: in "
                   "proportion to its antigen signal)",
    "pd1_axis": "PD-L1 on tumour cells inhibits killing by PD-1+ T cells (off: no inhibition, and anti-PD-1 or "
                "anti-PD-L1 have nothing to block)",
    "suppression": "immunosuppression by the tumour (regulatory T cells, myeloid suppressors, TGF-beta; growing with "
                   "tumour burden)",
    "lymphocyte_kill": "radiation kills lymphocytes in the blood and nodes passing the field (treatment-related "
                       "lymphopenia)",
    "occult_lesions": "occult micrometastases that can grow into new, visible lesions, which count as progression",
}


@cache
def override_keys() -> tuple[Key, ...]:
    """One key per model parameter: a quantity in its unit, or a plain number when it has none."""
    from ..model.declarations import parameter_declarations
    from .bounds import BOUNDS

    out = []
    for p in parameter_declarations().values():
        if p.name in INPUT_LIMITS:  # checked before overrides apply, so not overridable (load.py)
            continue
        what = f"{p.description} ({p.mechanism}; symbol {p.symbol})"
        b = BOUNDS[p.name]
        kind, unit = ("number", "") if p.unit in ("", "1") else ("quantity", p.unit)
        example = 1.0 if kind == "number" else f"1 {unit[1:] if unit.startswith('1/') else unit}"
        out.append(Key(p.name, kind, what, unit=unit, example=example, low=b.low, low_open=b.low_open, high=b.high,
                       limits=b.reason))
    return tuple(out)


# --------------------------------------------------------------------------- the format


def _lesion() -> Key:
    lim = shared_limits()
    return Key(
        "lesions[]", "mapping", "one lesion", section="patient.lesions[]",
        rules=(Rule("exactly_one", ("diameter", "volume")),),
        keys=(
            Key("id", "id", "the lesion's name, used by radiotherapy `lesions` and in every output; unique in the file; "
                "the selector names (" + ", ".join(vocab.SELECTORS) + ") are reserved", example="lung1", required=True),
            Key("site", "choice", "organ or tissue the lesion is in (sets perfusion, draining nodes and the time the "
                "beam is on)", example="lung", required=True, choices=sites()),
            Key("diameter", "quantity", "baseline size: the longest diameter (humans; the short axis for a `lymph_node`), "
                "or the diameter of the sphere of the same volume (mice)", unit="length", example="25 mm",
                required="one of `diameter` and `volume`", low=MIN_LESION_DIAMETER_MM,
                limits=f"up to {lim['human']['diameter_max']:g} mm (human), {lim['mouse']['diameter_max']:g} mm (mouse)"),
            Key("volume", "quantity", "baseline size as a volume (the usual caliper read-out for mice); the diameter is "
                "that of a sphere of this volume", unit="volume", example="60 mm^3",
                required="one of `diameter` and `volume`", low=0.0, low_open=True,
                limits=f"up to {lim['human']['volume_max']:g} mm^3 (human), {lim['mouse']['volume_max']:g} mm^3 (mouse)"),
            Key("appears", "day", "the lesion is absent until this day (a tumour implanted later, or a lesion first "
                "seen later); its appearance counts as a new lesion; radiotherapy that names it starts on or after this day",
                example="day 14", default_text="present at day 0"),
        ),
    )


def _patient() -> Key:
    lim = shared_limits()
    return Key(
        "patient", "mapping", "the one patient or mouse; in a cohort or trial, what every subject shares (lesion ids "
        "and sites, and covariates fixed at a value)", section="patient",
        required="unless `population` is given",
        keys=(
            _covariate(Key("alc", "quantity", "absolute lymphocyte count in blood at baseline", unit="concentration_cells",
                           example="1500 /uL", low=0.0, low_open=True, high=MAX_ALC_PER_UL,
                           default_text="the tumour type's typical value (varies between subjects in a cohort)")),
            Key("weight", "quantity", "body weight (doses in mg/kg use it)", unit="mass", example="70 kg", low=0.0,
                low_open=True, default_text="the species' typical weight (varies in a cohort)",
                limits=f"{lim['human']['weight_min']:g} to {lim['human']['weight_max']:g} kg (human), "
                       f"{lim['mouse']['weight_min']:g} to {lim['mouse']['weight_max']:g} kg (mouse)"),
            Key("bsa", "quantity", "body surface area (doses per m^2 use it)", unit="area", example="1.8 m^2", low=0.0,
                low_open=True, default_text="the species' typical value"),
            _covariate(Key("pdl1_tps", "number", "PD-L1 tumour proportion score, as a fraction (0.5 = 50% of tumour cells)",
                           example=0.3, low=0.0, high=1.0, default_text="drawn from the tumour type's population in a cohort")),
            _covariate(Key("tmb", "quantity", "tumour mutational burden in mutations per megabase", unit="tmb",
                           example="8 /Mb", low=0.0, default_text="the tumour type's typical value", limits="zero or more")),
            Key("lesions", "list", "the lesions at baseline", required="unless `population` is given",
                item=_lesion(), max_items=MAX_LESIONS, limits="at least 1 without a population; lesion ids unique",
                example=[{"id": "lung1", "site": "lung", "diameter": "25 mm"}],
                default_text="drawn per subject (ids L1, L2, ... largest first) in a cohort"),
        ),
    )


def _covariate(one: Key) -> Key:
    """A patient covariate: one value, or (with a population) an interval that selects a biomarker subgroup."""
    from dataclasses import replace

    from .spec_render import value_text

    interval = Key("interval", "list", "`[low, high]` (low < high; with a `population` only)",
                   item=replace(one, name="bound", about="", example=None, default_text="", limits=""),
                   min_items=2, max_items=2)
    about = (one.about + "; in a cohort, a value or interval selects that biomarker subgroup: the covariate is drawn "
             "from the type's distribution truncated to the interval, and the traits that go with it (antigenicity for "
             "PD-L1 and TMB, tumour burden and growth for ALC) follow their distribution given it")
    return Key(one.name, "any_of", about, example=one.example, default_text=one.default_text,
               limits="; ".join(x for x in (one.limits, "an interval only with a population; low < high") if x),
               options=(replace(one, about=f"one value ({value_text(one)})", default_text="", limits=""), interval))


def _radiotherapy() -> Key:
    from .load import MAX_DOSE_PER_FRACTION_GY, MAX_FRACTIONS, WARN_DOSE_PER_FRACTION_GY

    block = Key(
        "radiotherapy[]", "mapping", "one course of radiotherapy to one field", section="radiotherapy[]",
        rules=(Rule("exactly_one", ("lesions", "site")), Rule("at_most_one", ("interval", "days", "schedule")),
               Rule("at_most_one", ("start", "days")), Rule("at_least_one", ("fractions", "days"))),
        keys=(
            Key("lesions", "list", "the irradiated lesions: ids from `patient.lesions`, or selectors ("
                + ", ".join(f"`{s}`" for s in vocab.SELECTORS) + ") ranked by baseline diameter; without explicit "
                "lesions in a cohort, selectors or the drawn ids L1, L2, ...", example=["lung1"],
                required="one of `lesions` and `site`", min_items=1,
                item=Key("lesion", "text", "lesion ids or selectors")),
            Key("site", "choice", "a field that holds no lesion (for example a brain or an elective nodal field)",
                example="brain", required="one of `lesions` and `site`", choices=sites()),
            Key("dose", "quantity", "dose per fraction", unit="absorbed_dose", example="8 Gy", required=True, low=0.0,
                low_open=True, high=MAX_DOSE_PER_FRACTION_GY,
                limits=f"above {WARN_DOSE_PER_FRACTION_GY:g} Gy runs with a warning"),
            Key("fractions", "integer", "number of fractions", example=3, low=1, high=MAX_FRACTIONS,
                required="unless `days` is given", limits="equals the number of `days` when both are given"),
            Key("start", "day", "day of the first fraction", example="day 0", default="day 0"),
            Key("interval", "quantity", "time from one fraction to the next", unit="time", example="1 day",
                default="1 day", low=0.0, low_open=True),
            Key("days", "list", "the day of every fraction, in strictly increasing order (several a day as fractional "
                "days)",
                example=["day 0", "day 2", "day 4"], item=Key("day", "day", "`day N` event times"), min_items=1,
                max_items=MAX_FRACTIONS),
            Key("schedule", "choice", "`daily`: one fraction a day from `start`; `weekdays`: Monday to Friday, day 0 "
                "being a Monday", example="weekdays", choices=("weekdays", "daily")),
            Key("nodes", "boolean", "the draining lymph nodes of the targeted lesions are in the field", example=True,
                default=False),
            Key("coverage", "number", "fraction of each targeted lesion's volume inside the field", example=0.8,
                default=1.0, low=0.0, low_open=True, high=1.0),
            Key("field_size", "quantity", "volume of the irradiated field (sets how much blood, and so how many "
                "lymphocytes, it exposes); shared by the block's lesions. A block of lesions also gets the low-dose "
                "volume around its field (docs/model.md, M9); a block with `site` is taken as the whole irradiated "
                "volume", unit="volume", example="300 cm^3", low=0.0,
                low_open=True, default_text="the site's usual field, larger for a large lesion"),
            Key("beam_on_time", "quantity", "time the beam is on per fraction (lymphocytes in the blood passing the "
                "field)", unit="time", example="5 min", low=0.0, low_open=True,
                default_text="the site's beam-on time per Gy times the dose"),
            Key("modality", "choice", "type of radiation", example="proton", choices=vocab.MODALITIES, default="photon"),
        ),
    )
    return Key("radiotherapy", "list", "radiotherapy courses; doses of overlapping courses add",
               item=block, default=[], default_text="no radiotherapy", example=[{"lesions": ["lung1"], "dose": "8 Gy", "fractions": 3}])


def _drugs() -> Key:
    regimen = Key(
        "drugs[]", "mapping", "one drug given at regular intervals", section="drugs[]",
        rules=(Rule("at_most_one", ("count", "until")),),
        conditions=({"if": {"not": {"properties": {"count": {"const": 1}}, "required": ["count"]}},
                     "then": {"required": ["every"]}},),
        keys=(
            Key("agent", "choice", "the drug (`abscopal agents` lists each with its pharmacokinetics); a human agent "
                "in a mouse file, or the reverse, is refused", example="pembrolizumab", required=True, choices=agents()),
            Key("dose", "quantity", "amount per administration: flat (mg, ug), per weight (mg/kg) or per body "
                "surface (mg/m^2); cytokines also in international units (IU, MIU, IU/kg)", unit="drug_dose",
                example="200 mg", required=True, low=0.0, low_open=True),
            Key("every", "quantity", "time between administrations", unit="time", example="3 weeks",
                required="unless `count: 1`", low=MIN_DOSING_INTERVAL_DAYS, limits="at least 1 hour"),
            Key("start", "day", "day of the first administration", example="day 7", default="day 0"),
            Key("count", "integer", "number of administrations", example=4, low=1, high=MAX_DRUG_COUNT,
                default_text="as many as fit before `until` or the end of the simulation"),
            Key("until", "any_of", "last day on which a dose may be given (inclusive), or `progression`: dosing stops "
                "at RECIST progression", example="day 365", default_text="the end of the simulation",
                options=(Key("day", "day", "`day N`"), Key("progression", "choice", "`progression`",
                                                           choices=("progression",)))),
        ),
    )
    return Key("drugs", "list", "drug regimens", item=regimen, default=[], default_text="no drugs",
               example=[{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks"}])


def _simulation() -> Key:
    return Key(
        "simulation", "mapping", "how long and how finely to simulate", section="simulation", default={},
        default_text="the defaults of its keys",
        keys=(
            Key("duration", "quantity", "length of follow-up from day 0", unit="time", example="365 days",
                default_text="365 days (human), 60 days (mouse)", low=0.0, low_open=True, high=MAX_DURATION_DAYS,
                limits="at most 20 years"),
            Key("output_interval", "quantity", "spacing of the reported time points", unit="time", example="1 day",
                default="1 day", low=0.0, low_open=True,
                limits=f"no longer than `duration`; at most {MAX_OUTPUTS} time points"),
            Key("endpoint_volume", "quantity", "total tumour volume at which a mouse reaches the humane endpoint "
                "(time to endpoint, survival)", unit="volume", example="1500 mm^3", low=0.0, low_open=True,
                default_text="none"),
            Key("seed", "integer", "random seed of a single simulation (only occult lesions draw random numbers)",
                example=0, default=0, low=0, high=MAX_SEED),
        ),
    )


def _host() -> Key:
    return Key(
        "host", "mapping", "the host's immune system", section="host", default={}, default_text="competent",
        keys=(Key("immune", "choice", "`competent`; `t_cell_deficient` (for example nude mice: no T-cell response); "
                  "`cd8_depleted` (CD8 T cells removed)", example="competent", choices=vocab.HOST_IMMUNE,
                  default="competent"),),
    )


def _mechanisms() -> Key:
    return Key(
        "mechanisms", "mapping", "switch model mechanisms off (all are on by default), to see what each contributes",
        section="mechanisms", default={}, default_text="all on",
        keys=tuple(Key(name, "boolean", f"{MECHANISM_ABOUT[name]} ({code})", example=False, default=True)
                   for name, code in vocab.MECHANISMS.items()),
    )


def _overrides() -> Key:
    return Key("overrides", "mapping", "replace model parameters for this file: name to value in the parameter's "
               "unit (`abscopal parameters TUMOUR` lists them with values and sources)", section="overrides",
               default={}, default_text="the parameter files' values", keys=override_keys(),
               example={"alpha": "0.25 /Gy"})


def _population() -> Key:
    return Key(
        "population", "mapping", "turns the file into a virtual cohort (`abscopal cohort`) or sets a trial's "
        "subjects: each subject varies in lesions, covariates and biology", section="population",
        example={"size": 100, "seed": 1},
        keys=(
            Key("size", "integer", "number of subjects (`--size` overrides it)", example=200, default=100, low=1,
                high=MAX_POPULATION),
            Key("seed", "integer", "seed of the population: subject k always gets the same draws for the same seed "
                "(`--seed` overrides it)", example=1, default=0, low=0, high=MAX_SEED),
            Key("lesions", "mapping", "how many lesions each subject gets, and where (when `patient.lesions` is not "
                "given)", section="population.lesions",
                keys=(
                    Key("count", "any_of", "lesions per subject, uniform from min to max (not with `patient.lesions`; "
                        "selectors L<n> up to the max)", example=[2, 5],
                        default_text="the tumour type's default (1 to 5)",
                        options=(Key("count", "integer", f"a whole number from 1 to {MAX_POPULATION_LESIONS}", low=1,
                                     high=MAX_POPULATION_LESIONS),
                                 Key("range", "list", f"`[min, max]`, each from 1 to {MAX_POPULATION_LESIONS}",
                                     item=Key("n", "integer", low=1, high=MAX_POPULATION_LESIONS), min_items=2,
                                     max_items=2)),
                        limits="min <= max"),
                    Key("sites", "list", "sites the lesions are drawn from", example=["lung", "liver", "bone"],
                        item=Key("site", "choice", "site names, as for a lesion's `site`", choices=sites()),
                        min_items=1,
                        default_text="the tumour type's usual metastatic sites"),
                )),
            Key("covariates", "mapping", "covariates drawn from the tumour type's population; only `default` is "
                "accepted (fix a covariate for every subject in `patient` instead)", section="population.covariates",
                keys=tuple(Key(name, "choice", f"how `{name}` is drawn", example="default", choices=("default",),
                               default="default") for name in ("alc", "pdl1_tps", "tmb", "weight"))),
            Key("tumour_mix", "table", "a cohort of several tumour types: tumour type to relative weight (weights are "
                "normalised; at least one above 0)", example={"nsclc": 0.5, "breast": 0.3, "hnscc": 0.2},
                choices=tumours(), value=Key("weight", "number", f"a weight from 0 to {MAX_WEIGHT:g}", low=0.0, high=MAX_WEIGHT), names="tumour type",
                default_text="the file's `tumour` only"),
            Key("prior_pd1", "choice", "`progressed`: subjects whose disease progressed on PD-(L)1 blockade (as in "
                "trials of refractory patients): tumours that escape immune control even with PD-1 fully blocked; "
                "`naive`: no such selection", example="progressed", choices=("naive", "progressed"), default="naive"),
        ),
    )


def _common_top() -> tuple[Key, ...]:
    return (
        Key("abscopal", "version", "version of the file format; always 1", example=1, required=True),
        Key("name", "text", "a title for outputs", example="SBRT + pembrolizumab", default_text="the file name"),
        Key("species", "choice", "the species simulated", example="human", required=True, choices=SPECIES),
        Key("tumour", "choice", "tumour type: the parameter set (`abscopal tumours`)", example="nsclc",
            required=True, choices=tumours()),
        Key("model", "choice", "`abscopal` (the default model) or `Kosinsky2018` (the published CT26 model: "
            "one mouse, one lesion, anti-PD-L1 or anti-PD-1, no population, overrides or switches)",
            example="abscopal", choices=vocab.MODELS, default="abscopal", limits="Kosinsky2018: mouse ct26 only"),
    )


def _kosinsky() -> dict:
    """What the published Kosinsky 2018 model can represent (its loader refuses the rest): one CT26 mouse with one
    tumour present from day 0, radiotherapy to that tumour, anti-PD-L1 or anti-PD-1; nothing else."""
    from ..library.kosinsky2018 import AGENTS

    empty = {"type": "object", "maxProperties": 0}
    return {
        "if": {"properties": {"model": {"const": "Kosinsky2018"}}, "required": ["model"]},
        "then": {"properties": {
            "species": {"const": "mouse"}, "tumour": {"const": "ct26"}, "population": False, "overrides": empty,
            "mechanisms": empty, "host": {"properties": {"immune": {"const": "competent"}}},
            "patient": {"properties": {"pdl1_tps": False, "tmb": False,
                                       "lesions": {"minItems": 1, "maxItems": 1,
                                                   "items": {"properties": {"appears": False}}}}},
            "radiotherapy": {"items": {"properties": {"site": False, "nodes": {"const": False},
                                                      "coverage": {"const": 1}}}},
            "drugs": {"items": {"properties": {"agent": {"enum": list(AGENTS)}}}},
            # a trial always has a population, which the published model cannot represent
            "arms": False,
        }},
    }


# a scenario without a population is one patient: it needs lesions
_NEEDS_PATIENT = {"if": {"not": {"required": ["population"]}},
                  "then": {"required": ["patient"],
                           "properties": {"patient": {"required": ["lesions"], "properties": {"lesions": {"minItems": 1}}}}}}


def scenario() -> Key:
    """The scenario file: one patient or mouse (``abscopal simulate``), or a cohort with ``population``."""
    common = _common_top()
    return Key(
        "scenario", "mapping", "a scenario file", section="scenario",
        conditions=(_kosinsky(), _NEEDS_PATIENT),
        keys=common[:2] + (common[2], common[3], common[4], _overrides(), _mechanisms(), _host(), _patient(),
                           _radiotherapy(), _drugs(), _simulation(), _population()),
    )


def _endpoints() -> Key:
    return Key(
        "endpoints", "mapping", "how responses are read", section="endpoints", default={},
        default_text="the defaults of its keys",
        keys=(
            Key("response_at", "day", "read the response at the scan on this day instead of the best response",
                example="day 84", default_text="best response", limits="after `baseline_scan`, up to the duration"),
            Key("assessments", "quantity", "time between scans", unit="time", example="8 weeks",
                low=MIN_ASSESSMENT_INTERVAL_DAYS, limits="up to the duration", default_text="8 weeks (human), 3 days (mouse)"),
            Key("volume_at", "day", "mouse trials: the day at which volumes are compared between arms (Mann-Whitney)",
                example="day 21", default_text="the last day", limits="after day 0, up to the duration"),
            Key("abscopal_definition", "choice", "`golden2015`: at least 30% decrease of the longest diameter of "
                "any out-of-field lesion at any scan; `recist_out_of_field`: complete or partial response of the "
                "out-of-field lesions", example="golden2015", choices=("golden2015", "recist_out_of_field"),
                default="golden2015"),
            Key("confirm", "boolean", "a response must be confirmed at the next scan", example=True, default=False),
            Key("progression", "choice", "human trials: the lesions RECIST progression (and so PFS) is read on. "
                "`all`: every baseline lesion, irradiated ones included; `out_of_field`: only the lesions that no arm "
                "irradiates (the set out-of-field response is read on), as trials that leave the irradiated lesion out "
                "of the assessment do; a subject without such a lesion is read on all its lesions. New lesions and "
                "death end PFS either way", example="out_of_field", choices=("all", "out_of_field"), default="all"),
            Key("baseline_scan", "day", "day of the baseline scan that responses are measured from (later scans "
                "follow it every `assessments`)", example="day 0", default="day 0", limits="before the duration"),
        ),
    )


def trial() -> Key:
    """The trial file: arms on one shared population (``abscopal trial``)."""
    sc = scenario()
    arm = Key(
        "arms.<name>", "mapping", "one arm: its treatment; an empty arm (`control: {}`) is untreated",
        section="arms.<name>", nullable=True,
        keys=(
            sc.key("radiotherapy"),
            sc.key("drugs"),
            Key("host", "mapping", "merged over the trial's `host` for this arm", example={"immune": "t_cell_deficient"},
                keys=sc.key("host").keys, section="host"),
            Key("mechanisms", "mapping", "merged over the trial's `mechanisms` for this arm",
                example={"ctla4": False}, keys=sc.key("mechanisms").keys, section="mechanisms"),
        ),
    )
    patient = sc.key("patient")
    patient = Key(**{**patient.__dict__, "required": False,
                     "about": "lesions and fixed covariates shared by every subject of every arm"})
    return Key(
        "trial", "mapping", "a trial file", section="trial", conditions=(_kosinsky(),),
        keys=(
            *(sc.key(k) for k in ("abscopal", "name", "species", "tumour", "model")),
            Key(**{**sc.key("population").__dict__, "default_text": "size 100, seed 0"}),
            Key("arms", "table", "the arms, by name, in order; the first is the reference of the comparisons; "
                "every arm runs on the same virtual subjects", required=True, value=arm, names="arm name", min_items=1,
                example={"control": {}, "rt": {"radiotherapy": [{"lesions": ["largest"], "dose": "8 Gy",
                                                                 "fractions": 3}]}}, limits="at least one arm"),
            _endpoints(),
            sc.key("simulation"),
            patient,
            *(sc.key(k) for k in ("mechanisms", "host", "overrides")),
        ),
    )


def sections() -> dict[str, Key]:
    """Every mapping with a table of its own in docs/format.md, by section name."""
    out: dict[str, Key] = {}

    def walk(key: Key) -> None:
        if key.kind == "mapping" and key.section and key.section not in out:
            out[key.section] = key
        for child in (*key.keys, *(k for k in (key.item, key.value) if k is not None), *key.options):
            walk(child)

    walk(scenario())
    walk(trial())
    return out


def shipped_schema_path() -> Path:
    """The JSON Schema generated from this table, as shipped in the package (``abscopal schema`` prints it)."""
    return Path(str(resources.files("abscopal.scenario").joinpath(SCHEMA_FILE)))


def main(argv: list[str] | None = None) -> int:
    """``python -m abscopal.scenario.spec [--json | --write [DOCS]]``: print the schema, or write it and the docs."""
    from .spec_render import render_markdown, schema_text

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] == "--json":
        sys.stdout.write(schema_text())
        return 0
    if argv[0] == "--write":
        docs = Path(argv[1]) if len(argv) > 1 else Path("docs/format.md")
        shipped_schema_path().write_text(schema_text())
        docs.write_text(render_markdown(docs.read_text()))
        print(f"wrote {shipped_schema_path()} and {docs}")
        return 0
    print("usage: python -m abscopal.scenario.spec [--json | --write [docs/format.md]]", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
