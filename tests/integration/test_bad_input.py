"""Bad scenario files through the real command line (CONTRACT.md: Semantics/Errors, Command line).

Every bad input must give exit status 2, exactly one line on standard error of the form
``FILE: key.path: problem; expected ...; did you mean ...?`` (no traceback) and nothing on
standard output. Each case mutates a valid base scenario; ``test_base_scenarios_are_valid``
proves the bases themselves run, so every failure below is caused by the one mutation.

Every case runs ``python -m abscopal simulate FILE --json -`` in its own subprocess; the selected
cases are started together on a small thread pool (each start costs about a second of imports).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

# --------------------------------------------------------------------------- valid bases

HUMAN_BASE: dict[str, Any] = {
    "abscopal": 1,
    "name": "bad-input base: NSCLC, SBRT 8 Gy x 3 to lung1 + pembrolizumab",
    "species": "human",
    "tumour": "nsclc",
    "patient": {
        "alc": "1500 /uL",
        "pdl1_tps": 0.3,
        "lesions": [
            {"id": "lung1", "site": "lung", "diameter": "25 mm"},
            {"id": "liver1", "site": "liver", "diameter": "18 mm"},
            {"id": "adrenal1", "site": "adrenal", "diameter": "15 mm"},
        ],
    },
    "radiotherapy": [
        {"lesions": ["lung1"], "dose": "8 Gy", "fractions": 3, "start": "day 0", "interval": "1 day"},
    ],
    "drugs": [
        {"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks", "start": "day 7", "count": 8},
    ],
    "simulation": {"duration": "365 days", "output_interval": "1 day"},
}

MOUSE_BASE: dict[str, Any] = {
    "abscopal": 1,
    "name": "bad-input base: TSA bilateral, 8 Gy x 3 + anti-CTLA-4",
    "species": "mouse",
    "tumour": "tsa",
    "patient": {
        "lesions": [
            {"id": "primary", "site": "flank", "volume": "60 mm^3"},
            {"id": "secondary", "site": "flank", "volume": "40 mm^3"},
        ],
    },
    "radiotherapy": [
        {"lesions": ["primary"], "dose": "8 Gy", "fractions": 3, "start": "day 0", "interval": "1 day"},
    ],
    "drugs": [
        {"agent": "anti-ctla-4", "dose": "200 ug", "every": "3 days", "start": "day 2", "count": 3},
    ],
    "simulation": {"duration": "40 days", "output_interval": "1 day", "endpoint_volume": "1500 mm^3"},
}

BASES = {"human": HUMAN_BASE, "mouse": MOUSE_BASE}

# --------------------------------------------------------------------------- mutations

Path_ = tuple  # a key path into the document: ("patient", "lesions", 0, "id")


def _parent(doc: Any, path: Path_) -> Any:
    node = doc
    for step in path[:-1]:
        node = node[step]
    return node


def set_(path: Path_, value: Any) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        _parent(doc, path)[path[-1]] = value

    return mutate


def delete(path: Path_) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        del _parent(doc, path)[path[-1]]

    return mutate


def rename(path: Path_, new: str) -> Callable[[dict], None]:
    """Rename a key in place (keeps the value)."""

    def mutate(doc: dict) -> None:
        parent = _parent(doc, path)
        parent[new] = parent.pop(path[-1])

    return mutate


def both(*mutations: Callable[[dict], None]) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        for m in mutations:
            m(doc)

    return mutate


RT0 = ("radiotherapy", 0)
DRUG0 = ("drugs", 0)
LES0 = ("patient", "lesions", 0)
LES1 = ("patient", "lesions", 1)


@dataclass(frozen=True)
class Case:
    id: str
    key: str | None  # the key path the message must name right after the file (None: top-level text)
    mutate: Callable[[dict], None] | None = None
    base: str = "human"
    raw: str | None = None  # raw file text instead of a mutated base
    suggestion: str | None = None  # the near-miss the message must suggest
    contains: tuple[str, ...] = field(default_factory=tuple)  # further text the message must carry


CASES: list[Case] = [
    # ---- the document itself
    Case("malformed-yaml", None, raw="abscopal: 1\nspecies: [human, mouse\ntumour: nsclc\n", contains=("YAML", "line")),
    Case("malformed-yaml-tab-indent", None, raw="abscopal: 1\npatient:\n\tlesions: []\n", contains=("YAML",)),
    Case("document-is-a-list", None, raw="- abscopal: 1\n- species: human\n", contains=("mapping",)),
    Case("document-is-a-scalar", None, raw="just some text\n", contains=("mapping",)),
    Case("empty-file", None, raw="", contains=("mapping",)),
    # ---- contract version and top level
    Case("missing-contract-version", "abscopal", delete(("abscopal",))),
    Case("wrong-contract-version", "abscopal", set_(("abscopal",), 2)),
    Case("contract-version-as-text", "abscopal", set_(("abscopal",), "1")),
    Case("contract-version-true", "abscopal", set_(("abscopal",), True)),
    Case("unknown-top-level-key", "radiotherapyy", rename(("radiotherapy",), "radiotherapyy"), suggestion="radiotherapy"),
    Case("american-spelling-tumor", "tumor", rename(("tumour",), "tumor"), suggestion="tumour"),
    Case("missing-species", "species", delete(("species",)), base="mouse"),
    Case("unknown-species", "species", set_(("species",), "rat")),
    Case("species-near-miss", "species", set_(("species",), "humna"), suggestion="human"),
    # ---- tumour
    Case("unknown-tumour-near-miss", "tumour", set_(("tumour",), "nsclcc"), suggestion="nsclc"),
    Case("mouse-tumour-in-human", "tumour", set_(("tumour",), "ct26"), contains=("mouse",)),
    Case("human-tumour-in-mouse", "tumour", set_(("tumour",), "melanoma"), base="mouse", contains=("human",)),
    Case("tumour-not-text", "tumour", set_(("tumour",), 5)),
    # ---- agents
    Case("unknown-agent-near-miss", "drugs[0].agent", set_((*DRUG0, "agent"), "pembrolizumabb"), suggestion="pembrolizumab"),
    Case("human-agent-in-mouse", "drugs[0].agent", set_((*DRUG0, "agent"), "pembrolizumab"), base="mouse", contains=("human",)),
    Case("mouse-agent-in-human", "drugs[0].agent", set_((*DRUG0, "agent"), "anti-ctla-4"), contains=("mouse",)),
    Case("missing-agent", "drugs[0].agent", delete((*DRUG0, "agent"))),
    # ---- sites
    Case("unknown-site-near-miss", "patient.lesions[0].site", set_((*LES0, "site"), "lungg"), suggestion="lung"),
    Case("mouse-site-in-human", "patient.lesions[1].site", set_((*LES1, "site"), "flank")),
    Case("unknown-rt-field-site", "radiotherapy[0].site",
         both(delete((*RT0, "lesions")), set_((*RT0, "site"), "brian")), suggestion="brain"),
    # ---- mechanisms and host
    Case("unknown-mechanism-near-miss", "mechanisms.trex", set_(("mechanisms",), {"trex": False}), suggestion="trex1"),
    Case("mechanism-not-boolean", "mechanisms.trex1", set_(("mechanisms",), {"trex1": "yes"}), contains=("true or false",)),
    Case("mechanisms-not-a-mapping", "mechanisms", set_(("mechanisms",), ["trex1"])),
    Case("unknown-host-immune", "host.immune", set_(("host",), {"immune": "competant"}), suggestion="competent"),
    Case("unknown-host-key", "host.immunity", set_(("host",), {"immunity": "competent"}), suggestion="immune"),
    # ---- lesions and ids
    Case("rt-unknown-lesion-id", "radiotherapy[0].lesions[0]", set_((*RT0, "lesions"), ["lung2"]), suggestion="lung1"),
    Case("rt-unknown-lesion-id-mouse", "radiotherapy[0].lesions[0]", set_((*RT0, "lesions"), ["primry"]),
         base="mouse", suggestion="primary"),
    Case("duplicate-lesion-id", "patient.lesions[1].id", set_((*LES1, "id"), "lung1"), contains=("duplicate",)),
    Case("selector-as-lesion-id", "patient.lesions[0].id",
         both(set_((*LES0, "id"), "largest"), set_((*RT0, "lesions"), ["largest"])), contains=("reserved",)),
    Case("invalid-characters-in-id", "patient.lesions[0].id", set_((*LES0, "id"), "lung 1/a")),
    Case("lesion-id-not-text", "patient.lesions[0].id", set_((*LES0, "id"), 7)),
    Case("empty-lesion-list", "patient.lesions", set_(("patient", "lesions"), [])),
    Case("lesions-not-a-list", "patient.lesions", set_(("patient", "lesions"), "lung1")),
    Case("lesion-with-diameter-and-volume", "patient.lesions[0]", set_((*LES0, "volume"), "8 cm^3"), contains=("diameter", "volume")),
    Case("lesion-with-neither-size", "patient.lesions[0]", delete((*LES0, "diameter")), contains=("diameter", "volume")),
    Case("lesion-missing-site", "patient.lesions[2].site", delete(("patient", "lesions", 2, "site"))),
    Case("unknown-lesion-key-near-miss", "patient.lesions[0].diamter", rename((*LES0, "diameter"), "diamter"), suggestion="diameter"),
    Case("unknown-patient-key-wrong-case", "patient.ALC", rename(("patient", "alc"), "ALC"), suggestion="alc"),
    Case("covariate-interval-without-population", "patient.pdl1_tps", set_(("patient", "pdl1_tps"), [0.5, 1.0]),
         contains=("population",)),
    Case("covariate-interval-reversed", "patient.alc", set_(("patient", "alc"), ["900 /uL", "500 /uL"]), contains=("low",)),
    Case("covariate-interval-three-values", "patient.pdl1_tps", set_(("patient", "pdl1_tps"), [0.1, 0.2, 0.3]),
         contains=("interval",)),
    Case("lesion-appears-before-day-0", "patient.lesions[2].appears", set_(("patient", "lesions", 2, "appears"), "day -3")),
    # ---- units and quantities
    Case("rt-dose-bare-number", "radiotherapy[0].dose", set_((*RT0, "dose"), 8), contains=("Gy",)),
    Case("rt-dose-in-sievert", "radiotherapy[0].dose", set_((*RT0, "dose"), "8 Sv")),
    Case("rt-dose-in-mg", "radiotherapy[0].dose", set_((*RT0, "dose"), "8 mg"), contains=("Gy",)),
    Case("diameter-in-gray", "patient.lesions[0].diameter", set_((*LES0, "diameter"), "25 Gy")),
    Case("diameter-bare-number", "patient.lesions[0].diameter", set_((*LES0, "diameter"), 25), contains=("mm",)),
    Case("diameter-not-numeric", "patient.lesions[0].diameter", set_((*LES0, "diameter"), "abc mm")),
    Case("mouse-volume-as-length", "patient.lesions[0].volume", set_((*LES0, "volume"), "60 mm"), base="mouse"),
    Case("drug-dose-in-gray", "drugs[0].dose", set_((*DRUG0, "dose"), "200 Gy")),
    Case("drug-dose-bare-number", "drugs[0].dose", set_((*DRUG0, "dose"), 200)),
    Case("drug-dose-zero", "drugs[0].dose", set_((*DRUG0, "dose"), "0 mg")),
    Case("duration-bare-number", "simulation.duration", set_(("simulation", "duration"), 365)),
    Case("duration-over-20-years", "simulation.duration", set_(("simulation", "duration"), "25 years")),
    Case("output-interval-longer-than-duration", "simulation.output_interval", set_(("simulation", "output_interval"), "2 years")),
    # ---- radiotherapy limits and structure
    Case("rt-negative-dose", "radiotherapy[0].dose", set_((*RT0, "dose"), "-8 Gy")),
    Case("rt-zero-dose", "radiotherapy[0].dose", set_((*RT0, "dose"), "0 Gy")),
    Case("rt-dose-above-100-gy", "radiotherapy[0].dose", set_((*RT0, "dose"), "120 Gy"), contains=("100 Gy",)),
    Case("rt-fractions-zero", "radiotherapy[0].fractions", set_((*RT0, "fractions"), 0)),
    Case("rt-fractions-101", "radiotherapy[0].fractions", set_((*RT0, "fractions"), 101), contains=("100",)),
    Case("rt-fractions-not-integer", "radiotherapy[0].fractions", set_((*RT0, "fractions"), "three")),
    Case("rt-fractions-fractional", "radiotherapy[0].fractions", set_((*RT0, "fractions"), 2.5)),
    Case("rt-missing-dose", "radiotherapy[0].dose", delete((*RT0, "dose"))),
    Case("rt-unknown-key-near-miss", "radiotherapy[0].fraction", rename((*RT0, "fractions"), "fraction"), suggestion="fractions"),
    Case("rt-start-after-end", "radiotherapy[0].start", set_((*RT0, "start"), "day 400")),
    Case("rt-start-not-an-event-time", "radiotherapy[0].start", set_((*RT0, "start"), "0"), contains=("day N",)),
    Case("rt-lesions-and-site", "radiotherapy[0]", set_((*RT0, "site"), "brain"), contains=("lesions", "site")),
    Case("rt-empty-selection-all-but-largest", "radiotherapy[0].lesions",
         both(set_(("patient", "lesions"), [{"id": "lung1", "site": "lung", "diameter": "25 mm"}]),
              set_((*RT0, "lesions"), ["all_but_largest"])),
         contains=("empty",)),
    Case("rt-days-out-of-order", "radiotherapy[0].days",
         both(delete((*RT0, "start")), delete((*RT0, "interval")), set_((*RT0, "days"), ["day 0", "day 4", "day 2"]))),
    Case("rt-interval-and-schedule", "radiotherapy[0]", set_((*RT0, "schedule"), "weekdays")),
    Case("rt-coverage-zero", "radiotherapy[0].coverage", set_((*RT0, "coverage"), 0)),
    Case("rt-unknown-modality", "radiotherapy[0].modality", set_((*RT0, "modality"), "protons"), suggestion="proton"),
    Case("radiotherapy-not-a-list", "radiotherapy", set_(("radiotherapy",), {"lesions": ["lung1"], "dose": "8 Gy"})),
    # ---- drugs
    Case("drug-count-and-until", "drugs[0]", set_((*DRUG0, "until"), "day 300"), contains=("count", "until")),
    Case("drug-missing-every", "drugs[0].every", delete((*DRUG0, "every"))),
    Case("drug-every-zero", "drugs[0].every", set_((*DRUG0, "every"), "0 weeks")),
    Case("drug-count-zero", "drugs[0].count", set_((*DRUG0, "count"), 0)),
    Case("drug-start-after-end", "drugs[0].start", set_((*DRUG0, "start"), "day 400")),
    Case("drug-until-before-start", "drugs[0].until", both(delete((*DRUG0, "count")), set_((*DRUG0, "until"), "day 3"))),
    Case("drug-unknown-key-near-miss", "drugs[0].evry", rename((*DRUG0, "every"), "evry"), suggestion="every"),
    Case("mouse-drug-start-after-end", "drugs[0].start", set_((*DRUG0, "start"), "day 41"), base="mouse"),
    # ---- size limits and covariates
    Case("human-lesion-over-30-cm", "patient.lesions[0].diameter", set_((*LES0, "diameter"), "350 mm")),
    Case("mouse-tumour-over-5-cm3", "patient.lesions[0].volume", set_((*LES0, "volume"), "6 cm^3"), base="mouse"),
    Case("pdl1-not-numeric", "patient.pdl1_tps", set_(("patient", "pdl1_tps"), "high")),
    Case("pdl1-above-one", "patient.pdl1_tps", set_(("patient", "pdl1_tps"), 1.5)),
    Case("negative-alc", "patient.alc", set_(("patient", "alc"), "-100 /uL")),
    Case("alc-in-wrong-unit", "patient.alc", set_(("patient", "alc"), "1500 mg")),
]

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


def _write(tmp_path: Path, case: Case) -> Path:
    path = tmp_path / "scenario.yaml"
    if case.raw is not None:
        path.write_text(case.raw)
    else:
        doc = copy.deepcopy(BASES[case.base])
        assert case.mutate is not None
        case.mutate(doc)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _run(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "abscopal", "simulate", str(path), "--json", "-"],
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def cli_results(request, tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Run the CLI on every selected bad case, several subprocesses at a time."""
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_bad_input_is_one_line_exit_2" and hasattr(item, "callspec")
    }
    root = tmp_path_factory.mktemp("bad_input")
    paths = {}
    for case in CASES:
        if case.id in selected:
            folder = root / case.id
            folder.mkdir()
            paths[case.id] = _write(folder, case)
    workers = max(2, min(8, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        procs = dict(zip(paths, pool.map(_run, paths.values()), strict=True))
    return {case_id: (paths[case_id], procs[case_id]) for case_id in paths}


@pytest.mark.parametrize("base", sorted(BASES))
def test_base_scenarios_are_valid(tmp_path: Path, base: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(BASES[base], sort_keys=False))
    proc = _run(path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "ok"
    assert result["species"] == base
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_2(cli_results, tmp_path: Path, case: Case) -> None:
    if case.id in cli_results:
        path, proc = cli_results[case.id]
    else:  # not pre-run (unusual selection): run it here
        path = _write(tmp_path, case)
        proc = _run(path)
    detail = f"\nexit {proc.returncode}\nstderr:\n{proc.stderr}\nstdout:\n{proc.stdout[:500]}"

    assert proc.returncode == 2, detail
    assert proc.stdout == "", detail
    assert "Traceback" not in proc.stderr, detail
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), detail
    line = lines[0]
    assert line.startswith(f"{path}: "), detail
    rest = line[len(f"{path}: "):]
    if case.key is not None:
        assert rest.startswith(f"{case.key}: "), f"expected key path {case.key!r}{detail}"
    assert "expected" in line, detail
    if case.suggestion is not None:
        assert f"did you mean {case.suggestion!r}?" in line, detail
    for text in case.contains:
        assert text in line, f"expected {text!r} in the message{detail}"
