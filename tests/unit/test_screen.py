"""calibration/screen.py: a candidate file is validated, its parameter sets are written into a scratch tree exactly,
and the comparison reports what moved. One end-to-end screen on a single fast mouse target at one seed."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

CALIBRATION = Path(__file__).resolve().parents[2] / "calibration"
sys.path.insert(0, str(CALIBRATION))

import screen  # noqa: E402

PARAMS = Path(__file__).resolve().parents[2] / "src" / "abscopal" / "parameters"


def _tree(tmp_path):
    """A copy of the parameter files to edit."""
    import shutil

    target = tmp_path / "parameters"
    shutil.copytree(PARAMS, target, ignore=shutil.ignore_patterns("posterior", "__pycache__", "*.py"))
    return target


def _candidate(tmp_path, text):
    path = tmp_path / "cand.toml"
    path.write_text(text)
    return path


def test_load_candidate_names_the_file_and_key(tmp_path):
    good = 'what = "x"\nregistered = "y"\nspecies = "human"\n[[set]]\nfile = "shared/human.toml"\nkey = "oer"\nvalue = 2.5\n'
    assert screen.load_candidate(_candidate(tmp_path, good))["set"][0]["value"] == 2.5
    with pytest.raises(screen.CandidateError, match="'species'"):
        screen.load_candidate(_candidate(tmp_path, good.replace('"human"', '"rat"')))
    with pytest.raises(screen.CandidateError, match="'value'"):
        screen.load_candidate(_candidate(tmp_path, good.replace("2.5", '"high"')))
    with pytest.raises(screen.CandidateError, match="at least one"):
        screen.load_candidate(_candidate(tmp_path, 'what = "x"\nregistered = "y"\nspecies = "mouse"\n'))
    with pytest.raises(screen.CandidateError, match="cand.toml"):
        screen.load_candidate(_candidate(tmp_path, "what = "))


def test_apply_set_replaces_an_entry_and_keeps_its_unit_and_source(tmp_path):
    tree = _tree(tmp_path)
    before = tomllib.loads((tree / "shared" / "human.toml").read_text())["parameters"]["extinction_scale"]
    line = screen.apply_set(tree, {"file": "shared/human.toml", "key": "extinction_scale", "value": 400}, "test")
    after = tomllib.loads((tree / "shared" / "human.toml").read_text())["parameters"]["extinction_scale"]
    assert after["value"] == 400 and after["unit"] == before["unit"] and after.get("assumption") == before.get("assumption")
    assert line.endswith(f"{before['value']} -> 400")


def test_apply_set_adds_a_shared_parameter_to_a_tumour_file_with_the_shared_unit(tmp_path):
    tree = _tree(tmp_path)
    # a shared key the tumour file does not carry (effector_extraction, used here first, has been per type since AC)
    assert "icd_basal" not in tomllib.loads((tree / "tumours" / "human" / "nsclc.toml").read_text())["parameters"]
    screen.apply_set(tree, {"file": "tumours/human/nsclc.toml", "key": "icd_basal", "value": 0.037}, "why")
    entry = tomllib.loads((tree / "tumours" / "human" / "nsclc.toml").read_text())["parameters"]["icd_basal"]
    shared = tomllib.loads((tree / "shared" / "human.toml").read_text())["parameters"]["icd_basal"]
    assert entry["value"] == pytest.approx(0.037) and entry["unit"] == shared["unit"] and "screen: why" in entry["assumption"]
    with pytest.raises(screen.CandidateError, match="unit is unknown"):
        screen.apply_set(tree, {"file": "tumours/human/nsclc.toml", "key": "no_such_parameter", "value": 1}, "why")
    with pytest.raises(screen.CandidateError, match="does not exist"):
        screen.apply_set(tree, {"file": "shared/rat.toml", "key": "oer", "value": 1}, "why")


def test_compare_lists_only_targets_that_moved():
    base = {"targets": [
        {"id": "a", "pass_probability": 1.0, "numeric_passed": 1, "numeric_total": 2, "simulated": {"x": 0.50}},
        {"id": "b", "pass_probability": 0.5, "numeric_passed": 0, "numeric_total": 1, "simulated": {"y": 10.0}}]}
    cand = {"targets": [
        {"id": "a", "pass_probability": 1.0, "numeric_passed": 1, "numeric_total": 2, "simulated": {"x": 0.505}},
        {"id": "b", "pass_probability": 0.5, "numeric_passed": 0, "numeric_total": 1, "simulated": {"y": 12.0}}]}
    rows = screen.compare(base, cand)
    assert [r["id"] for r in rows] == ["b"] and rows[0]["moved"] == {"y": [10.0, 12.0]}
    cand["targets"][0]["pass_probability"] = 0.0
    assert [r["id"] for r in screen.compare(base, cand)] == ["a", "b"]


def test_prepare_applies_a_patch_to_the_committed_tree(tmp_path):
    import difflib

    patch = tmp_path / "p.diff"
    original = (Path(screen.ROOT) / "src" / "abscopal" / "__main__.py").read_text().splitlines(keepends=True)
    changed = [original[0], "# screened\n", *original[1:]]
    patch.write_text("".join(difflib.unified_diff(original, changed, "a/src/abscopal/__main__.py", "b/src/abscopal/__main__.py")))
    cand = {"what": "w", "registered": "r", "species": "mouse", "patch": "p.diff"}
    done = screen.prepare(cand, tmp_path / "c.toml", tmp_path / "tree")
    text = (tmp_path / "tree" / "src" / "abscopal" / "__main__.py").read_text()
    assert "# screened" in text and done == ["patch p.diff"]


def test_prepare_applies_a_git_diff_inside_a_repository(tmp_path):
    """A `git diff` (paths from the repository root) applied to a tree that lies inside a git work tree, as the
    default workdir does: git apply used to skip every file silently there, leaving the candidate equal to main."""
    import difflib

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    original = (Path(screen.ROOT) / "src" / "abscopal" / "__main__.py").read_text().splitlines(keepends=True)
    changed = [original[0], "# screened\n", *original[1:]]
    body = "".join(difflib.unified_diff(original, changed, "a/src/abscopal/__main__.py", "b/src/abscopal/__main__.py"))
    (tmp_path / "p.diff").write_text("diff --git a/src/abscopal/__main__.py b/src/abscopal/__main__.py\n" + body)
    cand = {"what": "w", "registered": "r", "species": "mouse", "patch": "p.diff"}
    screen.prepare(cand, tmp_path / "c.toml", tmp_path / "runs" / "tree")
    assert "# screened" in (tmp_path / "runs" / "tree" / "src" / "abscopal" / "__main__.py").read_text()


def test_prepare_writes_the_sets_after_the_patch(tmp_path):
    """A set of a line that the patch reads as context (or that the patch adds) is written after the patch: written
    before it, the patch's context no longer matched and the candidate could not be built (seventeenth session)."""
    import difflib

    rel = "src/abscopal/parameters/shared/human.toml"
    original = (Path(screen.ROOT) / rel).read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(original) if line.startswith("kill_rate = "))
    added = 'patched_entry = { value = 1.0, unit = "1", assumption = "test" }\n'
    changed = [*original[:at + 1], added, *original[at + 1:]]
    (tmp_path / "p.diff").write_text("".join(difflib.unified_diff(original, changed, f"a/{rel}", f"b/{rel}")))
    cand = {"what": "w", "registered": "r", "species": "human", "patch": "p.diff",
            "set": [{"file": "shared/human.toml", "key": "kill_rate", "value": 7.5},
                    {"file": "shared/human.toml", "key": "patched_entry", "value": 2.0}]}
    done = screen.prepare(cand, tmp_path / "c.toml", tmp_path / "tree")
    table = tomllib.loads((tmp_path / "tree" / rel).read_text())["parameters"]
    assert table["kill_rate"]["value"] == 7.5 and table["patched_entry"]["value"] == 2.0
    assert done[0] == "patch p.diff" and len(done) == 3


