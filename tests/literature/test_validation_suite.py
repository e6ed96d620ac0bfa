"""The literature validation suite (issue: evidence). CI runs the fast subset; the full suite runs on demand:
`.venv/bin/python -m pytest -m slow tests/literature/test_validation_suite.py` (run time in docs/validation.md).

REPRODUCED lists the fast targets whose published direction the model currently reproduces: a regression
guard (each id is a published claim, see its file in src/abscopal/validation/targets/). Targets that fail are
reported honestly by `abscopal validate` and docs/validation.md; they are not hidden here.
"""

import pytest

from abscopal.validation.suite import load_targets, run_targets, validation_json

REPRODUCED = {  # fast targets whose published direction is reproduced (13 of 33 targets pass overall; see docs)
    "demaria2005_4t1_rt_ctla4_metastases", "formenti2018_nsclc_rt_ipilimumab", "hammi2020_blood_dose_proton_vs_photon_brain",
    "jin_edic_formula", "lugade2005_single_vs_fractionated_priming", "lymphocyte_radiosensitivity_invitro_invivo",
    "rodriguezruiz2016_rt_pd1_cd137_abscopal", "tumour_lq_alpha_beta", "twymansaintvictor2015_rt_ctla4_pdl1_mouse",
    "yovino2013_dose_to_circulating_lymphocytes_gbm",
}


def test_fast_subset_runs_and_guards_reproduced_targets():
    fast = [t.id for t in load_targets().values() if t.fast]
    assert fast, "the fast subset is empty"
    data = validation_json(run_targets(fast))
    rows = {row["id"]: row for row in data["targets"]}
    assert all(row["passed"] in (True, False) for row in rows.values())
    for target_id in REPRODUCED:
        assert rows[target_id]["passed"] is True, rows[target_id]["note"]


def test_validation_runs_are_deterministic():
    ids = ["dewan2009_fractionation_abscopal_ctla4", "hedos2021_blood_dose_delivery_time"]
    assert validation_json(run_targets(ids)) == validation_json(run_targets(ids))


@pytest.mark.slow
def test_full_suite_passes_at_least_ninety_percent():
    data = validation_json(run_targets())
    assert data["total"] > 0
    assert data["passed"] >= 0.9 * data["total"], [r["id"] for r in data["targets"] if r["passed"] is False]
