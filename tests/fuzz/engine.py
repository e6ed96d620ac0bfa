"""Mutation fuzzing of the shipped examples through the real command line, in-process.

One mutation engine serves two runners: the hypothesis test of CI (``test_fuzz.py``, a few hundred
cases) and the on-demand run of thousands of cases with a stated seed (``python -m tests.fuzz.run``).
Each case takes one example, applies one to three mutations of one family and runs
``abscopal.cli.main`` on the result:

- structural: drop, duplicate, retype, nest or rename keys, swap values, deep nesting, alias bombs,
  huge lists;
- value: extreme, negative, zero, nan, inf, huge and malformed numbers and quantities;
- extreme but valid: values at the loader's stated limits, which must run;
- raw bytes: flips, insertions, truncation and invalid UTF-8 of the file's bytes.

A case is *clean* when the command exits 0 with finite, non-negative outputs (``good``), exits 2 with
one line on standard error (``input_error``) or reports a solver failure in its result (``solver``).
Anything else is a finding: an exception other than the input error (``crash``), a run beyond the
per-case limit (``hang``), a non-finite or negative output (``non_finite``) or an input error that runs
beyond one line (``long_error``).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import random
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# Subjects per cohort or trial case: small enough for hundreds of cases a minute, large enough for the statistics.
FUZZ_SUBJECTS = 6
# A file's own population size is used when at most this; larger ones are replaced by --size FUZZ_SUBJECTS.
OWN_SIZE_LIMIT = 16
# Numeric outputs whose name contains one of these may be negative (changes, differences, interval bounds).
SIGNED = ("change", "difference", "ci_low", "ci_high", "log", "correlation", "delta", "effect", "coef", "slope", "beta", "z")
# An input error is one line of at most this many characters (file, key, problem, expected form, hint).
MAX_ERROR_CHARS = 600
FAMILIES = ("structural", "value", "extreme_valid", "raw_bytes")


class CaseTimeout(BaseException):
    """The per-case wall-clock limit was reached."""


@dataclass
class Outcome:
    kind: str  # good, input_error, solver, crash, hang, non_finite, long_error
    example: str
    family: str
    mutations: list[str]
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Example:
    name: str
    text: str
    data: Any
    command: str


@dataclass
class Case:
    example: Example
    family: str
    mutations: list[str] = field(default_factory=list)
    payload: bytes = b""


def examples() -> list[Example]:
    out = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        if path.name.startswith(("optimise_", "fit_")):  # not scenario or trial files
            continue
        text = path.read_text()
        data = yaml.safe_load(text)
        command = "trial" if "arms" in data else ("cohort" if "population" in data else "simulate")
        out.append(Example(path.name, text, data, command))
    return out


# --------------------------------------------------------------------------- paths in a document

def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys and indices) below ``node``, the root excluded."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append(prefix + (key,))
            out.extend(_paths(value, prefix + (key,)))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            out.append(prefix + (k,))
            out.extend(_paths(value, prefix + (k,)))
    return out


def _get(node: Any, path: tuple) -> Any:
    for step in path:
        node = node[step]
    return node


def _set(node: Any, path: tuple, value: Any) -> None:
    _get(node, path[:-1])[path[-1]] = value


def _leaves(data: Any) -> list[tuple]:
    return [p for p in _paths(data) if not isinstance(_get(data, p), (dict, list))]


# --------------------------------------------------------------------------- value pools

EXTREME_NUMBERS = [0, -1, -0.0, 1, 2, 1e-308, 5e-324, 1e308, -1e308, 10**30, 2**63, -(2**63), 10**400,
                   float("nan"), float("inf"), float("-inf"), 0.5, 1.0000001, 123456789, 1e9]
MAGNITUDES = ["0", "-1", "-0", "1e308", "1e-308", "1e400", "nan", "inf", "-inf", "1e99999", "9**9**9", "2**1000",
              "0x10", "1_000", "1e", ".", "1.5.5", "100000000000000000000000000000", "3e-5", "1e6", "7"]
UNIT_JUNK = ["Gy**99999", "m**-99", "(((((", "mg/kg/kg/kg", "day**0.5", "1/0", "Gy*Gy*Gy", "", "x", "parsec",
             "degC", "%", "mg/m^2^2", "Gy 8", "μg"]
TEXT_JUNK = ["", " ", "~", "null", "yes", "NaN", "\u202e\u0000", "a" * 100_000, "é" * 50, "day", "day day 1",
             "day 1e400", "day -1", "day nan", "day inf", "day 0.0000001", "day 1e300", "{", "[]", "!!python/object:os.system"]
# Values at or near the stated limits that a valid scenario may use: they must run.
VALID_EXTREMES = {
    "duration": ["20 years", "7300 days", "365 days", "1 day", "2 days", "1 h"],
    "output_interval": ["1 h", "7 days", "0.5 day"],
    "diameter": ["1 mm", "0.5 mm", "0.1 mm", "300 mm", "21.22 mm", "150 mm", "200 mm", "250 mm", "15 cm"],
    "volume": ["1 mm^3", "0.1 mm^3", "0.000524 mm^3", "5000 mm^3", "2000 mm^3", "4000 mm^3", "4 cm^3"],
    "dose": ["0.01 Gy", "0.5 Gy", "30 Gy", "100 Gy", "1 mg", "10 mg/kg", "1 ug", "2000 mg"],
    "fractions": [1, 2, 35, 50, 100],
    "interval": ["1 h", "6 h", "1 week", "30 days"],
    "every": ["1 day", "1 week", "3 months", "1 year"],
    "count": [1, 2, 50, 500, 1000],
    "size": [1, 2, 3],
    "seed": [0, 1, 2**31 - 1, 2**40],
    "alc": ["1 /uL", "50 /uL", "5000 /uL", "99999 /uL"],
    "weight": ["40 kg", "150 kg", "15 g", "30 g"],
    "start": ["day 0", "day 0.5", "day 300"],
    "appears": ["day 0", "day 1", "day 100"],
    "coverage": [0.01, 1, 1.0],
    "pdl1_tps": [0, 1, 0.0, 1.0],
}


def _value_mutation(rng: random.Random, value: Any) -> Any:
    if isinstance(value, bool):
        return rng.choice([None, 0, 1, "true", "no"])
    if isinstance(value, (int, float)):
        return rng.choice(EXTREME_NUMBERS)
    if isinstance(value, str):
        parts = value.split(None, 1)
        roll = rng.random()
        if value.startswith("day "):
            return rng.choice([f"day {rng.choice(MAGNITUDES)}", rng.choice(TEXT_JUNK)])
        if len(parts) == 2 and roll < 0.55:
            return f"{rng.choice(MAGNITUDES)} {parts[1]}"
        if len(parts) == 2 and roll < 0.8:
            return f"{parts[0]} {rng.choice(UNIT_JUNK)}"
        if roll < 0.9:
            return rng.choice(TEXT_JUNK)
        return value * rng.choice([2, 1000, 50_000])
    return rng.choice(EXTREME_NUMBERS + TEXT_JUNK[:5])


RETYPES = [None, True, 0, -5, 3.5, "text", "8 Gy", [], {}, [1, 2], {"a": 1}, [[[]]], "day 3"]


def _structural(rng: random.Random, data: Any, notes: list[str]) -> Any:
    paths = _paths(data)
    if not paths:
        return data
    path = rng.choice(paths)
    kind = rng.choice(["drop", "retype", "nest_list", "nest_map", "rename", "swap", "copy_sibling", "empty_list",
                       "unknown_key", "top_retype", "huge_list", "long_list"])
    notes.append(f"{kind} {'.'.join(map(str, path))}")
    parent = _get(data, path[:-1])
    if kind == "drop":
        del parent[path[-1]]
    elif kind == "retype":
        _set(data, path, copy.deepcopy(rng.choice(RETYPES)))
    elif kind == "nest_list":
        _set(data, path, [_get(data, path)])
    elif kind == "nest_map":
        _set(data, path, {"value": _get(data, path)})
    elif kind == "rename" and isinstance(parent, dict):
        parent[str(path[-1]) + rng.choice(["s", "_", "X", ""]).upper()] = parent.pop(path[-1])
    elif kind == "swap":
        other = rng.choice(paths)
        try:
            a, b = _get(data, path), _get(data, other)
            _set(data, path, copy.deepcopy(b))
            _set(data, other, copy.deepcopy(a))
        except (KeyError, IndexError, TypeError):
            pass
    elif kind == "copy_sibling" and isinstance(parent, list):
        parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
    elif kind == "empty_list":
        _set(data, path, [])
    elif kind == "unknown_key" and isinstance(parent, dict):
        parent[rng.choice(["extra", "Dose", "fraction", "lesion", "duration_days"])] = 1
    elif kind == "top_retype":
        return copy.deepcopy(rng.choice(RETYPES + ["abscopal: 1", 17]))
    elif kind == "huge_list":
        _set(data, path, [copy.deepcopy(_get(data, path))] * rng.choice([1000, 60_000]))
    elif kind == "long_list" and isinstance(parent, list):
        parent.extend(copy.deepcopy(parent[path[-1]]) for _ in range(rng.choice([50, 70, 200])))
    return data


def _override(rng: random.Random, data: Any, notes: list[str], *, valid: bool) -> Any:
    """Override one model parameter at (valid) or beyond (not valid) the edges of its declared bounds."""
    from abscopal.model.declarations import parameter_declarations
    from abscopal.scenario.bounds import BOUNDS, bound_for

    if not isinstance(data, dict):
        return data
    name = rng.choice(sorted(BOUNDS))
    bound, unit = bound_for(name, str(data.get("species"))), parameter_declarations()[name].unit
    if valid:
        low = bound.low * 1.001 + 1e-9 if bound.low_open else bound.low
        value = rng.choice([low, bound.high, math.sqrt(max(low, 1e-9) * bound.high)])
    else:
        value = rng.choice([bound.high * 1.5 + 1, bound.low - 1, -1e-9 if bound.low == 0 else bound.low * 0.5, 1e300])
    if unit not in ("", "1"):
        value = f"{value:g} {unit}"
    notes.append(f"override {name}={value!r}")
    overrides = data.get("overrides") if isinstance(data.get("overrides"), dict) else {}
    overrides[name] = value
    data["overrides"] = overrides
    return data


# Optional keys that no example uses, with values at and beyond their limits.
OPTIONAL = {
    ("patient", "tmb"): ["0 /Mb", "1e-300 /Mb", "10000 /Mb", "1e308 /Mb"],
    ("patient", "bsa"): ["0.001 m^2", "5 m^2", "1e308 m^2", "1e-300 m^2"],
    ("patient", "alc"): ["1e-300 /uL", "1 /uL", "99999 /uL", "1e308 /uL"],
    ("patient", "pdl1_tps"): [0, 1, 1.5, float("nan")],
    ("radiotherapy", "beam_on_time"): ["1e-300 s", "1 day", "1e300 days", "2 min"],
    ("radiotherapy", "field_size"): ["1e-300 cm^3", "100000 cm^3", "1e300 cm^3"],
    ("radiotherapy", "coverage"): [1e-300, 0.01, 1],
    ("radiotherapy", "nodes"): [True],
    ("radiotherapy", "modality"): ["proton", "carbon"],
    ("simulation", "endpoint_volume"): ["1e-300 mm^3", "1 mm^3", "1e300 mm^3"],
    ("simulation", "seed"): [0, 2**63 - 1, 2**64],
}


def _optional(rng: random.Random, data: Any, notes: list[str]) -> Any:
    """Set an optional key (patient, every radiotherapy block or the simulation) to a drawn value."""
    if not isinstance(data, dict):
        return data
    (block, name) = rng.choice(sorted(OPTIONAL))
    value = rng.choice(OPTIONAL[(block, name)])
    notes.append(f"optional {block}.{name}={value!r}")
    targets = [data.get(block)]
    if block == "radiotherapy":
        targets = data.get("radiotherapy") if isinstance(data.get("radiotherapy"), list) else []
        for arm in (data.get("arms") or {}).values() if isinstance(data.get("arms"), dict) else []:
            if isinstance(arm, dict) and isinstance(arm.get("radiotherapy"), list):
                targets = targets + arm["radiotherapy"]
    for target in targets:
        if isinstance(target, dict):
            target[name] = value
    return data


def _extreme_valid(rng: random.Random, data: Any, notes: list[str]) -> Any:
    roll = rng.random()
    if roll < 0.25:
        return _override(rng, data, notes, valid=True)
    if roll < 0.4:
        return _optional(rng, data, notes)
    candidates = [p for p in _leaves(data) if isinstance(p[-1], str) and p[-1] in VALID_EXTREMES]
    if not candidates:
        return data
    path = rng.choice(candidates)
    value = rng.choice(VALID_EXTREMES[path[-1]])
    notes.append(f"valid {'.'.join(map(str, path))}={value!r}")
    _set(data, path, value)
    return data


# --------------------------------------------------------------------------- text and byte mutations

def _duplicate_key_text(rng: random.Random, text: str, notes: list[str]) -> str:
    lines = text.splitlines()
    keyed = [k for k, line in enumerate(lines) if ":" in line and not line.lstrip().startswith(("#", "-"))]
    if not keyed:
        return text
    k = rng.choice(keyed)
    notes.append(f"duplicate line {k + 1}")
    lines.insert(k + 1, lines[k])
    return "\n".join(lines) + "\n"


def _text_bomb(rng: random.Random, text: str, notes: list[str]) -> str:
    kind = rng.choice(["alias_bomb", "deep_flow", "deep_block", "anchor", "huge_flow"])
    notes.append(kind)
    if kind == "alias_bomb":
        rows = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        rows += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]" for k in range(1, 10)]
        return "\n".join(rows) + "\n" + text
    if kind == "anchor":
        return text.replace("tumour:", "tumour: &t", 1).rstrip() + "\nname: *t\n"
    if kind == "deep_flow":
        depth = rng.choice([100, 1000, 50_000])
        return text.rstrip() + "\nextra: " + "[" * depth + "]" * depth + "\n"
    if kind == "deep_block":
        depth = rng.choice([200, 2000])
        return text.rstrip() + "\nextra:\n" + "".join(" " * k + "- \n" for k in range(1, depth))
    return text.rstrip() + "\nextra: [" + ", ".join(["1"] * rng.choice([10_000, 400_000])) + "]\n"


def _raw_bytes(rng: random.Random, payload: bytes, notes: list[str]) -> bytes:
    buf = bytearray(payload)
    kind = rng.choice(["flip", "insert", "delete", "truncate", "invalid_utf8", "nul", "bom", "repeat"])
    notes.append(kind)
    at = rng.randrange(max(1, len(buf)))
    if kind == "flip" and buf:
        buf[at] ^= 1 << rng.randrange(8)
    elif kind == "insert":
        buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    elif kind == "delete":
        del buf[at:at + rng.randint(1, 20)]
    elif kind == "truncate":
        del buf[at:]
    elif kind == "invalid_utf8":
        buf[at:at] = rng.choice([b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"])
    elif kind == "nul":
        buf[at:at] = b"\x00"
    elif kind == "bom":
        buf[0:0] = rng.choice([b"\xef\xbb\xbf", b"\xff\xfe"])
    elif kind == "repeat":
        chunk = bytes(buf[at:at + rng.randint(1, 200)])
        buf[at:at] = chunk * rng.randint(2, 50)
    return bytes(buf)


def make_case(rng: random.Random, pool: list[Example]) -> Case:
    """Draw one mutated example (everything from ``rng``, so a seed fixes the case)."""
    example = rng.choice(pool)
    family = rng.choice(FAMILIES)
    case = Case(example, family)
    if family == "raw_bytes":
        payload = example.text.encode()
        for _ in range(rng.randint(1, 3)):
            payload = _raw_bytes(rng, payload, case.mutations)
        case.payload = payload
        return case
    data = copy.deepcopy(example.data)
    text = None
    for _ in range(rng.randint(1, 3)):
        if family == "structural":
            roll = rng.random()
            if roll < 0.12:
                text = _duplicate_key_text(rng, text or _dump(data), case.mutations)
                continue
            if roll < 0.22:
                text = _text_bomb(rng, text or _dump(data), case.mutations)
                continue
            if text is None:
                data = _structural(rng, data, case.mutations)
        elif family == "value" and text is None and rng.random() < 0.15:
            data = _override(rng, data, case.mutations, valid=False)
        elif family == "value" and text is None:
            leaves = _leaves(data)
            if leaves:
                path = rng.choice(leaves)
                new = _value_mutation(rng, _get(data, path))
                case.mutations.append(f"value {'.'.join(map(str, path))}={_short(new)}")
                _set(data, path, new)
        elif family == "extreme_valid":
            data = _extreme_valid(rng, data, case.mutations)
    case.payload = (text if text is not None else _dump(data)).encode()
    return case


def _dump(data: Any) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: the huge-list cases dump 50x faster
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1_000_000)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 50 else text[:47] + "..."


# --------------------------------------------------------------------------- running a case

@contextlib.contextmanager
def _time_limit(seconds: float):
    def _raise(signum, frame):
        raise CaseTimeout()

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _argv(case: Case, path: Path, json_out: Path) -> list[str]:
    command = case.example.command
    argv = [command, str(path), "--json", str(json_out)]
    if command in ("trial", "cohort"):
        argv += ["--workers", "1"]
        size = None
        try:
            if len(case.payload) < 100_000:
                doc = yaml.load(case.payload.decode(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
                size = doc["population"]["size"]
        except Exception:  # the loader will judge the file; only the harness's choice of --size depends on this
            pass
        if not (isinstance(size, int) and not isinstance(size, bool) and 0 < size <= OWN_SIZE_LIMIT):
            argv += ["--size", str(FUZZ_SUBJECTS)]
    return argv


def run_case(case: Case, *, limit_s: float = 30.0) -> Outcome:
    """Run one case through ``abscopal.cli.main`` and classify what happened."""
    from abscopal.cli import main

    outcome = Outcome("crash", case.example.name, case.family, case.mutations)
    with tempfile.TemporaryDirectory(prefix="abscopal-fuzz-") as tmp:
        path = Path(tmp) / ("case.json" if case.example.name.endswith(".json") else "case.yaml")
        path.write_bytes(case.payload)
        json_out = Path(tmp) / "out" / "result.json"
        err = io.StringIO()
        start = time.perf_counter()
        try:
            with _time_limit(limit_s), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                try:
                    rc = main(_argv(case, path, json_out))
                except SystemExit as exc:  # argparse
                    rc = exc.code if isinstance(exc.code, int) else 1
        except CaseTimeout:
            outcome.kind, outcome.detail = "hang", f"over {limit_s:g} s"
            return outcome
        except BaseException as exc:  # noqa: BLE001 - a fuzz finding, reported, not raised
            outcome.detail = f"{exc.__class__.__name__}: {str(exc)[:300]}"
            return outcome
        finally:
            outcome.seconds = time.perf_counter() - start
        stderr = err.getvalue()
        problem_lines = [line for line in stderr.splitlines() if line.strip() and "warning:" not in line
                         and not line.startswith(("[", "\r["))]
        if rc == 2:
            if len(problem_lines) != 1 or len(problem_lines[0]) > MAX_ERROR_CHARS:
                outcome.kind, outcome.detail = "long_error", stderr[:400]
            else:
                outcome.kind, outcome.detail = "input_error", problem_lines[0][:300]
            return outcome
        if "internal error" in stderr or rc not in (0, 1):
            outcome.detail = stderr.strip()[-400:]
            return outcome
        data = None
        if json_out.exists():
            try:
                data = json.loads(json_out.read_text(), parse_constant=_refuse_constant)
            except ValueError as exc:
                outcome.kind, outcome.detail = "non_finite", f"result.json: {exc}"
                return outcome
        if rc == 1:
            if data is not None and data.get("status", "ok") != "ok" or "solver" in stderr.lower():
                outcome.kind, outcome.detail = "solver", stderr.strip()[-200:]
            else:
                outcome.detail = stderr.strip()[-400:]
            return outcome
        bad = _bad_number(data) if data is not None else "no result.json written"
        if bad:
            outcome.kind, outcome.detail = "non_finite", bad
            return outcome
        outcome.kind = "good"
        return outcome


def _refuse_constant(name: str):
    raise ValueError(f"{name} in the JSON output")


def _bad_number(node: Any, path: str = "") -> str | None:
    """The first non-finite number, or negative one where the quantity cannot be negative."""
    if isinstance(node, dict):
        for key, value in node.items():
            found = _bad_number(value, f"{path}.{key}")
            if found:
                return found
    elif isinstance(node, list):
        for k, value in enumerate(node):
            found = _bad_number(value, f"{path}[{k}]")
            if found:
                return found
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        if not math.isfinite(node):
            return f"{path} = {node}"
        # the quantity's name, and its parent's for {"value": ...} blocks such as a paired difference's
        last = ".".join(part.split("[")[0] for part in path.rsplit(".", 2)[-2:]).lower()
        if node < 0 and not any(word in last for word in SIGNED):
            return f"{path} = {node} (negative)"
    return None


def summarise(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {k: 0 for k in ("good", "input_error", "solver", "crash", "hang", "non_finite", "long_error")}
    for outcome in outcomes:
        counts[outcome.kind] += 1
    return counts


FINDINGS = ("crash", "hang", "non_finite", "long_error")
