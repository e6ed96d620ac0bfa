"""On-disk cache of validation evaluations, so that a long multi-seed run never loses finished work.

One JSON file per (target, seed, immune-null) job, named by a hash of the model (every source and parameter
file of the package that can change a simulated value: counts_for_model), the target's own content, the seed index and the control.
Changing the model or the target changes the key, so stale results are never reused. Writes are atomic.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from functools import cache
from importlib import resources
from pathlib import Path

PRESENTATION = frozenset(("cli.py", "plots.py", "report.py", "docs.py", "sbml.py", "__main__.py", "jsonout.py"))  # cannot change a value
# Tools built on top of the model (`abscopal fit`, `abscopal optimise`): simulate, cohort, trial and validate never
# import them, so editing them must not throw away hours of cached calibration and validation runs.
TOOLS = frozenset(("fitting", "optimisation"))
SUFFIXES = (".py", ".toml", ".txt", ".yaml", ".tsv")


def counts_for_model(relative: Path) -> bool:
    """Whether a file of the package (path relative to the package root) enters the model fingerprint."""
    parts = relative.parts
    return (relative.suffix in SUFFIXES and relative.name not in PRESENTATION and "targets" not in parts
            and not (parts and parts[0] in TOOLS))


@cache
def model_fingerprint() -> str:
    """Hash of the package's code and data that can change a simulated value (validation target files, which
    enter each key on their own, presentation modules - figures, reports, the command line - and the fit and
    optimise tools excepted: counts_for_model)."""
    root = Path(str(resources.files("abscopal")))
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and counts_for_model(relative):
            digest.update(str(relative).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class EvaluationCache:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _path(self, target, seed: int, null: bool) -> Path:
        content = json.dumps(dataclasses.asdict(target), sort_keys=True, default=str)
        key = hashlib.sha256(f"{model_fingerprint()}|{content}|{seed}|{null}".encode()).hexdigest()
        return self.folder / target.id / f"{key[:24]}.json"

    def get(self, target, seed: int, null: bool):
        from .suite import Evaluation

        path = self._path(target, seed, null)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return Evaluation(data["values"], data["problems"], seconds=data.get("seconds", 0.0))

    def put(self, target, seed: int, null: bool, evaluation) -> None:
        path = self._path(target, seed, null)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"values": evaluation.values, "problems": evaluation.problems,
                                   "seconds": evaluation.seconds, "seed": seed, "immune_null": null}))
        os.replace(tmp, path)
