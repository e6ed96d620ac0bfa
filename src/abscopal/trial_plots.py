"""Trial figures: waterfall of best change, spider and swimmer plots (one panel per arm, small multiples),
Kaplan-Meier per arm with a table of numbers at risk below the curves, forest plot of subgroups, and (mice)
group growth curves. Each carries the research-use notice; the layout rules are those of abscopal.plots
(2 to 8 arms without clipping or overlap, checked in tests/integration/test_figures.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .plots import (
    finish,
    grid_shape,
    legend_below,
    legend_columns,
    legend_inches,
    line_colours,
    new_figure,
    recist_handles,
    recist_lines,
    wrap,
)
from .trial.store import column, head

PANEL_W, PANEL_H = 3.3, 2.6  # inches per small multiple
SAMPLING_BANDS_MAX_ARMS = 3  # more overlapping 95% bands hide the curves: drawn for up to 3 arms


def _save(fig, path: Path, footer: str) -> Path:
    return finish(fig, path, footer)


def _arm_panels(run, xlabel: str, ylabel: str, legend: tuple[list, list], recist: bool = True):
    """One panel per arm in a grid (small multiples) with the RECIST PR (-30%) and PD (+20%) lines (``recist``), a
    shared y axis and one legend below: returns the figure and (axis, arm) pairs."""
    arms = list(run.records)
    rows, columns = grid_shape(len(arms))
    handles, labels = legend
    width = max(6.5, PANEL_W * columns)
    fig = new_figure(width, PANEL_H * rows + 0.4 + legend_inches(len(labels), legend_columns(labels, width)))
    axes = fig.subplots(rows, columns, sharey=True, squeeze=False)
    pairs = []
    for k, ax in enumerate(axes.flat):
        if k >= len(arms):
            ax.set_visible(False)
            continue
        if recist:
            recist_lines(ax)
        ax.set_title(wrap(arms[k], int(PANEL_W * 11)), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.set_tick_params(labelleft=True)
        if k + columns >= len(arms):  # the lowest panel of its column
            ax.set_xlabel(xlabel, fontsize=8)
        pairs.append((ax, arms[k]))
    fig.supylabel(ylabel, fontsize=9)
    legend_below(fig, handles, labels)
    return fig, pairs


def _waterfall_colours(changes) -> list:
    return ["tab:green" if c <= -30 else ("tab:red" if c >= 20 else "0.6") for c in changes]


RESPONSE_COLOURS = {"CR": "tab:green", "PR": "tab:green", "SD": "0.6", "PD": "tab:red"}


def waterfall(run, out: Path, footer: str) -> Path:
    """Target-sum change at the response read-out, coloured by the response category that the ORR counts (green
    CR/PR, grey SD, red PD), so green bars are the responders of the ORR beside them; one panel per arm."""
    from .trial.analysis import waterfall_bars

    readout = "best response" if run.design.endpoints.response_at is None else f"day {run.design.endpoints.response_at:g}"
    ref_handles, ref_labels = recist_handles()
    legend = ([Patch(color="tab:green"), Patch(color="0.6"), Patch(color="tab:red"), *ref_handles],
              ["CR/PR (counted in the ORR)", "SD", "PD", *ref_labels])
    fig, panels = _arm_panels(run, "subjects, sorted by change", f"change in sum of diameters at {readout} (%)", legend)
    for ax, arm in panels:
        bars = waterfall_bars(run.records[arm])
        changes = np.array([c for c, _ in bars])
        colours = [RESPONSE_COLOURS.get(category, "0.6") for _, category in bars]
        x = np.arange(len(changes))
        if len(changes) > 2000:  # too many bars to draw: the same profile as filled areas
            for colour in dict.fromkeys(RESPONSE_COLOURS.values()):
                ax.fill_between(x, 0, changes, where=np.array([c == colour for c in colours]), color=colour, step="mid", lw=0)
        elif len(changes):  # one collection of rectangles: the look of ax.bar(x, changes, width=1) without a patch per bar
            lo, hi = x - 0.5, x + 0.5
            zero = np.zeros_like(changes)
            verts = np.stack([np.column_stack(c) for c in ((lo, zero), (lo, changes), (hi, changes), (hi, zero))], axis=1)
            ax.add_collection(PolyCollection(verts, facecolors=colours, edgecolors="none", linewidths=0))
            ax.autoscale_view()
        ax.set_xlim(-0.5, max(len(changes), 1) - 0.5)
        ax.set_xticks([])
    return _save(fig, out / "waterfall.png", footer)


def spider(run, out: Path, footer: str, max_lines: int = 60) -> Path:
    legend = recist_handles()
    fig, panels = _arm_panels(run, "day", "change in sum of diameters (%)", legend)
    for ax, arm in panels:
        for r in head(run.records[arm], max_lines):
            if r.get("sum_change_pct_by_scan"):
                days, changes = zip(*r["sum_change_pct_by_scan"], strict=True)
                ax.plot([0, *days], [0, *changes], lw=0.7, alpha=0.6)
        ax.set_xlim(left=0)
    return _save(fig, out / "spider.png", footer)


def swimmer(run, out: Path, footer: str, max_subjects: int = 25) -> Path:
    """Time on study per subject, one panel per arm (the first ``max_subjects`` evaluable subjects of each, sorted
    by survival): blue while progression-free, grey alive after progression, a red tick at the PFS event and a
    cross at death."""
    legend = ([Patch(color="tab:blue"), Patch(color="0.8"), Line2D([], [], ls="", marker="|", color="r", ms=6),
               Line2D([], [], ls="", marker="x", color="k", ms=4)],
              ["progression-free", "alive after progression", "PFS event (progression or death)", "death"])
    shown = {arm: [r for r in head(table, 10 * max_subjects) if r.get("pfs_day") is not None][:max_subjects]
             for arm, table in run.records.items()}
    rows = max((len(records) for records in shown.values()), default=0)
    fig, panels = _arm_panels(run, "day", f"subject (first {rows} of each arm)", legend, recist=False)
    for ax, arm in panels:
        for y, r in enumerate(sorted(shown[arm], key=lambda r: r["os_day"])):
            ax.barh(y, r["os_day"], color="0.8", height=0.7)
            ax.barh(y, r["pfs_day"], color="tab:blue", height=0.7)
            if r["os_event"]:
                ax.plot(r["os_day"], y, "kx", ms=4)
            if r["pfs_event"]:
                ax.plot(r["pfs_day"], y, "r|", ms=6)
        ax.set_ylim(-0.8, max(rows, 1) - 0.2)
        ax.set_yticks([])
        ax.set_xlim(left=0)
    return _save(fig, out / "swimmer.png", footer)


def _at_risk(durations: np.ndarray, t: float) -> int:
    """Subjects still at risk just before day t (lifelines' convention: duration >= t)."""
    return int(np.sum(durations >= t))


def kaplan_meier(run, out: Path, footer: str, endpoint: str = "pfs", bands: dict | None = None) -> Path:
    """Kaplan-Meier curves per arm, censored subjects marked, and a table of numbers at risk in its own axes
    below the curves (one row per arm; it grows the figure, never squashes the curves). ``bands``: the 90%
    credible bands over posterior draws (``result["uncertainty"]["survival_ci90"]``, from --uncertainty), drawn
    instead of the sampling band."""
    from lifelines import KaplanMeierFitter

    from .trial.uncertainty import survival_rows

    fitted = []
    for arm, records in run.records.items():
        rows = survival_rows(records, endpoint, run.design.duration)  # mice without the endpoint: censored at the end
        if rows is not None:
            fitted.append((arm, np.asarray(rows[0], dtype=float), np.asarray(rows[1], dtype=bool)))
    names = [arm for arm, _, _ in fitted]
    n_arms = max(1, len(fitted))
    label_width = min(28, max((len(a) for a in names), default=8))
    table_h = 0.19 * n_arms + 0.35
    fig = new_figure(8.0 + 0.04 * label_width, 3.8 + table_h)
    ax, table = fig.subplots(2, 1, sharex=True, height_ratios=(3.8, table_h))
    colours = line_colours(n_arms)
    handles = []
    for (arm, durations, events), colour in zip(fitted, colours, strict=False):
        kmf = KaplanMeierFitter(label=arm).fit(durations, events)
        sf = kmf.survival_function_.iloc[:, 0]
        (line,) = ax.step(sf.index, sf.values, where="post", color=colour, lw=1.4)
        handles.append(line)
        censored = durations[~events]
        if len(censored):
            ax.plot(censored, kmf.survival_function_at_times(censored).values, ls="", marker="|", ms=6, color=colour)
        band = (bands or {}).get(endpoint, {}).get(arm)
        if band is not None:
            low, high = ([np.nan if v is None else v for v in row] for row in band)
            ax.fill_between(bands["time_days"], low, high, step="post", alpha=0.2, lw=0, color=colour)
        elif n_arms <= SAMPLING_BANDS_MAX_ARMS:
            ci = kmf.confidence_interval_
            ax.fill_between(ci.index, ci.iloc[:, 0], ci.iloc[:, 1], step="post", alpha=0.12, lw=0, color=colour)
    ax.set_xlim(0, run.design.duration)
    ax.set_ylim(0, 1.03)
    ax.set_ylabel({"pfs": "progression-free survival", "os": "overall survival", "endpoint": "survival to endpoint"}[endpoint])
    shade = ("shaded: 90% credible band over the posterior draws; " if bands else
             "shaded: 95% confidence band; " if n_arms <= SAMPLING_BANDS_MAX_ARMS else "")
    ax.set_title(f"Kaplan-Meier estimate ({shade}|: censored)", fontsize=8)
    ax.tick_params(labelbottom=True)
    ax.set_xlabel("day")
    if handles:
        ax.legend(handles, [wrap(a, 28) for a in names], fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1),
                  frameon=False, borderaxespad=0)
    ticks = [t for t in ax.get_xticks() if 0 <= t <= run.design.duration]
    for row, ((_, durations, _), colour) in enumerate(zip(fitted, colours, strict=False)):
        for t in ticks:
            table.text(t, row, str(_at_risk(durations, t)), ha="center", va="center", fontsize=7, color=colour)
    table.set_ylim(n_arms - 0.5, -0.5)
    table.set_yticks(range(len(names)), [wrap(a, 28) if len(a) <= 28 else a[:26] + ".." for a in names], fontsize=7)
    for label, colour in zip(table.get_yticklabels(), colours, strict=False):
        label.set_color(colour)
    table.tick_params(axis="both", length=0, labelbottom=False)
    table.tick_params(axis="y", pad=12)
    for spine in table.spines.values():
        spine.set_visible(False)
    table.set_title("number at risk", fontsize=7, loc="left")
    return _save(fig, out / f"km_{endpoint}.png", footer)


