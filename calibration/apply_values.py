"""Write calibrated values into the parameter files, each with the source that says where it came from.

    .venv/bin/python calibration/apply_values.py --species mouse --values point.json --source "history matching ..."

``point.json`` maps calibrate.py names (``name`` shared, ``tumour.name``, ``pop.name``) to values in the file's
unit. The entry keeps its unit; its source becomes ``--source`` and the value it replaces is kept in its note, so
the file shows what the calibration changed. Per-tumour names are refused: tumour values come from tumour-level
evidence, never from a fit.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "abscopal" / "parameters"


def _format(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.4e}"


def apply(species: str, values: dict[str, float], source: str) -> list[str]:
    changed = []
    for name, value in sorted(values.items()):
        if "." in name and not name.startswith("pop."):
            raise SystemExit(f"{name}: per-tumour values are not calibrated")
        path = ROOT / ("populations" if name.startswith("pop.") else "shared") / f"{species}.toml"
        key = name[4:] if name.startswith("pop.") else name
        text = path.read_text()
        entry = tomllib.loads(text)["parameters"][key]
        old = entry["value"]
        prior = entry.get("source") or entry.get("assumption") or ""
        note = f"value before {_format(float(old))} ({str(prior)[:200]})".replace('"', "'")
        line = (f'{key} = {{ value = {_format(float(value))}, unit = "{entry["unit"]}", source = "{source}", '
                f'note = "{note}" }}')
        new = re.sub(rf"^{re.escape(key)} = \{{.*\}}\s*$", line, text, count=1, flags=re.M)
        if new == text:
            raise SystemExit(f"{path}: entry {key} not found on one line")
        path.write_text(new)
        changed.append(f"{name}: {old} -> {_format(float(value))}")
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--species", choices=("mouse", "human"), required=True)
    parser.add_argument("--values", required=True, help="JSON of name -> value")
    parser.add_argument("--source", required=True)
    args = parser.parse_args(argv)
    values = json.loads(Path(args.values).read_text())
    for line in apply(args.species, values, args.source):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
