"""calibration/adopt_validation.py: stored validation evaluations are carried to a new fingerprint only when the
current code reproduces a target's check seeds exactly."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

CALIBRATION = Path(__file__).resolve().parents[2] / "calibration"
sys.path.insert(0, str(CALIBRATION))
_spec = importlib.util.spec_from_file_location("adopt_validation", CALIBRATION / "adopt_validation.py")
adopt_validation = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(adopt_validation)


def _listing(folder: Path, tag: str, targets=("a", "b"), seeds=3, content="same"):
    return {t: {"content": content, "paths": [[k, null, str(folder / t / f"{tag}-{k}-{int(null)}.json")]
                                              for k in range(seeds) for null in (False, True)]} for t in targets}


def _store(path: str, values: dict, problems=()):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps({"values": values, "problems": list(problems), "seconds": 1.0}))


@pytest.fixture
def stored(tmp_path):
    old, new = _listing(tmp_path, "old"), _listing(tmp_path, "new")
    for t in old:
        for seed, null, path in old[t]["paths"]:
            if not (t == "b" and null):  # b has no immune-null runs stored
                _store(path, {"x": 0.1 * seed + (1.0 if null else 0.0), "y": None})
    return old, new


def _same_model(tid, seed, null):
    return {"x": 0.1 * seed + (1.0 if null else 0.0), "y": None}, []


def test_identical_reruns_adopt_every_stored_evaluation(stored):
    old, new = stored
    calls = []

    def evaluate(tid, seed, null):
        calls.append((tid, seed, null))
        return _same_model(tid, seed, null)

    report = {e["target"]: e for e in adopt_validation.adopt_targets(old, new, evaluate, (0,), "f" * 64, log=lambda *_: None)}
    assert report["a"]["status"] == "adopted" and report["a"]["adopted"] == 6 and report["a"]["checked"] == 2
    assert report["b"]["status"] == "adopted" and report["b"]["adopted"] == 3 and report["b"]["checked"] == 1
    assert sorted(calls) == [("a", 0, False), ("a", 0, True), ("b", 0, False)]  # only the check seed is re-run
    for t in ("a", "b"):
        for (_, _, src), (_, _, dst) in zip(old[t]["paths"], new[t]["paths"], strict=True):
            if Path(src).exists():
                data = json.loads(Path(dst).read_text())
                assert data["values"] == json.loads(Path(src).read_text())["values"] and data["adopted_from"] == "f" * 64
            else:
                assert not Path(dst).exists()


def test_one_difference_refuses_the_whole_target(stored):
    old, new = stored

    def evaluate(tid, seed, null):
        values, problems = _same_model(tid, seed, null)
        if tid == "a" and null:
            values["x"] = values["x"] + 1e-15  # the smallest change a float can show
        return values, problems

    report = {e["target"]: e for e in adopt_validation.adopt_targets(old, new, evaluate, (0,), log=lambda *_: None)}
    assert report["a"]["status"] == "refused" and "immune-null" in report["a"]["difference"]
    assert report["a"]["adopted"] == 0 and not any(Path(p[2]).exists() for p in new["a"]["paths"])
    assert report["b"]["status"] == "adopted"


def test_a_new_problem_refuses_and_a_changed_target_is_never_compared(tmp_path, stored):
    old, new = stored
    report = adopt_validation.adopt_targets(old, new, lambda t, s, n: (_same_model(t, s, n)[0], ["x: gone"]), (0,),
                                            log=lambda *_: None)
    assert {e["status"] for e in report} == {"refused"}

    changed = _listing(tmp_path, "new2", content="edited")
    report = adopt_validation.adopt_targets(old, changed, lambda *a: pytest.fail("a changed target was re-run"), (0,),
                                            log=lambda *_: None)
    assert {e["status"] for e in report} == {"target changed"}


def test_nothing_stored_and_no_stored_check_seed(tmp_path):
    old, new = _listing(tmp_path, "old"), _listing(tmp_path, "new")
    _store(old["a"]["paths"][2][2], {"x": 1.0})  # seed 1 only
    report = {e["target"]: e for e in adopt_validation.adopt_targets(old, new, lambda *a: pytest.fail("re-run"), (0,),
                                                                     log=lambda *_: None)}
    assert report["a"]["status"] == "no stored check seed" and report["b"]["status"] == "nothing stored"