def forest(rows: list[dict], out: Path, footer: str) -> Path:
    fig = new_figure(7.5, 0.32 * len(rows) + 1.4)
    ax = fig.subplots()
    for y, row in enumerate(rows):
        ax.errorbar(row["auc"], y, xerr=[[row["auc"] - row["auc_ci_low"]], [row["auc_ci_high"] - row["auc"]]], fmt="o", color="k")
    ax.axvline(0.5, color="0.5", ls=":")
    ax.set_yticks(range(len(rows)), [wrap(f"{r['arm']}: {r['label']}" if r.get("arm") else r["label"], 40) for r in rows], fontsize=8)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("AUC for abscopal response (95% CI); > 0.5: higher value, more response", fontsize=8)
    ax.set_xlim(0, 1)
    return _save(fig, out / "forest_biomarkers.png", footer)


ANIMAL_LINES_MAX = 200  # thin lines per arm and lesion: enough to see the spread, cheap to draw at any cohort size


def _animal_lines(ax, run, arm: str, lid: str, colour) -> int:
    """One thin line per animal, ending at its endpoint day (x: culled there), for the first ANIMAL_LINES_MAX
    animals of the arm; returns how many were drawn. One LineCollection and one marker call: a Line2D per animal
    made this figure cost more than the whole simulation of a 2,000-subject cohort."""
    series = run.lesion_series.get(arm, {}).get(lid) or []
    t = np.asarray(run.time_days, float)
    segments, ends = [], []
    for v, end, status in zip(series, column(run.records[arm], "endpoint_day"), column(run.records[arm], "status"), strict=False):
        if status != "ok":
            continue
        if len(segments) == ANIMAL_LINES_MAX:
            break
        stop = len(t) if end is None else int(np.searchsorted(t, end)) + 1
        segments.append(np.column_stack([t[:stop], np.maximum(np.asarray(v, float)[:stop], FLOOR_MM3)]))
        if end is not None:
            ends.append((t[stop - 1], max(float(v[stop - 1]), FLOOR_MM3)))
    if segments:
        ax.add_collection(LineCollection(segments, colors=colour, linewidths=0.5, alpha=0.35))
        ax.update_datalim(np.concatenate(segments))
    if ends:
        xs, ys = zip(*ends, strict=True)
        ax.plot(xs, ys, "x", color=colour, ms=3, alpha=0.6, ls="none")
    return len(segments)


