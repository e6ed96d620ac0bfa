"""Endpoint rules pinned by small hand-computed cases: PFS/EFS with death, recurrence, CTCAE v5.0 lymphopenia grades,
time to endpoint with censored animals, and the arm read-outs built on them (abscopal applicability, waterfall bars
following the ORR, lymphopenia per arm)."""

from types import SimpleNamespace

import numpy as np
import pytest

from abscopal.trial import analysis, endpoints


def test_death_before_progression_ends_pfs_at_death_with_event():
    assert endpoints.progression_free(168.0, 100.5, True, 365.0) == (100.5, True)


def test_progression_before_death_ends_pfs_at_progression():
    assert endpoints.progression_free(112.0, 200.0, True, 365.0) == (112.0, True)


def test_no_progression_no_death_is_censored_at_the_end():
    assert endpoints.progression_free(None, 365.0, False, 365.0) == (365.0, False)


def test_an_os_censoring_time_is_not_a_death():
    # alive at day 300 (OS censored there) and progressed at day 336: progression, not the OS censoring day
    assert endpoints.progression_free(336.0, 300.0, False, 365.0) == (336.0, True)
    assert endpoints.progression_free(None, 300.0, False, 365.0) == (365.0, False)


def test_death_without_progression_is_an_event():
    assert endpoints.progression_free(None, 42.0, True, 365.0) == (42.0, True)


def test_recurrence_after_every_lesion_disappeared():
    # two lesions (mm) at four scans: both below 5 mm at scan 1, one back at 6 mm at scan 3
    d = np.array([[20.0, 12.0], [4.0, 0.0], [3.0, 0.0], [6.0, 0.0]])
    assert endpoints.recurrence_scan(d, 5.0) == 3
    # never all gone: no recurrence (growth is RECIST's business)
    assert endpoints.recurrence_scan(np.array([[20.0, 12.0], [4.0, 6.0], [30.0, 9.0]]), 5.0) is None
    assert endpoints.recurrence_scan(np.zeros((3, 0)), 5.0) is None


def test_first_event():
    assert endpoints.first_event(None, 56.0, 28.0) == 28.0
    assert endpoints.first_event(None, None) is None


def test_early_stage_design_is_every_subject_with_one_lesion():
    assert endpoints.is_early_stage([1, 1, None, 1])
    assert not endpoints.is_early_stage([1, 2, 1])
    assert not endpoints.is_early_stage([None])


@pytest.mark.parametrize("alc, grade", [(1500, 0), (1000, 0), (999, 1), (800, 1), (799.9, 2), (500, 2), (499, 3),
                                        (200, 3), (199, 4), (0, 4), (None, None), (float("nan"), None)])
def test_ctcae_v5_lymphocyte_count_decreased(alc, grade):
    # CTCAE v5.0: grade 1 <LLN-800, 2 <800-500, 3 <500-200, 4 <200 /uL (LLN 1000 /uL)
    assert endpoints.lymphopenia_grade(alc) == grade


def test_time_to_endpoint_keeps_censored_animals():
    durations, events = endpoints.endpoint_survival([12.0, None, 30.0, None, None], [True, False, True, False, None], 40.0)
    assert durations.tolist() == [12.0, 40.0, 30.0, 40.0]  # the failed animal (no flag) is left out, none dropped else
    assert events.tolist() == [True, False, True, False]


def _record(**kw):
    base = {"status": "ok", "n_lesions": 3, "overall": "SD", "overall_irecist": "iSD", "in_field": None, "out_of_field": "SD",
            "abscopal": None, "irradiated": False, "pfs_day": 100.0, "pfs_event": True, "os_day": 200.0, "os_event": True,
            "alc_nadir": 900.0, "n_out_of_field": 2, "tumour_free": False, "endpoint_day": None, "endpoint_event": False,
            "response_change_pct": 0.0, "controlled_lesions": {}}
    return {**base, **kw}


def _run(records: dict, species: str = "human"):
    design = SimpleNamespace(species=species, duration=365.0, endpoints=SimpleNamespace(volume_at=None, response_at=None),
                             arms=[(name, None) for name in records])
    return SimpleNamespace(design=design, records=records, time_days=np.array([0.0, 365.0]), curves={}, lesion_series={})


def test_abscopal_rate_is_null_where_nothing_is_irradiated():
    drug_only = [_record(), _record()]
    rt = [_record(irradiated=True, abscopal=True, in_field="PR"), _record(irradiated=True, abscopal=False, in_field="SD")]
    run = _run({"drug": drug_only, "rt": rt})
    assert analysis.arm_summary(run, "drug")["abscopal_rate"] is None
    rate = analysis.arm_summary(run, "rt")["abscopal_rate"]
    assert rate["count"] == 1 and rate["rate"] == 0.5
    # the comparator of the drug-only arm stays: its out-of-field ORR
    assert analysis.arm_summary(run, "drug")["orr"]["out_of_field"]["rate"] == 0.0


def test_waterfall_bars_follow_the_orr():
    records = [_record(overall="PR", response_change_pct=-35.0), _record(overall="PD", response_change_pct=-40.0),  # new lesion
               _record(overall="SD", response_change_pct=-10.0), _record(overall="NE", response_change_pct=None),
               _record(overall="CR", response_change_pct=-100.0)]
    bars = analysis.waterfall_bars(records)
    assert [c for c, _ in bars] == [-10.0, -35.0, -40.0, -100.0]  # largest change first
    responders = sum(category in ("CR", "PR") for _, category in bars) / len(bars)
    assert responders == analysis.arm_summary(_run({"a": records}), "a")["orr"]["overall"]["rate"] == 0.5


def test_lymphopenia_per_arm_median_nadir_and_grade3_rate():
    records = [_record(alc_nadir=v) for v in (1200.0, 700.0, 450.0, 150.0)]
    block = analysis.arm_summary(_run({"a": records}), "a")["lymphopenia"]
    assert block["nadir_median_per_ul"] == 575.0
    assert block["grade3plus_rate"]["count"] == 2 and block["grade3plus_rate"]["rate"] == 0.5
    assert block["grade_counts"] == {"0": 1, "1": 0, "2": 1, "3": 1, "4": 1}
    assert "CTCAE v5.0" in block["criteria"]


def test_single_lesion_arms_report_efs():
    assert analysis.arm_summary(_run({"a": [_record(n_lesions=1)] * 3}), "a")["survival_endpoint"] == "EFS"
    assert analysis.arm_summary(_run({"a": [_record(n_lesions=1), _record()]}), "a")["survival_endpoint"] == "PFS"
