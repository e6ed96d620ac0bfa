"""The shipped posterior ensemble: parameter sets drawn from the calibration's posterior, one file per species.

``src/abscopal/parameters/posterior/<species>.json`` (or ``$ABSCOPAL_POSTERIOR_DIR/<species>.json``)::

    {"schema": "abscopal.posterior/1", "species": "human", "method": "...", "source": "<command that wrote it>",
     "created": "2027-01-31", "parameters": ["kill_rate", "nsclc.antigenicity", "pop.alpha_cv", ...],
     "sets": [{"kill_rate": 2.1, "nsclc.antigenicity": 0.02, ...}, ...],
     "weights": [0.1, ...],                                  # optional, one per set
     "model": "<sha256 hex>"}                                 # optional: the model it was calibrated on

Names as in :mod:`abscopal.inference.patch`; every set gives every listed parameter, in the file's unit of
that parameter. ``abscopal ... --uncertainty N`` uses the first N sets in file order.

``model`` is the fingerprint of the package for the ensemble's species (``abscopal.validation.cache.model_fingerprint(species)``:
every file that can change a simulated value of that species; the other species' parameter files are left out) when
the calibration ran. :func:`model_status` compares it with the running package,
so that a run with an ensemble calibrated on another version of the model says so instead of presenting its
intervals as the current model's.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import InputError
from .patch import check

SCHEMA = "abscopal.posterior/1"
ENVIRONMENT = "ABSCOPAL_POSTERIOR_DIR"  # a folder holding <species>.json, instead of the shipped ensemble
PRODUCED_BY = "the posterior calibration (calibration/, docs/calibration.md)"


@dataclass(frozen=True)
class Ensemble:
    path: Path
    species: str
    method: str
    source: str
    created: str
    parameters: tuple[str, ...]
    sets: tuple[dict[str, float], ...]
    weights: tuple[float, ...] | None
    sha256: str
    model: str | None = None  # fingerprint of the model the ensemble was calibrated on (None: not recorded)

    def first(self, n: int) -> tuple[tuple[dict[str, float], ...], tuple[float, ...]]:
        """The first ``n`` sets in file order and their weights (equal without ``weights``)."""
        weights = self.weights[:n] if self.weights is not None else (1.0,) * n
        return self.sets[:n], weights


def ensemble_path(species: str, directory: str | Path | None = None) -> Path:
    """Where the ensemble of ``species`` is read from: ``directory``, else $ABSCOPAL_POSTERIOR_DIR, else the package."""
    folder = directory if directory is not None else os.environ.get(ENVIRONMENT)
    if folder:
        return Path(folder) / f"{species}.json"
    return Path(str(resources.files("abscopal.parameters").joinpath("posterior", f"{species}.json")))


def load_ensemble(species: str, draws: int, directory: str | Path | None = None) -> Ensemble:
    """The species' ensemble, checked, holding at least ``draws`` sets; an InputError (exit 2) otherwise."""
    path = ensemble_path(species, directory)
    file = str(path)
    if not path.is_file():
        where = f"${ENVIRONMENT}" if (directory is not None or os.environ.get(ENVIRONMENT)) else "the package"
        raise InputError(f"no posterior ensemble for {species} in {where}", key="--uncertainty", file=file,
                         expected=f"the ensemble file {path.name} written by {PRODUCED_BY}, or {ENVIRONMENT} naming a "
                                  f"folder that holds one; run without --uncertainty meanwhile")
    text = path.read_text()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno})", file=file, expected=f"a {SCHEMA} file") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        got = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"schema {got!r}", key="schema", file=file, expected=repr(SCHEMA))
    if data.get("species") != species:
        raise InputError(f"species {data.get('species')!r}", key="species", file=file, expected=repr(species))
    names = data.get("parameters")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise InputError("missing, empty or repeated parameter names", key="parameters", file=file,
                         expected="a list of distinct names (NAME, TUMOUR.NAME or pop.NAME)")
    sets = data.get("sets")
    if not isinstance(sets, list) or not all(isinstance(s, dict) for s in sets):
        raise InputError("not a list of parameter sets", key="sets", file=file, expected="a list of {name: value} objects")
    for i, values in enumerate(sets):
        missing = [n for n in names if n not in values]
        extra = [n for n in values if n not in names]
        if missing or extra:
            problem = f"lacks {missing[0]!r}" if missing else f"has {extra[0]!r}, which is not in parameters"
            raise InputError(problem, key=f"sets[{i}]", file=file, expected="every name of parameters, and only those")
        check(values, species, file=file, prefix=f"sets[{i}].")
    weights = data.get("weights")
    if weights is not None:
        if (not isinstance(weights, list) or len(weights) != len(sets)
                or not all(isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) and w >= 0 for w in weights)
                or not any(w > 0 for w in weights)):
            raise InputError("not one finite weight >= 0 per set", key="weights", file=file,
                             expected=f"{len(sets)} non-negative numbers, not all zero, or no weights key")
    model = data.get("model")
    if model is not None and not (isinstance(model, str) and re.fullmatch(r"[0-9a-f]{64}", model)):
        raise InputError(f"model {model!r}", key="model", file=file,
                         expected="the 64-digit hex fingerprint of the model the sets were calibrated on, or no model key")
    if len(sets) < draws:
        raise InputError(f"{len(sets)} parameter set(s), fewer than the {draws} draws asked for", key="sets", file=file,
                         expected=f"--uncertainty {len(sets)} or less, or a larger ensemble from {PRODUCED_BY}")
    if weights is not None and not any(w > 0 for w in weights[:draws]):
        raise InputError(f"the first {draws} sets all have weight 0", key="weights", file=file, expected="more draws")
    return Ensemble(path=path, species=species, method=str(data.get("method", "")), source=str(data.get("source", "")),
                    created=str(data.get("created", "")), parameters=tuple(names),
                    sets=tuple({n: float(v) for n, v in s.items()} for s in sets),
                    weights=tuple(float(w) for w in weights) if weights is not None else None,
                    sha256=hashlib.sha256(text.encode()).hexdigest(), model=model)


def model_status(ensemble: Ensemble, fingerprint: str) -> str:
    """Whether ``ensemble`` was calibrated on the model whose fingerprint is ``fingerprint``: "current", "changed"
    (some file that can change a simulated value differs; the change may or may not move the values) or "not
    recorded" (an ensemble written before ensembles recorded their model)."""
    if ensemble.model is None:
        return "not recorded"
    return "current" if ensemble.model == fingerprint else "changed"


def model_note(ensemble: Ensemble, status: str) -> str | None:
    """One line for standard error when the ensemble may not describe the running model (None when it does)."""
    if status == "current":
        return None
    regenerate = (f"regenerate it from a source checkout with calibration/history_match.py --species {ensemble.species} "
                  "--all, or --adopt then --ensemble after a change that keeps every value (docs/history_matching.md)")
    if status == "changed":
        return (f"warning: {ensemble.path.name} (created {ensemble.created}) was calibrated on another version of the "
                f"model: its code or parameter files have changed since (possibly without moving any value), so the "
                f"intervals describe that version's parameter uncertainty; {regenerate}")
    return (f"warning: {ensemble.path.name} (created {ensemble.created}) does not record the model it was calibrated "
            f"on, so its intervals may describe an earlier version of the model; {regenerate}")
