"""Quantities: parse ``"8 Gy"``, ``"3 weeks"``, ``"10 mg/kg"`` with abscopal's own pint registry.

Parse once at the edge into canonical units (day, mm, mm^3, mg, Gy, IU, /uL); a dimension mismatch
or a bare number where a unit is needed is an :class:`~abscopal.errors.UnitError`.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from importlib import resources

import pint

from .errors import UnitError

__all__ = ["ureg", "parse_quantity", "to_canonical", "DIMENSIONS", "parse_day"]


@lru_cache(maxsize=1)
def _registry() -> pint.UnitRegistry:
    text = resources.files("abscopal").joinpath("units.txt").read_text()
    registry = pint.UnitRegistry(None, autoconvert_offset_to_baseunit=False)
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            registry.define(line)
    return registry


ureg = _registry()

# name of a kind of quantity -> (pint dimensionality string, canonical unit, human description)
DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "absorbed_dose": ("[absorbed_dose]", "Gy", "a dose in Gy, e.g. '8 Gy'"),
    "time": ("[time]", "day", "a duration, e.g. '3 weeks' or '12 h'"),
    "length": ("[length]", "mm", "a length, e.g. '25 mm'"),
    "volume": ("[length]**3", "mm**3", "a volume, e.g. '8 cm^3' or '50 mm^3'"),
    "mass": ("[mass]", "kg", "a mass, e.g. '70 kg'"),
    "area": ("[length]**2", "m**2", "an area, e.g. '1.8 m^2'"),
    "concentration_cells": ("1/[length]**3", "1/uL", "a count per volume, e.g. '1500 /uL' or '1.5e9 /L'"),
    "tmb": ("1/[genome]", "1/Mb", "mutations per megabase, e.g. '8 /Mb'"),
    "dimensionless": ("", "", "a plain number"),
}

_FIX_POWER = re.compile(r"\^")


def _clean(text: str) -> str:
    text = text.strip()
    text = _FIX_POWER.sub("**", text)
    # "/uL" -> "1/uL" ; "1500 /uL" -> "1500 1/uL" is what pint needs
    text = re.sub(r"(^|\s)/", r"\g<1>1/", text)
    return text


# What a quantity may look like before pint sees it. pint evaluates its input as an arithmetic
# expression, so "9**9**9 Gy" or "8 Gy**99999" would compute (for minutes, or overflow) before any check;
# the format needs only a decimal number and a product of unit names with small integer powers.
MAX_QUANTITY_CHARS = 80
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?"
_UNIT_NAME = r"[A-Za-z\u00b5\u03bc%][A-Za-z0-9_\u00b5\u03bc]*"
_UNIT_TERM = rf"{_UNIT_NAME}(?:\s*(?:\^|\*\*)\s*[+-]?[1-4])?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*((?:(?:1\s*)?/\s*)?{_UNIT_TERM}(?:\s*(?:[*/]|\s)\s*{_UNIT_TERM})*)?\s*$")
QUANTITY_FORM = "a decimal number and a unit, e.g. '8 Gy', '200 mg', '3 weeks', '1500 /uL' or '8 cm^3'"


def parse_quantity(value: object, *, key: str = "") -> pint.Quantity:
    """Parse a string with units into a pint Quantity (no dimension check).

    The string must match a strict form (a decimal number, then unit names joined by spaces, '*' or
    '/', with powers from -4 to 4) before pint evaluates it; see :data:`_QUANTITY`.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise UnitError(
            f"{value!r} has no unit",
            key=key,
            expected="a string with a unit, e.g. '8 Gy', '200 mg', '3 weeks'",
        )
    if len(value) > MAX_QUANTITY_CHARS or not _QUANTITY.match(value):
        raise UnitError(f"cannot read {value!r} as a quantity", key=key, expected=QUANTITY_FORM)
    try:
        quantity = ureg.Quantity(_clean(value))
    except Exception:  # pint raises many kinds; all mean the same to the user
        raise UnitError(
            f"cannot read {value!r} as a quantity",
            key=key,
            expected="a number followed by a unit, e.g. '8 Gy', '200 mg', '3 weeks'",
            suggestion=unit_hint(value),
        ) from None
    if not isinstance(quantity, pint.Quantity) or not math.isfinite(float(quantity.magnitude)):
        raise UnitError(f"{value!r} is not a finite number with a unit", key=key, expected="e.g. '8 Gy'")
    if quantity.dimensionless and value.strip() and re.fullmatch(r"[\s0-9.eE+-]+", value.strip()):
        raise UnitError(f"{value!r} has no unit", key=key, expected="a number followed by a unit")
    return quantity


