"""Linear-quadratic radiobiology.

    S    = exp(-n (alpha d + beta d^2))                      surviving fraction of n fractions of d Gy
    BED  = n d (1 + d / (alpha/beta))                         biologically effective dose (Gy)
    EQD2 = BED / (1 + 2 / (alpha/beta))                       equivalent dose in 2-Gy fractions (Gy)
    TCP  = exp(-N0 S)                                         Poisson tumour control probability
(Fowler JF. Br J Radiol 1989;62:679-94; Withers HR et al. Int J Radiat Oncol Biol Phys 1983;9:1919.)
"""

from __future__ import annotations

import math
import re

from ..errors import InputError
from ..units import to_canonical

_TERM = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]+)\s*[x×*]\s*([0-9]+)\s*$")


def parse_scheme(text: str) -> list[tuple[float, int]]:
    """``"8 Gy x 3"`` or ``"8 Gy x 3 + 2 Gy x 5"`` -> [(8.0, 3), (2.0, 5)] (Gy per fraction, fractions)."""
    terms = []
    for part in str(text).split("+"):
        match = _TERM.match(part)
        if not match:
            raise InputError(f"cannot read {part.strip()!r}", key="scheme", expected="'DOSE x FRACTIONS', e.g. '8 Gy x 3' or '2 Gy x 30 + 2 Gy x 5'")
        dose = to_canonical(f"{match.group(1)} {match.group(2)}", "absorbed_dose", key="scheme")
        n = int(match.group(3))
        if dose <= 0 or dose > 100 or not 1 <= n <= 100:
            raise InputError(f"{part.strip()!r} is out of range", key="scheme", expected="0 < dose <= 100 Gy and 1 to 100 fractions")
        terms.append((dose, n))
    return terms


def surviving_fraction(dose_per_fraction: float, fractions: int, alpha: float, beta: float) -> float:
    return math.exp(-fractions * (alpha * dose_per_fraction + beta * dose_per_fraction**2))


def bed(dose_per_fraction: float, fractions: int, alpha_beta: float) -> float:
    return fractions * dose_per_fraction * (1.0 + dose_per_fraction / alpha_beta)


def eqd2(dose_per_fraction: float, fractions: int, alpha_beta: float) -> float:
    return bed(dose_per_fraction, fractions, alpha_beta) / (1.0 + 2.0 / alpha_beta)


def tcp(clonogens: float, surviving: float) -> float:
    return math.exp(-clonogens * surviving)
