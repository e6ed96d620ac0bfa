"""Every figure of a 6-arm human trial, a 6-arm mouse trial and a 64-lesion simulation is readable: each drawn
text lies inside the figure and no two texts overlap (tests/figure_audit.py), and the figures show what they
claim (RECIST lines, CTCAE bands, ALC from 0, small multiples, a table of numbers at risk).

The PNGs are written under the test's tmp_path and, when ABSCOPAL_TEST_ARTIFACTS names a folder, copied to
ABSCOPAL_TEST_ARTIFACTS/figures/<case>/ for a person to look at."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import matplotlib.figure
import numpy as np
import pytest

from abscopal import trial_plots as plots
from abscopal.scenario.load import load_scenario
from abscopal.simulate import simulate
from abscopal.trial.analysis import trial_summary
from abscopal.trial.biomarkers import trial_biomarkers
from abscopal.trial.design import load_trial
from abscopal.trial.run import run_trial
from abscopal.trial_report import _m, write_outputs
from tests.figure_audit import text_problems

DATA = Path(__file__).resolve().parents[1] / "data" / "figures"
FOOTER = "abscopal test | model abscopal | parameters test | scenario sha256 000000000000 | seed 18"
PROVENANCE = {"version": "test", "model": "abscopal", "parameter_set": "test", "scenario_sha256": "0" * 64, "seed": 18}
FOREST_ROWS = [{"label": label, "auc": 0.55, "auc_ci_low": 0.3, "auc_ci_high": 0.8}
               for label in ("baseline_sum_diameters_mm", "n_lesions", "baseline_alc", "pdl1_tps", "tmb")]


class Audit:
    """Wraps Figure.savefig: audits each figure before it is saved and keeps it for inspection by file name."""

    def __init__(self):
        self.problems: dict[str, list[str]] = {}
        self.figures: dict[str, matplotlib.figure.Figure] = {}

    def __call__(self, original):
        def savefig(fig, fname, *args, **kwargs):
            name = Path(fname).name
            self.problems[name] = text_problems(fig)
            self.figures[name] = fig
            return original(fig, fname, *args, **kwargs)

        return savefig


@pytest.fixture
def audit(monkeypatch):
    a = Audit()
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", a(matplotlib.figure.Figure.savefig))
    return a


def _keep(folder: Path, case: str) -> None:
    """Copy the PNGs of ``folder`` to $ABSCOPAL_TEST_ARTIFACTS/figures/<case>/ when that variable is set."""
    target = os.environ.get("ABSCOPAL_TEST_ARTIFACTS")
    if target:
        dest = Path(target) / "figures" / case
        dest.mkdir(parents=True, exist_ok=True)
        for png in folder.glob("*.png"):
            shutil.copy2(png, dest / png.name)


@pytest.fixture(scope="module")
def human_run():
    return run_trial(load_trial(DATA / "trial_human_six_arms.yaml", size=None, seed=None, cohort=False), workers=1)


@pytest.fixture(scope="module")
def mouse_run():
    return run_trial(load_trial(DATA / "trial_mouse_six_arms.yaml", size=None, seed=None, cohort=False), workers=1)


def _write_trial(run, out: Path) -> list[Path]:
    result = trial_summary(run)
    result["provenance"] = PROVENANCE
    biomarkers = trial_biomarkers(run)  # every arm with an abscopal outcome, named
    paths = write_outputs(run, result, out, biomarkers)
    if not (biomarkers or {}).get("by_arm"):  # no responder in this small design: draw the forest plot from fixed rows
        paths.append(plots.forest(FOREST_ROWS, out, FOOTER))
    return paths


def _assert_readable(audit: Audit) -> None:
    bad = {name: problems for name, problems in audit.problems.items() if problems}
    assert not bad, "\n".join(f"{name}: {p}" for name, problems in bad.items() for p in problems[:5])


def test_six_arm_human_trial_figures_are_readable(human_run, audit, tmp_path):
    assert len(human_run.records) == 6
    _write_trial(human_run, tmp_path)
    _keep(tmp_path, "trial_human_six_arms")
    assert {"waterfall.png", "spider.png", "swimmer.png", "km_pfs.png", "km_os.png", "forest_biomarkers.png"} <= set(audit.figures)
    _assert_readable(audit)
    # small multiples: the 6-arm waterfall is a grid of panels, not one long strip
    fig = audit.figures["waterfall.png"]
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert len(panels) == 6 and len({round(ax.get_position().y0, 2) for ax in panels}) >= 2
    width, height = fig.get_size_inches()
    assert width / height < 2.5
    # RECIST reference lines at +20% and -30% in every spider and waterfall panel
    for name in ("spider.png", "waterfall.png"):
        for ax in (a for a in audit.figures[name].axes if a.get_visible() and a.get_title()):
            levels = {round(line.get_ydata()[0], 6) for line in ax.get_lines() if len(set(line.get_ydata())) == 1}
            assert {20.0, -30.0} <= levels, (name, ax.get_title(), levels)
    # Kaplan-Meier: the numbers at risk are a table in axes of their own, below the curves, one row per arm
    km = audit.figures["km_pfs.png"]
    curves, table = km.axes[0], km.axes[1]
    assert curves.get_title().startswith("Kaplan") and table.get_title(loc="left") == "number at risk"
    assert table.get_position().y1 <= curves.get_position().y0
    assert [t.get_text() for t in table.get_yticklabels()] == list(human_run.records)
    assert curves.get_position().height * km.get_figheight() >= 2.5  # inches: the table does not squash the curves


def test_six_arm_mouse_trial_figures_are_readable(mouse_run, audit, tmp_path):
    assert len(mouse_run.records) == 6
    _write_trial(mouse_run, tmp_path)
    _keep(tmp_path, "trial_mouse_six_arms")
    assert {"km_endpoint.png", "group_curves.png", "forest_biomarkers.png"} <= set(audit.figures)
    _assert_readable(audit)


@pytest.mark.parametrize("n_arms", [2, 8])
def test_arm_count_from_2_to_8_with_long_names(human_run, audit, tmp_path, n_arms):
    """The same subjects under 2 arms, or 8 arms with long names (copies of the 6): every trial figure readable."""
    arms = list(human_run.records.items())
    records = {f"{name}_with_a_deliberately_long_arm_name_{k}" if n_arms == 8 else name: table
               for k, (name, table) in enumerate((arms * 2)[:n_arms])}
    run = dataclasses.replace(human_run, records=records)
    for draw in (plots.waterfall, plots.spider, plots.swimmer):
        draw(run, tmp_path, FOOTER)
    plots.kaplan_meier(run, tmp_path, FOOTER, "pfs")
    _keep(tmp_path, f"trial_human_{n_arms}_arms")
    assert len(audit.figures) == 4
    _assert_readable(audit)


def test_sixty_four_lesions_single_run_figures_are_readable(audit, tmp_path):
    result = simulate(load_scenario(DATA / "simulate_64_lesions.yaml"))
    assert len(result.to_dict()["lesions"]) == 64
    result.plot(tmp_path)
    _keep(tmp_path, "simulate_64_lesions")
    assert {"lesions.png", "alc.png", "drugs.png"} <= set(audit.figures)
    _assert_readable(audit)
    lesions = audit.figures["lesions.png"]
    legend = lesions.legends[0] if lesions.legends else lesions.subfigs[0].legends[0]
    assert len(legend.get_texts()) >= 64
    titles = " ".join(ax.get_title() for ax in lesions.axes)
    assert "red lines" not in titles and "RECIST" in titles
    # the lesion plot's change panel carries the RECIST reference lines
    levels = {round(line.get_ydata()[0], 6) for ax in lesions.axes for line in ax.get_lines()
              if len(line.get_ydata()) == 2 and len(set(line.get_ydata())) == 1}
    assert {20.0, -30.0} <= levels
    # ALC from 0, with the four CTCAE v5 grade bands (patches spanning 0-200, 200-500, 500-800, 800-LLN)
    alc = audit.figures["alc.png"].axes[0]
    assert alc.get_ylim()[0] == 0
    spans = sorted((round(p.get_y()), round(p.get_y() + p.get_height())) for p in alc.patches)
    assert spans == [(0, 200), (200, 500), (500, 800), (800, 1000)] and "CTCAE v5" in alc.get_title()


def test_open_ended_intervals_print_as_not_reached():
    assert _m({"value": 168.0, "ci_low": 84.0, "ci_high": None}) == "168 (84-NR)"
    assert _m({"value": None, "ci_low": 40.0, "ci_high": None}).startswith("not reached")
    assert "--" not in _m({"value": 30.0, "ci_low": None, "ci_high": None})


def test_the_audit_flags_clipped_and_overlapping_text():
    """The checker can fail: a label beyond the figure's edge and two labels on top of each other."""
    fig = matplotlib.figure.Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.set_yticks([0, 1], ["a very long label that runs past the edge", "x"])
    ax.text(0.5, 0.5, "same place")
    ax.text(0.5, 0.5, "same place too")
    problems = text_problems(fig)
    assert any(p.startswith("clipped") for p in problems)
    assert any(p.startswith("overlap") for p in problems)
    fig2 = matplotlib.figure.Figure(figsize=(3, 2), layout="constrained")
    fig2.subplots().plot(np.arange(3))
    assert text_problems(fig2) == []
