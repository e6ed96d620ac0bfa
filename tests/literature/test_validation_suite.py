"""The literature validation suite (docs/validation.md, Protocol).

CI runs every target, calibration and held-out part, at its encoded seed, with the immune-null control, and
asserts the per-target results documented in docs/validation/encoded_seed.json: a regression (or an unexplained
change) fails CI. After a model change, regenerate that file with
`.venv/bin/python tests/literature/test_validation_suite.py [CACHE_DIR]` and say in the commit what changed and
why (with a cache folder of `abscopal validate --cache`, finished evaluations are reused; results are the same).
The held-out part was first run on 2026-12-04, after the biology and calibration changes of that day.
The multi-seed report runs on demand: `abscopal validate --seeds 10 --cache .validation-cache` (docs/validation.md).
"""

import json
import sys
from pathlib import Path

import pytest

from abscopal.validation.suite import run_targets, validation_json

DOCUMENTED = Path(__file__).resolve().parents[2] / "docs" / "validation" / "encoded_seed.json"


def _encoded_seed_run(cache=None) -> dict:
    data = validation_json(run_targets(seeds=1, immune_null=True, workers=2, cache=cache))
    per_target = {r["id"]: {"passed": r["passed"], "counted": r["counted"], "immune_null": r["immune_null"],
                            "numeric_passed": r["numeric_passed"], "numeric_total": r["numeric_total"]}
                  for r in data["targets"]}
    totals = {k: data[k] for k in ("calibration", "heldout", "passed", "total", "numeric", "negative", "out_of_scope")}
    return {"targets": per_target, "totals": totals}


@pytest.fixture(scope="module")
def encoded_seed_run():
    return _encoded_seed_run()


def test_open_part_matches_the_documented_results(encoded_seed_run):
    documented = json.loads(DOCUMENTED.read_text())
    changed = {i: (documented["targets"].get(i), r) for i, r in encoded_seed_run["targets"].items()
               if documented["targets"].get(i) != r}
    assert not changed, f"validation results differ from {DOCUMENTED.name} (regenerate and explain): {changed}"
    assert encoded_seed_run["totals"] == documented["totals"]


def test_open_part_is_run_with_the_immune_null_control(encoded_seed_run):
    rows = encoded_seed_run["targets"]
    # the control runs and can fail: most immune claims must not hold without T cells
    ran = [r for r in rows.values() if r["immune_null"] != "not_applicable"]
    assert len(ran) >= 20 and sum(r["immune_null"] == "fails" for r in ran) > len(ran) / 2


def test_validation_runs_are_deterministic():
    ids = ["dewan2009_fractionation_abscopal_ctla4", "hedos2021_blood_dose_delivery_time"]
    assert validation_json(run_targets(ids)) == validation_json(run_targets(ids, workers=2))


if __name__ == "__main__":  # regenerate the documented results
    DOCUMENTED.parent.mkdir(parents=True, exist_ok=True)
    DOCUMENTED.write_text(json.dumps(_encoded_seed_run(sys.argv[1] if len(sys.argv) > 1 else None), indent=1,
                                     sort_keys=True) + "\n")
    print(f"wrote {DOCUMENTED}", file=sys.stderr)
