"""The optimisation file (docs/optimise.md): base scenario, search space, constraints, objective, budget.

Everything is checked before anything is simulated, with the project's one-line errors (file, key, what is
expected; exit status 2): unknown keys, values without units or with the wrong unit, an empty search space,
a value of the search space that the trial reader refuses (each value is tried in a real arm), and constraints
that no regimen of the space can meet without simulating (``max_fractions``, ``normal_tissue`` and
``drug_exposure`` are known before any run). The file reuses the trial file's keys for the population and
the patients, so a base that ``abscopal trial`` reads is a base here.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..scenario.fields import as_bool, as_int, as_list, as_mapping, as_str, check_keys, choice
from ..scenario.load import read_document
from ..units import to_canonical
from .tolerances import Limit, load_table

TOP_KEYS = ("abscopal", "name", "species", "tumour", "model", "population", "patient", "mechanisms", "host",
            "overrides", "simulation", "endpoints", "standard", "search", "constraints", "objective", "uncertainty",
            "budget", "optimiser", "top")
BASE_KEYS = ("abscopal", "name", "species", "tumour", "model", "population", "patient", "mechanisms", "host",
             "overrides", "simulation", "endpoints")
RT_KEYS = ("dose", "fractions", "interval", "lesions", "lesion_count", "start", "nodes")
DRUG_KEYS = ("regimen", "start_after_rt", "count")
CONSTRAINT_KEYS = ("max_fractions", "normal_tissue", "lymphopenia_grade3", "drug_exposure")
LIMIT_KEYS = ("site", "organ", "eqd2", "bed", "alpha_beta", "dose_fraction")
MEASURES = {  # measure -> species it applies to
    "orr_out_of_field": ("human",), "abscopal_rate": ("human", "mouse"), "tumour_free_fraction": ("human", "mouse"),
    "median_pfs": ("human",), "median_endpoint_day": ("mouse",),
}
AGGREGATES = ("mean", "robust")
MAX_GRID = 1_000_000  # regimens in the search space (enumerated for the static constraints)
TOP_DEFAULT = 5


@dataclass(frozen=True)
class Dimension:
    """One axis of the search space: its values in order (``ordered``: neighbours are similar regimens)."""

    name: str  # e.g. "radiotherapy.dose"
    values: tuple
    labels: tuple[str, ...]
    ordered: bool
    key: str = ""  # where the file gives it, e.g. "search.radiotherapy.lesion_count"


@dataclass
class Problem:
    source: str
    text_sha256: str
    name: str
    species: str
    base: dict  # trial-file keys shared by every arm
    standard_name: str
    standard_arm: dict
    dimensions: tuple[Dimension, ...]
    rt_start: float | None  # day of the first fraction (None: no radiotherapy searched)
    rt_nodes: bool
    max_fractions: int | None
    limits: tuple[Limit, ...]
    lymphopenia_max: float | None
    exposure: dict  # agent -> (amount, basis, text)
    measure: str
    aggregate: str
    draws: int
    size: int
    seed: int
    optimiser_seed: int
    budget: int
    top: int
    site_cache: dict = field(default_factory=dict)  # lesion targets -> irradiated sites over the population

    # ------------------------------------------------------------------ regimens
    def grid_size(self) -> int:
        return math.prod(len(d.values) for d in self.dimensions)

    def value(self, point: tuple[int, ...], name: str, default=None):
        for dim, i in zip(self.dimensions, point, strict=True):
            if dim.name == name:
                return dim.values[i]
        return default

    def arm(self, point: tuple[int, ...]) -> dict:
        """The trial arm (radiotherapy and drugs blocks, as in a trial file) of a point of the search space."""
        arm: dict = {}
        if self.rt_start is not None:
            n = self.value(point, "radiotherapy.fractions")
            block = {"lesions": list(self.value(point, "radiotherapy.lesions")),
                     "dose": f"{self.value(point, 'radiotherapy.dose'):g} Gy", "fractions": n,
                     "start": f"day {self.rt_start:g}"}
            if n > 1:  # one fraction has no interval: points that differ only there are the same regimen
                iv = self.value(point, "radiotherapy.interval")
                block["interval"] = f"{iv:g} day" + ("s" if iv != 1 else "")
            if self.rt_nodes:
                block["nodes"] = True
            arm["radiotherapy"] = [block]
        regimen = self.value(point, "drugs.regimen")
        if regimen is not None:
            start = (self.rt_start or 0.0) + self.value(point, "drugs.start_after_rt")
            drug = dict(regimen)
            drug["start"] = f"day {start:g}"
            drug["count"] = self.value(point, "drugs.count")
            arm["drugs"] = [drug]
        return arm

    def label(self, point: tuple[int, ...]) -> str:
        single = self.value(point, "radiotherapy.fractions") == 1  # one fraction has no interval
        parts = [f"{d.name.split('.')[-1]}={d.labels[i]}" for d, i in zip(self.dimensions, point, strict=True)
                 if len(d.values) > 1 and not (single and d.name == "radiotherapy.interval")]
        return ", ".join(parts) or "the only regimen of the search space"

    def document(self, arms: Mapping[str, dict]) -> dict:
        """A trial document (as a trial file) with these arms on the shared base."""
        doc = copy.deepcopy(self.base)
        doc["arms"] = {name: copy.deepcopy(arm) for name, arm in arms.items()}
        return doc


def _err(problem: str, key: str, expected: str = "", suggestion: str | None = None) -> InputError:
    return InputError(problem, key=key, expected=expected, suggestion=suggestion)


def _values(raw: Any, key: str, what: str) -> list:
    """A search value: one value, a list of values, or {from, to, step}; an empty list is refused."""
    if isinstance(raw, Mapping):
        check_keys(raw, ("from", "to", "step"), key, required=("from", "to"))
        return [("range", raw)]
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise _err("the list of values is empty (an empty search space)", key, f"at least one {what}")
    return items


def _quantity_values(raw: Any, key: str, kind: str, what: str, unit: str) -> list[float]:
    items = _values(raw, key, what)
    if items and isinstance(items[0], tuple) and items[0][0] == "range":
        spec = items[0][1]
        low = to_canonical(spec["from"], kind, key=f"{key}.from")
        high = to_canonical(spec["to"], kind, key=f"{key}.to")
        step = to_canonical(spec.get("step", f"1 {unit}"), kind, key=f"{key}.step")
        if not step > 0 or high < low:
            raise _err(f"from {spec['from']!r} to {spec['to']!r} by {spec.get('step')!r} gives no value", key,
                       f"from <= to and a step above zero ({what})")
        n = int(math.floor((high - low) / step + 1e-9)) + 1
        if n > 10_000:
            raise _err(f"{n} values", key, "at most 10000 values on one axis")
        return [round(low + i * step, 9) for i in range(n)]
    out = [to_canonical(v, kind, key=f"{key}[{i}]") for i, v in enumerate(items)]
    return sorted(set(out))


def _int_values(raw: Any, key: str, what: str, low: int, high: int) -> list[int]:
    items = _values(raw, key, what)
    if items and isinstance(items[0], tuple) and items[0][0] == "range":
        spec = items[0][1]
        a, b = as_int(spec["from"], f"{key}.from", low, high), as_int(spec["to"], f"{key}.to", low, high)
        step = as_int(spec.get("step", 1), f"{key}.step", 1)
        if b < a:
            raise _err(f"from {a} to {b} gives no value", key, "from <= to")
        return list(range(a, b + 1, step))
    return sorted({as_int(v, f"{key}[{i}]", low, high) for i, v in enumerate(items)})


def _gy(value: Any, key: str) -> float:
    return to_canonical(value, "absorbed_dose", key=key)


def _ranked_ids(base: dict) -> list[str] | None:
    """Lesion ids of ``patient.lesions`` from the largest given size down (None without explicit lesions)."""
    lesions = (base.get("patient") or {}).get("lesions") if isinstance(base.get("patient"), Mapping) else None
    if not lesions:
        return None

    def size(les):
        for k, kind in (("diameter", "length"), ("volume", "volume")):
            if isinstance(les, Mapping) and k in les:
                try:
                    v = to_canonical(les[k], kind)
                    return v if kind == "length" else (6 * v / math.pi) ** (1 / 3)
                except InputError:
                    return 0.0
        return 0.0

    order = sorted(range(len(lesions)), key=lambda i: (-size(lesions[i]), i))
    return [str(lesions[i].get("id")) for i in order if isinstance(lesions[i], Mapping)]


def _radiotherapy(raw: Any, base: dict) -> tuple[list[Dimension], float, bool]:
    key = "search.radiotherapy"
    raw = as_mapping(raw, key, "a mapping with dose, fractions, interval, lesions or lesion_count")
    check_keys(raw, RT_KEYS, key, required=("dose", "fractions"))
    dims = []
    doses = _quantity_values(raw["dose"], f"{key}.dose", "absorbed_dose", "dose per fraction in Gy", "Gy")
    dims.append(Dimension("radiotherapy.dose", tuple(doses), tuple(f"{d:g} Gy" for d in doses), True))
    fractions = _int_values(raw["fractions"], f"{key}.fractions", "number of fractions", 1, 100)
    dims.append(Dimension("radiotherapy.fractions", tuple(fractions), tuple(str(n) for n in fractions), True))
    intervals = _quantity_values(raw.get("interval", "1 day"), f"{key}.interval", "time", "interval", "day")
    dims.append(Dimension("radiotherapy.interval", tuple(intervals), tuple(f"{d:g} d" for d in intervals), True))
    if "lesions" in raw and "lesion_count" in raw:
        raise _err("both 'lesions' and 'lesion_count'", key, "one of them: lists of lesions, or numbers of lesions")
    if "lesion_count" in raw:
        counts = _int_values(raw["lesion_count"], f"{key}.lesion_count", "number of lesions", 1, 50)
        ranked = _ranked_ids(base)
        if ranked is not None and counts[-1] > len(ranked):
            raise _err(f"{counts[-1]} lesions, but patient.lesions has {len(ranked)}", f"{key}.lesion_count",
                       f"at most {len(ranked)}")
        choices = [tuple(ranked[:n]) if ranked is not None else tuple(f"L{i + 1}" for i in range(n)) for n in counts]
        dims.append(Dimension("radiotherapy.lesions", tuple(choices), tuple(f"{n} largest" for n in counts), True,
                              f"{key}.lesion_count"))
    else:
        items = _values(raw.get("lesions", [["largest"]]), f"{key}.lesions", "list of lesion ids or selectors")
        choices = []
        for i, item in enumerate(items):
            item = [item] if isinstance(item, str) else as_list(item, f"{key}.lesions[{i}]", "a list of lesion ids or selectors")
            if not item:
                raise _err("an empty selection", f"{key}.lesions[{i}]", "at least one lesion id or selector")
            choices.append(tuple(as_str(t, f"{key}.lesions[{i}]") for t in item))
        choices = list(dict.fromkeys(choices))
        dims.append(Dimension("radiotherapy.lesions", tuple(choices), tuple("+".join(c) for c in choices), False))
    start = 0.0
    if "start" in raw:
        from ..units import parse_day

        start = parse_day(raw["start"], key=f"{key}.start")
    nodes = as_bool(raw.get("nodes", False), f"{key}.nodes")
    return dims, start, nodes


def _drugs(raw: Any, species: str) -> list[Dimension]:
    key = "search.drugs"
    raw = as_mapping(raw, key, "a mapping with regimen, start_after_rt and count")
    check_keys(raw, DRUG_KEYS, key, required=("regimen",))
    regimen = raw["regimen"]
    items = _values([regimen] if isinstance(regimen, Mapping) else regimen, f"{key}.regimen",
                    "drug regimen {agent, dose, every}")  # one mapping is one regimen, not a range
    regimens = []
    for i, item in enumerate(items):
        k = f"{key}.regimen[{i}]"
        item = as_mapping(item, k, "a drug regimen {agent, dose, every} (start and count are searched)")
        check_keys(item, ("agent", "dose", "every"), k, required=("agent", "dose"))
        regimens.append(dict(item))
    labels = tuple(f"{r['agent']} {r['dose']}" + (f" q{r['every']}" if "every" in r else "") for r in regimens)
    dims = [Dimension("drugs.regimen", tuple(regimens), labels, False)]
    offsets = _quantity_values(raw.get("start_after_rt", "0 days"), f"{key}.start_after_rt", "time",
                               "a start relative to the first fraction, e.g. '-7 days' or '7 days'", "day")
    dims.append(Dimension("drugs.start_after_rt", tuple(offsets), tuple(f"{d:+g} d" for d in offsets), True))
    counts = _int_values(raw.get("count", 1), f"{key}.count", "number of doses", 1, 1000)
    dims.append(Dimension("drugs.count", tuple(counts), tuple(str(c) for c in counts), True))
    return dims


def _limits(raw: Any, species: str) -> list[Limit]:
    key = "constraints.normal_tissue"
    organs, sites = load_table()
    if raw == "table":
        return [Limit(site, "eqd2", organs[o].alpha_beta_gy, 1.0, organ=organs[o]) for site, o in sites.items()]
    items = as_list(raw, key, "'table' (the shipped tolerance table for every irradiated site) or a list of limits")
    if not items:
        raise _err("the list of limits is empty", key, "'table' or at least one {site, organ} or {site, eqd2, alpha_beta}")
    out = []
    for i, item in enumerate(items):
        k = f"{key}[{i}]"
        item = as_mapping(item, k, "{site, organ} or {site, eqd2|bed, alpha_beta}")
        check_keys(item, LIMIT_KEYS, k, required=("site",))
        site = as_str(item["site"], f"{k}.site")
        fraction = 1.0
        if "dose_fraction" in item:
            fraction = item["dose_fraction"]
            if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
                raise _err(f"{fraction!r} is not a fraction", f"{k}.dose_fraction",
                           "a number above 0 and up to 1: the share of the prescription the organ receives")
            fraction = float(fraction)
        given = [m for m in ("eqd2", "bed") if m in item]
        if len(given) > 1 or (given and "organ" in item):
            raise _err("more than one of organ, eqd2 and bed", k, "one of them")
        if given:
            metric = given[0]
            if "alpha_beta" not in item:
                raise _err("required key 'alpha_beta' is missing", f"{k}.alpha_beta", "the organ's alpha/beta, e.g. '3 Gy'")
            value = _gy(item[metric], f"{k}.{metric}")
            ab = _gy(item["alpha_beta"], f"{k}.alpha_beta")
            if not (value > 0 and ab > 0):
                raise _err("a limit and alpha/beta above zero", k, "positive doses in Gy")
            out.append(Limit(site, metric, ab, fraction, value_gy=value, source=f"the optimisation file, {k}"))
            continue
        name = item.get("organ", sites.get(site))
        if name is None:
            raise _err(f"no organ in the tolerance table for site {site!r}", f"{k}.organ",
                       "an organ (" + ", ".join(organs) + ") or eqd2/bed with alpha_beta")
        if name not in organs:
            from ..errors import unknown_name

            raise unknown_name("organ", name, organs, f"{k}.organ")
        if "alpha_beta" in item:
            raise _err("alpha_beta is given by the table for a table organ", f"{k}.alpha_beta", "no alpha_beta with organ")
        out.append(Limit(site, "eqd2", organs[name].alpha_beta_gy, fraction, organ=organs[name]))
    return out


def _exposure(raw: Any, species: str, regimens: list[dict]) -> dict:
    from ..scenario.load import parse_drug_dose

    key = "constraints.drug_exposure"
    raw = as_mapping(raw, key, "a mapping of agent to its largest total dose, e.g. {pembrolizumab: '1600 mg'}")
    agents = {r["agent"] for r in regimens}
    out = {}
    for agent, limit in raw.items():
        k = f"{key}.{agent}"
        if agent not in agents:
            from ..errors import near_miss

            raise _err(f"{agent!r} is not an agent of search.drugs.regimen", k, "one of " + ", ".join(sorted(agents)),
                       near_miss(str(agent), agents))
        dose = parse_drug_dose(limit, k, agent, species)
        for r in regimens:
            if r["agent"] == agent:
                per = parse_drug_dose(r["dose"], "search.drugs.regimen.dose", agent, species)
                if per.basis != dose.basis:
                    raise _err(f"{limit!r} is a total in {dose.basis}, the regimen's dose is in {per.basis}", k,
                               f"a total in {per.basis}")
        out[agent] = (dose.amount, dose.basis, str(limit))
    return out


def load_problem(path: str | Path) -> Problem:
    """Read and check an optimisation file (every error names the file and the key; exit status 2)."""
    data, text = read_document(path)
    try:
        problem = parse_problem(data, source=str(path), text=text)
    except InputError as exc:
        raise exc.with_file(str(path)) from None
    return problem


def parse_problem(data: Any, *, source: str = "<input>", text: str = "") -> Problem:
    from ..inference.posterior import ensemble_path

    if not isinstance(data, Mapping):
        raise _err("the document is not a mapping of keys", "", "an optimisation file starting with 'abscopal: 1'")
    check_keys(data, TOP_KEYS, "", required=("abscopal", "species", "tumour", "standard", "search", "objective", "budget"))
    base = {k: copy.deepcopy(data[k]) for k in BASE_KEYS if k in data}
    species = as_str(data["species"], "species")
    pop = as_mapping(base.setdefault("population", {}), "population")
    size = as_int(pop.get("size", 100), "population.size", 1, 1_000_000)
    seed = as_int(pop.get("seed", 1), "population.seed", 0)
    base["population"] = {**pop, "size": size, "seed": seed}

    # the standard regimen: checked as an arm of a trial on this base (the trial reader's own errors)
    std = as_mapping(data["standard"], "standard", "{name, radiotherapy, drugs}: the named standard regimen")
    check_keys(std, ("name", "radiotherapy", "drugs"), "standard", required=("name",))
    std_name = as_str(std["name"], "standard.name")
    std_arm = {k: copy.deepcopy(std[k]) for k in ("radiotherapy", "drugs") if k in std}
    _check_arms(base, {"standard": std_arm}, lambda exc, name: exc.key.replace("arms.standard", "standard", 1))

    # the search space
    search = as_mapping(data["search"], "search", "a mapping with radiotherapy and/or drugs")
    check_keys(search, ("radiotherapy", "drugs"), "search")
    if not search:
        raise _err("the search space is empty", "search", "search.radiotherapy and/or search.drugs")
    dims: list[Dimension] = []
    rt_start, nodes = None, False
    if "radiotherapy" in search:
        rt_dims, rt_start, nodes = _radiotherapy(search["radiotherapy"], base)
        dims += rt_dims
    regimens: list[dict] = []
    if "drugs" in search:
        drug_dims = _drugs(search["drugs"], species)
        dims += drug_dims
        regimens = list(drug_dims[0].values)
        earliest = min(drug_dims[1].values)
        if rt_start is None and earliest < 0:
            raise _err(f"{earliest:g} days, but no radiotherapy is searched", "search.drugs.start_after_rt",
                       "starts from 0 days (day 0 is the baseline)")
        if rt_start is not None:
            rt_start = max(rt_start, -earliest)  # drugs before RT: RT moves later, the same in every regimen
    dims_t = tuple(dims)

    # constraints
    cons = as_mapping(data.get("constraints", {}) or {}, "constraints")
    check_keys(cons, CONSTRAINT_KEYS, "constraints")
    max_fractions = as_int(cons["max_fractions"], "constraints.max_fractions", 1, 100) if "max_fractions" in cons else None
    limits = tuple(_limits(cons["normal_tissue"], species)) if "normal_tissue" in cons else ()
    lymph = None
    if "lymphopenia_grade3" in cons:
        k = "constraints.lymphopenia_grade3"
        raw = as_mapping(cons[k.split(".")[1]], k, "{max_rate: 0.3}")
        check_keys(raw, ("max_rate",), k, required=("max_rate",))
        v = raw["max_rate"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise _err(f"{v!r} is not a rate", f"{k}.max_rate", "a number from 0 to 1 (the largest grade >= 3 rate)")
        if species != "human":
            raise _err("CTCAE lymphopenia grades are defined for patients", k, "a human population (species: human)")
        lymph = float(v)
    exposure = _exposure(cons["drug_exposure"], species, regimens) if "drug_exposure" in cons else {}

    # objective
    obj = as_mapping(data["objective"], "objective", "{measure, aggregate}")
    check_keys(obj, ("measure", "aggregate"), "objective", required=("measure",))
    measure = choice(obj["measure"], MEASURES, "objective.measure", "objective measure")
    if species not in MEASURES[measure]:
        others = [m for m, sp in MEASURES.items() if species in sp]
        raise _err(f"{measure} is not defined for {species}", "objective.measure", "one of " + ", ".join(others))
    aggregate = choice(obj.get("aggregate", "mean"), AGGREGATES, "objective.aggregate", "aggregation")

    # posterior ensemble, budget, optimiser
    draws = 0
    if "uncertainty" in data:
        u = data["uncertainty"]
        if isinstance(u, Mapping):
            check_keys(u, ("draws",), "uncertainty", required=("draws",))
            u = u["draws"]
        draws = as_int(u, "uncertainty.draws", 0, 1000)
        if draws == 1:
            raise _err("1 draw", "uncertainty.draws", "0 (none) or at least 2 draws of the posterior ensemble")
        if draws and not ensemble_path(species).is_file():
            draws = -draws  # asked for, but this species has no ensemble: said so in the JSON, the run goes on
    budget_raw = as_mapping(data["budget"], "budget", "{simulations: N}")
    check_keys(budget_raw, ("simulations",), "budget", required=("simulations",))
    budget = as_int(budget_raw["simulations"], "budget.simulations", 1)
    per = size * max(1, draws)
    if budget < 3 * per:
        raise _err(f"{budget} simulations is fewer than 3 regimens of {per} simulations ({size} subjects"
                   + (f" x {draws} draws" if draws > 0 else "") + ")", "budget.simulations", f"at least {3 * per}")
    opt = as_mapping(data.get("optimiser", {}) or {}, "optimiser")
    check_keys(opt, ("seed",), "optimiser")
    opt_seed = as_int(opt.get("seed", seed), "optimiser.seed", 0)
    top = as_int(data.get("top", TOP_DEFAULT), "top", 1, 100)

    problem = Problem(source=source, text_sha256=hashlib.sha256(text.encode()).hexdigest(), name=str(data.get("name", "")),
                      species=species, base=base, standard_name=std_name, standard_arm=std_arm, dimensions=dims_t,
                      rt_start=rt_start, rt_nodes=nodes, max_fractions=max_fractions, limits=limits,
                      lymphopenia_max=lymph, exposure=exposure, measure=measure, aggregate=aggregate, draws=draws,
                      size=size, seed=seed, optimiser_seed=opt_seed, budget=budget, top=top)
    if problem.grid_size() > MAX_GRID:
        raise _err(f"{problem.grid_size()} regimens", "search", f"at most {MAX_GRID} regimens (fewer values per axis)")
    _check_values(problem)
    _check_feasible(problem)
    return problem


def _check_arms(base: dict, arms: dict, rename) -> None:
    """Parse the arms on the base as a trial; an error in an arm is reported under the key ``rename`` gives."""
    from ..trial.design import parse_trial

    doc = copy.deepcopy(base)
    doc["arms"] = arms
    try:
        parse_trial(doc)
    except InputError as exc:
        if exc.key.startswith("arms."):
            name = exc.key.split(".")[1].split("[")[0]
            exc.key = rename(exc, name)
            exc.args = (exc.message,)
        raise


# the field of a generated arm -> the axis of the search space that sets it
_AXIS_OF = {("radiotherapy", "dose"): "radiotherapy.dose", ("radiotherapy", "fractions"): "radiotherapy.fractions",
            ("radiotherapy", "interval"): "radiotherapy.interval", ("radiotherapy", "lesions"): "radiotherapy.lesions",
            ("radiotherapy", "start"): "radiotherapy.start", ("drugs", "start"): "drugs.start_after_rt",
            ("drugs", "count"): "drugs.count", ("drugs", "agent"): "drugs.regimen", ("drugs", "dose"): "drugs.regimen",
            ("drugs", "every"): "drugs.regimen"}


def _check_values(problem: Problem) -> None:
    """Every value of every axis, in an arm with the other axes at their first value, as the trial reader sees it;
    an error names the key of the file that gave the value."""
    first = tuple(0 for _ in problem.dimensions)
    arms, varied = {}, {}
    for a, dim in enumerate(problem.dimensions):
        for i in range(len(dim.values)):
            name = f"v{a}_{i}"
            arms[name] = problem.arm(first[:a] + (i,) + first[a + 1:])
            varied[name] = (dim.name, i)

    def rename(exc, name):
        inner = exc.key.split(".", 2)[-1]  # e.g. radiotherapy[0].dose, drugs[0].agent
        block, _, field_ = inner.partition(".")
        axis = _AXIS_OF.get((block.split("[")[0], field_.split(".")[0].split("[")[0]))
        dim = next((d for d in problem.dimensions if d.name == axis), None)
        if dim is None:
            return f"search ({inner})"
        index = varied[name][1] if varied[name][0] == axis else 0
        key = dim.key or f"search.{dim.name}"
        key = f"{key}[{index}]" if len(dim.values) > 1 else key
        return f"{key}.{field_}" if axis == "drugs.regimen" else key

    _check_arms(problem.base, arms, rename)


def irradiated_sites(problem: Problem, targets: tuple[str, ...]) -> frozenset[str]:
    """The sites of the lesions these targets irradiate in any subject of the population (sampled as in the runs)."""
    if targets in problem.site_cache:
        return problem.site_cache[targets]
    from ..population import sample_subject
    from ..trial.design import parse_trial

    doc = problem.document({"a": {"radiotherapy": [{"lesions": list(targets), "dose": "2 Gy", "fractions": 1}]}})
    design = parse_trial(doc)
    scenario = design.arms[0][1]
    sites = set()
    for k in range(design.population.size):
        sc = sample_subject(scenario, design.population, k)
        ids = sc.irradiated_ids
        sites.update(les.site for les in sc.patient.lesions if les.id in ids)
    problem.site_cache[targets] = frozenset(sites)
    return problem.site_cache[targets]


def static_constraints(problem: Problem, arm: dict, sites_of) -> tuple[dict, bool]:
    """The constraints known without simulating (fractions, normal tissue, drug exposure) of an arm.

    ``sites_of``: targets -> irradiated sites. Returns (constraints block, all satisfied)."""
    from ..scenario.load import parse_drug_dose
    from ..units import parse_day

    out: dict = {}
    ok = True
    blocks = arm.get("radiotherapy", [])
    total_fractions = 0
    tissue = []
    for b in blocks:
        n = int(b.get("fractions", len(b.get("days", [])) or 1))
        total_fractions += n
        d = to_canonical(b["dose"], "absorbed_dose")
        sites = sites_of(tuple(b["lesions"])) if "lesions" in b else frozenset({b.get("site")})
        for limit in problem.limits:
            for site in sorted(sites):
                if limit.site is None or limit.site == site:
                    row = {"site": site, **limit.check(d, n)}
                    tissue.append(row)
                    ok &= row["satisfied"]
    if problem.max_fractions is not None:
        sat = total_fractions <= problem.max_fractions
        out["max_fractions"] = {"value": total_fractions, "limit": problem.max_fractions, "satisfied": sat}
        ok &= sat
    if problem.limits:
        covered = {r["site"] for r in tissue}
        every = set().union(*(sites_of(tuple(b["lesions"])) for b in blocks if "lesions" in b)) if blocks else set()
        out["normal_tissue"] = {"limits": tissue, "unconstrained_sites": sorted(every - covered)}
    if problem.exposure:
        rows = {}
        for drug in arm.get("drugs", []):
            agent = drug["agent"]
            if agent not in problem.exposure:
                continue
            limit, basis, text = problem.exposure[agent]
            dose = parse_drug_dose(drug["dose"], "dose", agent, problem.species)
            count = drug.get("count")
            if count is None:  # until: the doses from start to until
                start = parse_day(drug.get("start", "day 0"))
                end = parse_day(drug["until"]) if "until" in drug and drug["until"] != "progression" else None
                every = to_canonical(drug["every"], "time") if "every" in drug else None
                count = 1 if every is None or end is None else int(math.floor((end - start) / every + 1e-9)) + 1
            total = dose.amount * count
            sat = total <= limit * (1 + 1e-9)
            rows[agent] = {"value": round(total, 6), "limit": limit, "unit": basis, "satisfied": sat}
            ok &= sat
        out["drug_exposure"] = rows
    return out, ok


def points(problem: Problem):
    """Every point of the search space, in a fixed order."""
    return itertools.product(*(range(len(d.values)) for d in problem.dimensions))


def _check_feasible(problem: Problem) -> None:
    """Refuse constraints that no regimen of the space meets (known without simulating).

    The constraints are separable: fractions and normal tissue depend on the radiotherapy axes only, drug exposure
    on the drug axes only, so each part is searched on its own axes (the others at their first value) instead of
    the whole product."""
    if problem.max_fractions is None and not problem.limits and not problem.exposure:
        return
    sites = lambda targets: irradiated_sites(problem, targets)  # noqa: E731
    dims = problem.dimensions
    failing = []
    for prefix, keys in (("radiotherapy.", ("max_fractions", "normal_tissue")), ("drugs.", ("drug_exposure",))):
        axes = [a for a, d in enumerate(dims) if d.name.startswith(prefix)]
        ranges = [range(len(d.values)) if a in axes else range(1) for a, d in enumerate(dims)]
        found = False
        for point in itertools.product(*ranges):
            cons, _ = static_constraints(problem, problem.arm(point), sites)
            if all(_block_ok(cons[k]) for k in keys if k in cons):
                found = True
                break
        if not found:
            failing += [k for k in keys if k in cons]
    if failing:
        raise _err("no regimen of the search space meets " + " and ".join(failing), "constraints",
                   "constraints that at least one regimen of the search space can meet (looser limits, or smaller "
                   "doses / fewer fractions / fewer doses in search)")


def _block_ok(block: dict) -> bool:
    if "satisfied" in block:
        return bool(block["satisfied"])
    if "limits" in block:
        return all(r["satisfied"] for r in block["limits"])
    return all(_block_ok(v) for v in block.values())


def canonical(arm: dict) -> str:
    return json.dumps(arm, sort_keys=True, separators=(",", ":"))
