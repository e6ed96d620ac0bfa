"""M14: occult (sub-detection) lesions. A subject carries Poisson(lambda_occ) occult deposits with
diameters log-uniform between d_occ,min and d_occ,max at sites of the tumour type; they follow the same
equations as visible lesions (growth, immune attack), are never irradiated, and become a new lesion
(progression) when they reach d_new. Systemic immunity can keep them from appearing."""

from __future__ import annotations

import math

import numpy as np


def draw_occult(seed: int, subject_index: int, expected_count: float, sites: list[str], d_min: float, d_max: float):
    """Occult lesions of one subject from the stream keyed by (seed, subject, 'occult')."""
    rng = np.random.default_rng([seed, subject_index, 14])
    count = int(rng.poisson(expected_count)) if expected_count > 0 else 0
    out = []
    for k in range(count):
        diameter = math.exp(rng.uniform(math.log(d_min), math.log(d_max)))
        site = sites[int(rng.integers(len(sites)))] if sites else "soft_tissue"
        out.append((f"occult{k + 1}", site, diameter))
    return out
