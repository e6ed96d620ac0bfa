"""Virtual populations: per-subject streams, documented distributions, covariates."""

import math

import numpy as np

from abscopal.population import p53_prevalence, parse_population, population_values, sample_subject
from tests.helpers import scenario

BASE = {"abscopal": 1, "species": "human", "tumour": "hnscc", "population": {"size": 400, "seed": 3},
        "radiotherapy": [{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3}]}


def _subjects(doc, n):
    sc = scenario(doc)
    spec = parse_population(sc.population, sc.species)
    return [sample_subject(sc, spec, k) for k in range(n)]


def test_p53_prevalence_and_its_radiosensitivity_effect():
    subjects = _subjects(BASE, 400)
    mutant = np.array([s.patient.p53_mutant for s in subjects])
    prevalence = p53_prevalence("human")["hnscc"]
    assert abs(mutant.mean() - prevalence) < 3 * math.sqrt(prevalence * (1 - prevalence) / 400)
    alpha = np.array([float(dict(s.overrides)["alpha"]) for s in subjects])
    ratio = np.exp(np.log(alpha[mutant]).mean() - np.log(alpha[~mutant]).mean())
    assert 0.7 < ratio < 1.0  # mutant tumours are modestly more radioresistant (factor 0.85 plus sampling noise)
    assert population_values("human")["p53_alpha_factor"] == 0.85


def test_alc_correlates_negatively_with_burden_and_lesions_are_measurable():
    subjects = _subjects(dict(BASE, tumour="nsclc"), 400)
    alc = np.array([s.patient.alc_per_ul for s in subjects])
    burden = np.array([sum(les.diameter_mm for les in s.patient.lesions) for s in subjects])
    assert np.corrcoef(np.log(alc), np.log(burden))[0, 1] < 0
    assert all(les.diameter_mm >= 10.0 for s in subjects for les in s.patient.lesions)
    assert all(s.patient.lesions[0].diameter_mm == max(les.diameter_mm for les in s.patient.lesions) for s in subjects)


def test_fixed_covariate_defines_a_subgroup_without_changing_other_draws():
    # a barely antigenic tumour escapes on its first draw whatever its PD-L1, so the presentation conditioning
    # (which legitimately re-draws a subgroup's rejected subjects) leaves the comparison to the streams alone
    cold = dict(BASE, overrides={"antigenicity": 0.001})
    free = _subjects(cold, 20)
    doc = dict(cold, patient={"pdl1_tps": 0.5})
    fixed = _subjects(doc, 20)
    assert all(s.patient.pdl1_tps == 0.5 for s in fixed)
    assert [s.patient.alc_per_ul for s in free] == [s.patient.alc_per_ul for s in fixed]
    assert [s.patient.lesions for s in free] == [s.patient.lesions for s in fixed]


def test_stroma_and_hypoxia_vary_logit_normally_around_the_parameter_set_value():
    """Tumour-stroma ratio differs several-fold between patients (Scheer 2017: 23% of rectal cancers are >=70%
    stroma, 31% <=30%); each subject's stromal and hypoxic fractions stay inside (0, 1) with the set's value as
    median and the population file's logit SD as spread."""
    from abscopal.parameters import load_parameter_set

    subjects = _subjects(BASE, 400)
    pset = load_parameter_set("human", "hnscc")
    pop = population_values("human")
    for name, sd_name in (("stromal_fraction", "stromal_fraction_logit_sd"), ("hypoxic_fraction", "hypoxic_fraction_logit_sd")):
        values = np.array([float(dict(s.overrides)[name]) for s in subjects])
        assert ((values > 0) & (values < 1)).all()
        logit = np.log(values / (1 - values))
        p0 = pset[name].value
        assert abs(np.median(logit) - math.log(p0 / (1 - p0))) < 0.2
        assert abs(logit.std() - pop[sd_name]) < 0.15 * pop[sd_name]


def test_a_user_override_fixes_a_varied_fraction_for_every_subject():
    subjects = _subjects(dict(BASE, overrides={"stromal_fraction": 0.4}), 30)
    assert {float(dict(s.overrides)["stromal_fraction"]) for s in subjects} == {0.4}


def _blocked_margins(subjects):
    from abscopal.population import _tumour_constants, escape_margin

    out = []
    for s in subjects:
        c = _tumour_constants(s.species, s.tumour)
        volume = sum(les.volume_mm3 for les in s.patient.lesions)
        out.append(escape_margin(c, list(s.overrides), s.patient.tmb_per_mb, s.patient.pdl1_tps, volume, blocked=True))
    return np.array(out)


def test_prior_pd1_progressed_selects_tumours_that_escape_even_under_full_blockade():
    naive_doc = dict(BASE, tumour="nsclc", population={"size": 200, "seed": 5})
    naive = _subjects(naive_doc, 200)
    progressed = _subjects(dict(naive_doc, population={"size": 200, "seed": 5, "prior_pd1": "progressed"}), 200)
    naive_margins, progressed_margins = _blocked_margins(naive), _blocked_margins(progressed)
    assert (naive_margins > 0).mean() > 0.1  # blockade alone would turn the balance in a real share of naive subjects
    assert (progressed_margins <= 0).all()  # ... and in none of the selected ones
    # subjects that already escaped under blockade are kept as they were drawn (same stream, attempt 0 first)
    same = [a.patient.lesions == b.patient.lesions for a, b, m in zip(naive, progressed, naive_margins, strict=True) if m <= 0]
    assert all(same) and len(same) > 20


def test_prior_pd1_naive_is_the_default_and_a_bad_value_is_refused():
    import pytest

    from abscopal.errors import InputError

    doc = dict(BASE, population={"size": 30, "seed": 2})
    explicit = _subjects(dict(doc, population={"size": 30, "seed": 2, "prior_pd1": "naive"}), 30)
    assert [s.overrides for s in _subjects(doc, 30)] == [s.overrides for s in explicit]
    with pytest.raises(InputError, match="prior_pd1"):
        parse_population({"size": 5, "prior_pd1": "refractory"}, "human")
