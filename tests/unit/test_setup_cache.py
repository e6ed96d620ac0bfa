"""Fast subject set-up (cached parameter tables, memoised unit conversions, shared RT blocks) builds the
same subjects, bit for bit, as building each one first in a fresh process-wide cache, and nothing a
caller does with a returned subject or table leaks into the next subject."""

from __future__ import annotations

import dataclasses
import math
import sys

import numpy as np
import pytest

from abscopal import units
from abscopal.model.subject import parameter_values, subject_from_scenario
from abscopal.population import (
    beta_ppf_of_normal,
    p53_prevalence,
    parse_population,
    population_values,
    sample_subject,
)
from abscopal.scenario.load import load_scenario
from abscopal.scenario.model import Lesion
from abscopal.trial.design import load_trial
from tests import setup_reference as reference
from tests.conftest import EXAMPLES, ROOT
from tests.helpers import scenario

KEEP = {"_registry"}  # the pint registry: `units.ureg` is bound once at import


def clear_caches() -> int:
    """Empty every functools cache of the package (the state of a fresh process)."""
    cleared = 0
    for name, module in list(sys.modules.items()):
        if name == "abscopal" or name.startswith("abscopal."):
            for attr, obj in vars(module).items():
                if attr not in KEEP and callable(getattr(obj, "cache_clear", None)):
                    obj.cache_clear()
                    cleared += 1
    return cleared


