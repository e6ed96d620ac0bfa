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
    free = _subjects(BASE, 20)
    doc = dict(BASE, patient={"pdl1_tps": 0.5})
    fixed = _subjects(doc, 20)
    assert all(s.patient.pdl1_tps == 0.5 for s in fixed)
    assert [s.patient.alc_per_ul for s in free] == [s.patient.alc_per_ul for s in fixed]
    assert [s.patient.lesions for s in free] == [s.patient.lesions for s in fixed]
