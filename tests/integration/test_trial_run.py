"""Trials: arms share subjects; same seed, same records; chunking and cohort size do not change a subject."""

import copy

import pytest

from abscopal.errors import InputError
from abscopal.trial.design import parse_trial
from abscopal.trial.run import run_trial

TRIAL = {
    "abscopal": 1, "name": "t", "species": "human", "tumour": "nsclc",
    "population": {"size": 12, "seed": 3},
    "arms": {
        "pembrolizumab": {"drugs": [{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks"}]},
        "sbrt_pembrolizumab": {"radiotherapy": [{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3}],
                               "drugs": [{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks", "start": "day 7"}]},
    },
    "simulation": {"duration": "168 days"},
}
COVARIATES = ("baseline_alc", "pdl1_tps", "tmb", "n_lesions", "baseline_sum_diameters_mm", "tumour")


def _run(doc, **kw):
    return run_trial(parse_trial(copy.deepcopy(doc)), **kw)


def test_arms_share_subjects():
    run = _run(TRIAL)
    a, b = run.records["pembrolizumab"], run.records["sbrt_pembrolizumab"]
    assert len(a) == len(b) == 12
    for ra, rb in zip(a, b, strict=True):
        assert all(ra[c] == rb[c] for c in COVARIATES)
        assert ra["n_out_of_field"] == rb["n_out_of_field"]  # same out-of-field set in every arm
    # the treatments differ, so the outcomes differ for at least one subject
    assert any(ra["overall"] != rb["overall"] or ra["pfs_day"] != rb["pfs_day"] for ra, rb in zip(a, b, strict=True))


def test_same_seed_same_records_and_chunking_does_not_matter():
    one = _run(TRIAL, chunk_size=5)
    two = _run(TRIAL, chunk_size=12)
    assert one.records == two.records
    other_seed = copy.deepcopy(TRIAL)
    other_seed["population"]["seed"] = 4
    assert _run(other_seed).records != one.records


def test_worker_processes_do_not_change_results():
    assert _run(TRIAL, chunk_size=4, workers=2).records == _run(TRIAL, chunk_size=12).records


def test_first_n_subjects_of_a_larger_cohort_equal_a_cohort_of_n():
    small = _run(TRIAL)
    larger = copy.deepcopy(TRIAL)
    larger["population"]["size"] = 20
    big = _run(larger)
    for arm in small.records:
        assert big.records[arm][:12] == small.records[arm]


def test_mixed_histology_population_runs_and_out_of_field_excludes_every_arms_targets():
    doc = copy.deepcopy(TRIAL)
    doc["population"] = {"size": 10, "seed": 1, "tumour_mix": {"nsclc": 0.5, "breast": 0.3, "hnscc": 0.2},
                         "lesions": {"count": [2, 4]}}
    doc["arms"]["sbrt_all_but_largest"] = {"radiotherapy": [{"lesions": ["all_but_largest"], "dose": "6 Gy", "fractions": 5}]}
    run = _run(doc)
    tumours = {r["tumour"] for r in run.records["pembrolizumab"]}
    assert tumours <= {"nsclc", "breast", "hnscc"} and len(tumours) >= 2
    for records in run.records.values():
        # largest is targeted in one arm and all the others in another: nothing is out of field
        assert all(r["n_out_of_field"] == 0 and r["abscopal"] is None for r in records)


def test_arm_errors_name_the_arm():
    doc = copy.deepcopy(TRIAL)
    doc["arms"]["pembrolizumab"]["drugs"][0]["agent"] = "pembrolizumabb"
    with pytest.raises(InputError) as info:
        parse_trial(doc)
    assert info.value.key == "arms.pembrolizumab.drugs[0].agent"


def test_a_later_baseline_scan_does_not_count_earlier_shrinkage_as_response():
    """endpoints.baseline_scan: RECIST measured from a scan after prior RT (as Shaverdian 2017 measured KEYNOTE-001
    response from the pre-pembrolizumab scan). 24 Gy to the largest lesion shrinks it before day 28; from a day-28
    baseline that shrinkage is not response, so the in-field change is smaller than from day 0."""
    doc = copy.deepcopy(TRIAL)
    doc["arms"] = {"rt": {"radiotherapy": [{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3}]}}
    doc["endpoints"] = {"assessments": "4 weeks"}
    day0 = _run(doc).records["rt"]
    doc["endpoints"]["baseline_scan"] = "day 28"
    day28 = _run(doc).records["rt"]
    assert [r["baseline_sum_diameters_mm"] for r in day0] == [r["baseline_sum_diameters_mm"] for r in day28]  # covariates of day 0
    first = lambda r: r["sum_change_pct_by_scan"][0]  # noqa: E731
    assert all(first(r)[0] == 28.0 for r in day0) and all(first(r)[0] == 56.0 for r in day28)
    best0 = [r["best_sum_change_pct"] for r in day0]
    best28 = [r["best_sum_change_pct"] for r in day28]
    assert sum(b28 > b0 + 1.0 for b0, b28 in zip(best0, best28, strict=True)) >= len(best0) // 2
    doc["endpoints"]["baseline_scan"] = "day 400"
    with pytest.raises(InputError) as info:
        parse_trial(copy.deepcopy(doc))
    assert info.value.key == "endpoints.baseline_scan"
