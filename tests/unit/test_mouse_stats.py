"""Mouse statistics on small hand-made groups: Fisher on tumour-free fractions, Kaplan-Meier / log-rank on time to
endpoint with censored animals kept, Mann-Whitney on volumes at a day with culled animals carried forward, and the
on-study median that neither freezes nor silently keeps culled animals."""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from abscopal.trial import analysis, mouse

T = np.arange(0.0, 11.0)  # days 0..10


def _animal(endpoint_day=None, tumour_free=False):
    return {"status": "ok", "endpoint_day": endpoint_day, "endpoint_event": endpoint_day is not None,
            "tumour_free": tumour_free, "n_out_of_field": 1, "abscopal": None, "irradiated": False, "alc_nadir": 3000.0,
            "controlled_lesions": {}, "n_lesions": 1}


def _run(records, series, volume_at=None):
    design = SimpleNamespace(species="mouse", duration=10.0, endpoints=SimpleNamespace(volume_at=volume_at, response_at=None),
                             arms=[(name, None) for name in records])
    return SimpleNamespace(design=design, records=records, time_days=T, curves={},
                           lesion_series={arm: {"tumour": rows} for arm, rows in series.items()})


def _growing(start, rate):
    return start * np.exp(rate * T)


@pytest.fixture
def run():
    # control: 5 animals, 3 culled (days 4, 5, 6), 2 censored at day 10; treated: 5 animals, all tumour-free
    control = [_animal(4.0), _animal(5.0), _animal(6.0), _animal(), _animal()]
    treated = [_animal(tumour_free=True) for _ in range(5)]
    series = {"control": [_growing(100, 0.6), _growing(80, 0.6), _growing(60, 0.6), _growing(10, 0.1), _growing(12, 0.1)],
              "treated": [_growing(50, -0.8 - 0.01 * k) for k in range(5)]}
    return _run({"control": control, "treated": treated}, series)


def test_fisher_on_tumour_free_fractions(run):
    out = mouse.compare(run, "control", "treated")
    # 0/5 vs 5/5: two-sided Fisher p = 2 / C(10, 5) = 2/252
    assert out["tumour_free_fisher_p"] == pytest.approx(2 / 252)
    assert mouse.tumour_free_rate(run.records["treated"])["count"] == 5


def test_time_to_endpoint_keeps_censored_animals(run):
    durations, events = mouse.endpoint_rows(run.records["control"], 10.0)
    assert durations.tolist() == [4.0, 5.0, 6.0, 10.0, 10.0] and events.tolist() == [True, True, True, False, False]
    summary = analysis.arm_summary(run, "control")
    assert summary["median_endpoint_day"]["value"] == 6.0  # S drops to 0.4 at day 6 (3 of 5 culled): median 6
    from lifelines.statistics import logrank_test

    expected = logrank_test(durations, np.full(5, 10.0), events, np.zeros(5, bool)).p_value
    assert mouse.compare(run, "control", "treated")["endpoint_logrank_p"] == pytest.approx(expected)


def test_volume_at_day_uses_mann_whitney_with_culled_animals_carried_forward(run):
    v = mouse.volumes_at(run, "control", "tumour", 8.0)
    # culled animals keep their volume at the cull day (day 4, 5, 6), the others are read at day 8
    assert v.tolist() == pytest.approx([100 * np.exp(2.4), 80 * np.exp(3.0), 60 * np.exp(3.6), 10 * np.exp(0.8), 12 * np.exp(0.8)])
    run.design.endpoints.volume_at = 8.0
    out = mouse.compare(run, "control", "treated")
    expected = stats.mannwhitneyu(v, mouse.volumes_at(run, "treated", "tumour", 8.0), alternative="two-sided").pvalue
    assert out["volume_day"] == 8.0 and out["volume_mannwhitney_p"]["tumour"] == pytest.approx(expected)
    assert out["volume_mannwhitney_p"]["tumour"] == pytest.approx(2 / 252)  # complete separation, exact test


def test_mann_whitney_edge_cases():
    assert mouse.mann_whitney_p([], [1.0]) is None
    assert mouse.mann_whitney_p([2.0, 2.0], [2.0]) == 1.0


def test_on_study_median_drops_culled_animals_and_counts_those_left(run):
    medians, n = mouse.on_study_median(run, "control", "tumour")
    assert n[:5] == [5] * 5 and n[5] == 4 and n[6] == 3 and n[7:] == [2] * 4
    # after day 6 only the two slow animals are on study: their median, not a frozen culled volume
    assert medians[8] == pytest.approx(np.median([10 * np.exp(0.8), 12 * np.exp(0.8)]))
    lesion = analysis.arm_summary(run, "control")["lesions"]["tumour"]
    assert lesion["median_volume_on_study_mm3"][8] == pytest.approx(medians[8])
    assert lesion["median_volume_mm3"][8] > medians[8]  # the carried-forward median (contract) stays beside it


def test_mouse_arm_summary_and_comparison_keys(run):
    summary = analysis.arm_summary(run, "treated")
    assert summary["tumour_free_rate"]["rate"] == 1.0 and summary["volume_day"] == 10.0
    assert summary["abscopal_rate"] is None  # nothing irradiated
    comp = analysis.compare(run, "control", "treated")
    for key in ("tumour_free_fisher_p", "endpoint_logrank_p", "endpoint_hazard_ratio", "volume_mannwhitney_p"):
        assert key in comp


def test_the_kaplan_meier_figure_reads_every_animal(run):
    """km_endpoint.png: censored animals stay at risk until the end (20 at risk at day 0 means all 20)."""
    from abscopal.trial.uncertainty import survival_rows

    records = run.records["control"] + run.records["treated"]
    durations, events = survival_rows(records, "endpoint", 10.0)
    assert len(durations) == 10 and events.sum() == 3 and (durations[~events] == 10.0).all()


def test_volume_at_is_a_day_inside_the_simulation():
    from abscopal.errors import InputError
    from abscopal.trial.design import parse_trial

    doc = {"abscopal": 1, "name": "m", "species": "mouse", "tumour": "tsa", "population": {"size": 2, "seed": 1},
           "arms": {"control": {}}, "simulation": {"duration": "20 days"}, "endpoints": {"volume_at": "day 14"}}
    assert parse_trial(doc).endpoints.volume_at == 14.0
    doc["endpoints"]["volume_at"] = "day 30"
    with pytest.raises(InputError) as info:
        parse_trial(doc)
    assert info.value.key == "endpoints.volume_at"
