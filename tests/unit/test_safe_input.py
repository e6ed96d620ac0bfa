"""Safe reading of scenario and trial files: YAML features, sizes, quantities, limits and parameter bounds.

Each refusal must be one InputError (exit 2 on the command line) naming the file, key or line and the
expected form; each valid extreme must still load.
"""

from __future__ import annotations

import copy
import math

import pytest
import yaml

from abscopal.errors import InputError, UnitError
from abscopal.model.declarations import parameter_declarations
from abscopal.parameters import load_parameter_set, tumour_keys
from abscopal.scenario import limits
from abscopal.scenario.bounds import BOUNDS, bound_for
from abscopal.scenario.document import MAX_BYTES, MAX_DEPTH, read_document
from abscopal.scenario.load import load_scenario, parse_scenario
from abscopal.units import parse_day, parse_quantity
from tests.conftest import EXAMPLES

BASE = {
    "abscopal": 1, "species": "human", "tumour": "nsclc",
    "patient": {"lesions": [{"id": "lung1", "site": "lung", "diameter": "25 mm"},
                            {"id": "liver1", "site": "liver", "diameter": "18 mm"}]},
    "radiotherapy": [{"lesions": ["lung1"], "dose": "8 Gy", "fractions": 3}],
    "drugs": [{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks", "count": 4}],
    "simulation": {"duration": "180 days"},
}


def _write(tmp_path, text: str | bytes, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _refused(data) -> InputError:
    with pytest.raises(InputError) as info:
        parse_scenario(data)
    assert "\n" not in info.value.message
    return info.value


# --------------------------------------------------------------------------- YAML features

def test_duplicate_key_names_the_key_and_both_lines(tmp_path):
    text = yaml.safe_dump(BASE, sort_keys=False).replace("  fractions: 3\n", "  fractions: 3\n  fractions: 5\n")
    lines = text.splitlines()
    first = next(k for k, line in enumerate(lines) if "fractions: 3" in line) + 1
    with pytest.raises(InputError) as info:
        load_scenario(_write(tmp_path, text))
    message = info.value.message
    assert "'fractions'" in message and f"lines {first} and {first + 1}" in message
    assert info.value.key == "fractions"


def test_duplicate_keys_in_json_are_refused_too(tmp_path):
    with pytest.raises(InputError, match="given twice"):
        read_document(_write(tmp_path, '{"abscopal": 1, "abscopal": 1}', "s.json"))


def test_alias_bomb_is_refused_without_expanding(tmp_path):
    rows = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    rows += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]" for k in range(1, 10)]  # 9^10 leaves if expanded
    with pytest.raises(InputError, match="anchor|alias"):
        load_scenario(_write(tmp_path, "\n".join(rows) + "\n"))


def test_a_single_alias_is_refused(tmp_path):
    text = "abscopal: 1\nspecies: human\nname: *x\n"
    with pytest.raises(InputError, match=r"alias \*x at line 3"):
        read_document(_write(tmp_path, text))


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 50_000])
def test_deep_nesting_is_an_input_error_not_a_recursion_error(tmp_path, depth):
    text = "abscopal: 1\nextra: " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(InputError, match="nesting deeper"):
        read_document(_write(tmp_path, text))


def test_nesting_of_the_format_is_accepted(tmp_path):
    text = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    data, _ = read_document(_write(tmp_path, text))
    assert isinstance(data["a"], list)


def test_huge_files_and_lists_are_refused(tmp_path):
    with pytest.raises(InputError, match=f"at most {MAX_BYTES} bytes"):
        read_document(_write(tmp_path, "a: [" + "1," * MAX_BYTES + "1]\n"))
    with pytest.raises(InputError, match="more than"):
        read_document(_write(tmp_path, "a: [" + "1," * 60_000 + "1]\n"))


@pytest.mark.parametrize("payload", [b"abscopal: 1\nname: \xff\xfe\n", b"\x80abscopal: 1\n", b"abscopal: 1\nname: \xed\xa0\x80\n"])
def test_bytes_that_are_not_utf8_are_an_input_error(tmp_path, payload):
    with pytest.raises(InputError, match="not UTF-8"):
        read_document(_write(tmp_path, payload))


