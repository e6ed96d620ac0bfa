"""The compiled RECIST 1.1 / iRECIST (response_compiled.py) against the Python reference (response.py): exactly
equal results, on thousands of synthetic subjects built to hit every rule, and on real cohorts.

Synthetic subjects: 1-8 lesions in a few organs (so that the 2-per-organ and 5-in-all caps bite), lymph nodes
below 10, between 10 and 15 and above 15 mm, lesions below the 10 mm bar, ties of baseline size, diameters on a
1 mm grid mostly (so that sums land exactly on the -30 % / +20 % / +5 mm / +10 mm bars), lesions that disappear (0 mm,
below the detection limit, NaN) and come back, new lesions (a scan index and/or tracks, nodes among them),
non-targets on and off, confirmation on and off with a minimum SD duration, the response at a fixed scan, and
iRECIST with and without scan days. The real cohorts: every record of trial.run.evaluate equals the record of
the evaluate before the kernel (tests/reference_evaluate.py), on scenarios with varied designs.
"""

from pathlib import Path

import numpy as np
import pytest

from abscopal import response, response_compiled
from abscopal.response import LesionTrack

ROOT = Path(__file__).resolve().parents[2]
SITES = ["lung", "lung", "liver", "lymph_node", "lymph_node", "bone", "skin", "brain"]


def _track(rng, k, n_scans, new=False):
    site = SITES[int(rng.integers(len(SITES)))]
    base = 0.0 if new else float(rng.choice([rng.integers(5, 40), rng.integers(8, 18), 20.0]))
    d, level = np.empty(n_scans), (float(rng.integers(4, 25)) if new else base)
    start = int(rng.integers(0, n_scans + 1)) if new else 0
    for s in range(n_scans):
        step = rng.choice([-6.0, -3.0, -1.0, 0.0, 0.0, 1.0, 2.0, 4.0, 7.0])
        level = max(0.0, level + step) if rng.random() > 0.08 else float(rng.choice([0.0, 3.0, level * 1.3]))
        d[s] = np.nan if s < start else level
    if not new and n_scans and rng.random() < 0.05:
        d[int(rng.integers(n_scans))] = np.nan  # a missing measurement
    return LesionTrack(f"{'n' if new else 'b'}{k}", site, base, d)


def _subject(rng):
    n_scans = int(rng.integers(0, 12)) if rng.random() < 0.05 else int(rng.integers(1, 12))
    lesions = [_track(rng, k, n_scans) for k in range(int(rng.integers(1, 9)))]
    new = [_track(rng, k, n_scans, new=True) for k in range(int(rng.integers(0, 3)))] if rng.random() < 0.4 else None
    new_scan = int(rng.integers(0, n_scans)) if n_scans and rng.random() < 0.2 else None
    days = np.cumsum(rng.choice([14.0, 21.0, 28.0, 42.0, 56.0], size=n_scans))
    return lesions, new, new_scan, days


def _same(a, b) -> bool:
    """Equal field by field, floats to the last bit (repr round-trips a float exactly; NaN equals NaN here)."""
    return type(a) is type(b) and repr(a) == repr(b)


def test_assess_equals_reference_on_synthetic_subjects():
    rng = np.random.default_rng(20261204)
    seen = set()
    for _ in range(3000):
        lesions, new, new_scan, days = _subject(rng)
        n_scans = len(days)
        kw = {"disappearance_mm": float(rng.choice([0.0, 2.0, 5.0])), "new_lesion_scan": new_scan,
              "use_non_targets": bool(rng.random() < 0.7), "new_lesions": new}
        if rng.random() < 0.5:
            kw.update(confirm=True, scan_days=days, confirm_days=float(rng.choice([28.0, 42.0])))
        if rng.random() < 0.3:
            kw.update(scan_days=days, min_sd_days=float(rng.choice([0.0, 42.0, 56.0])))
        if n_scans and rng.random() < 0.3:
            kw["at_index"] = int(rng.integers(n_scans))
        expected = response.assess(lesions, **kw)
        got = response_compiled.assess(lesions, **kw)
        assert _same(got, expected), (kw, got, expected)
        seen.add(expected.best)
        seen.update(expected.confirmed or ())
        if expected.confirmed is not None and list(expected.confirmed) != expected.responses:
            seen.add("changed by confirmation")
        if expected.at is not None and expected.at != expected.best:
            seen.add("read at a fixed scan")
    assert seen >= {"CR", "PR", "SD", "PD", "NE", "changed by confirmation", "read at a fixed scan"}  # all reached


