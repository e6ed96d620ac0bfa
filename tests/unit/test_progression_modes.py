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
    assert sum(modes.values()) == 24
    assert modes["new lesion first"] == 0 and modes["measured lesions"] > 0


def test_deposits_at_the_detection_limit_start_some_progressions(tmp_path):
    trial = _trial(overrides={"occult_lesion_count": 6, "occult_min_diameter": "4.8 mm", "occult_max_diameter": "4.95 mm"})
    modes = progression_modes.count_modes(trial, tmp_path)["untreated"]
    assert sum(modes.values()) == 24
    assert modes["new lesion first"] >= 12  # a deposit reaching 5 mm within days shows at the first scan