def test_a_byte_order_mark_is_accepted(tmp_path):
    data, _ = read_document(_write(tmp_path, b"\xef\xbb\xbfabscopal: 1\n"))
    assert data == {"abscopal": 1}


def test_long_input_gives_a_one_line_error():
    data = copy.deepcopy(BASE)
    data["radiotherapy"][0]["dose"] = "8 Gy\n" * 20_000
    data["name"] = 7
    error = _refused(copy.deepcopy(data) | {"name": "x", "species": "h\nu" * 10_000})
    assert len(error.message) < 1000 and "\n" not in error.message


# --------------------------------------------------------------------------- quantities and days

@pytest.mark.parametrize("text", ["9**9**9 Gy", "8 Gy**99999", "2**1000 Gy", "1e99999 Gy", "1e400 Gy", "nan Gy",
                                  "inf Gy", "0x10 Gy", "(((8 Gy", "Gy", "8 Gy" + " " * 100, "1/0"])
def test_quantities_beyond_the_strict_form_are_refused(text):
    with pytest.raises(UnitError):
        parse_quantity(text)


@pytest.mark.parametrize("text", ["8 Gy", "3 weeks", "1500 /uL", "1.5e9 /L", "8 cm^3", "10 mg/kg", "125 ug/m^2",
                                  "600000 IU/kg", "0.25 /Gy", "1 1/day", "2.5e-3 mm**3", "5 mg / kg"])
def test_quantities_of_the_format_are_read(text):
    assert math.isfinite(float(parse_quantity(text).magnitude))


@pytest.mark.parametrize("text", ["day 1e400", "day inf", "day nan"])
def test_event_days_must_be_finite(text):
    with pytest.raises(UnitError):
        parse_day(text)


def test_event_days_beyond_the_longest_simulation_are_refused():
    data = copy.deepcopy(BASE)
    data["drugs"][0]["start"] = "day 1e300"
    assert _refused(data).key == "drugs[0].start"


# --------------------------------------------------------------------------- declared limits

def test_dosing_every_minute_for_a_year_is_refused():
    data = copy.deepcopy(BASE)
    data["drugs"][0] = {"agent": "pembrolizumab", "dose": "200 mg", "every": "1 min", "until": "day 365"}
    data["simulation"]["duration"] = "365 days"
    error = _refused(data)
    assert error.key == "drugs[0].every" and "hour" in error.expected


def test_too_many_doses_are_refused():
    data = copy.deepcopy(BASE)
    data["drugs"][0] = {"agent": "pembrolizumab", "dose": "200 mg", "every": "1 h", "until": "day 7000"}
    data["simulation"]["duration"] = "7200 days"
    assert "doses" in _refused(data).expected


def test_too_many_blocks_and_outputs_are_refused():
    data = copy.deepcopy(BASE)
    data["radiotherapy"] = data["radiotherapy"] * (limits.MAX_RT_BLOCKS + 1)
    assert _refused(data).key == "radiotherapy"
    data = copy.deepcopy(BASE)
    data["simulation"] = {"duration": "20 years", "output_interval": "1 h"}
    assert _refused(data).key == "simulation.output_interval"


def test_a_lesion_appearing_after_the_end_is_refused():
    data = copy.deepcopy(BASE)
    data["patient"]["lesions"][1]["appears"] = "day 400"
    assert _refused(data).key == "patient.lesions[1].appears"


def test_tumour_mix_weights_must_be_finite():
    from abscopal.population import parse_population

    for weight in (float("nan"), float("inf"), 1e308):
        with pytest.raises(InputError):
            parse_population({"tumour_mix": {"nsclc": weight, "melanoma": 1}}, "human")


def test_scan_interval_below_a_day_is_refused():
    from abscopal.trial.design import parse_trial

    data = {k: v for k, v in copy.deepcopy(BASE).items() if k not in ("radiotherapy", "drugs")}
    data |= {"population": {"size": 4}, "arms": {"a": {}}, "endpoints": {"assessments": "1 min"}}
    with pytest.raises(InputError) as info:
        parse_trial(data)
    assert info.value.key == "endpoints.assessments"


