"""`abscopal fit` on real measured tumour volumes after radiotherapy: rat rhabdomyosarcomas, untreated or
given one X-ray dose of 10-40 Gy (Fig. 2 of Watanabe et al., Theor Biol Med Model 2016;13:6, as digitised
in the MIT-licensed repository poojac831/Modeling-Tumor-Volume-using-ODEs; docs/fit.md, "A real data set").

The data are not part of the repository (docs/fit.md says where to get them and how to convert them). The
data tests read a copy kept beside the checkout - a folder ``shared/data/watanabe2016_rat_rt`` next to it
or one level up, or $ABSCOPAL_WATANABE_DIR - holding either the five source files (control.csv,
data1.csv..data4.csv) or the converted ``watanabe2016_rat_rt.csv``, and are skipped without one. The design
file is checked always.
"""

from __future__ import annotations

import json
import math
import os
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT / "examples/fit_watanabe2016_rat_rt.yaml"
SOURCES = {"control": "control.csv", "rt_10gy": "data1.csv", "rt_20gy": "data2.csv", "rt_30gy": "data3.csv",
           "rt_40gy": "data4.csv"}
CANDIDATES = [Path(os.environ["ABSCOPAL_WATANABE_DIR"])] if os.environ.get("ABSCOPAL_WATANABE_DIR") else []
CANDIDATES += [ROOT.parent / "shared/data/watanabe2016_rat_rt", ROOT.parents[1] / "shared/data/watanabe2016_rat_rt"]
FOUND = next((p for p in CANDIDATES if (p / "watanabe2016_rat_rt.csv").is_file()
              or all((p / f).is_file() for f in SOURCES.values())), None)
needs_data = pytest.mark.skipif(FOUND is None, reason="the Watanabe 2016 volumes are not beside this checkout "
                                                      "(docs/fit.md, 'A real data set': where to get them)")


def converted(folder: Path, tmp_path: Path) -> Path:
    """The fit-format file: the converted copy if there is one, else made from the five source files as
    docs/fit.md does it (cm^3 -> mm^3 by moving the decimal point; days unchanged)."""
    if (folder / "watanabe2016_rat_rt.csv").is_file():
        return folder / "watanabe2016_rat_rt.csv"
    lines = ["group,animal,day,lesion,volume_mm3"]
    for group, name in SOURCES.items():
        for row in (folder / name).read_text().splitlines():
            if row.strip():
                day, cm3 = (cell.strip() for cell in row.split(","))
                lines.append(f"{group},{group}-curve,{day},tumour,{format(Decimal(cm3).scaleb(3), 'f')}")
    path = tmp_path / "watanabe2016_rat_rt.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_design_states_one_single_fraction_per_arm_on_day_11():
    from abscopal.fitting.design import first_treatment_day, load_design

    design = load_design(DESIGN)
    assert list(design.arms) == ["control", "rt_10gy", "rt_20gy", "rt_30gy", "rt_40gy"]
    assert design.species == "mouse" and design.tumour == "fsa" and design.lesion_ids == ["tumour"]
    assert first_treatment_day(design.arms["control"]) is None
    for dose, arm in zip((10, 20, 30, 40), list(design.arms)[1:], strict=True):
        (block,) = design.arms[arm].radiotherapy
        assert block.days == (11.0,), arm
        assert block.dose_per_fraction_gy == pytest.approx(dose) and block.lesion_ids == ("tumour",), arm


@needs_data
def test_the_real_volumes_load_as_five_curves(tmp_path):
    from abscopal.fitting.data import read_data
    from abscopal.fitting.design import load_design

    design = load_design(DESIGN)
    data = read_data(converted(FOUND, tmp_path), list(design.arms), design.lesion_ids)
    assert data.kind == "mouse" and data.groups == list(SOURCES)
    assert len(data.subjects) == 5 and data.n_observations == 73 - 5  # every row after each curve's first
    for subject in data.subjects:
        assert subject.start_day == pytest.approx(-0.3550117042096783)
        assert subject.initial_mm3["tumour"] == pytest.approx(16.322248053196212)
        assert not any(subject.censored)
    by_group = {s.group: s for s in data.subjects}
    assert max(by_group["control"].values) == pytest.approx(7793.697084479391)  # 7.79 cm^3 on day 30
    after = [v for t, v in zip(by_group["rt_40gy"].times, by_group["rt_40gy"].values, strict=True) if t + by_group["rt_40gy"].start_day > 11]
    assert min(after) == pytest.approx(164.96480740980174)  # the nadir after 40 Gy on day 11


@needs_data
def test_a_short_fit_of_the_real_volumes_returns_finite_summaries(tmp_path):
    from abscopal.cli import main

    out = tmp_path / "fit"
    code = main(["fit", str(converted(FOUND, tmp_path)), "--design", str(DESIGN), "--parameters",
                 "doubling_time,alpha", "--steps", "4", "--walkers", "8", "--nodes", "1", "--out", str(out), "--quiet"])
    assert code == 0
    result = json.loads((out / "fit.json").read_text())
    assert result["n_subjects"] == 5 and result["n_observations"] == 68
    assert [g["name"] for g in result["groups"]] == list(SOURCES)
    for p in result["parameters"]:
        assert all(math.isfinite(x) and x > 0 for x in (p["mean"], p["median"], *p["ci90"])), p["name"]
    assert 0 <= result["goodness_of_fit"]["coverage90"] <= 1
    assert (out / "predictive.png").stat().st_size > 0 and (out / "fitted_rt_40gy.yaml").is_file()
