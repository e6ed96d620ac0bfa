"""`abscopal sbml`: the export round-trips through libRoadRunner to the engine's lesion volumes.

Acceptance (issue 5): error below 1e-6 relative to max(volume, 1 mm^3) on every lesion volume at every
output day. Both sides are solved tightly (engine rtol 1e-10, CVODE rtol 1e-10 / atol 1e-12), so the
difference measures the export, not the solvers: a wrong sign, a missing event assignment or a wrongly
composed event (SBML assigns simultaneously, equations.EVENT sequentially) moves volumes by percent.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from abscopal.model.subject import subject_from_scenario
from abscopal.sbml import subject_sbml
from abscopal.scenario.load import load_scenario
from abscopal.simulate import run_subjects
from tests.helpers import human_base, mouse_base, scenario

roadrunner = pytest.importorskip("roadrunner")

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-6


def _roadrunner_volumes(text: str, n_lesions: int, duration: float) -> np.ndarray:
    rr = roadrunner.RoadRunner(text)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    rr.integrator.setValue("maximum_num_steps", 200_000)
    rr.timeCourseSelections = ["time"] + [f"measured_volume__L{j}" for j in range(n_lesions)]
    return np.array(rr.simulate(0.0, duration, int(round(duration)) + 1))[:, 1:]


def _round_trip_error(sc) -> float:
    subject = subject_from_scenario(sc)
    duration = sc.simulation.duration_days
    engine = run_subjects([subject], duration, 1.0, rtol=1e-10)[0].volume_mm3
    exported = _roadrunner_volumes(subject_sbml(subject), len(subject.lesions), duration)
    assert exported.shape == engine.shape
    return float(np.max(np.abs(exported - engine) / np.maximum(engine, 1.0)))


@pytest.mark.parametrize("path", [
    "benchmarks/scenarios/five_lesions_sbrt_ipi_nivo.yaml",  # 5 lesions, SBRT, two antibodies (issue 5)
    "examples/mouse_tsa_bilateral_3x8_anti_ctla4.yaml",  # mouse, i.p. depot dosing, eradication of a lesion
    "examples/nsclc_conventional_30x2_lymphopenia.yaml",  # 30 fractions: node, blood and marrow jumps
])
def test_export_matches_engine(path):
    assert _round_trip_error(load_scenario(ROOT / path)) < TOLERANCE


def test_export_with_late_lesion_and_switches_matches_engine():
    """A lesion that appears on day 20 (activation event) and mechanisms switched off (flags as parameters)."""
    doc = human_base(
        radiotherapy=[{"lesions": ["lung1"], "dose": "8 Gy", "fractions": 3, "start": "day 0", "interval": "2 days"}],
        drugs=[{"agent": "pembrolizumab", "dose": "200 mg", "every": "21 days", "start": "day 0", "count": 4}],
        mechanisms={"occult_lesions": False, "trex1": False, "trafficking": False},
        simulation={"duration": "90 days"},
    )
    doc["patient"]["lesions"].append({"id": "late", "site": "liver", "diameter": "6 mm", "appears": "day 20"})
    assert _round_trip_error(scenario(doc)) < TOLERANCE


def test_a_changed_event_is_detected():
    """Guard: the comparison notices an export whose treatment differs (the second fraction dropped)."""
    sc = scenario(mouse_base(radiotherapy=[{"lesions": ["primary"], "dose": "8 Gy", "fractions": 3,
                                            "start": "day 0", "interval": "1 day"}]))
    subject = subject_from_scenario(sc)
    text = subject_sbml(subject)
    start = text.index('<event id="treatment_1"')
    broken = text[:start] + text[text.index("</event>", start) + len("</event>"):]
    engine = run_subjects([subject], 30.0, 1.0, rtol=1e-10)[0].volume_mm3
    exported = _roadrunner_volumes(broken, 2, 30.0)
    assert np.max(np.abs(exported - engine) / np.maximum(engine, 1.0)) > 1e-2


def test_export_is_valid_sbml():
    libsbml = pytest.importorskip("libsbml")
    sc = load_scenario(ROOT / "benchmarks/scenarios/five_lesions_sbrt_ipi_nivo.yaml")
    doc = libsbml.readSBMLFromString(subject_sbml(subject_from_scenario(sc)))
    doc.checkConsistency()
    errors = [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
              if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    assert errors == []
    assert doc.getLevel() == 3 and doc.getModel().getNumEvents() > 0


def test_cli_writes_sbml_and_rejects_bad_input(tmp_path):
    out = tmp_path / "model.xml"
    cmd = [sys.executable, "-m", "abscopal", "sbml", str(ROOT / "examples/nsclc_sbrt_pembrolizumab.yaml"), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("<?xml") and "<listOfEvents>" in out.read_text()
    bad = subprocess.run([sys.executable, "-m", "abscopal", "sbml", str(ROOT / "examples/kosinsky2018_ct26_untreated.yaml"),
                          "--out", str(tmp_path / "k.xml")], capture_output=True, text=True)
    assert bad.returncode == 2 and "model" in bad.stderr and "Traceback" not in bad.stderr
