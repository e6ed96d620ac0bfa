"""How many checks rule each simulated point out, in a history-match work folder (docs/calibration.md, thirty-eighth
session: why the match on IGL's model rejects almost nothing). For every cached simulation it counts the checks whose
simulated implausibility exceeds wave 1's cutoff, and prints the histogram, the share of points with at least ``order``
such checks (the ones the rule can rule out) and the checks whose share implausible moved most between two folders.

    .venv/bin/python calibration/probes/hm_cut/implausible_per_point.py calibration/runs/mouse_tp calibration/runs/mouse_igl
"""

from __future__ import annotations

import glob
import json
import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hm.checks import margins_table  # noqa: E402


def per_point(folder: str):
    with open(Path(folder) / "wave_1" / "emulator.pkl", "rb") as f:
        wave = pickle.load(f)
    recs = [json.loads(Path(p).read_text()) for p in sorted(glob.glob(str(Path(folder) / "cache" / "*.json")))]
    margins = margins_table(wave.checks, [r["observables"] for r in recs])
    implausible = wave.simulated_implausibility(margins) > wave.cutoff
    return wave, implausible


def main(folders: list[str]) -> None:
    shares = {}
    for folder in folders:
        wave, implausible = per_point(folder)
        n = implausible.sum(axis=1)
        print(f"{folder}: {len(n)} simulations; implausible checks per point mean {n.mean():.2f}, median {np.median(n):.0f}; "
              f"share with at least {wave.order} (can be ruled out): {np.mean(n >= wave.order):.3f}")
        print("   histogram (0, 1, 2, ...):", np.bincount(n).tolist())
        shares[folder] = {c.key: float(implausible[:, j].mean()) for j, c in enumerate(wave.checks)}
    if len(folders) == 2:
        a, b = (shares[f] for f in folders)
        moved = sorted(set(a) & set(b), key=lambda k: -abs(a[k] - b[k]))
        print("checks whose share implausible moved most (first folder -> second):")
        for key in moved[:10]:
            print(f"   {a[key]:.2f} -> {b[key]:.2f}  {key[:110]}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["calibration/runs/mouse_tp", "calibration/runs/mouse_igl"])
