"""calibration/pfs_events.py: PFS events are split into progression and death without progression from the
per-subject records, with Kaplan-Meier medians; a bad trial file exits with status 2."""

import sys
from pathlib import Path

import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "calibration"))

import pfs_events  # noqa: E402

from abscopal.trial.store import RecordTable  # noqa: E402


def _table(rows):
    keys = ("status", "pfs_day", "pfs_event", "progression_day", "os_day", "os_event")
    return RecordTable(pa.table({k: [r[i] for r in rows] for i, k in enumerate(keys)}))


def test_deaths_before_progression_are_counted_from_the_records():
    rows = [
        ("ok", 56.0, True, 56.0, 200.0, True),     # progression, then death
        ("ok", 30.0, True, None, 30.0, True),      # death, never progressed
        ("ok", 40.0, True, 112.0, 40.0, True),     # death before a later progression (cannot happen in a run; counted as death)
        ("ok", 365.0, False, None, 365.0, False),  # censored
        ("failed", None, None, None, None, None),  # a failed subject is not counted
    ]
    s = pfs_events.arm_summary(_table(rows))
    assert (s["subjects"], s["pfs_events"], s["deaths_before_progression"]) == (4, 3, 2)
    assert s["death_share"] == pytest.approx(2 / 3)
    assert s["death_share_se"] == pytest.approx((2 / 3 * 1 / 3 / 3) ** 0.5)
    assert s["median_pfs_days"] == 40.0  # KM: 0.75 after day 30, 0.5 after day 40


def test_median_is_none_when_the_curve_stays_above_half():
    rows = [("ok", 10.0, True, 10.0, 100.0, False)] + [("ok", 100.0, False, None, 100.0, False)] * 3
    assert pfs_events.arm_summary(_table(rows))["median_pfs_days"] is None


def test_a_bad_trial_file_exits_with_status_2(tmp_path, capsys):
    bad = tmp_path / "t.yaml"
    bad.write_text("abscopal: 1\nspecies: human\n")
    assert pfs_events.main([str(bad)]) == 2
    assert "t.yaml" in capsys.readouterr().err


def test_duration_of_response_runs_from_the_first_scan_30_percent_below_baseline_to_the_pfs_event():
    keys = ("status", "overall", "sum_change_pct_by_scan", "pfs_day", "pfs_event", "progression_day")
    rows = [
        ("ok", "PR", [[63.0, -10.0], [126.0, -35.0], [189.0, -50.0], [252.0, -20.0]], 252.0, True, 252.0),  # 126 days
        ("ok", "CR", [[63.0, -40.0], [126.0, -100.0]], 400.0, False, None),  # censored at 337 days
        ("ok", "SD", [[63.0, -10.0]], 126.0, True, 126.0),  # not a responder
        ("ok", "PD", [[63.0, 25.0]], 63.0, True, 63.0),
    ]
    table = RecordTable(pa.table({k: [r[i] for r in rows] for i, k in enumerate(keys)}))
    s = pfs_events.response_summary(table)
    assert s["orr"] == 0.5 and s["responders"] == 2 and s["complete_share"] == 0.5
    assert s["responders_progressing"] == 1
    assert s["median_duration_of_response_days"] == 126.0  # KM: 0.5 after day 126 (the CR is censored later)
