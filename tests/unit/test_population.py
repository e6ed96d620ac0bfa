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


# ---- biomarker subgroups (CONTRACT.md, Semantics: Subgroups) ----------------------------------------------------

def _log_antigenicity(subjects):
    return np.array([math.log(float(dict(s.overrides)["antigenicity"])) for s in subjects])


def test_a_pdl1_subgroup_carries_the_antigenicity_that_goes_with_its_tps():
    # copula: z_antigenicity | z_TPS ~ N(rho z_TPS, 1 - rho^2), so the subgroups' mean log antigenicity differ by
    # rho sigma (z_high - z_low); presentation conditioning moves both means by about as much (checked here to 4 SE)
    from abscopal.parameters import load_parameter_set
    from abscopal.population import _pdl1_beta, _pdl1_latent, pdl1_concentration, population_values

    n = 600
    doc = dict(BASE, tumour="nsclc", population={"size": n, "seed": 5})
    low = _log_antigenicity(_subjects(dict(doc, patient={"pdl1_tps": 0.005}), n))
    high = _log_antigenicity(_subjects(dict(doc, patient={"pdl1_tps": 0.9}), n))
    pop = population_values("human")
    shape = _pdl1_beta(load_parameter_set("human", "nsclc")["pdl1_tps"].value, pop, pdl1_concentration("human")["nsclc"])
    sigma = math.sqrt(math.log(1 + pop["antigenicity_cv"] ** 2))
    expected = pop["pdl1_antigenicity_correlation"] * sigma * (_pdl1_latent(0.9, shape) - _pdl1_latent(0.005, shape))
    se = math.sqrt(low.var() / n + high.var() / n)
    assert expected > 3 * se  # the check below can tell the conditioning from none
    assert abs((high.mean() - low.mean()) - expected) < 4 * se


def test_without_a_correlation_a_pdl1_subgroup_leaves_antigenicity_alone():
    # the immune-null of the test above: with rho = 0 the subgroups draw the same antigenicity
    import abscopal.population as population

    n = 200
    doc = dict(BASE, tumour="nsclc", population={"size": n, "seed": 5})
    original = population.population_values

    def uncorrelated(species):
        return {**original(species), "pdl1_antigenicity_correlation": 0.0}

    population._tumour_constants.cache_clear()
    population.population_values = uncorrelated
    try:
        low = _log_antigenicity(_subjects(dict(doc, patient={"pdl1_tps": 0.005}), n))
        high = _log_antigenicity(_subjects(dict(doc, patient={"pdl1_tps": 0.9}), n))
    finally:
        population.population_values = original
        population._tumour_constants.cache_clear()
    assert abs(high.mean() - low.mean()) < 4 * math.sqrt(low.var() / n + high.var() / n)


def test_an_interval_draws_the_covariate_from_its_distribution_truncated_to_the_interval():
    from scipy import stats

    from abscopal.parameters import load_parameter_set
    from abscopal.population import _pdl1_beta, pdl1_concentration, population_values

    n = 400
    # a barely antigenic tumour presents on its first draw, so presentation conditioning does not reshape the TPS
    doc = dict(BASE, tumour="nsclc", population={"size": n, "seed": 7}, overrides={"antigenicity": 0.001},
               patient={"pdl1_tps": [0.01, 0.49], "tmb": ["10 /Mb", "20 /Mb"], "alc": ["500 /uL", "900 /uL"]})
    subjects = _subjects(doc, n)
    tps = np.array([s.patient.pdl1_tps for s in subjects])
    tmb = np.array([s.patient.tmb_per_mb for s in subjects])
    alc = np.array([s.patient.alc_per_ul for s in subjects])
    assert tps.min() >= 0.01 and tps.max() <= 0.49 and len(set(tps)) == n
    assert tmb.min() >= 10 and tmb.max() <= 20 and alc.min() >= 500 and alc.max() <= 900
    a, b = _pdl1_beta(load_parameter_set("human", "nsclc")["pdl1_tps"].value, population_values("human"),
                      pdl1_concentration("human")["nsclc"])
    lo, hi = stats.beta.cdf([0.01, 0.49], a, b)
    # TPS given the interval: uniform on [F(0.01), F(0.49)] after the beta CDF
    u = (stats.beta.cdf(tps, a, b) - lo) / (hi - lo)
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_an_alc_subgroup_carries_the_tumour_burden_that_goes_with_its_alc():
    # ALC and burden correlate negatively in the population (alc_burden_correlation), so patients selected for a
    # low ALC carry more disease than those selected for a high one
    n = 800
    doc = dict(BASE, tumour="nsclc", population={"size": n, "seed": 11})

    def burden(alc):
        subjects = _subjects(dict(doc, patient={"alc": alc}), n)
        assert all(s.patient.alc_per_ul == float(alc.split()[0]) for s in subjects)
        return np.log([sum(les.diameter_mm for les in s.patient.lesions) for s in subjects])

    low, high = burden("300 /uL"), burden("3000 /uL")
    assert low.mean() - high.mean() > 3 * math.sqrt(low.var() / n + high.var() / n)


