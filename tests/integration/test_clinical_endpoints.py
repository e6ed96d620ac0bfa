"""Clinical endpoints on simulated cohorts: PFS counts death (so median PFS <= median OS in every arm), the abscopal
rate exists only where a lesion is irradiated, and the waterfall's green bars are the ORR's responders.

CI runs a 200-subject two-arm trial; the 2,000-subject cohorts of the acceptance line run with ``-m slow``."""

import pytest

from abscopal.trial.analysis import arm_summary, trial_summary, waterfall_bars
from abscopal.trial.design import load_trial
from abscopal.trial.run import run_trial
from abscopal.trial.store import column
from abscopal.trial.uncertainty import survival_rows
from tests.conftest import EXAMPLES

TRIAL = EXAMPLES / "trial_nsclc_sbrt_pembrolizumab.yaml"
MELANOMA = EXAMPLES / "melanoma_3x8_ipilimumab.yaml"


def _check_pfs_le_os(run) -> int:
    """Per subject and per arm; returns the number of subjects whose PFS ended with death before progression."""
    died_first = 0
    for arm, records in run.records.items():
        for r in records:
            if r["status"] != "ok":
                continue
            assert r["pfs_day"] <= r["os_day"] + 1e-9, (arm, r["subject"])
            progression = r["progression_day"]
            if r["os_event"] and (progression is None or r["os_day"] < progression):
                assert r["pfs_event"] and r["pfs_day"] == r["os_day"], (arm, r["subject"])  # death ends PFS, with event
                died_first += 1
            elif progression is not None:
                assert r["pfs_event"] and r["pfs_day"] == progression
            else:
                assert not r["pfs_event"] and not r["os_event"]
        summary = arm_summary(run, arm)
        pfs, os_ = summary["median_pfs_days"]["value"], summary["median_os_days"]["value"]
        assert pfs is not None or os_ is None, arm  # OS reached its median while PFS did not: impossible
        if pfs is not None and os_ is not None:
            assert pfs <= os_, (arm, pfs, os_)
        # the Kaplan-Meier figures read the same PFS as the summary
        durations, events = survival_rows(records, "pfs", run.design.duration)
        ok = [r for r in records if r["status"] == "ok"]
        assert durations.tolist() == [r["pfs_day"] for r in ok] and events.tolist() == [r["pfs_event"] for r in ok]
    return died_first


@pytest.fixture(scope="module")
def trial_200():
    return run_trial(load_trial(TRIAL, size=200), workers=1)


def test_pfs_counts_death_and_median_pfs_never_exceeds_median_os(trial_200):
    assert _check_pfs_le_os(trial_200) > 0  # some subjects die before progressing: the rule is exercised


def test_abscopal_rate_only_in_the_irradiated_arm(trial_200):
    result = trial_summary(trial_200)
    arms = {arm["name"]: arm for arm in result["arms"]}
    assert arms["pembrolizumab"]["abscopal_rate"] is None
    assert all(v is None for v in column(trial_200.records["pembrolizumab"], "abscopal"))
    assert arms["pembrolizumab"]["orr"]["out_of_field"]["rate"] is not None  # the comparator stays
    assert arms["sbrt_pembrolizumab"]["abscopal_rate"]["rate"] is not None


def test_waterfall_green_bars_are_the_orr(trial_200):
    result = trial_summary(trial_200)
    for arm in result["arms"]:
        bars = waterfall_bars(trial_200.records[arm["name"]])
        orr = arm["orr"]["overall"]
        assert len(bars) == sum(v not in (None, "NE") for v in column(trial_200.records[arm["name"]], "overall"))
        assert sum(category in ("CR", "PR") for _, category in bars) == orr["count"]
        # the bar of a responder is a shrinkage of at least 30% at the read-out, unless a new lesion made it PD
        assert all(change <= -30 + 1e-9 for change, category in bars if category == "PR")


def test_lymphopenia_and_survival_endpoint_in_the_trial_json(trial_200):
    for arm in trial_summary(trial_200)["arms"]:
        assert arm["survival_endpoint"] == "PFS"  # 2-5 lesions: not an early-stage design
        assert arm["lymphopenia"]["nadir_median_per_ul"] == pytest.approx(arm["alc_nadir_median_per_ul"])
        assert sum(arm["lymphopenia"]["grade_counts"].values()) == arm["n"] - arm["n_failed"]


@pytest.mark.slow
@pytest.mark.parametrize("path, cohort", [(MELANOMA, True), (TRIAL, False)], ids=["melanoma_cohort", "nsclc_trial"])
def test_2000_subjects_median_pfs_le_median_os_in_every_arm(path, cohort):
    run = run_trial(load_trial(path, size=2000, cohort=cohort), workers=2)
    assert _check_pfs_le_os(run) > 0
    for arm in trial_summary(run)["arms"]:
        pfs, os_ = arm["median_pfs_days"]["value"], arm["median_os_days"]["value"]
        assert pfs is not None and os_ is not None and pfs <= os_, (arm["name"], pfs, os_)


def test_tcp_is_shown_for_irradiated_lesions_only_and_says_what_it_means():
    import io

    from abscopal.scenario.load import load_scenario
    from abscopal.simulate import simulate
    from abscopal.trial.endpoints import TCP_MEANING

    result = simulate(load_scenario(EXAMPLES / "nsclc_sbrt_pembrolizumab.yaml"))
    buffer = io.StringIO()
    result.print_summary(file=buffer)
    rows = {line.split()[0]: line.split() for line in buffer.getvalue().splitlines() if line.split()}
    for lesion in result.to_dict()["lesions"]:
        shown = rows[lesion["id"]][-1]
        assert shown == (f"{lesion['tcp']:.3f}" if lesion["irradiated"] else "n/a"), lesion["id"]
    assert TCP_MEANING in buffer.getvalue()


def test_human_tcp_is_printed_with_its_known_limit_and_mouse_tcp_without_it():
    import io

    from abscopal.report import HUMAN_TCP_CAVEAT
    from abscopal.scenario.load import load_scenario
    from abscopal.simulate import simulate

    for example, expected in (("nsclc_sbrt_pembrolizumab.yaml", True), ("mouse_tsa_bilateral_3x8_anti_ctla4.yaml", False)):
        buffer = io.StringIO()
        simulate(load_scenario(EXAMPLES / example)).print_summary(file=buffer)
        assert (HUMAN_TCP_CAVEAT in buffer.getvalue()) is expected, example


def test_a_single_lesion_cohort_reports_efs():
    doc = {"abscopal": 1, "name": "early stage", "species": "human", "tumour": "nsclc",
           "patient": {"lesions": [{"id": "lung1", "site": "lung", "diameter": "25 mm"}]},
           "population": {"size": 6, "seed": 1},
           "radiotherapy": [{"lesions": ["lung1"], "dose": "18 Gy", "fractions": 3}],
           "simulation": {"duration": "365 days"}}
    from abscopal.trial.design import cohort_design

    run = run_trial(cohort_design(doc, size=6), workers=1)
    arm = trial_summary(run)["arms"][0]
    assert arm["survival_endpoint"] == "EFS"
    assert arm["abscopal_rate"]["rate"] is None  # irradiated, but no out-of-field lesion: no evaluable subject
