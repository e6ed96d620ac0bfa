"""Small typed readers for scenario fields: each raises an InputError that names the key."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import InputError, near_miss
from ..units import parse_day, to_canonical
from .limits import MAX_EVENT_DAY

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")


def check_keys(mapping: Mapping, allowed: Iterable[str], key: str, required: Iterable[str] = ()) -> None:
    """Unknown keys are errors (with a near-miss); required keys must be present."""
    allowed = list(allowed)
    for name in mapping:
        if name not in allowed:
            raise InputError(
                f"unknown key {name!r}",
                key=f"{key}.{name}" if key else str(name),
                expected="one of " + ", ".join(allowed),
                suggestion=near_miss(str(name), allowed),
            )
    for name in required:
        if name not in mapping:
            raise InputError(
                f"required key {name!r} is missing",
                key=f"{key}.{name}" if key else name,
                expected=f"a value for {name!r}",
            )


def as_mapping(value: Any, key: str, what: str = "a mapping of keys to values") -> Mapping:
    if not isinstance(value, Mapping):
        raise InputError(f"{_show(value)} is not a mapping", key=key, expected=what)
    return value


def as_list(value: Any, key: str, what: str) -> list:
    if not isinstance(value, list):
        raise InputError(f"{_show(value)} is not a list", key=key, expected=what)
    return value


def as_str(value: Any, key: str, what: str = "a text value") -> str:
    if not isinstance(value, str):
        raise InputError(f"{_show(value)} is not text", key=key, expected=what)
    return value


def as_bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{_show(value)} is not true or false", key=key, expected="true or false")
    return value


def as_int(value: Any, key: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{_show(value)} is not a whole number", key=key, expected=_range_text(low, high))
    if (low is not None and value < low) or (high is not None and value > high):
        raise InputError(f"{value} is out of range", key=key, expected=_range_text(low, high))
    return value


def as_fraction(value: Any, key: str, *, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{_show(value)} is not a number", key=key, expected="a number from 0 to 1")
    if not (0.0 <= float(value) <= 1.0) or (not allow_zero and float(value) == 0.0):
        raise InputError(
            f"{value} is out of range", key=key, expected="a number from 0 to 1" + ("" if allow_zero else ", above 0")
        )
    return float(value)


def choice(value: Any, options: Iterable[str], key: str, kind: str) -> str:
    options = list(options)
    if not isinstance(value, str) or value not in options:
        raise InputError(
            f"unknown {kind} {_show(value)}",
            key=key,
            expected="one of " + ", ".join(options),
            suggestion=near_miss(str(value), options),
        )
    return value


def positive_quantity(value: Any, kind: str, key: str, *, allow_zero: bool = False) -> float:
    magnitude = to_canonical(value, kind, key=key)
    if magnitude < 0 or (magnitude == 0 and not allow_zero):
        raise InputError(
            f"{value!r} must be {'zero or more' if allow_zero else 'above zero'}",
            key=key,
            expected=f"a positive quantity, e.g. {_EXAMPLES.get(kind, '1')!r}",
        )
    return magnitude


def event_day(value: Any, key: str) -> float:
    day = parse_day(value, key=key)
    if day < 0:
        raise InputError(f"{value!r} is before day 0", key=key, expected="'day N' with N >= 0")
    if day > MAX_EVENT_DAY:
        raise InputError(f"{value!r} is beyond the longest simulation", key=key, expected=f"'day N' with N <= {MAX_EVENT_DAY:g}")
    return day


def _range_text(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"a whole number from {low} to {high}"
    if low is not None:
        return f"a whole number of at least {low}"
    return "a whole number"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_EXAMPLES = {
    "absorbed_dose": "8 Gy",
    "time": "3 weeks",
    "length": "25 mm",
    "volume": "50 mm^3",
    "mass": "70 kg",
    "area": "1.8 m^2",
    "concentration_cells": "1500 /uL",
    "tmb": "8 /Mb",
}
