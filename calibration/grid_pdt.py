"""Grid of PDT (docs/calibration.md, twenty-first session): each type's host PD-L1 share (melanoma, HNSCC) on PD's
population (antigenicity_cv 1.4), read on the CheckMate 017/057-like probe in the type's low-PD-L1 stratum (nivolumab
arm, confirmed ORR). Prints the grid and the chosen values with the named probes.
Usage: python calibration/grid_pdt.py [--out FILE]"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid_pd import orr, tree  # noqa: E402

GRID = (0.1, 0.2, 0.3, 0.5, 0.7)
CV = 1.4
TYPES = {"melanoma": ([0.0, 0.0499], 0.397, [0.05, 1.0], 0.59), "hnscc": ([0.0, 0.0099], 0.123, [0.01, 1.0], 0.17)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    out = {"grid": {}, "chosen": {}}
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        src = tree(CV, where)
        for tumour, (low, target, high, high_target) in TYPES.items():
            rows = []
            for h in GRID:
                rate = orr(src, h, low, where, tumour)
                rows.append({"h": h, "orr_low": round(rate, 4)})
                print(tumour, json.dumps(rows[-1]), flush=True)
            best = min(rows, key=lambda r: abs(r["orr_low"] - target))
            best = dict(best, orr_all=round(orr(src, best["h"], None, where, tumour), 4),
                        orr_high=round(orr(src, best["h"], high, where, tumour), 4), published_high=high_target)
            print("chosen", tumour, json.dumps(best), flush=True)
            out["grid"][tumour], out["chosen"][tumour] = rows, best
    if a.out:
        a.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