_SUPERSCRIPT = str.maketrans({"\u00b2": "^2", "\u00b3": "^3"})
_BARE_POWER = re.compile(r"(?<![0-9.])([A-Za-z\u00b5\u03bc]+)([23])\b")  # m2, cm3 (a unit's power), not 1e2
_CASE = {"gy": "Gy", "GY": "Gy", "cgy": "cGy", "iu": "IU", "miu": "MIU", "ul": "uL", "ml": "mL", "mb": "Mb"}


def unit_hint(text: str) -> str | None:
    """What the user probably meant by an unreadable quantity (``'3 mg/m2'`` -> ``'3 mg/m^2'``), or None.

    Only the usual slips are tried: a power written without ``^`` or as a superscript, and the case of
    Gy, IU, uL, mL and Mb; a rewrite is offered only when it reads."""
    rewritten = _BARE_POWER.sub(r"\1^\2", text.translate(_SUPERSCRIPT))
    rewritten = re.sub(r"[A-Za-z]+", lambda m: _CASE.get(m.group(0), m.group(0)), rewritten)
    if rewritten == text or len(text) > 64:
        return None
    try:
        quantity = ureg.Quantity(_clean(rewritten))
    except Exception:  # not a slip we know: no hint
        return None
    return rewritten if isinstance(quantity, pint.Quantity) else None


def to_canonical(value: object, kind: str, *, key: str = "") -> float:
    """Parse ``value`` and return its magnitude in the canonical unit of ``kind``."""
    dim, unit, description = DIMENSIONS[kind]
    if kind == "dimensionless":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UnitError(f"{value!r} is not a number", key=key, expected=description)
        return float(value)
    if isinstance(value, bool) or isinstance(value, (int, float)):
        raise UnitError(
            f"bare number {value!r} has no unit", key=key, expected=f"{description} (unit {unit})"
        )
    try:
        quantity = parse_quantity(value, key=key)
    except UnitError as exc:
        raise UnitError(exc.problem, key=key, expected=f"{description} (unit {unit})", suggestion=exc.suggestion) from None
    if quantity.dimensionality != ureg.parse_expression("1 " + unit if unit else "1").dimensionality:
        raise UnitError(
            f"{value!r} has the wrong dimension ({quantity.units:~})", key=key, expected=description
        )
    return float(quantity.to(unit).magnitude)


_DAY = re.compile(r"^\s*day\s+(-?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$")


def parse_day(value: object, *, key: str = "") -> float:
    """Parse an event time ``"day N"`` (N may be fractional) into days from day 0."""
    if isinstance(value, str):
        match = _DAY.match(value)
        if match and math.isfinite(float(match.group(1))):
            return float(match.group(1))
    raise UnitError(f"{value!r} is not an event time", key=key, expected="'day N', e.g. 'day 7' or 'day 0.25'")


def convert_unit(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a magnitude between two units of the registry (parameter files).

    Parameter-file values are converted over and over (every subject of a cohort reads the same
    entries), and a pint conversion costs tens of microseconds, so results are memoised. The memo
    returns exactly what pint returned for the same arguments (zero is keyed with its sign, which
    0.0 == -0.0 would otherwise lose); non-floats bypass it.
    """
    if type(value) is float:
        if value != 0.0:
            return _convert_memo(value, from_unit, to_unit)
        return _convert_zero(math.copysign(1.0, value) < 0.0, from_unit, to_unit)
    return _convert(value, from_unit, to_unit)


def _convert(value: float, from_unit: str, to_unit: str) -> float:
    return float(ureg.Quantity(value, _clean(from_unit) if from_unit else "").to(_clean(to_unit)).magnitude)


@lru_cache(maxsize=16384)
def _convert_memo(value: float, from_unit: str, to_unit: str) -> float:
    return _convert(value, from_unit, to_unit)


@lru_cache(maxsize=256)
def _convert_zero(negative: bool, from_unit: str, to_unit: str) -> float:
    return _convert(-0.0 if negative else 0.0, from_unit, to_unit)
