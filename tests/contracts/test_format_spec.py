"""docs/format.md, the shipped JSON Schema and the loader describe one and the same file format.

``abscopal/scenario/spec.py`` defines the format once; the schema and the key tables of docs/format.md are generated
from it (``spec_render.py``). The loader (scenario/load.py, population.py, trial/design.py) checks files by hand.
These tests pin that:

- the generated files are current (regenerate with ``python -m abscopal.scenario.spec --write``);
- every example file, every trial design of the validation suite and every complete file in docs/format.md and
  docs/tutorial.md is valid under the schema (and the docs' files and the tutorial's Python run);
- the keys agree: the loader's key lists equal the spec's, every documented key (with its documented example) is
  accepted by the loader, and an unknown key is refused in every mapping, by both; the per-species names too;
- every numeric limit the docs state is the loader's, at its edge;
- the schema and the loader agree on mutated files: what the schema refuses the loader refuses too (exit status 2,
  one line), and values the schema allows at the edges of enums and limits the loader accepts.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from abscopal import cli
from abscopal import vocabulary as vocab
from abscopal.errors import InputError
from abscopal.model.declarations import parameter_declarations
from abscopal.population import COVARIATE_KEYS, POPULATION_KEYS, POPULATION_LESION_KEYS
from abscopal.scenario import load, spec, spec_render
from abscopal.scenario.load import parse_scenario
from abscopal.trial import design
from abscopal.trial.design import cohort_design, parse_trial

ROOT = Path(__file__).resolve().parents[2]
FORMAT_MD = ROOT / "docs" / "format.md"
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yaml")
                  if not p.name.startswith(("optimise_", "fit_")))  # optimisation and fit files have their own format
TARGETS = sorted((ROOT / "src" / "abscopal" / "validation" / "targets").glob("*.yaml"))
REGENERATE = "regenerate with `python -m abscopal.scenario.spec --write`"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(spec.shipped_schema_path().read_text()))


def schema_errors(validator, doc) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(doc)]


def loader_error(doc) -> InputError | None:
    """The loader's verdict on a document (None: accepted), as `abscopal simulate`, `cohort` or `trial` reads it."""
    try:
        if isinstance(doc, dict) and "arms" in doc:
            parse_trial(copy.deepcopy(doc))
        elif isinstance(doc, dict) and "population" in doc:
            cohort_design(copy.deepcopy(doc))
        else:
            parse_scenario(copy.deepcopy(doc))
    except InputError as exc:
        return exc
    return None


# --------------------------------------------------------------------------- generated files are current


def test_shipped_schema_is_generated_from_the_spec():
    assert spec.shipped_schema_path().read_text() == spec_render.schema_text(), f"abscopal.schema.json is stale: {REGENERATE}"


def test_format_md_tables_are_generated_from_the_spec():
    text = FORMAT_MD.read_text()
    assert spec_render.render_markdown(text) == text, f"docs/format.md is stale: {REGENERATE}"


def test_format_md_has_one_table_per_mapping_and_refuses_a_missing_one():
    text = FORMAT_MD.read_text()
    for name in spec.sections():
        assert text.count(f"<!-- keys:{name} begin") == 1, name
    broken = text.replace("<!-- keys:endpoints begin", "<!-- keys:endpoint begin").replace(
        "<!-- keys:endpoints end", "<!-- keys:endpoint end")
    with pytest.raises(ValueError, match="missing \\['endpoints'\\], unknown \\['endpoint'\\]"):
        spec_render.render_markdown(broken)