def test_an_interval_needs_a_population_and_two_ordered_values(tmp_path):
    from abscopal.errors import InputError
    from abscopal.scenario.load import parse_scenario

    single = {"abscopal": 1, "species": "human", "tumour": "nsclc",
              "patient": {"lesions": [{"id": "a", "site": "lung", "diameter": "20 mm"}]}}
    for value, words in (([0.2, 0.5], "needs a population"), ([0.5, 0.2], "not below"), ([0.1, 0.2, 0.3], "3 values")):
        doc = dict(single, patient={**single["patient"], "pdl1_tps": value})
        if words == "needs a population":
            words = "there is no population block"
        else:
            doc["population"] = {"size": 10, "seed": 1}
        try:
            parse_scenario(doc)
        except InputError as error:
            assert "patient.pdl1_tps" in str(error) and words in str(error)
        else:
            raise AssertionError(f"{value} was accepted")


def test_escape_margin_is_the_solver_own_effector_rate_at_baseline():
    """The presentation rule and the dynamics share one definition: for untreated subjects (no drug, so no
    influx from blood at t = 0), the per-capita effector rate of the generated right-hand side at the initial
    state, with the suppression the rule uses, equals escape_margin; so does the rate with PD-1 fully blocked.
    A change to the M7 effector equation that the rule did not follow would fail here."""
    from abscopal.model.registry import make_batch
    from abscopal.model.state import Layout
    from abscopal.model.subject import subject_from_scenario
    from abscopal.population import _tumour_constants, escape_margin

    doc = {"abscopal": 1, "species": "human", "tumour": "nsclc", "population": {"size": 40, "seed": 11}}
    subjects = _subjects(doc, 40) + _subjects(
        {**doc, "species": "mouse", "tumour": "ct26",
         "patient": {"lesions": [{"id": "a", "site": "flank", "volume": "100 mm^3"},
                                 {"id": "b", "site": "flank", "volume": "40 mm^3"}]}}, 20)
    checked = 0
    for s in subjects:
        c = _tumour_constants(s.species, s.tumour)
        volume = sum(les.volume_mm3 for les in s.patient.lesions)
        margins = [escape_margin(c, list(s.overrides), s.patient.tmb_per_mb, s.patient.pdl1_tps, volume, blocked=b)
                   for b in (False, True)]
        for blocked, margin in zip((False, True), margins, strict=True):
            batch = make_batch([subject_from_scenario(s)])
            y, active = batch.initial_state()
            lay = Layout(batch.L, batch.A)
            p = batch.p
            burden_target = p.suppression_baseline * (1 + p.burden_suppression_gain * volume / p.systemic_suppression_burden) / (
                1 + p.burden_suppression_gain)
            y[:, lay.lesion("suppression")] = np.minimum(p.suppression_baseline, burden_target)[:, :1]
            if blocked:
                y[:, lay.lesion("pdl1")] = 0.0
                p.pdl1_host_share = np.zeros_like(p.pdl1_host_share)
            dy = batch.rhs(0.0, y, active)
            effectors = lay.lesion("effectors")
            rate = dy[0, effectors][active[0] > 0] / y[0, effectors][active[0] > 0]
            assert np.allclose(rate, margin, rtol=1e-9, atol=1e-12), (s.name, blocked, rate, margin)
            checked += 1
    assert checked == 2 * len(subjects)