def test_valid_extremes_load():
    from abscopal.parameters import load_shared

    shared = load_shared("human")
    data = copy.deepcopy(BASE)
    data["patient"]["lesions"][0]["diameter"] = f"{shared['max_lesion_diameter'].to('mm'):g} mm"
    data["simulation"] = {"duration": "20 years", "output_interval": "1 day", "seed": limits.MAX_SEED}
    data["radiotherapy"][0] = {"lesions": ["lung1"], "dose": "2 Gy", "fractions": limits.MAX_FRACTIONS, "interval": "6 h"}
    data["drugs"][0] = {"agent": "pembrolizumab", "dose": "200 mg", "every": "1 day", "until": "day 7000"}
    scenario = parse_scenario(data)
    assert scenario.simulation.duration_days == pytest.approx(20 * 365.25)
    assert len(scenario.drugs[0].days) == 7001


# --------------------------------------------------------------------------- parameter bounds

def test_every_declared_parameter_has_bounds():
    assert set(BOUNDS) == set(parameter_declarations())


def test_every_shipped_value_lies_inside_its_bounds():
    declared = parameter_declarations()
    checked = 0
    for species in ("human", "mouse"):
        for tumour in tumour_keys(species):
            parameters = load_parameter_set(species, tumour)
            for name, bound in BOUNDS.items():
                unit = declared[name].unit
                try:
                    value = parameters.value(name, "1" if unit in ("", "1") else unit.replace("^", "**"))
                except KeyError:
                    continue
                bound = bound_for(name, species)
                assert bound.contains(value), f"{species} {tumour} {name} = {value} outside {bound}"
                checked += 1
    assert checked > 500


@pytest.mark.parametrize(("name", "value"), [
    ("natural_death_rate", "-0.01 /day"), ("kill_rate", "1e6 /day"), ("hypoxic_fraction", 1.5),
    ("alpha_beta", "0 Gy"), ("oer", 0.5), ("occult_lesion_count", 1e9), ("occult_min_diameter", "0 mm"),
    ("trex1_hill", 0), ("cell_density", "1e300 /mm^3"),
])
def test_out_of_range_overrides_are_refused(name, value):
    data = copy.deepcopy(BASE) | {"overrides": {name: value}}
    error = _refused(data)
    assert error.key == f"overrides.{name}" and "out of range" in error.problem
    assert BOUNDS[name].reason in error.expected


@pytest.mark.parametrize(("name", "value"), [("natural_death_rate", "100 /day"), ("hypoxic_fraction", 1),
                                             ("alpha_beta", "0.01 Gy"), ("oer", 1), ("occult_lesion_count", 0)])
def test_overrides_at_their_bounds_are_accepted(name, value):
    scenario = parse_scenario(copy.deepcopy(BASE) | {"overrides": {name: value}})
    assert dict(scenario.overrides)[name]


def test_command_line_size_and_seed_are_range_checked():
    from abscopal.population import parse_population

    for size, seed, key in ((0, None, "--size"), (None, -1, "--seed"), (None, 2**70, "--seed")):
        with pytest.raises(InputError) as info:
            parse_population({}, "human", size=size, seed=seed)
        assert info.value.key == key
    assert parse_population({}, "human", size=1, seed=0).size == 1


def test_separated_survival_and_logistic_fits_give_null_not_an_overflow():
    from abscopal.trial.biomarkers import logistic_per_sd
    from abscopal.trial.statistics import hazard_ratio

    # every event of arm a precedes every time of arm b: the Cox estimate runs off to zero
    hr = hazard_ratio([1, 2, 3], [1, 1, 1], [100, 200, 300], [0, 0, 1])
    assert hr == {"value": None, "ci_low": None, "ci_high": None}
    assert logistic_per_sd([0, 0, 0, 1, 1e-300], [0, 1, 0, 1, 0])["odds_ratio_per_sd"] is None