def test_schema_is_a_valid_draft_2020_12_schema():
    schema = json.loads(spec.shipped_schema_path().read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_cli_prints_the_shipped_schema(capsys):
    assert cli.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(spec.shipped_schema_path().read_text())


# --------------------------------------------------------------------------- real files are valid


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_against_the_schema(path, validator):
    assert schema_errors(validator, yaml.safe_load(path.read_text())) == []


def test_every_validation_design_validates_as_a_trial_file(validator):
    """The suite's designs are trial documents without the version key (validation/suite.py adds it)."""
    checked = 0
    for path in TARGETS:
        target = yaml.safe_load(path.read_text())
        if target.get("design"):
            assert schema_errors(validator, dict(target["design"], abscopal=1)) == [], path.name
            checked += 1
    assert checked >= 50


def _yaml_blocks(path: Path) -> list[dict]:
    blocks = re.findall(r"```yaml\n(.*?)```", path.read_text(), re.S)
    return [doc for doc in (yaml.safe_load(b) for b in blocks) if isinstance(doc, dict) and doc.get("abscopal") == 1 and "species" in doc]


@pytest.mark.parametrize("name", ["format.md", "tutorial.md"])
def test_complete_files_in_the_docs_are_valid(name, validator):
    docs = _yaml_blocks(ROOT / "docs" / name)
    assert docs, f"no complete file in docs/{name}"
    for doc in docs:
        assert schema_errors(validator, doc) == []
        assert loader_error(doc) is None


def test_python_in_the_tutorial_runs(monkeypatch, capsys):
    """The tutorial's Python that needs no earlier command's output runs as written, from the repository root."""
    blocks = [b for b in re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "tutorial.md").read_text(), re.S)
              if "results/" not in b]
    assert blocks
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "docs/tutorial.md", "exec"), {})
    assert "x 8 Gy: ALC nadir" in capsys.readouterr().out


# --------------------------------------------------------------------------- the keys agree

LOADER_KEYS = {
    "scenario": load.TOP_KEYS,
    "patient": load.PATIENT_KEYS,
    "patient.lesions[]": load.LESION_KEYS,
    "radiotherapy[]": load.RT_KEYS,
    "drugs[]": load.DRUG_KEYS,
    "simulation": load.SIM_KEYS,
    "host": load.HOST_KEYS,
    "mechanisms": tuple(vocab.MECHANISMS),
    "overrides": tuple(name for name in parameter_declarations() if name not in load.INPUT_LIMITS),
    "population": POPULATION_KEYS,
    "population.lesions": POPULATION_LESION_KEYS,
    "population.covariates": COVARIATE_KEYS,
    "trial": design.TRIAL_KEYS,
    "arms.<name>": design.ARM_KEYS,
    "endpoints": design.ENDPOINT_KEYS,
}


def test_every_mapping_of_the_spec_is_compared_with_the_loader():
    assert set(spec.sections()) == set(LOADER_KEYS)


@pytest.mark.parametrize("section", sorted(LOADER_KEYS))
def test_loader_key_lists_equal_the_spec_and_the_schema(section):
    documented = [k.name for k in spec.sections()[section].keys]
    assert sorted(documented) == sorted(LOADER_KEYS[section])
    schema = json.loads(spec.shipped_schema_path().read_text())["$defs"]
    name = section if section in ("scenario", "trial") else spec_render._def_name(section)
    assert sorted(schema[name]["properties"]) == sorted(LOADER_KEYS[section])


def test_choices_of_the_spec_equal_the_loaders():
    from abscopal.agents import agent_keys
    from abscopal.parameters import tumour_keys

    sc = spec.scenario()
    for species in vocab.SPECIES:
        assert set(sc.key("tumour").choices[species]) == set(tumour_keys(species))
        assert set(sc.key("drugs").item.key("agent").choices[species]) == set(agent_keys(species))
        assert set(sc.key("patient").key("lesions").item.key("site").choices[species]) == set(vocab.SITES[species])
    assert sc.key("host").key("immune").choices == vocab.HOST_IMMUNE
    assert sc.key("model").choices == vocab.MODELS
    assert sc.key("radiotherapy").item.key("modality").choices == vocab.MODALITIES
    assert spec.trial().key("endpoints").key("abscopal_definition").choices == design.DEFINITIONS


