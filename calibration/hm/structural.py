"""Checks named structural before a history match: reported beside every wave, left out of the implausibility.

History matching (Vernon, Goldstein and Bower, Bayesian Analysis 2010;5:619) asks which parameter sets the model
could be run at and still match the data, given what the model cannot do. A check that no point of the prior
space reaches, for a reason that lies in the model's structure (a missing drug, a missing disease course), would
otherwise rule out the whole space and leave no ensemble for the checks the model can reach. Such checks are
named in a TOML file before the match runs, each with its reason:

    [[check]]
    key = "<target id>: <check text>"   # as in wave.json's "checks" list
    why = "why the model cannot reach it, and the evidence that says so"

The match leaves them out of every implausibility, lists them in each wave's summary with how often they pass
at the simulated points, and refuses to continue a work folder with a different list (its completed waves were
fitted without those checks).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path


class StructuralError(RuntimeError):
    pass


def load_structural(path: str | Path, checks) -> list[dict]:
    """The named checks of ``path`` as [{key, why}], each matching one check key of ``checks``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StructuralError(f"{path}: cannot read it ({exc}); expected a TOML file of [[check]] tables") from exc
    entries = data.get("check")
    if not isinstance(entries, list) or not entries:
        raise StructuralError(f"{path}: key 'check': expected one or more [[check]] tables with key and why")
    known = {c.key for c in checks}
    out = []
    for i, entry in enumerate(entries):
        key, why = entry.get("key") if isinstance(entry, dict) else None, entry.get("why") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not isinstance(why, str) or not why.strip():
            raise StructuralError(f"{path}: check {i + 1}: expected key = \"<target id>: <check text>\" and a non-empty why")
        if key not in known:
            raise StructuralError(f"{path}: check {i + 1}: key {key!r} is not a check of the calibration targets; "
                                  "expected a key as listed in a wave.json 'checks' entry")
        out.append({"key": key, "why": why.strip()})
    if len({e["key"] for e in out}) != len(out):
        raise StructuralError(f"{path}: a check is named twice")
    return out


def guard_workdir(workdir: Path, structural: list[dict]) -> None:
    """Record the named checks in the work folder on first use; refuse another list afterwards."""
    record = workdir / "structural.json"
    keys = sorted(e["key"] for e in structural)
    if record.exists():
        before = sorted(e["key"] for e in json.loads(record.read_text()))
        if before != keys:
            raise StructuralError(f"{workdir} was matched with another list of structural checks ({record}); "
                                  "its waves were fitted on other checks. Try: 1. the same --structural file; "
                                  "2. a new --workdir")
        return
    if not keys:
        return
    workdir.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(structural, indent=1) + "\n")