def test_irecist_equals_reference_on_synthetic_subjects():
    rng = np.random.default_rng(4)
    seen = set()
    for _ in range(3000):
        lesions, new, new_scan, days = _subject(rng)
        kw = {"disappearance_mm": float(rng.choice([0.0, 2.0, 5.0])), "new_lesion_scan": new_scan,
              "use_non_targets": bool(rng.random() < 0.7), "new_lesions": new}
        if rng.random() < 0.5:
            kw["scan_days"] = days
        expected = response.assess_irecist(lesions, **kw)
        got = response_compiled.assess_irecist(lesions, **kw)
        assert _same(got, expected), (kw, got, expected)
        seen.update(expected.responses)
        seen.add(expected.best)
    assert seen >= {"iCR", "iPR", "iSD", "iUPD", "iCPD", "NE"}


def test_invalid_arguments_behave_like_the_reference():
    les = [LesionTrack("a", "lung", 20.0, np.array([18.0, 12.0]))]
    with pytest.raises(ValueError, match="scan_days"):
        response_compiled.assess(les, disappearance_mm=5.0, confirm=True)
    with pytest.raises(ValueError, match="at_index"):
        response_compiled.assess(les, disappearance_mm=5.0, at_index=2)
    assert response_compiled.assess([], disappearance_mm=5.0) == response.assess([], disappearance_mm=5.0)


# ------------------------------------------------------------------------------------------- real cohorts
OCCULT_TRIAL = """abscopal: 1
name: new lesions, a later baseline scan and the RECIST out-of-field abscopal definition
species: human
tumour: melanoma
patient:
  lesions:
    - {id: skin1, site: skin, diameter: "30 mm"}
    - {id: node1, site: lymph_node, diameter: "16 mm"}
    - {id: node2, site: lymph_node, diameter: "12 mm"}
    - {id: lung1, site: lung, diameter: "9 mm"}
    - {id: lung2, site: lung, diameter: "21 mm"}
    - {id: lung3, site: lung, diameter: "21 mm"}
population: {size: 40, seed: 2}
mechanisms: {occult_lesions: true}
arms:
  sbrt_ipi:
    radiotherapy: [{lesions: [skin1], dose: "8 Gy", fractions: 3, start: "day 0", interval: "1 day"}]
    drugs: [{agent: ipilimumab, dose: "3 mg/kg", every: "3 weeks", start: "day 0", count: 4}]
  untreated: {}
endpoints: {baseline_scan: "day 14", assessments: "6 weeks", abscopal_definition: recist_out_of_field}
simulation: {duration: "300 days"}
"""

CASES = [  # (file or None for OCCULT_TRIAL, cohort file, subjects): lesion layouts, sites, read-outs, species
    ("benchmarks/scenarios/five_lesions_sbrt_ipi_nivo.yaml", True, 230),  # past DETAIL_SUBJECTS (200)
    ("examples/trial_nsclc_sbrt_pembrolizumab.yaml", False, 32),  # 2-5 sampled lesions, nodes, response_at
    ("examples/trial_rt_gmcsf_mixed_solid.yaml", False, 32),  # 3-6 lesions, a tumour mix
    ("examples/trial_mouse_tsa_four_arms.yaml", False, 8),  # mice: no RECIST read-out
    (None, False, 40),
    ("confirm", False, 40),  # the same trial with endpoints.confirm: true
    ("progression", False, 40),  # the same trial with progression read on the out-of-field lesions
]


@pytest.mark.parametrize("path,cohort,size", CASES)
def test_cohort_records_equal_reference(path, cohort, size, tmp_path, monkeypatch):
    """Every record of a real cohort through trial.run.evaluate equals the record of the evaluate before the
    kernel (tests/reference_evaluate.py: response.py's RECIST/iRECIST, per-lesion NumPy), to the last bit."""
    from abscopal.trial import run as trial_run
    from abscopal.trial.design import load_trial
    from tests import reference_evaluate

    if path in (None, "confirm", "progression"):
        file = tmp_path / "trial.yaml"
        extra = {None: "", "confirm": "confirm: true, ", "progression": "progression: out_of_field, "}[path]
        file.write_text(OCCULT_TRIAL.replace("endpoints: {", "endpoints: {" + extra))
    else:
        file = ROOT / path
    design = load_trial(file, size=size, seed=3, cohort=cohort)
    compiled = trial_run.run_trial(design, workers=1)
    monkeypatch.setattr(trial_run, "evaluate", reference_evaluate.evaluate)
    reference = trial_run.run_trial(design, workers=1)
    for arm, table in reference.records.items():
        assert compiled.records[arm].table.equals(table.table), arm
    rows = [r for t in reference.records.values() for r in t.table.to_pylist()]
    assert rows and all(r["status"] == "ok" for r in rows)
    if design.species == "human":  # the comparison covered assessed and progressing subjects
        assert any(r["overall"] not in (None, "NE") for r in rows)
        assert any(r["progression_day"] is not None for r in rows)


