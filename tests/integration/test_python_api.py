"""The Python API of cohorts and trials: the README's example runs as written, and the API's results are the
command line's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

import abscopal
from abscopal import cli

ROOT = Path(__file__).resolve().parents[2]


def _readme_trial_example() -> str:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    (block,) = [b for b in blocks if "abscopal.run_trial(" in b]
    return block


def test_readme_example_runs_as_written(tmp_path, monkeypatch, capsys):
    code = _readme_trial_example()
    assert "size=20" in code  # the documented example stays small enough to run here
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    trial, cohort, mice = namespace["trial"], namespace["cohort"], namespace["mice"]
    assert isinstance(namespace["subjects"], pd.DataFrame)
    assert len(namespace["subjects"]) == 2 * 20 and set(namespace["subjects"]["arm"]) == {"pembrolizumab",
                                                                                         "sbrt_pembrolizumab"}
    assert trial.summary()["schema"] == "abscopal.trial/1" and cohort.summary()["arms"][0]["name"] == "cohort"
    assert len(mice.to_frame()) == 8 * len(mice.design.arms)
    for name in ("km_os.png", "group_curves.png"):
        assert (tmp_path / "results" / "python" / name).stat().st_size > 0
    assert (tmp_path / "results" / "mice" / "result.json").exists()
    assert "sbrt_pembrolizumab" in capsys.readouterr().out


def test_api_summary_is_the_command_lines(capsys):
    path = str(ROOT / "examples" / "trial_nsclc_sbrt_pembrolizumab.yaml")
    api = abscopal.run_trial(path, size=12, seed=3).summary()
    assert cli.main(["trial", path, "--size", "12", "--seed", "3", "--json", "-", "--workers", "1"]) == 0
    from_cli = json.loads(capsys.readouterr().out)
    assert json.dumps(api, sort_keys=True) == json.dumps(from_cli, sort_keys=True)


def test_cohort_frame_and_exports():
    from abscopal import api

    assert abscopal.run_cohort is api.run_cohort and abscopal.load_trial is api.load_trial
    result = abscopal.run_cohort(ROOT / "examples" / "cohort_nsclc_sbrt_pembrolizumab.yaml", size=6, seed=2)
    frame = result.to_frame()
    assert list(frame["arm"].unique()) == ["cohort"] and len(frame) == 6 and frame["subject"].is_unique
    assert result.summary()["provenance"]["seed"] == 2


def test_api_refuses_bad_sizes_as_input_errors():
    with pytest.raises(abscopal.errors.InputError, match="--size"):
        abscopal.run_cohort(ROOT / "examples" / "cohort_nsclc_sbrt_pembrolizumab.yaml", size=0)
