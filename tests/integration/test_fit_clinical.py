"""The clinical path of `abscopal fit` on real per-lesion scans (Laleh et al. 2022, via TumorGrowth.jl, MIT).

The data are not part of the repository (docs/fit.md says where to get them); this test reads a copy kept
beside the checkout (a folder ``shared/data/laleh2022`` next to it or one level up, or $ABSCOPAL_LALEH_DIR) and
is skipped without one. It fits a few patients with a very short chain: it checks that real clinical input
(baseline scans before day 0, a lesion per patient, shrinking lesions) runs through the sum-of-diameters path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = [Path(os.environ["ABSCOPAL_LALEH_DIR"])] if os.environ.get("ABSCOPAL_LALEH_DIR") else []
CANDIDATES += [ROOT.parent / "shared/data/laleh2022", ROOT.parents[1] / "shared/data/laleh2022"]
FOUND = next((p / "flat_patient_data.csv" for p in CANDIDATES if (p / "flat_patient_data.csv").is_file()), None)


@pytest.mark.skipif(FOUND is None, reason="the Laleh 2022 scans are not beside this checkout (docs/fit.md: where to get them)")
def test_real_clinical_scans_fit_through_the_sum_of_diameters_path(tmp_path):
    import pandas as pd

    from abscopal.cli import main

    scans = pd.read_csv(FOUND)
    arm = scans[scans.Study_Arm == "Study_1_Arm_1"].sort_values(["Pt_hashID", "T_days"])
    first = arm.groupby("Pt_hashID").Lesion_diam.first()
    counts = arm.groupby("Pt_hashID").size()
    chosen = [p for p in first.index if first[p] > 2 and counts[p] >= 6][:4]
    rows = arm[arm.Pt_hashID.isin(chosen)]
    data = pd.DataFrame({"patient": rows.Pt_hashID.str[:10], "day": rows.T_days, "lesion": "target",
                         "diameter_mm": rows.Lesion_diam})
    path = tmp_path / "scans.csv"
    data.to_csv(path, index=False)
    out = tmp_path / "fit"
    code = main(["fit", str(path), "--design", str(ROOT / "examples/fit_clinical_atezolizumab.yaml"), "--parameters",
                 "doubling_time,kill_rate", "--steps", "4", "--walkers", "8", "--nodes", "1", "--out", str(out), "--quiet"])
    assert code == 0
    result = json.loads((out / "fit.json").read_text())
    assert result["data"]["kind"] == "clinical" and result["data"]["size"].startswith("sum of diameter_mm")
    assert result["n_subjects"] == 4
    assert result["n_observations"] == len(data) - 4  # every scan after each patient's first
    assert all(p["median"] > 0 for p in result["parameters"])
    assert (out / "predictive.png").stat().st_size > 0
    assert "overrides" in (out / "fitted.yaml").read_text()
