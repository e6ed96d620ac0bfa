"""On-disk cache of validation evaluations, so that a long multi-seed run never loses finished work.

One JSON file per (target, seed, immune-null) job, named by a hash of the model (every source and parameter
file of the package, target files excepted), the target's own content, the seed index and the control.
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

PRESENTATION = frozenset(("cli.py", "plots.py", "report.py", "docs.py", "sbml.py", "__main__.py"))  # cannot change a value


@cache
def model_fingerprint() -> str:
    """Hash of the package's code and data that can change a simulated value (validation target files, which
    enter each key on their own, and presentation modules - figures, reports, the command line - excepted)."""
    root = Path(str(resources.files("abscopal")))
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.name in PRESENTATION:
            continue
        if path.is_file() and path.suffix in (".py", ".toml", ".txt", ".yaml", ".tsv") and "targets" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
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
