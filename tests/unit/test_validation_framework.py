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
    assert len(out_of_scope) <= 0.25 * len(targets), [t.id for t in out_of_scope]  # encoded wherever honest


def test_a_probe_target_runs_and_is_deterministic():
    target = load_targets()["hedos2021_blood_dose_delivery_time"]
    first, second = run_target(target), run_target(target)
    assert first.row == second.row
    data = validation_json([first])
    assert data["schema"] == "abscopal.validation/2"
    assert {"id", "kind", "split", "negative", "passed", "pass_probability", "seeds", "immune_null", "counted",
            "direction", "simulated", "published", "note"} <= set(first.row)
    assert first.row["counted"] is False and data["total"] == 0  # a read-back target is reported, never counted
    assert data["not_counted"] == [target.id]


def test_every_target_lints_clean():
    from abscopal.validation.suite import lint_target

    problems = {t.id: lint_target(t) for t in load_targets().values()}
    assert not {k: v for k, v in problems.items() if v}


def test_pass_probability_and_immune_null_scoring():
    from abscopal.validation.suite import Evaluation, Target, score_target

    target = Target(id="x", kind="preclinical", citation="c", direction="a < b", design={"arms": {}},
                    observables={"a": {}, "b": {}}, checks=({"expr": "a < b", "text": "a below b"},),
                    numeric=({"observable": "a", "low": 0, "high": 1, "why": "w"},))
    runs = [Evaluation({"a": a, "b": 1.0}, []) for a in (0.5, 0.5, 0.5, 0.5, 2.0)]  # holds on 4 of 5 seeds
    row = score_target(target, runs, nulls=[Evaluation({"a": 2.0, "b": 1.0}, [])] * 5)
    assert row["pass_probability"] == pytest.approx(0.8) and row["passed"] is True
    assert row["immune_null"] == "fails" and row["counted"] is True
    assert row["numeric"][0]["pass_probability"] == pytest.approx(0.8) and row["numeric_passed"] == 1
    row = score_target(target, runs[3:], nulls=runs[:2])  # 1 of 2 seeds; the immune-free model passes
    assert row["passed"] is False and row["immune_null"] == "passes" and row["counted"] is False
    negative = Target(**{**target.__dict__, "negative": True})
    assert score_target(negative, runs, nulls=runs)["counted"] is True  # a null result may hold without T cells
    assert row["simulated"]["a"] == pytest.approx(1.25) and row["simulated_se"]["a"] == pytest.approx(0.75)


def test_an_amended_design_is_counted_as_failed_once():
    """Protocol 1 (docs/validation.md): a design edited after the model's result was seen counts as failed in the
    report that first scores it, whatever its checks say; once the amendment records where that happened, later
    reports score it. The amendment record is not part of the cache key (it cannot change a simulated value)."""
    from abscopal.validation.suite import Evaluation, Target, lint_target, score_target, target_content

    target = Target(id="x", kind="preclinical", citation="c", direction="a < b", design={"arms": {}},
                    observables={"a": {}, "b": {}}, checks=({"expr": "a < b", "text": "a below b"},),
                    numeric=({"observable": "a", "low": 0, "high": 1, "why": "w"},))
    runs = [Evaluation({"a": 0.5, "b": 1.0}, [])] * 5  # every check holds on every seed
    assert score_target(target, runs)["passed"] is True
    pending = {"date": "2026-12-07", "change": "population selected as refractory", "why": "the trial enrolled it"}
    amended = Target(**{**target.__dict__, "amended": (pending,)})
    row = score_target(amended, runs)
    assert row["pass_probability"] == 1.0 and row["passed"] is False
    assert row["numeric_passed"] == 0 and row["numeric"][0]["passed"] is False and "counted as failed once" in row["note"]
    assert row["amended"] == [pending]
    counted = Target(**{**target.__dict__, "amended": ({**pending, "counted_failed_in": "commit abc1234"},)})
    assert score_target(counted, runs)["passed"] is True and score_target(counted, runs)["numeric_passed"] == 1
    assert target_content(amended) == target_content(counted) == target_content(target)
    assert "amended" not in target_content(target)
    bad = Target(**{**target.__dict__, "amended": ({"date": "7 Dec", "change": "", "why": "w", "extra": 1},)})
    assert any("amended[0]" in p for p in lint_target(bad))
    bad = Target(**{**target.__dict__, "amended": ({"date": "7 Dec", "change": "", "why": "w"},)})
    problems = lint_target(bad)
    assert any("amended[0].change" in p for p in problems) and any("amended[0].date" in p for p in problems)


def test_immune_null_design_removes_t_cells_in_every_arm():
    from abscopal.validation.suite import design_document

    target = load_targets()["lee2009_ablative_rt_cd8_dependence"]
    doc = design_document(target, seed=2, immune_null=True)
    assert doc["host"]["immune"] == "t_cell_deficient"
    assert all(arm.get("host", {}).get("immune", "t_cell_deficient") == "t_cell_deficient" for arm in doc["arms"].values())
    assert doc["population"]["seed"] == target.design["population"]["seed"] + 2000
