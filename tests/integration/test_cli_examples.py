"""`abscopal simulate examples/<each>.yaml --json -` prints valid JSON with every key of the contract."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "examples").glob("*.yaml")
                  if not p.name.startswith(("trial_", "cohort_", "optimise_", "fit_")))  # single-subject scenarios
TOP = {"schema", "name", "species", "tumour", "time_days", "lesions", "alc_per_ul", "summary", "provenance", "notice", "status"}
LESION = {"id", "site", "irradiated", "volume_mm3", "diameter_mm", "baseline_diameter_mm", "best_change_pct",
          "final_change_pct", "controlled", "tcp"}
SUMMARY = {"best_overall_response", "in_field_best_response", "out_of_field_best_response", "abscopal_response",
           "progression_day", "alc_nadir_per_ul", "endpoint_day"}
PROVENANCE = {"version", "model", "parameter_set", "scenario_sha256", "seed"}


def test_there_are_the_required_examples():
    names = {p.stem for p in EXAMPLES}
    for required in ("nsclc_sbrt_pembrolizumab", "nsclc_pembrolizumab_alone", "melanoma_3x8_ipilimumab",
                     "nsclc_conventional_30x2_lymphopenia", "nsclc_sbrt_3x8_lymphopenia",
                     "mouse_tsa_bilateral_3x8_anti_ctla4", "mouse_ct26_5x2_anti_pdl1", "mouse_untreated_control"):
        assert required in names


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_simulate_json_has_every_contract_key(path):
    out = subprocess.run([sys.executable, "-m", "abscopal", "simulate", str(path), "--json", "-"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)  # JSON alone on standard output
    assert TOP <= set(data)
    assert data["schema"] == "abscopal.result/1"
    assert "research" in data["notice"].lower() and "treatment decisions" in data["notice"]
    assert PROVENANCE <= set(data["provenance"])
    assert SUMMARY <= set(data["summary"])
    n = len(data["time_days"])
    assert len(data["alc_per_ul"]) == n
    for les in data["lesions"]:
        assert LESION <= set(les)
        assert len(les["volume_mm3"]) == n == len(les["diameter_mm"])
        assert 0.0 <= les["tcp"] <= 1.0
    if data["species"] == "mouse":
        assert data["summary"]["best_overall_response"] is None
    else:
        assert data["summary"]["best_overall_response"] in ("CR", "PR", "SD", "PD", "NE")


def test_out_folder_holds_figures_and_data(tmp_path):
    path = [p for p in EXAMPLES if p.stem == "nsclc_sbrt_pembrolizumab"][0]
    out = subprocess.run([sys.executable, "-m", "abscopal", "simulate", str(path), "--out", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for name in ("result.json", "timecourse.csv", "lesions.png", "alc.png", "drugs.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert "research use only" in out.stdout.lower()


def test_without_out_nothing_but_json_is_written(tmp_path):
    path = [p for p in EXAMPLES if p.stem == "mouse_untreated_control"][0]
    before = set(Path.cwd().iterdir())
    subprocess.run([sys.executable, "-m", "abscopal", "simulate", str(path), "--json", str(tmp_path / "r.json")], check=True, capture_output=True)
    assert set(Path.cwd().iterdir()) == before
    assert json.loads((tmp_path / "r.json").read_text())["schema"] == "abscopal.result/1"
