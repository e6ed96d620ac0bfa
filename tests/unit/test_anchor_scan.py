"""calibration/anchor_scan.py sets a value where a probe's pooled ORR meets a published rate, and resumes runs."""

import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "calibration"))
import anchor_scan  # noqa: E402


def test_the_value_is_log_linear_between_the_bracketing_grid_points():
    value, how = anchor_scan.interpolate([(2.0, 0.02), (4.0, 0.06), (8.0, 0.10)], 0.08)
    assert math.isclose(value, float(f"{math.exp((math.log(4) + math.log(8)) / 2):.2g}"))  # halfway in log: 5.7
    assert "between 4 and 8" in how


def test_no_bracket_takes_the_nearest_grid_point_and_says_so():
    value, how = anchor_scan.interpolate([(2.0, 0.02), (4.0, 0.03)], 0.2)
    assert value == 4.0 and "nearest" in how


def test_a_stopped_scan_continues_from_its_stored_runs(tmp_path, monkeypatch):
    calls = []

    def fake_run(scenario, parameter, value, seed):
        calls.append((value, seed))
        return {"value": value, "seed": seed, "orr": value / 100, "responders": int(value), "n": 100}

    monkeypatch.setattr(anchor_scan, "run_one", fake_run)
    (tmp_path / "v2_s1.json").write_text(json.dumps({"value": 2.0, "seed": 1, "orr": 0.5, "responders": 50, "n": 100}))
    argv = ["x.yaml", "--parameter", "p", "--grid", "2", "6", "--seeds", "1", "2", "--target", "0.1",
            "--workdir", str(tmp_path)]
    assert anchor_scan.main(argv) == 0
    assert (2.0, 1) not in calls and len(calls) == 3  # the stored (2, seed 1) was read, not re-run
    result = json.loads((tmp_path / "result.json").read_text())
    assert [row["orr"] for row in result["grid"]] == [0.26, 0.06]  # (50 + 2) / 200 pooled; then 12 / 200
    assert result["how"].startswith("interpolated")
