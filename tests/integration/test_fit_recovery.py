"""Parameter recovery: fits of data made by the model itself find the values that made them.

The acceptance test (slow, `pytest -m slow`): on 20 synthetic data sets (truths drawn in a range around the
file values; 1 animal per group, control and 8 Gy x 3 to the primary, both lesions measured on 5 days), the 90% posterior interval of
each fitted parameter covers the truth in at least 80% of the data sets. It runs one fit per core.

The CI variant is a looser statement on 2 tiny data sets (4 measurement days, short chains): each fitted
parameter's truth lies inside the posterior's central 99% range. It catches a likelihood or a simulation that
points the wrong way, not a miscalibrated interval.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from abscopal.fitting.synthetic import RECOVERY, recovery_run

ROOT = str(Path(__file__).resolve().parents[2])
CHEAP = {"days": (0, 4, 8, 12), "steps": 120}


@pytest.mark.parametrize("seed", [1, 2])
def test_truth_inside_the_central_99_percent_on_two_tiny_data_sets(seed):
    run = recovery_run(seed, ROOT, **CHEAP)
    for name in RECOVERY["parameters"]:
        lo, hi = run["ci99"][name]
        assert lo <= run["truth"][name] <= hi, (name, run)


@pytest.mark.slow
def test_90_percent_intervals_cover_the_truth_in_at_least_80_percent_of_20_data_sets():
    seeds = list(range(100, 120))
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        runs = list(pool.map(recovery_run, seeds, [ROOT] * len(seeds)))
    for name in RECOVERY["parameters"]:
        covered = sum(r["covered"][name] for r in runs)
        assert covered >= 0.8 * len(runs), (name, covered, runs)
