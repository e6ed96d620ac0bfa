"""`abscopal trial` / `abscopal cohort`: the contract's JSON with intervals; same seed, byte-identical JSON."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
R = {"rate", "count", "ci_low", "ci_high"}
M = {"value", "ci_low", "ci_high"}
ARM = {"name", "n", "orr", "abscopal_rate", "complete_response_rate", "median_pfs_days", "median_os_days",
       "alc_nadir_median_per_ul", "n_evaluable", "n_failed", "tumour_free_fraction", "median_endpoint_day"}
NOT_IRRADIATED = {"pembrolizumab", "control", "anti_ctla4"}  # arms of the examples without radiotherapy
COMPARISON = {"arms", "orr_out_of_field_difference", "fisher_p", "pfs_hazard_ratio", "os_hazard_ratio", "logrank_p",
              "os_logrank_p", "paired_orr_out_of_field_difference"}


def _run(*args):
    out = subprocess.run([sys.executable, "-m", "abscopal", *args, "--json", "-"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("name,size", [("trial_nsclc_sbrt_pembrolizumab", 24), ("trial_rt_gmcsf_mixed_solid", 16),
                                       ("trial_mouse_tsa_four_arms", 6)])
def test_trial_json_has_the_contract_keys_with_intervals(name, size):
    data = json.loads(_run("trial", str(EXAMPLES / f"{name}.yaml"), "--size", str(size)))
    assert data["schema"] == "abscopal.trial/1"
    assert {"version", "model", "parameter_set", "scenario_sha256", "seed"} <= set(data["provenance"])
    assert "treatment decisions" in data["notice"]
    for arm in data["arms"]:
        assert ARM <= set(arm) and arm["n"] == size
        assert set(arm["orr_irecist"]) == R
        # no abscopal rate where nothing is irradiated (the drug-only and untreated arms)
        assert (arm["abscopal_rate"] is None) == (arm["name"] in NOT_IRRADIATED)
        rates = [arm["orr"]["overall"], arm["orr"]["in_field"], arm["orr"]["out_of_field"], arm["abscopal_rate"]]
        for rate in (r for r in rates if r is not None):
            assert set(rate) == R
            if rate["rate"] is not None:
                assert rate["ci_low"] <= rate["rate"] <= rate["ci_high"]
        assert set(arm["median_pfs_days"]) == M
        if data["species"] == "mouse":
            assert set(arm["lesions"]) == {"primary", "secondary"}
            les = arm["lesions"]["secondary"]
            assert len(les["time_days"]) == len(les["mean_volume_mm3"]) == len(les["n_at_risk"])
            assert len(les["median_volume_on_study_mm3"]) == len(les["time_days"])
            assert set(arm["tumour_free_rate"]) == R and set(arm["volume_at_day"]) == {"primary", "secondary"}
        else:
            assert arm["survival_endpoint"] == "PFS" and set(arm["lymphopenia"]["grade3plus_rate"]) == R
    assert len(data["comparisons"]) == len(data["arms"]) - 1
    for comp in data["comparisons"]:
        assert COMPARISON <= set(comp) and comp["arms"][0] == data["arms"][0]["name"]
        if data["species"] == "mouse":  # the tests these papers report, where the clinical ones are null
            assert comp["fisher_p"] is None and 0 <= comp["tumour_free_fisher_p"] <= 1
            assert 0 <= comp["endpoint_logrank_p"] <= 1
            assert set(comp["volume_mannwhitney_p"]) == {"primary", "secondary"}


def test_same_seed_gives_byte_identical_json():
    args = ("trial", str(EXAMPLES / "trial_nsclc_sbrt_pembrolizumab.yaml"), "--size", "16", "--seed", "5")
    assert _run(*args) == _run(*args)
    assert _run(*args[:-1], "6") != _run(*args)


def test_cohort_with_power_free_summary_and_outputs(tmp_path):
    out = subprocess.run([sys.executable, "-m", "abscopal", "cohort", str(EXAMPLES / "cohort_nsclc_sbrt_pembrolizumab.yaml"),
                          "--size", "20", "--out", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "subjects x 1 arms" not in out.stderr and "\r" not in out.stderr  # no progress bar when piped
    for name in ("result.json", "waterfall.png", "spider.png", "swimmer.png", "km_pfs.png", "km_os.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    import pandas as pd

    table = pd.read_parquet(tmp_path / "subjects")  # the chunk files, read as one table
    assert len(table) == 20 and table["arm"].nunique() == 1 and table["status"].notna().all()
    assert sorted(table["subject"]) == list(range(20))
    data = json.loads((tmp_path / "result.json").read_text())
    assert len(data["arms"]) == 1 and data["comparisons"] == []


def test_trial_power_block():
    data = json.loads(_run("trial", str(EXAMPLES / "trial_nsclc_sbrt_pembrolizumab.yaml"), "--size", "16", "--power", "--power-n", "30"))
    assert set(data["power"]) >= {"endpoint", "n_per_arm", "alpha", "power"} and data["power"]["n_per_arm"] == 30
    assert 0.0 <= data["power"]["power"] <= 1.0


def test_a_cohort_restricted_to_a_biomarker_interval(tmp_path):
    """`patient.pdl1_tps: [0.5, 1.0]` in a population: every subject of the cohort has a TPS in the interval (the
    subgroup), and the same cohort without it does not."""
    import pandas as pd
    import yaml

    doc = yaml.safe_load((EXAMPLES / "cohort_nsclc_sbrt_pembrolizumab.yaml").read_text())
    tps = {}
    for label, patient in (("subgroup", {"pdl1_tps": [0.5, 1.0]}), ("all", {})):
        path = tmp_path / f"{label}.yaml"
        path.write_text(yaml.safe_dump({**doc, "patient": {**doc.get("patient", {}), **patient}}))
        out = subprocess.run([sys.executable, "-m", "abscopal", "cohort", str(path), "--size", "16",
                              "--out", str(tmp_path / label)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        tps[label] = pd.read_parquet(tmp_path / label / "subjects")["pdl1_tps"]
    assert len(tps["subgroup"]) == 16 and tps["subgroup"].between(0.5, 1.0).all()
    assert not tps["all"].between(0.5, 1.0).all()