def canon(x):
    """Structure with every float as its exact bits and every container in its order."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return type(x).__name__, tuple((f.name, canon(getattr(x, f.name))) for f in dataclasses.fields(x))
    if isinstance(x, float):
        return "f", x.hex()
    if x is None or isinstance(x, (bool, int, str)):
        return type(x).__name__, x
    if isinstance(x, dict):
        return "d", tuple((canon(k), canon(v)) for k, v in x.items())
    if isinstance(x, (set, frozenset)):
        return "s", tuple(sorted((canon(v) for v in x), key=repr))
    if isinstance(x, (list, tuple)):
        return type(x).__name__, tuple(canon(v) for v in x)
    raise TypeError(type(x))


def _populations():
    """(label, scenario, population spec): given lesions, sampled lesions + selectors + occult lesions,
    a tumour mix with IU/m^2 dosing, mouse arms, and fixed covariates / nodes / proton / site fields."""
    out = []
    bench = load_scenario(ROOT / "benchmarks" / "scenarios" / "five_lesions_sbrt_ipi_nivo.yaml")
    out.append(("benchmark", bench, parse_population(bench.population, bench.species)))
    cohort = load_trial(EXAMPLES / "cohort_nsclc_sbrt_pembrolizumab.yaml", cohort=True)
    out += [(f"cohort {name}", sc, cohort.population) for name, sc in cohort.arms]
    for file in ("trial_rt_gmcsf_mixed_solid.yaml", "trial_mouse_tsa_four_arms.yaml"):
        design = load_trial(EXAMPLES / file)
        out += [(f"{file} {name}", sc, design.population) for name, sc in design.arms]
    fixed = scenario({
        "abscopal": 1, "species": "human", "tumour": "melanoma", "population": {"size": 20, "seed": 4},
        "patient": {"alc": "900 /uL", "pdl1_tps": 0.4, "tmb": "12 /Mb", "bsa": "1.8 m^2", "lesions": [
            {"id": "a", "site": "lung", "diameter": "25 mm"}, {"id": "b", "site": "liver", "diameter": "26 mm"}]},
        "overrides": {"alpha": "0.3 /Gy"}, "host": {"immune": "cd8_depleted"},
        "radiotherapy": [{"lesions": ["a", "b"], "dose": "6 Gy", "fractions": 5, "nodes": True, "modality": "proton"},
                         {"site": "brain", "dose": "2 Gy", "fractions": 3, "start": "day 10"},
                         {"lesions": ["all_but_largest"], "dose": "2 Gy", "fractions": 30, "schedule": "weekdays"},
                         {"lesions": ["largest"], "dose": "8 Gy", "fractions": 1, "start": "day 60"}],  # sizes close: ranks vary
        "drugs": [{"agent": "il-2", "dose": "600000 IU/kg", "every": "1 day", "start": "day 1", "count": 5}],
    })
    out.append(("fixed covariates", fixed, parse_population(fixed.population, fixed.species)))
    intervals = scenario({
        "abscopal": 1, "species": "human", "tumour": "nsclc", "population": {"size": 20, "seed": 6},
        "patient": {"alc": ["600 /uL", "1200 /uL"], "pdl1_tps": [0.5, 1.0], "tmb": ["2 /Mb", "9 /Mb"]},
        "radiotherapy": [{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3}],
    })
    out.append(("covariate intervals", intervals, parse_population(intervals.population, intervals.species)))
    return out


POPULATIONS = _populations()


def _build(sc, spec, k):
    sampled = sample_subject(sc, spec, k)
    return sampled, subject_from_scenario(sampled, k)


@pytest.mark.parametrize("label, sc, spec", POPULATIONS, ids=[p[0] for p in POPULATIONS])
def test_subject_built_after_others_equals_subject_built_first_in_fresh_caches(label, sc, spec):
    ks = (0, 1, 7, 12)
    fresh = {}
    for k in ks:
        assert clear_caches() > 5
        sampled, subject = _build(sc, spec, k)
        fresh[k] = canon(sampled), canon(subject)
    clear_caches()
    for other in range(12):  # warm every cache with other subjects (and other populations) first
        _build(*POPULATIONS[other % len(POPULATIONS)][1:], other)
    for k in reversed(ks):
        sampled, subject = _build(sc, spec, k)
        assert (canon(sampled), canon(subject)) == fresh[k], f"{label} subject {k}"


@pytest.mark.parametrize("label, sc, spec", POPULATIONS, ids=[p[0] for p in POPULATIONS])
def test_fast_path_equals_the_cache_free_reference(label, sc, spec):
    """tests/setup_reference.py re-reads every file and converts through pint each time (no cache at all)."""
    for k in (3, 0, 5):
        sampled, subject = _build(sc, spec, k)
        ref_sampled = reference.sample_subject(sc, spec, k)
        assert canon(sampled) == canon(ref_sampled), f"{label} subject {k}: sampled scenario"
        assert canon(subject) == canon(reference.subject_from_scenario(ref_sampled, k)), f"{label} subject {k}: subject"


def test_single_scenarios_equal_the_reference():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        if path.name.startswith(("trial_", "cohort_", "kosinsky", "optimise_", "fit_")):
            continue
        sc = load_scenario(path)
        assert canon(subject_from_scenario(sc)) == canon(reference.subject_from_scenario(sc)), path.name


def test_mutating_what_a_subject_returns_does_not_change_the_next_subject():
    label, sc, spec = POPULATIONS[1]
    expected = [canon(_build(sc, spec, k)[1]) for k in range(3)]
    for k in range(3):
        sampled, subject = _build(sc, spec, k)
        assert canon(subject) == expected[k]
        for name in subject.values:
            subject.values[name] = -1.0
        for site in subject.sites:
            for name in site:
                site[name] = -1.0
        for event in subject.rt_events.values():
            event.lesion_dose.clear()
            event.alc_factor = 0.0
        for slot in subject.drug_events.values():
            slot.clear()
        subject.lesions.clear()
        values, _ = parameter_values(sampled.species, sampled.tumour)
        values.clear()
    for k in range(3):
        assert canon(_build(sc, spec, k)[1]) == expected[k]


def test_cached_tables_are_read_only():
    for table in (population_values("human"), p53_prevalence("human")):
        with pytest.raises(TypeError):
            table["alc_cv"] = 0.0
    values, _ = parameter_values("human", "nsclc")
    values["alpha"] = -1.0
    assert parameter_values("human", "nsclc")[0]["alpha"] != -1.0


def test_unit_memo_returns_what_pint_returns_including_the_sign_of_zero():
    for value in (0.0, -0.0, 1.5, -2.25, 1e-300, 3.0e12):
        for src, dst in (("mm", "cm"), ("1/min", "1/day"), ("mg/L", "ug/mL"), ("L", "mL"), ("", "")):
            for _ in range(2):  # the second call is served by the memo
                assert units.convert_unit(value, src, dst).hex() == units._convert(value, src, dst).hex()


def test_pdl1_kernel_equals_scipy_stats_bit_for_bit():
    from scipy import stats

    rng = np.random.default_rng(5)
    cases = [(float(rng.standard_normal() * s), float(m * c), float((1 - m) * c))
             for s, m, c in zip(rng.choice([0.3, 1.0, 3.0], 300), rng.uniform(1e-3, 1 - 1e-3, 300),
                                rng.choice([0.5, 2.0, 7.0], 300), strict=True)]
    cases += [(0.0, 0.5, 1.5), (-0.0, 0.5, 1.5), (9.0, 1.0, 1.0), (-40.0, 1.0, 1.0), (math.inf, 1.0, 1.0), (0.3, 0.0, 1.0)]
    for z, a, b in cases:
        got, want = beta_ppf_of_normal(z, a, b), float(stats.beta.ppf(stats.norm.cdf(z), a, b))
        assert got.hex() == want.hex() or (math.isnan(got) and math.isnan(want)), (z, a, b)


def test_sampled_lesions_copy_every_lesion_field():
    """population._sample_lesions builds Lesion(...) field by field (faster than dataclasses.replace):
    a new Lesion field must be added there too."""
    assert [f.name for f in dataclasses.fields(Lesion)] == ["id", "site", "diameter_mm", "volume_mm3", "appears_day"]
