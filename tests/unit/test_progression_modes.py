"""calibration/progression_modes.py: which event starts progression. With occult lesions switched off no
progression can start with a new lesion; with many deposits just below the detection limit some must."""

import sys
from pathlib import Path

CALIBRATION = Path(__file__).resolve().parents[2] / "calibration"
sys.path.insert(0, str(CALIBRATION))

import progression_modes  # noqa: E402


def _trial(**extra):
    return {"abscopal": 1, "name": "modes", "species": "human", "tumour": "melanoma",
            "population": {"size": 24, "seed": 3, "lesions": {"count": [2, 3]}},
            "arms": {"untreated": {}}, "endpoints": {"assessments": "8 weeks"},
            "simulation": {"duration": "180 days"}, **extra}


def test_without_occult_lesions_no_progression_starts_with_a_new_lesion(tmp_path):
    modes = progression_modes.count_modes(_trial(mechanisms={"occult_lesions": False}), tmp_path)["untreated"]
    assert modes["new lesion first"] + modes["measured lesions"] + modes["no progression"] == 24
    assert modes["new lesion first"] == 0 and modes["measured lesions"] > 0


def test_deposits_at_the_detection_limit_start_some_progressions(tmp_path):
    # lesion_growth_sd 0: the measured lesions grow at the subject's rate, so few of them reach +20% by the first
    # scan and the deposits decide (with a within-patient spread of 0.58, 9 of these 24 start with a new lesion and most
    # of the rest progress at the same first scan through a fast measured lesion, counted as measured)
    trial = _trial(overrides={"occult_lesion_count": 6, "occult_min_diameter": "4.8 mm", "occult_max_diameter": "4.95 mm",
                              "lesion_growth_sd": 0.0})
    modes = progression_modes.count_modes(trial, tmp_path)["untreated"]
    assert modes["new lesion first"] + modes["measured lesions"] + modes["no progression"] == 24
    assert modes["new lesion first"] >= 12  # a deposit reaching 5 mm within days shows at the first scan


def test_mixed_progression_needs_one_lesion_growing_past_its_nadir_while_another_holds():
    import numpy as np

    # rows: baseline (0) and scans (1-3); columns: three lesions
    diam = np.array([[20.0, 20.0, 10.0],
                     [14.0, 19.0, 10.5],
                     [15.0, 18.0, 11.0],
                     [17.5, 17.0, 12.5]])
    b, scans, baseline = 0, np.array([1, 2, 3]), [0, 1, 2]
    # lesion 0: 17.5 >= 1.2 x its nadir 14; lesion 1 (17) keeps shrinking: mixed
    assert progression_modes.mixed_progression(diam, b, scans, baseline, [0, 1], 2) is True
    # lesions 0 and 2 both grow 20% past their nadirs (12.5 >= 1.2 x 10): not mixed
    assert progression_modes.mixed_progression(diam, b, scans, baseline, [0, 2], 2) is False
    # at scan 2 lesion 0 (15) is not yet 20% above its nadir (14): not mixed
    assert progression_modes.mixed_progression(diam, b, scans, baseline, [0, 1], 1) is False
    assert progression_modes.mixed_progression(diam, b, scans, baseline, [1], 2) is None


def test_a_target_lesion_responds_when_its_own_diameter_falls_30_percent_before_progression():
    import numpy as np

    diam = np.array([[20.0, 20.0, 10.0],
                     [13.0, 19.0, 10.5],
                     [15.0, 13.5, 12.0],
                     [17.5, 12.0, 13.0]])
    b, scans, baseline = 0, np.array([1, 2, 3]), [0, 1, 2]
    # up to scan 0 only lesion 0 (13 <= 0.7 x 20) has fallen 30%; by scan 1 lesion 1 (13.5 <= 14) has too
    assert progression_modes.lesion_responses(diam, b, scans, baseline, [0, 1, 2], 0) == (3, 1)
    assert progression_modes.lesion_responses(diam, b, scans, baseline, [0, 1, 2], 1) == (3, 2)
    assert progression_modes.lesion_responses(diam, b, scans, baseline, [0, 1, 2], None) == (3, 2)  # lesion 2 never
    assert progression_modes.lesion_responses(diam, b, scans, baseline, [], None) == (0, 0)
