"""The pre-registered calibration / held-out split (docs/validation.md, Protocol)."""

from abscopal.validation.split import HELDOUT_PERCENT, register, split_of
from abscopal.validation.suite import load_targets


def test_every_register_row_follows_the_committed_rule():
    rows = register()
    assert rows, "the split register is empty"
    wrong = {i: r["part"] for i, r in rows.items() if r["part"] != split_of(i)}
    assert not wrong, f"register rows disagree with the rule (rows are never edited): {wrong}"


def test_every_target_is_registered():
    missing = sorted(set(load_targets()) - set(register()))
    assert not missing, f"targets not in src/abscopal/validation/split.tsv (append them with their rule part): {missing}"


def test_the_held_out_part_is_at_least_thirty_percent():
    parts = [split_of(i) for i in load_targets()]
    assert parts.count("heldout") >= 0.3 * len(parts)


def test_rule_is_a_pure_function_of_the_id():
    assert split_of("x") == split_of("x")
    shares = [split_of(f"target{k}") == "heldout" for k in range(2000)]
    assert abs(sum(shares) / 2000 - HELDOUT_PERCENT / 100) < 0.04
