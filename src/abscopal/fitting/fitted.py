"""The fitted file: the design with the posterior medians as ``overrides:``, ready for simulate, cohort or trial.

A scenario design gives a scenario; a trial design gives a trial file (same arms) and one scenario per arm
(``fitted_<arm>.yaml``: the trial's shared keys with that arm's treatment) for `abscopal simulate` and
`abscopal cohort`. Values are written with their unit, as an overrides entry is.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml

ARM_KEYS = ("radiotherapy", "drugs", "host", "mechanisms")


def _quantity(value: float, unit: str):
    if unit in ("", "1"):
        return float(f"{value:.6g}")
    return f"{value:.6g} {unit}"


def fitted_documents(design, medians: dict[str, float], units: dict[str, str]) -> dict[str, dict]:
    raw = copy.deepcopy(design.raw)
    overrides = dict(raw.get("overrides") or {})
    for name, value in medians.items():
        overrides[name] = _quantity(value, units[name])
    raw["overrides"] = overrides
    name = str(raw.get("name", "fit"))
    raw["name"] = f"{name} (fitted)"
    docs = {"fitted.yaml": raw}
    if design.kind == "trial":
        base = {k: copy.deepcopy(v) for k, v in raw.items() if k not in ("arms", "endpoints")}
        for arm, spec in (raw.get("arms") or {}).items():
            doc = copy.deepcopy(base)
            doc.pop("population", None)  # one subject: `abscopal simulate` runs it as it stands
            for key in ARM_KEYS:
                if key in (spec or {}):
                    if key in ("host", "mechanisms"):
                        doc[key] = {**dict(doc.get(key) or {}), **spec[key]}
                    else:
                        doc[key] = copy.deepcopy(spec[key])
            doc["name"] = f"{name} - {arm} (fitted)"
            docs[f"fitted_{_slug(str(arm))}.yaml"] = doc
    return docs


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "arm"


def write_fitted(out: Path, design, medians: dict[str, float], units: dict[str, str], header: str) -> list[Path]:
    paths = []
    for filename, doc in fitted_documents(design, medians, units).items():
        path = Path(out) / filename
        path.write_text(f"# {header}\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        paths.append(path)
    return paths