def test_prepare_applies_only_the_src_part_of_a_whole_candidate_diff(tmp_path):
    """A candidate's whole diff (calibration/candidates keeps tests and docs with src) needs no src-only copy."""
    import difflib

    original = (Path(screen.ROOT) / "src" / "abscopal" / "__main__.py").read_text().splitlines(keepends=True)
    src_part = "".join(difflib.unified_diff(original, [original[0], "# screened\n", *original[1:]],
                                            "a/src/abscopal/__main__.py", "b/src/abscopal/__main__.py"))
    tests_part = "".join(difflib.unified_diff(["x\n"], ["y\n"], "a/tests/no_such_file.py", "b/tests/no_such_file.py"))
    (tmp_path / "p.diff").write_text(src_part + tests_part)
    cand = {"what": "w", "registered": "r", "species": "mouse", "patch": "p.diff"}
    screen.prepare(cand, tmp_path / "c.toml", tmp_path / "tree")
    assert "# screened" in (tmp_path / "tree" / "src" / "abscopal" / "__main__.py").read_text()
    assert not (tmp_path / "tree" / "tests").exists()


def test_prepare_refuses_a_patch_that_does_not_apply(tmp_path):
    (tmp_path / "p.diff").write_text("--- a/src/abscopal/__main__.py\n+++ b/src/abscopal/__main__.py\n"
                                     "@@ -1,1 +1,2 @@\n-no such line in the file\n+x\n+y\n")
    cand = {"what": "w", "registered": "r", "species": "mouse", "patch": "p.diff"}
    with pytest.raises(screen.CandidateError, match="does not apply"):
        screen.prepare(cand, tmp_path / "c.toml", tmp_path / "tree")


def test_screen_end_to_end_on_one_mouse_target(tmp_path):
    """Both trees run the same target and seed; a change the target cannot see leaves every count equal."""
    cand = _candidate(tmp_path, 'what = "x"\nregistered = "y"\nspecies = "mouse"\n'
                                '[[set]]\nfile = "shared/human.toml"\nkey = "oer"\nvalue = 2.5\n')
    ids = screen.target_ids("mouse")
    target = "venkatesulu2019_flash_no_lymphocyte_sparing_mouse"
    assert target in ids
    result = subprocess.run([sys.executable, str(CALIBRATION / "screen.py"), str(cand), "--seeds", "1", "--workers", "1",
                             "--workdir", str(tmp_path / "work"), "--ids", target], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "work" / "cand.json").read_text())
    assert summary["main"] == summary["candidate_counts"] and summary["main"][1] == 1
    assert summary["moved"] == [] and "shared/human.toml: oer" in summary["changed"][0]
    bad = subprocess.run([sys.executable, str(CALIBRATION / "screen.py"), str(cand), "--ids", "nope",
                          "--workdir", str(tmp_path / "work")], capture_output=True, text=True)
    assert bad.returncode == 2 and "not calibration targets" in bad.stderr
