"""calibration/effector_pool.py: the peak tumour-specific pool per subject, as a share of blood CD8 T cells. A host
without T cells has none; radiotherapy with checkpoint blockade primes some in a competent host."""

import copy
import sys
from pathlib import Path

import yaml

CALIBRATION = Path(__file__).resolve().parents[2] / "calibration"
sys.path.insert(0, str(CALIBRATION))

import effector_pool  # noqa: E402

TREATMENT = {"radiotherapy": [{"lesions": ["largest"], "dose": "8 Gy", "fractions": 3, "start": "day 0",
                               "interval": "1 day"}],
             "drugs": [{"agent": "ipilimumab", "dose": "3 mg/kg", "every": "3 weeks", "start": "day 0", "count": 4},
                       {"agent": "nivolumab", "dose": "1 mg/kg", "every": "3 weeks", "start": "day 0", "count": 4}]}


def test_pool_is_zero_without_t_cells_and_primed_with_them(tmp_path):
    trial = {"abscopal": 1, "name": "pool", "species": "human", "tumour": "melanoma",
             "population": {"size": 12, "seed": 5, "lesions": {"count": [2, 3]}},
             "arms": {"competent": copy.deepcopy(TREATMENT),
                      "no_t_cells": {**copy.deepcopy(TREATMENT), "host": {"immune": "t_cell_deficient"}}},
             "simulation": {"duration": "120 days"}}
    path = tmp_path / "pool.yaml"
    path.write_text(yaml.safe_dump(trial))
    rows = effector_pool.measure(path)
    assert set(rows) == {"competent", "no_t_cells"}
    assert len(rows["competent"]) == 12 and len(rows["no_t_cells"]) == 12
    assert all(share == 0.0 and not responder for share, responder in rows["no_t_cells"])
    assert max(share for share, _ in rows["competent"]) > 1e-4  # above 0.01% of blood CD8 in someone
