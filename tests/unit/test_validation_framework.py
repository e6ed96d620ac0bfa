import pytest

from abscopal.validation.expressions import ExpressionError, evaluate
from abscopal.validation.suite import load_targets, run_target, validation_json


def test_expressions_are_evaluated_safely():
    names = {"a": 1.0, "b": 3.0}
    assert evaluate("a < 0.5 * b and abs(a - b) >= 2", names) is True
    assert evaluate("0 < a <= b", names) is True
    assert evaluate("max(a, b) == 3 or not a", names) is True
    for bad in ("__import__('os')", "a.real", "open('x')", "[a, b]", "c < 1", "a <"):
        with pytest.raises(ExpressionError):
            evaluate(bad, names)


def test_every_target_file_is_well_formed():
    targets = load_targets()
    assert targets
    for target in targets.values():
        assert target.citation and target.direction, target.id
        if target.status == "out_of_scope":
            assert len(target.reason) > 20, target.id
            continue
        assert target.checks, f"{target.id}: a direction needs at least one check"
        for check in list(target.checks):
            assert check.get("text"), f"{target.id}: each check says in words what it tests"
    out_of_scope = [t for t in targets.values() if t.status == "out_of_scope"]
    assert len(out_of_scope) <= 8


def test_a_probe_target_runs_and_is_deterministic():
    target = load_targets()["hedos2021_blood_dose_delivery_time"]
    first, second = run_target(target), run_target(target)
    assert first.row == second.row
    data = validation_json([first])
    assert data["schema"] == "abscopal.validation/1" and data["total"] == 1
    assert set(first.row) == {"id", "kind", "passed", "direction", "simulated", "published", "note"}
