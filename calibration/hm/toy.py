"""An analytic toy simulator with a known truth, for the tests of history matching (not the abscopal model).

Parameters ``a``, ``b`` (log scale on [0.1, 10]) and ``c`` (inert: no check depends on it). Observables
``y1 = a * b`` and ``y2 = a / b`` with seeded multiplicative noise (sd ``noise``), and ``frac = a / (1 + a)``.
The truth a = 1, b = 2 gives y1 = 2, y2 = 0.5; the checks ask for those within +-10%.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .checks import Check
from .space import Parameter, Space

TRUTH = {"a": 1.0, "b": 2.0}


def toy_space() -> Space:
    return Space("toy", (Parameter("a", 0.1, 10.0, "log", value=0.5, range="toy"),
                         Parameter("b", 0.1, 10.0, "log", value=1.0, range="toy"),
                         Parameter("c", 0.1, 10.0, "log", value=1.0, range="toy")))


class ToySimulator:
    species = "toy"

    def __init__(self, noise: float = 0.02):
        self.noise, self.calls = noise, 0

    def fingerprint(self) -> str:
        return "toy/1"

    def digest(self) -> str:
        return f"noise={self.noise}"

    def checks(self) -> list[Check]:
        return [Check("toy", "y1 near 2", "1.8 <= y1 <= 2.2"), Check("toy", "y2 near 0.5", "0.45 <= y2 <= 0.55"),
                Check("toy", "frac over a quarter", "frac > 0.25", {"frac": "fraction"})]

    def __call__(self, params: dict[str, float], seed: int):
        self.calls += 1
        a, b = params["a"], params["b"]
        h = hashlib.sha256(f"{a:.12g}|{b:.12g}|{seed}".encode()).digest()  # c is inert, noise too
        rng = np.random.default_rng(int.from_bytes(h[:8], "little"))
        e1, e2 = rng.normal(0.0, self.noise, 2)
        return {"toy/y1": float(a * b * np.exp(e1)), "toy/y2": float(a / b * np.exp(e2)), "toy/frac": a / (1 + a)}, []