FLOOR_MM3 = 0.1  # volumes below are drawn at this floor of the log axis


def group_curves(summary: dict, out: Path, footer: str, *, name: str = "group_curves.png", title: str = "", run=None) -> Path:
    """One panel per lesion (small multiples), one line per arm: the median volume of the animals still on study,
    on a log axis, and with ``run`` one thin line per animal ending at its cull (x), so culled animals are not
    frozen into the group curve. Without the on-study median (streamed cohorts, older results) the carried-forward
    median is drawn and the legend says so. One legend of the arms below, with the numbers on study."""
    arms = summary["arms"]
    lesion_ids = sorted({lid for arm in arms for lid in arm.get("lesions", {})})
    rows, columns = grid_shape(max(1, len(lesion_ids)))
    names = [arm["name"] for arm in arms]
    colours = dict(zip(names, line_colours(len(names)), strict=True))
    labels = {}
    for arm in arms:
        les = next(iter(arm.get("lesions", {}).values()), None)
        if les and les.get("median_volume_on_study_mm3") is not None:
            at_risk = les["n_at_risk"]
            labels[arm["name"]] = f"{arm['name']} (on study {at_risk[0]} -> {at_risk[-1]})"
        else:
            labels[arm["name"]] = f"{arm['name']} (median, culled carried forward)"
    width = max(6.5, 4.2 * columns)
    fig = new_figure(width, 3.2 * rows + legend_inches(len(names), legend_columns(list(labels.values()), width)))
    axes = fig.subplots(rows, columns, squeeze=False)
    for k, ax in enumerate(axes.flat):
        capped = False
        if k >= len(lesion_ids):
            ax.set_visible(False)
            continue
        lid = lesion_ids[k]
        for arm in arms:
            les = arm.get("lesions", {}).get(lid)
            if not les:
                continue
            colour = colours[arm["name"]]
            if run is not None:
                capped |= _animal_lines(ax, run, arm["name"], lid, colour) >= ANIMAL_LINES_MAX
            t = np.asarray(les["time_days"], float)
            at_risk = np.asarray(les["n_at_risk"], int)
            on_study = les.get("median_volume_on_study_mm3")
            values = np.array([np.nan if v is None else v for v in (on_study or les["median_volume_mm3"])], float)
            if on_study is not None:
                values[at_risk == 0] = np.nan
            ax.plot(t, np.maximum(values, FLOOR_MM3), color=colour, lw=2)
            band = les.get("median_volume_on_study_mm3_ci90" if on_study is not None else "median_volume_mm3_ci90")
            if band:  # --uncertainty: the 90% credible band of the drawn median over the posterior draws
                low, high = ([np.nan if v is None else max(v, FLOOR_MM3) for v in row] for row in band)
                ax.fill_between(t, low, high, color=colour, alpha=0.18, lw=0)
        ax.set_yscale("log")
        ax.set_title(wrap(f"{title}{lid}: median volume on study" + ((f"; thin: first {ANIMAL_LINES_MAX} animals per arm, x: cull" if capped else "; thin: each animal, x: cull") if run else ""), 45),
                     fontsize=8)
        ax.set_xlabel("day", fontsize=8)
        ax.set_ylabel("volume (mm^3, log)", fontsize=8)
        ax.tick_params(labelsize=7)
    legend_below(fig, [Line2D([], [], color=colours[a]) for a in names], [labels[a] for a in names])
    return _save(fig, out / name, footer)
