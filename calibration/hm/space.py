"""The parameter space file ``calibration/space_<species>.toml``: every free parameter with its prior range.

Each ``[parameters."name"]`` table has ``value`` (the file value the range was built around), ``lo``, ``hi``,
``scale`` (``log``, ``linear`` or ``logit``), ``range`` (why this range), ``range_assumption`` (true where the
range is an assumption, not a sourced interval), ``source`` (the parameter file's source or assumption for the
value) and ``file``. Designs live in the unit cube; ``to_unit`` / ``from_unit`` map to and from values, so the
emulators work on log-parameters for log-scale entries.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SCALES = ("log", "linear", "logit")


@dataclass(frozen=True)
class Parameter:
    name: str
    lo: float
    hi: float
    scale: str = "log"
    value: float | None = None
    range: str = ""
    range_assumption: bool = True
    source: str = ""
    file: str = ""

    def __post_init__(self):
        if self.scale not in SCALES:
            raise ValueError(f"parameter {self.name}: scale {self.scale!r} is not one of {SCALES}")
        if not (self.lo < self.hi):
            raise ValueError(f"parameter {self.name}: lo {self.lo} must be below hi {self.hi}")
        if self.scale == "log" and self.lo <= 0:
            raise ValueError(f"parameter {self.name}: a log scale needs lo > 0 (got {self.lo}); use scale = \"linear\"")
        if self.scale == "logit" and not (0 < self.lo and self.hi < 1):
            raise ValueError(f"parameter {self.name}: a logit scale needs 0 < lo < hi < 1")

    def _fwd(self, x):
        x = np.asarray(x, dtype=float)
        if self.scale == "log":
            return np.log(x)
        if self.scale == "logit":
            return np.log(x / (1 - x))
        return x

    def _inv(self, z):
        if self.scale == "log":
            return np.exp(z)
        if self.scale == "logit":
            return 1 / (1 + np.exp(-z))
        return z

    def to_unit(self, x):
        a, b = self._fwd(self.lo), self._fwd(self.hi)
        return (self._fwd(x) - a) / (b - a)

    def from_unit(self, u):
        a, b = self._fwd(self.lo), self._fwd(self.hi)
        return self._inv(a + np.asarray(u, dtype=float) * (b - a))


@dataclass(frozen=True)
class Space:
    species: str
    parameters: tuple[Parameter, ...]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def dim(self) -> int:
        return len(self.parameters)

    def to_unit(self, values: dict[str, float] | list[dict[str, float]]) -> np.ndarray:
        rows = [values] if isinstance(values, dict) else values
        out = np.array([[p.to_unit(row[p.name]) for p in self.parameters] for row in rows], dtype=float)
        return out[0] if isinstance(values, dict) else out

    def from_unit(self, u: np.ndarray) -> list[dict[str, float]]:
        u = np.atleast_2d(np.asarray(u, dtype=float))
        cols = [p.from_unit(np.clip(u[:, j], 0.0, 1.0)) for j, p in enumerate(self.parameters)]
        return [{p.name: float(cols[j][i]) for j, p in enumerate(self.parameters)} for i in range(u.shape[0])]

    def centre(self) -> dict[str, float]:
        """The file values the ranges were built around (the middle of the unit cube where none is given)."""
        mid = self.from_unit(np.full(self.dim, 0.5))[0]
        return {p.name: float(p.value) if p.value is not None else mid[p.name] for p in self.parameters}


def load_space(path: str | Path) -> Space:
    raw = tomllib.loads(Path(path).read_text())
    params = []
    for name, entry in raw.get("parameters", {}).items():
        params.append(Parameter(name=name, lo=float(entry["lo"]), hi=float(entry["hi"]), scale=entry.get("scale", "log"),
                                value=entry.get("value"), range=entry.get("range", ""),
                                range_assumption=bool(entry.get("range_assumption", True)),
                                source=entry.get("source", ""), file=entry.get("file", "")))
    if not params:
        raise ValueError(f"{path}: no [parameters.NAME] tables")
    return Space(species=raw.get("species", ""), parameters=tuple(params))


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def dump_space(space: Space, header: str = "") -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += ["", f"species = {_q(space.species)}", ""]
    for p in space.parameters:
        lines.append(f"[parameters.{_q(p.name)}]")
        lines.append(f"value = {p.value!r}" if p.value is not None else "# value: none given")
        lines += [f"lo = {p.lo:.6g}", f"hi = {p.hi:.6g}", f"scale = {_q(p.scale)}",
                  f"range_assumption = {'true' if p.range_assumption else 'false'}", f"range = {_q(p.range)}",
                  f"source = {_q(p.source)}", f"file = {_q(p.file)}", ""]
    return "\n".join(lines)


def _short(text: str | None, limit: int = 300) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def space_from_calibrate(calibrate, species: str, factor: float = 3.0) -> Space:
    """The space around the current file values: value / factor .. value * factor on a log scale, clipped to
    calibrate.BOUNDS; fractions bounded above by 1 in BOUNDS get a linear scale instead."""
    from abscopal.parameters import store

    names = calibrate.PARAMETERS if species == "mouse" else calibrate.HUMAN_PARAMETERS
    current = calibrate.current(names, species)
    params = []
    for name in names:
        value = float(current[name])
        if name.startswith("pop."):
            file = f"populations/{species}.toml"
            entry = tomllib.loads(store._root().joinpath(file).read_text())["parameters"][name[4:]]
        elif "." in name:
            file = f"tumours/{species}/{name.split('.')[0]}.toml"
            entry = calibrate._tumour_entry(name, species)
        else:
            file = f"shared/{species}.toml"
            e = store.load_shared(species)[name]
            entry = {"source": e.source, "assumption": e.assumption, "note": e.note}
        provenance = _short(entry.get("source") or (f"assumption: {entry.get('assumption')}" if entry.get("assumption") else ""), 200)
        if entry.get("note"):
            provenance += f" | note: {_short(entry['note'], 300)}"
        bounds = calibrate.BOUNDS.get(name)
        lo, hi = value / factor, value * factor
        scale, why, assumed = "log", f"assumption: file value /{factor:g} .. x{factor:g} (no sourced range)", True
        if bounds is not None:
            lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
            why += f", clipped to calibrate.py BOUNDS {list(bounds)}"
            if bounds[1] <= 1.0 and bounds[0] >= 0.0 and value > bounds[1] / 4:
                scale = "linear"
                why += "; sampled on a linear scale: a fraction bounded by 1 whose value is a sizeable share of its bound"
        if scale == "log":
            why += "; sampled on a log scale"
        if lo <= 0 and scale == "log":
            lo = value / factor
        params.append(Parameter(name=name, lo=float(f"{lo:.6g}"), hi=float(f"{hi:.6g}"), scale=scale, value=value,
                                range=why, range_assumption=assumed, source=provenance, file=file))
    return Space(species=species, parameters=tuple(params))
