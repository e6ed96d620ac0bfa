"""On-disk cache of validation evaluations, so that a long multi-seed run never loses finished work.

One JSON file per (target, seed, immune-null) job, named by a hash of the model (every source and parameter
file of the package that can change a simulated value: counts_for_model; for a target with a design, those of its
species only), the target's own content, the seed index and the control.
Changing the model or the target changes the key, so stale results are never reused. Writes are atomic.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from importlib import resources
from pathlib import Path

from ..vocabulary import SPECIES

PRESENTATION = frozenset(("cli.py", "plots.py", "report.py", "docs.py", "sbml.py", "__main__.py", "jsonout.py", "trial_plots.py",
                          "trial_report.py",
                          "split.tsv"))  # cannot change a value (split.tsv: the split register, appended when a target is added)
# Tools built on top of the model (`abscopal fit`, `abscopal optimise`): simulate, cohort, trial and validate never
# import them, so editing them must not throw away hours of cached calibration and validation runs.
TOOLS = frozenset(("fitting", "optimisation"))
SUFFIXES = (".py", ".toml", ".txt", ".yaml", ".tsv")


def data_species(relative: Path) -> str | None:
    """The species whose simulations alone read this parameter file (``parameters/shared/<species>.toml``,
    ``parameters/populations/<species>.toml``, ``parameters/tumours/<species>/``, the drug library
    ``agents/<species>.toml``), or None for code and for data that both species read (sites, published reference
    models)."""
    parts = relative.parts
    if len(parts) == 2 and parts[0] == "agents" and relative.suffix == ".toml" and relative.stem in SPECIES:
        return relative.stem
    if len(parts) == 3 and parts[0] == "parameters" and parts[1] in ("shared", "populations") and relative.stem in SPECIES:
        return relative.stem
    if len(parts) >= 3 and parts[0] == "parameters" and parts[1] == "tumours" and parts[2] in SPECIES:
        return parts[2]
    return None


def counts_for_model(relative: Path, species: str | None = None) -> bool:
    """Whether a file of the package (path relative to the package root) enters the model fingerprint; with
    ``species``, the fingerprint of that species' simulations, which leaves out the other species' parameter and drug
    files."""
    parts = relative.parts
    return (relative.suffix in SUFFIXES and relative.name not in PRESENTATION and "targets" not in parts
            and not (parts and parts[0] in TOOLS) and (species is None or data_species(relative) in (None, species)))


@cache
def model_fingerprint(species: str | None = None) -> str:
    """Hash of the package's code and data that can change a simulated value (validation target files, which
    enter each key on their own, presentation modules - figures, reports, the command line - and the fit and
    optimise tools excepted: counts_for_model).

    With ``species`` ("mouse" or "human"), the fingerprint of that species' simulations: the other species'
    parameter files are left out, so a change of mouse values keeps every cached human evaluation (and the human
    ones the mouse evaluations and the mouse ensemble). A simulation reads only its own species' files
    (parameters.store.species_scope enforces it while a keyed evaluation runs)."""
    if species is not None and species not in SPECIES:
        raise ValueError(f"species {species!r}: expected one of {SPECIES}")
    root = Path(str(resources.files("abscopal")))
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and counts_for_model(relative, species):
            digest.update(str(relative).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def target_species(target) -> str | None:
    """The species a target's simulations belong to (its design's), or None for a target without a design (its
    probes may read either species: keyed by the whole model)."""
    species = target.design.get("species") if isinstance(target.design, dict) else None
    return species if species in SPECIES else None


class EvaluationCache:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _path(self, target, seed: int, null: bool) -> Path:
        from .suite import target_content

        content = json.dumps(target_content(target), sort_keys=True, default=str)
        key = hashlib.sha256(f"{model_fingerprint(target_species(target))}|{content}|{seed}|{null}".encode()).hexdigest()
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