def test_ordered_parameters_stay_ordered_after_overrides():
    data = copy.deepcopy(BASE) | {"overrides": {"occult_max_diameter": "0.01 mm"}}  # below the shipped minimum
    error = _refused(data)
    assert error.key == "overrides.occult_max_diameter" and "occult_min_diameter" in error.problem
    parse_scenario(copy.deepcopy(BASE) | {"overrides": {"occult_min_diameter": "0.01 mm", "occult_max_diameter": "0.02 mm"}})


def test_the_published_model_is_limited_to_a_year(tmp_path):
    text = (EXAMPLES / "kosinsky2018_ct26_untreated.yaml").read_text()
    data = yaml.safe_load(text)
    data["simulation"]["duration"] = "20 years"
    with pytest.raises(InputError) as info:
        parse_scenario(data)
    assert info.value.key == "simulation.duration"
    data["simulation"]["duration"] = "365 days"
    assert parse_scenario(data).simulation.duration_days == 365


@pytest.mark.parametrize("text", [
    "abscopal: 1\nabscopal: 1\n",
    "a0: &a0 [x, x]\na1: [*a0, *a0]\n",
    "abscopal: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n",
])
def test_the_command_line_reports_unsafe_yaml_in_one_line(tmp_path, capsys, text):
    from abscopal.cli import main

    path = _write(tmp_path, text)
    assert main(["simulate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith(str(path))


def test_every_limit_is_documented():
    text = (EXAMPLES.parent / "docs" / "input_limits.md").read_text()
    names = [name for name in vars(limits) if name.isupper()]
    assert len(names) >= 10
    assert [name for name in names if f"`{name}`" not in text] == []


@pytest.mark.parametrize(("block", "key", "value"), [
    ("patient", "bsa", "1e308 m^2"), ("patient", "tmb", "1e308 /Mb"), ("rt", "field_size", "1e300 cm^3"),
    ("rt", "beam_on_time", "1e300 days"), ("rt", "interval", "1e308 days"),
])
def test_covariates_and_fields_beyond_physical_ranges_are_refused(block, key, value):
    data = copy.deepcopy(BASE)
    target = data["patient"] if block == "patient" else data["radiotherapy"][0]
    target[key] = value
    assert _refused(data).key.endswith(key)


def test_divisor_parameters_cannot_be_zero():
    for name, value in (("extinction_scale", 0), ("tmb", "0 /Mb"), ("antigen_half_saturation", "0 /day")):
        assert _refused(copy.deepcopy(BASE) | {"overrides": {name: value}}).key == f"overrides.{name}"


def test_blood_volume_bounds_follow_the_species():
    data = copy.deepcopy(BASE) | {"overrides": {"blood_volume": "1.6 mL"}}
    assert "adult" in _refused(data).expected
    parse_scenario(copy.deepcopy(BASE) | {"overrides": {"blood_volume": "4 L"}})


def test_a_single_patient_keeps_its_name_and_the_file_stem_is_the_default(tmp_path):
    """The covariate check of a single patient once reused the variable holding the scenario's name, so every
    single-patient scenario was called 'alc' in its outputs."""
    from abscopal.scenario.load import load_scenario

    doc = ("abscopal: 1\nname: My patient\nspecies: human\ntumour: nsclc\n"
           "patient: {alc: '1600 /uL', lesions: [{id: l1, site: lung, diameter: '20 mm'}]}\n")
    (tmp_path / "named.yaml").write_text(doc)
    assert load_scenario(tmp_path / "named.yaml").name == "My patient"
    (tmp_path / "unnamed.yaml").write_text(doc.replace("name: My patient\n", ""))
    assert load_scenario(tmp_path / "unnamed.yaml").name == "unnamed"


# --------------------------------------------------------------------------- keys that used to be ignored without a word
# (found by a bad-input sweep of about 330 mutated files, 2026-12-06: each was valid input that changed nothing)

def test_the_contract_version_is_the_integer_one():
    for version in (1.0, True, "1"):
        error = _refused(copy.deepcopy(BASE) | {"abscopal": version})
        assert error.key == "abscopal"
    assert parse_scenario(copy.deepcopy(BASE)).name


@pytest.mark.parametrize("name", ["max_lesion_diameter", "max_lesion_volume", "min_body_weight", "max_body_weight"])
def test_input_limits_cannot_be_overridden(name):
    """The size check reads the shipped limit, so an override of it would be accepted and ignored."""
    value = {"max_lesion_diameter": "400 mm", "max_lesion_volume": "2e7 mm^3", "min_body_weight": "20 kg",
             "max_body_weight": "300 kg"}[name]
    error = _refused(copy.deepcopy(BASE) | {"overrides": {name: value}})
    assert error.key == f"overrides.{name}" and "input limit" in error.problem


def test_a_repeated_fraction_day_is_refused():
    data = copy.deepcopy(BASE)
    data["radiotherapy"] = [{"lesions": ["lung1"], "dose": "8 Gy", "days": ["day 0", "day 2", "day 2"]}]
    error = _refused(data)
    assert error.key == "radiotherapy[0].days" and "strictly increasing" in error.problem
    data["radiotherapy"][0]["days"] = ["day 0", "day 2", "day 4"]
    assert parse_scenario(data).radiotherapy[0].days == (0.0, 2.0, 4.0)


def test_radiotherapy_to_a_lesion_before_it_appears_is_refused():
    data = copy.deepcopy(BASE)
    data["patient"]["lesions"][1]["appears"] = "day 30"
    data["radiotherapy"] = [{"lesions": ["liver1"], "dose": "8 Gy", "fractions": 3, "start": "day 28"}]
    error = _refused(data)
    assert error.key == "radiotherapy[0].lesions[0]" and "appears on day 30" in error.problem
    data["radiotherapy"][0]["start"] = "day 30"
    assert parse_scenario(data).radiotherapy[0].lesion_ids == ("liver1",)


def _trial(**changes):
    from abscopal.trial.design import parse_trial

    doc = {"abscopal": 1, "species": "human", "tumour": "nsclc", "population": {"size": 4, "seed": 1},
           "simulation": {"duration": "90 days"},
           "arms": {"rt": {"radiotherapy": [{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3}]}}}
    doc.update(changes)
    return parse_trial(doc)


def test_a_population_lesion_count_beside_explicit_lesions_is_refused():
    lesions = {"lesions": [{"id": "lung1", "site": "lung", "diameter": "25 mm"}]}
    with pytest.raises(InputError) as info:
        _trial(patient=lesions, population={"size": 4, "seed": 1, "lesions": {"count": [2, 4]}})
    assert info.value.key == "population.lesions.count"
    assert _trial(patient=lesions).arms[0][1].patient.lesions


def test_a_lesion_selector_beyond_every_subject_is_refused():
    arm = {"radiotherapy": [{"lesions": ["L9"], "dose": "8 Gy", "fractions": 3}]}
    with pytest.raises(InputError) as info:
        _trial(arms={"rt": arm}, population={"size": 4, "seed": 1, "lesions": {"count": [2, 4]}})
    assert info.value.key == "arms.rt.radiotherapy[0].lesions[0]" and "at most 4" in info.value.problem
    with pytest.raises(InputError):  # the population file's own maximum (5 for human tumours) when no count is given
        _trial(arms={"rt": arm})
    arm["radiotherapy"][0]["lesions"] = ["L4"]
    assert _trial(arms={"rt": arm}, population={"size": 4, "seed": 1, "lesions": {"count": [2, 4]}}).arms


def test_an_empty_arm_name_is_refused():
    arm = {"radiotherapy": [{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3}]}
    for name in ("", "  "):
        with pytest.raises(InputError) as info:
            _trial(arms={name: arm})
        assert info.value.key == "arms"


def test_a_cohort_names_the_selector_beyond_every_subject_without_an_arm():
    from abscopal.trial.design import cohort_design

    doc = {"abscopal": 1, "species": "human", "tumour": "nsclc", "population": {"size": 4, "seed": 1},
           "simulation": {"duration": "90 days"}, "radiotherapy": [{"lesions": ["L6"], "dose": "8 Gy", "fractions": 3}]}
    with pytest.raises(InputError) as info:
        cohort_design(doc)
    assert info.value.key == "radiotherapy[0].lesions[0]"