LESIONS = [{"id": "lung1", "site": "lung", "diameter": "25 mm"}, {"id": "liver1", "site": "liver", "diameter": "18 mm"}]
HUMAN = {
    "abscopal": 1, "name": "format test", "species": "human", "tumour": "nsclc",
    "overrides": {"alpha": "0.3 /Gy"}, "mechanisms": {"trex1": True}, "host": {"immune": "competent"},
    "patient": {"alc": "1500 /uL", "lesions": copy.deepcopy(LESIONS)},
    "radiotherapy": [{"lesions": ["lung1"], "dose": "8 Gy", "fractions": 3, "start": "day 0", "interval": "1 day"}],
    "drugs": [{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks", "start": "day 7", "count": 4}],
    "simulation": {"duration": "365 days", "output_interval": "1 day"},
}
COHORT = {
    **{k: v for k, v in HUMAN.items() if k not in ("patient", "radiotherapy")},
    "radiotherapy": [{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3}],
    "population": {"size": 10, "seed": 1, "lesions": {"count": [2, 3], "sites": ["lung", "liver"]},
                   "covariates": {"alc": "default"}},
}
TRIAL = {
    **{k: v for k, v in HUMAN.items() if k not in ("radiotherapy", "drugs")},
    "population": {"size": 10, "seed": 1},
    "arms": {"a": {"radiotherapy": copy.deepcopy(HUMAN["radiotherapy"]), "drugs": copy.deepcopy(HUMAN["drugs"]),
                   "host": {"immune": "competent"}, "mechanisms": {"priming": True}}},
    "endpoints": {"assessments": "8 weeks"},
}
MOUSE = {
    "abscopal": 1, "species": "mouse", "tumour": "tsa",
    "patient": {"lesions": [{"id": "primary", "site": "flank", "volume": "60 mm^3"},
                            {"id": "secondary", "site": "flank", "volume": "40 mm^3"}]},
    "radiotherapy": [{"lesions": ["primary"], "dose": "8 Gy", "fractions": 3}],
    "drugs": [{"agent": "anti-ctla-4", "dose": "200 ug", "every": "3 days", "start": "day 2", "count": 3}],
    "simulation": {"duration": "40 days", "endpoint_volume": "1500 mm^3"},
}
KOSINSKY = yaml.safe_load((ROOT / "examples" / "kosinsky2018_ct26_rt_antipdl1.yaml").read_text())
KOSINSKY_TRIAL = {**{k: v for k, v in KOSINSKY.items() if k not in ("radiotherapy", "drugs")},
                  "arms": {"control": {}, "rt": {"radiotherapy": KOSINSKY["radiotherapy"]}}}
TRIAL_SECTIONS = ("trial", "arms.<name>", "endpoints")
POPULATION_SECTIONS = ("population", "population.lesions", "population.covariates")
PATHS = {  # section -> where its keys live in the base document
    "scenario": (), "trial": (), "patient": ("patient",), "patient.lesions[]": ("patient", "lesions", 0),
    "radiotherapy[]": ("radiotherapy", 0), "drugs[]": ("drugs", 0), "simulation": ("simulation",), "host": ("host",),
    "mechanisms": ("mechanisms",), "overrides": ("overrides",), "population": ("population",),
    "population.lesions": ("population", "lesions"), "population.covariates": ("population", "covariates"),
    "arms.<name>": ("arms", "a"), "endpoints": ("endpoints",),
}


def base_for(section: str) -> dict:
    return copy.deepcopy(TRIAL if section in TRIAL_SECTIONS else COHORT if section in POPULATION_SECTIONS else HUMAN)


def mapping_at(doc: dict, section: str) -> dict:
    node = doc
    for step in PATHS[section]:
        node = node[step]
    return node


def example_of(section: str, key: spec.Key):
    """The documented example; for a parameter override, the parameter's own value in the base's parameter set (an
    override of 1 in the parameter's unit is a fine example, but may lie outside a parameter's declared range)."""
    if section != "overrides":
        return copy.deepcopy(key.example)
    from abscopal.parameters import load_parameter_set

    value = load_parameter_set("human", "nsclc").entries[key.name].to(key.unit or "1")
    return float(value) if key.kind == "number" else f"{value!r} {key.unit}"


def place(section: str, key: spec.Key, value=None) -> dict:
    """The section's base document with ``key`` set to ``value`` or its example (keys that exclude it removed)."""
    doc = base_for(section)
    where = mapping_at(doc, section)
    for rule in spec.sections()[section].rules:
        if rule.kind in ("exactly_one", "at_most_one") and key.name in rule.keys:
            for other in rule.keys:
                if other != key.name:
                    where.pop(other, None)
    where[key.name] = example_of(section, key) if value is None else value
    if (section, key.name) == ("patient.lesions[]", "appears") and "radiotherapy" in doc:
        doc["radiotherapy"][0]["lesions"] = ["liver1"]  # radiotherapy may not name a lesion before it appears
    return doc


def test_bases_are_valid(validator):
    for doc in (HUMAN, COHORT, TRIAL, MOUSE, KOSINSKY):
        assert schema_errors(validator, doc) == []
        assert loader_error(doc) is None


@pytest.mark.parametrize("section", sorted(PATHS))
def test_every_documented_key_with_its_example_is_accepted_by_both(section, validator):
    for key in spec.sections()[section].keys:
        if key.example is None:  # a mapping without an example of its own: the base document holds it
            assert key.name in mapping_at(base_for(section), section), key.name
            continue
        doc = place(section, key)
        assert schema_errors(validator, doc) == [], key.name
        assert loader_error(doc) is None, f"{key.name}: {loader_error(doc)}"


def _coupled_overrides() -> set:
    """Overrides whose edge cannot be tried alone: members of an ordered pair (the other member's shipped value
    limits them) and species-specific bounds (the docs state the range over both species). Their edges are pinned
    per species and per pair in tests/unit/test_safe_input.py."""
    from abscopal.scenario import bounds

    return {name for pair in bounds.ORDERED for name in pair[:2]} | set(bounds.SPECIES_BOUNDS)


def _bounded_keys():
    coupled = _coupled_overrides()
    for section in sorted(PATHS):
        for key in spec.sections()[section].keys:
            if section == "overrides" and key.name in coupled:
                continue
            if key.kind in ("integer", "number", "quantity") and (key.low is not None or key.high is not None):
                yield pytest.param(section, key, id=f"{section}.{key.name}")


def _written(key: spec.Key, x: float):
    if key.kind == "integer":
        return int(x)
    if key.kind == "number":
        return float(x)
    unit = spec.QUANTITY_KINDS[key.unit][1] if key.unit in spec.QUANTITY_KINDS else key.unit
    return f"{x!r} {unit}"


@pytest.mark.parametrize("section, key", list(_bounded_keys()))
def test_every_stated_bound_is_the_loaders(section, key, validator):
    """Each lower and upper limit the docs state: the value at a closed limit is accepted, a value beyond any limit
    refused, by the loader (and by the schema where it can check numbers: not inside quantity strings)."""
    step = 1 if key.kind == "integer" else 1e-3 if key.kind == "number" else 1.0
    cases = []
    if key.high is not None:
        cases += [(key.high, True), (key.high + (step if key.kind != "quantity" else key.high * 1e-3), False)]
    if key.low is not None:
        cases += [(key.low, False)] if key.low_open else [(key.low, True), (key.low - step, False)]
    for x, accepted in cases:
        doc = place(section, key, _written(key, x))
        error = loader_error(doc)
        assert (error is None) is accepted, f"{key.name} = {_written(key, x)!r}: {error}"
        # the schema checks numbers, but of a quantity string only that it is not negative
        schema_accepts = accepted if key.kind != "quantity" else x >= 0
        assert (schema_errors(validator, doc) == []) is schema_accepts, f"{key.name} = {_written(key, x)!r}"


def test_the_stated_limit_of_output_times_is_the_loaders():
    step = 2.0**-10  # days, exact in binary: duration / step is exactly the count
    for count, accepted in ((spec.MAX_OUTPUTS, True), (spec.MAX_OUTPUTS + 1, False)):
        doc = _set(_set(HUMAN, "simulation.duration", f"{count * step!r} day"), "simulation.output_interval",
                   f"{step!r} day")
        assert (loader_error(doc) is None) is accepted, (count, loader_error(doc))


@pytest.mark.parametrize("section", sorted(PATHS))
def test_an_unknown_key_is_refused_by_both(section, validator):
    doc = base_for(section)
    mapping_at(doc, section)["zz_not_a_key"] = True
    assert schema_errors(validator, doc)
    error = loader_error(doc)
    assert error is not None and error.key.endswith("zz_not_a_key"), error


@pytest.mark.parametrize("species", vocab.SPECIES)
def test_every_name_the_schema_offers_for_a_species_is_accepted_and_the_other_species_names_refused(species, validator):
    """Tumour types, agents and sites: the schema's per-species choices are exactly what the loader takes."""
    base = copy.deepcopy(HUMAN if species == "human" else MOUSE)
    other = "mouse" if species == "human" else "human"
    sc = spec.scenario()
    cases = [
        (("tumour",), sc.key("tumour").choices),
        (("drugs", 0, "agent"), sc.key("drugs").item.key("agent").choices),
        (("patient", "lesions", 0, "site"), sc.key("patient").key("lesions").item.key("site").choices),
    ]
    for path, choices in cases:
        for name in (*choices[species], *(n for n in choices[other] if n not in choices[species])):
            doc = copy.deepcopy(base)
            node = doc
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = name
            valid = name in choices[species]
            assert (schema_errors(validator, doc) == []) is valid, (path, name)
            assert (loader_error(doc) is None) is valid, (path, name, loader_error(doc))


# --------------------------------------------------------------------------- mutations: schema and loader agree


def _set(doc: dict, path: str, value) -> dict:
    doc = copy.deepcopy(doc)
    steps = [int(s) if s.isdigit() else s for s in path.split(".")]
    node = doc
    for step in steps[:-1]:
        node = node[step]
    if value is DELETE:
        del node[steps[-1]]
    else:
        node[steps[-1]] = value
    return doc


DELETE = object()
RT, DRUG, LES = "radiotherapy.0", "drugs.0", "patient.lesions.0"
REFUSED = [  # (base, [(path, value), ...]) that the schema refuses; the loader must refuse them with exit status 2
    (HUMAN, [("abscopal", 2)]),
    (HUMAN, [("species", "rat")]),
    (HUMAN, [("species", DELETE)]),
    (HUMAN, [("tumour", "ct26")]),
    (HUMAN, [("model", "Kosinsky2018")]),
    (HUMAN, [(f"{RT}.fractions", 0)]),
    (HUMAN, [(f"{RT}.fractions", 101)]),
    (HUMAN, [(f"{RT}.fractions", 2.5)]),
    (HUMAN, [(f"{RT}.dose", 8)]),
    (HUMAN, [(f"{RT}.dose", "8")]),
    (HUMAN, [(f"{RT}.dose", "-8 Gy")]),
    (HUMAN, [(f"{RT}.coverage", 0)]),
    (HUMAN, [(f"{RT}.coverage", 1.2)]),
    (HUMAN, [(f"{RT}.start", "day -1")]),
    (HUMAN, [(f"{RT}.start", "7")]),
    (HUMAN, [(f"{RT}.schedule", "monthly"), (f"{RT}.interval", DELETE)]),
    (HUMAN, [(f"{RT}.schedule", "weekdays")]),  # with interval
    (HUMAN, [(f"{RT}.days", ["day 0", "day 1", "day 2"])]),  # with start
    (HUMAN, [(f"{RT}.modality", "carbon")]),
    (HUMAN, [(f"{RT}.nodes", "yes")]),
    (HUMAN, [(f"{RT}.lesions", [])]),
    (HUMAN, [(f"{RT}.site", "brain")]),  # with lesions
    (HUMAN, [(f"{RT}.lesions", DELETE)]),  # neither lesions nor site
    (HUMAN, [(f"{RT}.fractions", DELETE)]),
    (HUMAN, [(f"{LES}.id", "largest")]),
    (HUMAN, [(f"{LES}.id", "lung 1")]),
    (HUMAN, [(f"{LES}.site", "flank")]),
    (HUMAN, [(f"{LES}.volume", "8 cm^3")]),  # with diameter
    (HUMAN, [(f"{LES}.diameter", DELETE)]),
    (HUMAN, [(f"{LES}.appears", "14 days")]),
    (HUMAN, [("patient.lesions", [dict(LESIONS[0], id=f"l{k}") for k in range(65)])]),
    (HUMAN, [("patient.lesions", [])]),
    (HUMAN, [("patient", DELETE)]),
    (HUMAN, [("patient.pdl1_tps", 1.5)]),
    (HUMAN, [("patient.pdl1_tps", "30%")]),
    (HUMAN, [("patient.alc", "1500")]),
    (HUMAN, [("patient.weight", 70)]),
    (HUMAN, [(f"{DRUG}.agent", "anti-pd-1")]),
    (HUMAN, [(f"{DRUG}.count", 0)]),
    (HUMAN, [(f"{DRUG}.until", "day 100")]),  # with count
    (HUMAN, [(f"{DRUG}.count", DELETE), (f"{DRUG}.until", "never")]),
    (HUMAN, [(f"{DRUG}.every", DELETE)]),  # count 4
    (HUMAN, [(f"{DRUG}.start", "tomorrow")]),
    (HUMAN, [("simulation.seed", -1)]),
    (HUMAN, [("simulation.duration", 365)]),
    (HUMAN, [("host.immune", "nude")]),
    (HUMAN, [("mechanisms.trex1", "off")]),
    (HUMAN, [("overrides.alpha", 0.3)]),
    (HUMAN, [("overrides.effector_extraction", "high")]),
    (COHORT, [("population.size", 0)]),
    (COHORT, [("population.size", 10_000_001)]),
    (COHORT, [("population.seed", -1)]),
    (COHORT, [("population.lesions.count", [0, 3])]),
    (COHORT, [("population.lesions.count", [1, 21])]),
    (COHORT, [("population.lesions.count", [1, 2, 3])]),
    (COHORT, [("population.lesions.sites", [])]),
    (COHORT, [("population.covariates.alc", "fixed")]),
    (COHORT, [("population.tumour_mix", {"ct26": 1})]),
    (COHORT, [("population.tumour_mix", {"nsclc": -1})]),
    (TRIAL, [("arms", {})]),
    (TRIAL, [("arms.a.drugs.0.agent", "anti-pd-1")]),
    (TRIAL, [("arms.a.host.immune", "nude")]),
    (TRIAL, [("radiotherapy", HUMAN["radiotherapy"])]),
    (TRIAL, [("endpoints.abscopal_definition", "recist")]),
    (TRIAL, [("endpoints.confirm", "yes")]),
    (TRIAL, [("endpoints.response_at", "84 days")]),
    (MOUSE, [(f"{DRUG}.agent", "pembrolizumab")]),
    (MOUSE, [("tumour", "nsclc")]),
    (KOSINSKY, [("tumour", "tsa")]),
    (KOSINSKY, [("patient.lesions", MOUSE["patient"]["lesions"])]),
    (KOSINSKY, [("patient.lesions.0.appears", "day 3")]),
    (KOSINSKY, [("patient.pdl1_tps", 0.5)]),
    (KOSINSKY, [("overrides", {"alpha": "0.3 /Gy"})]),
    (KOSINSKY, [("mechanisms", {"trex1": False})]),
    (KOSINSKY, [("host", {"immune": "t_cell_deficient"})]),
    (KOSINSKY, [("population", {"size": 10})]),
    (KOSINSKY, [(f"{RT}.nodes", True)]),
    (KOSINSKY, [(f"{RT}.coverage", 0.5)]),
    (KOSINSKY, [(f"{RT}.site", "brain"), (f"{RT}.lesions", DELETE)]),
    (KOSINSKY, [(f"{DRUG}.agent", "anti-ctla-4")]),
    (KOSINSKY_TRIAL, []),
]
ACCEPTED = [  # values at the edges of what the schema allows; the loader must accept them
    (HUMAN, [(f"{RT}.fractions", 1)]),
    (HUMAN, [(f"{RT}.fractions", 100)]),
    (HUMAN, [(f"{RT}.dose", "100 Gy")]),
    (HUMAN, [(f"{RT}.dose", "0.5 cGy")]),
    (HUMAN, [(f"{RT}.coverage", 1)]),
    (HUMAN, [(f"{RT}.schedule", "daily"), (f"{RT}.interval", DELETE)]),
    (HUMAN, [(f"{RT}.days", ["day 0", "day 0.25", "day 7"]), (f"{RT}.start", DELETE), (f"{RT}.interval", DELETE)]),
    (HUMAN, [(f"{RT}.days", ["day 0", "day 2"]), (f"{RT}.fractions", DELETE), (f"{RT}.start", DELETE),
             (f"{RT}.interval", DELETE)]),
    (HUMAN, [(f"{RT}.site", "brain"), (f"{RT}.lesions", DELETE), (f"{RT}.modality", "proton")]),
    (HUMAN, [(f"{RT}.lesions", ["all_but_largest"])]),
    (HUMAN, [("patient.pdl1_tps", 0)]),
    (HUMAN, [("patient.pdl1_tps", 1)]),
    (HUMAN, [("patient.alc", "100000 /uL")]),
    (HUMAN, [("patient.tmb", "0 /Mb")]),
    (HUMAN, [("patient.lesions", [dict(LESIONS[0], id=f"l{k}") for k in range(64)]), (f"{RT}.lesions", ["l0"])]),
    (HUMAN, [(f"{DRUG}.count", 1), (f"{DRUG}.every", DELETE)]),
    (HUMAN, [(f"{DRUG}.count", 1000)]),
    (HUMAN, [(f"{DRUG}.count", DELETE), (f"{DRUG}.until", "progression")]),
    (HUMAN, [(f"{DRUG}.count", DELETE)]),
    (HUMAN, [(f"{DRUG}.dose", "3 mg/kg")]),
    (HUMAN, [("simulation.seed", 0)]),
    (HUMAN, [("simulation.duration", "20 years")]),
    (HUMAN, [("host.immune", "cd8_depleted")]),
    (HUMAN, [("overrides.effector_extraction", 0.01)]),
    (COHORT, [("population.size", 1)]),
    (COHORT, [("population.size", 10_000_000)]),
    (COHORT, [("population.lesions.count", 20)]),
    (COHORT, [("population.lesions.count", [1, 20])]),
    (COHORT, [("population.tumour_mix", {"nsclc": 1, "breast": 0})]),
    (TRIAL, [("arms", {"control": None, "b": {}})]),
    (TRIAL, [("endpoints.response_at", "day 365"), ("endpoints.confirm", True)]),
    (TRIAL, [("endpoints.abscopal_definition", "recist_out_of_field")]),
    (MOUSE, [(f"{LES}.site", "leg"), (f"{DRUG}.agent", "anti-pd-l1")]),
    (KOSINSKY, [(f"{DRUG}.agent", "anti-pd-1"), ("overrides", {}), ("host", {"immune": "competent"})]),
    (KOSINSKY, [(f"{RT}.coverage", 1), (f"{RT}.nodes", False)]),
]


def _mutate(base: dict, changes) -> dict:
    doc = base
    for path, value in changes:
        doc = _set(doc, path, value)
    return doc


def _id(case) -> str:
    return ",".join(f"{p}={'DELETE' if v is DELETE else v}"[:40] for p, v in case[1])


@pytest.mark.parametrize("case", REFUSED, ids=_id)
def test_what_the_schema_refuses_the_loader_refuses_with_exit_status_2(case, validator, tmp_path, capsys):
    doc = _mutate(*case)
    assert schema_errors(validator, doc), "the schema should refuse this"
    assert loader_error(doc) is not None, "the loader accepted what the schema refuses"
    path = tmp_path / "mutated.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    command = "trial" if "arms" in doc else "cohort" if "population" in doc else "simulate"
    assert cli.main([command, str(path), "--json", str(tmp_path / "out.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(str(path)), err


@pytest.mark.parametrize("case", ACCEPTED, ids=_id)
def test_what_the_schema_accepts_at_its_edges_the_loader_accepts(case, validator):
    doc = _mutate(*case)
    assert schema_errors(validator, doc) == []
    assert loader_error(doc) is None, str(loader_error(doc))