TRANSIENT = """abscopal: 1
name: transient responses after a single fraction
species: human
tumour: melanoma
population: {size: 60, seed: 5, lesions: {count: [1, 2]}}
arms:
  rt:
    radiotherapy: [{lesions: [largest], dose: "8 Gy", fractions: 1, start: "day 0"}]
endpoints: {assessments: "3 weeks"CONFIRM}
simulation: {duration: "240 days"}
"""


def test_confirmation_is_applied_in_cohorts(tmp_path):
    """endpoints.confirm: true changes read-outs (it was parsed and then ignored before 2026-12-04): a CR/PR
    needs a second CR/PR scan at least 28 days later, so responses that regrow after one fraction become SD. The
    confirmed cohort also equals the reference evaluate with confirmation (tests/reference_evaluate.py)."""
    from abscopal.trial import run as trial_run
    from abscopal.trial.design import load_trial
    from tests import reference_evaluate

    rows = {}
    for confirm in (False, True):
        file = tmp_path / f"trial_{confirm}.yaml"
        file.write_text(TRANSIENT.replace("CONFIRM", ", confirm: true" if confirm else ""))
        run = trial_run.run_trial(load_trial(file), workers=1)
        rows[confirm] = run.records["rt"].table.to_pylist()
        if confirm:
            design = load_trial(file)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(trial_run, "evaluate", reference_evaluate.evaluate)
                assert trial_run.run_trial(design, workers=1).records["rt"].table.equals(run.records["rt"].table)
    responders = [r["overall"] in ("CR", "PR") for r in rows[False]]
    assert sum(r["overall"] in ("CR", "PR") for r in rows[True]) < sum(responders)
    assert all(was or r["overall"] not in ("CR", "PR") for r, was in zip(rows[True], responders, strict=True))


ABLATED = """abscopal: 1
name: the largest lesion ablated, a small one left to grow
species: human
tumour: nsclc
host: {immune: t_cell_deficient}
patient:
  lesions:
    - {id: big, site: lung, volume: "30 cm^3"}
    - {id: small, site: liver, volume: "3 cm^3"}
population: {size: 24, seed: 4}
arms:
  sbrt:
    radiotherapy: [{lesions: [big], dose: "20 Gy", fractions: 3, start: "day 0", interval: "2 days"}]
endpoints: {assessments: "6 weeks"PROGRESSION}
simulation: {duration: "360 days"}
"""


def test_progression_out_of_field_reads_the_lesions_left_alone(tmp_path):
    """endpoints.progression: out_of_field leaves the irradiated lesion out of the RECIST sum that PFS is read on:
    with the largest lesion ablated (no T cells, so nothing but RT acts), its shrinkage hides the small lesion's
    growth from the sum of all lesions, so PFS read out of field ends earlier, and in no subject later. The
    response read-outs do not change, and the records equal the reference evaluate (tests/reference_evaluate.py)."""
    from abscopal.trial import run as trial_run
    from abscopal.trial.design import load_trial
    from tests import reference_evaluate

    rows = {}
    for mode in ("all", "out_of_field"):
        file = tmp_path / f"trial_{mode}.yaml"
        file.write_text(ABLATED.replace("PROGRESSION", f", progression: {mode}"))
        design = load_trial(file)
        run = trial_run.run_trial(design, workers=1)
        rows[mode] = run.records["sbrt"].table.to_pylist()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(trial_run, "evaluate", reference_evaluate.evaluate)
            assert trial_run.run_trial(design, workers=1).records["sbrt"].table.equals(run.records["sbrt"].table)
    pairs = list(zip(rows["all"], rows["out_of_field"], strict=True))
    assert all(r["status"] == "ok" for r, _ in pairs)
    assert all(o["pfs_day"] <= a["pfs_day"] for a, o in pairs)
    assert sum(o["pfs_day"] < a["pfs_day"] for a, o in pairs) >= len(pairs) // 2
    assert all(a[key] == o[key] for a, o in pairs for key in ("overall", "in_field", "out_of_field", "os_day"))
