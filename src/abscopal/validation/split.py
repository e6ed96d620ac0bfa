"""The pre-registered split of validation targets into a calibration part and a held-out part.

The rule is fixed and depends on nothing but the target id: the first 8 hex digits of
sha256("abscopal-split/1:" + id), as an integer, modulo 100; below HELDOUT_PERCENT the target is
held out. Calibration (calibration/calibrate.py) reads only targets of the calibration part.

``split.tsv`` beside this module is the register: every target id with its part, the date it was
registered and whether earlier calibrations (before the split existed, up to 2026-12-03) had already
fitted parameters to it. Rows are appended, never edited; a test recomputes every row from the rule,
so an edited row or a target missing from the register fails CI.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

HELDOUT_PERCENT = 35
SALT = "abscopal-split/1:"
PARTS = ("calibration", "heldout")


def split_of(target_id: str) -> str:
    """The part a target id belongs to under the committed rule."""
    digest = hashlib.sha256((SALT + target_id).encode()).hexdigest()
    return "heldout" if int(digest[:8], 16) % 100 < HELDOUT_PERCENT else "calibration"


@cache
def register() -> dict[str, dict[str, str]]:
    """The committed register: id -> {part, registered, previously_fitted}."""
    text = resources.files("abscopal.validation").joinpath("split.tsv").read_text()
    rows = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        target_id, part, registered, fitted = line.split("\t")
        rows[target_id] = {"part": part, "registered": registered, "previously_fitted": fitted}
    return rows
