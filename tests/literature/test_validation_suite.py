"""The literature validation suite (issue: evidence). CI runs the fast subset; the full suite runs on demand:
`.venv/bin/python -m pytest -m slow tests/literature/test_validation_suite.py` (run time in docs/validation.md).

REPRODUCED lists the fast targets whose published direction the model currently reproduces: a regression
guard (each id is a published claim, see its file in src/abscopal/validation/targets/). Targets that fail are
reported honestly by `abscopal validate` and docs/validation.md; they are not hidden here.
"""

import pytest

from abscopal.validation.suite import load_targets, run_targets, validation_json

REPRODUCED: set[str] = set()  # filled in as targets are encoded and pass; see the module docstring


def test_fast_subset_runs_deterministically_and_guards_reproduced_targets():
    fast = [t.id for t in load_targets().values() if t.fast]
    assert fast, "the fast subset is empty"
    first = validation_json(run_targets(fast))
    second = validation_json(run_targets(fast))
    assert first == second
    rows = {row["id"]: row for row in first["targets"]}
    for target_id in REPRODUCED:
        assert rows[target_id]["passed"] is True, rows[target_id]["note"]


@pytest.mark.slow
def test_full_suite_passes_at_least_ninety_percent():
    data = validation_json(run_targets())
    assert data["total"] > 0
    assert data["passed"] >= 0.9 * data["total"], [r["id"] for r in data["targets"] if r["passed"] is False]
