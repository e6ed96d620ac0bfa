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

_NUM = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"
_DOSE = rf"(?P<dose>{_NUM})\s*(?P<unit>[A-Za-z]+)"  # a dose always carries its unit: that tells it from a count
_COUNT = r"(?P<n>[0-9]+)\s*(?:fx|fr|fractions?)?"
_TIMES = r"\s*[x×*]\s*"
# The ways schemes are written in clinics and papers, each term of a '+'-separated sum:
_FORMS = (
    ("per_fraction", re.compile(rf"^{_DOSE}{_TIMES}{_COUNT}$", re.IGNORECASE)),  # 8 Gy x 3, 8Gyx3
    ("per_fraction", re.compile(rf"^{_COUNT}{_TIMES}{_DOSE}$", re.IGNORECASE)),  # 3 x 8 Gy, 3x8Gy
    ("total", re.compile(rf"^{_DOSE}\s*(?:/|in)\s*{_COUNT}$", re.IGNORECASE)),  # 60 Gy / 30, 60 Gy in 30 fractions
    ("per_fraction", re.compile(rf"^{_DOSE}$", re.IGNORECASE)),  # 20 Gy: one fraction
)
SCHEME_FORMS = "'8 Gy x 3', '3 x 8 Gy', '3x8Gy', '60 Gy / 30', '20 Gy' (one fraction), or sums such as '2 Gy x 25 + 2 Gy x 5'"


def _match(part: str):
    for kind, pattern in _FORMS:
        match = pattern.match(part)
        if match and match.group("unit").lower() not in ("x", "fx", "fr", "in"):
            return kind, match
    raise InputError(f"cannot read {part!r}", key="scheme", expected=SCHEME_FORMS)


def _term(part: str) -> tuple[float, int]:
    kind, match = _match(part.strip())
    unit = {"gy": "Gy", "cgy": "cGy"}.get(match.group("unit").lower(), match.group("unit"))
    dose = to_canonical(f"{match.group('dose')} {unit}", "absorbed_dose", key="scheme")
    n = int(match.groupdict().get("n") or 1)
    if kind == "total" and n >= 1:
        dose /= n
    if not (0 < dose <= 100) or not 1 <= n <= 100:
        raise InputError(f"{part.strip()!r} is out of range", key="scheme", expected="0 < dose <= 100 Gy per fraction and 1 to 100 fractions")
    return dose, n


def parse_scheme(text: str) -> list[tuple[float, int]]:
    """A fractionation scheme -> [(Gy per fraction, fractions), ...], one pair per '+'-separated term.

    ``"8 Gy x 3"``, ``"3 x 8 Gy"``, ``"3x8Gy"`` -> [(8.0, 3)]; ``"60 Gy / 30"`` -> [(2.0, 30)]; ``"20 Gy"`` ->
    [(20.0, 1)]; ``"8 Gy x 3 + 2 Gy x 5"`` -> [(8.0, 3), (2.0, 5)]. The number that carries the unit is the dose
    per fraction (the total after '/' or 'in'), so '3 x 8 Gy' is three fractions of 8 Gy, as clinics write it."""
    return [_term(part) for part in str(text).split("+")]


def surviving_fraction(dose_per_fraction: float, fractions: int, alpha: float, beta: float) -> float:
    return math.exp(-fractions * (alpha * dose_per_fraction + beta * dose_per_fraction**2))


def bed(dose_per_fraction: float, fractions: int, alpha_beta: float) -> float:
    return fractions * dose_per_fraction * (1.0 + dose_per_fraction / alpha_beta)


def eqd2(dose_per_fraction: float, fractions: int, alpha_beta: float) -> float:
    return bed(dose_per_fraction, fractions, alpha_beta) / (1.0 + 2.0 / alpha_beta)


def tcp(clonogens: float, surviving: float) -> float:
    return math.exp(-clonogens * surviving)
