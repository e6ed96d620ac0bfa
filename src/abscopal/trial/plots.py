"""Trial figures: waterfall of best change, spider plot, swimmer plot, Kaplan-Meier per arm with numbers at
risk, forest plot of subgroups, and (mice) group growth curves. Each carries the research-use notice."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..vocabulary import NOTICE  # noqa: E402
from .store import column, head  # noqa: E402


def _save(fig, path: Path, footer: str) -> Path:
    fig.text(0.01, 0.005, footer + "\n" + NOTICE, fontsize=6, color="0.35", va="bottom")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _arm_panels(run, xlabel: str, ylabel: str):
    """One panel per arm with the RECIST PR (-30%) and PD (+20%) lines: returns the figure and (axis, arm) pairs."""
    arms = list(run.records)
    fig, axes = plt.subplots(1, len(arms), figsize=(4.5 * len(arms), 4), sharey=True, squeeze=False)
    for ax, arm in zip(axes[0], arms, strict=True):
        ax.axhline(-30, color="k", ls=":", lw=0.8)
        ax.axhline(20, color="k", ls=":", lw=0.8)
        ax.set_title(arm, fontsize=9)
        ax.set_xlabel(xlabel)
    axes[0][0].set_ylabel(ylabel)
    fig.subplots_adjust(bottom=0.2)
    return fig, list(zip(axes[0], arms, strict=True))


RESPONSE_COLOURS = {"CR": "tab:green", "PR": "tab:green", "SD": "0.6", "PD": "tab:red"}


def waterfall(run, out: Path, footer: str) -> Path:
    """Target-sum change at the response read-out, coloured by the response category that the ORR counts (green
    CR/PR, grey SD, red PD), so green bars are the responders of the ORR beside them."""
    from .analysis import waterfall_bars

    readout = "best response" if run.design.endpoints.response_at is None else f"day {run.design.endpoints.response_at:g}"
    fig, panels = _arm_panels(run, "subjects", f"change in sum of diameters at {readout} (%)")
    for ax, arm in panels:
        bars = waterfall_bars(run.records[arm])
        changes = np.array([c for c, _ in bars])
        colours = [RESPONSE_COLOURS.get(category, "0.6") for _, category in bars]
        if len(changes) > 2000:  # too many bars to draw: the same profile as filled areas
            x = np.arange(len(changes))
            for colour in dict.fromkeys(RESPONSE_COLOURS.values()):
                ax.fill_between(x, 0, changes, where=np.array([c == colour for c in colours]), color=colour, step="mid", lw=0)
            continue
        ax.bar(np.arange(len(changes)), changes, color=colours, width=1.0)
    return _save(fig, out / "waterfall.png", footer)


def spider(run, out: Path, footer: str, max_lines: int = 60) -> Path:
    fig, panels = _arm_panels(run, "day", "change in sum of diameters (%)")
    for ax, arm in panels:
        for r in head(run.records[arm], max_lines):
            if r.get("sum_change_pct_by_scan"):
                days, changes = zip(*r["sum_change_pct_by_scan"], strict=True)
                ax.plot([0, *days], [0, *changes], lw=0.7, alpha=0.6)
    return _save(fig, out / "spider.png", footer)


def swimmer(run, out: Path, footer: str, max_subjects: int = 40) -> Path:
    arm = list(run.records)[-1]
    records = [r for r in head(run.records[arm], 10 * max_subjects) if r.get("pfs_day") is not None][:max_subjects]
    fig, ax = plt.subplots(figsize=(7, max(3, 0.15 * len(records) + 1)))
    for y, r in enumerate(sorted(records, key=lambda r: r["os_day"])):
        ax.barh(y, r["os_day"], color="0.8", height=0.7)
        ax.barh(y, r["pfs_day"], color="tab:blue", height=0.7)
        if r["os_event"]:
            ax.plot(r["os_day"], y, "kx", ms=4)
        if r["pfs_event"]:
            ax.plot(r["pfs_day"], y, "r|", ms=6)
    ax.set_xlabel("day (blue: progression-free; grey: alive; red tick: PFS event, progression or death; x: death)")
    ax.set_ylabel("subject")
    ax.set_title(f"swimmer plot: {arm}", fontsize=9)
    fig.subplots_adjust(bottom=0.2)
    return _save(fig, out / "swimmer.png", footer)


def kaplan_meier(run, out: Path, footer: str, endpoint: str = "pfs", bands: dict | None = None) -> Path:
    """Kaplan-Meier curves per arm with numbers at risk. ``bands``: the 90% credible bands over posterior draws
    (``result["uncertainty"]["survival_ci90"]``, from --uncertainty), drawn instead of the sampling band."""
    from lifelines import KaplanMeierFitter
    from lifelines.plotting import add_at_risk_counts

    from .uncertainty import survival_rows

    fig, ax = plt.subplots(figsize=(7, 5))
    fitters = []
    for arm, records in run.records.items():
        rows = survival_rows(records, endpoint, run.design.duration)  # mice without the endpoint: censored at the end
        if rows is None:
            continue
        kmf = KaplanMeierFitter(label=arm).fit(*rows)
        band = (bands or {}).get(endpoint, {}).get(arm)
        kmf.plot_survival_function(ax=ax, ci_show=band is None)
        if band is not None:
            low, high = ([np.nan if v is None else v for v in row] for row in band)
            ax.fill_between(bands["time_days"], low, high, step="post", alpha=0.2, lw=0, color=ax.get_lines()[-1].get_color())
        fitters.append(kmf)
    if bands:
        ax.set_title("shaded: 90% credible band over the posterior draws", fontsize=8)
    if fitters:
        add_at_risk_counts(*fitters, ax=ax, fontsize=7)
    ax.set_xlabel("day")
    ax.set_ylabel({"pfs": "progression-free survival", "os": "overall survival", "endpoint": "survival to endpoint"}[endpoint])
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _save(fig, out / f"km_{endpoint}.png", footer)


def forest(rows: list[dict], out: Path, footer: str) -> Path:
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(rows) + 1.5))
    for y, row in enumerate(rows):
        ax.errorbar(row["auc"], y, xerr=[[row["auc"] - row["auc_ci_low"]], [row["auc_ci_high"] - row["auc"]]], fmt="o", color="k")
    ax.axvline(0.5, color="0.5", ls=":")
    ax.set_yticks(range(len(rows)), [f"{r['arm']}: {r['label']}" if r.get("arm") else r["label"] for r in rows], fontsize=8)
    ax.set_xlabel("AUC for abscopal response (95% CI); > 0.5: higher value, more response")
    ax.set_xlim(0, 1)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return _save(fig, out / "forest_biomarkers.png", footer)


def _animal_lines(ax, run, arm: str, lid: str, colour) -> None:
    """One thin line per animal, ending at its endpoint day (x: culled there)."""
    series = run.lesion_series.get(arm, {}).get(lid) or []
    t = np.asarray(run.time_days, float)
    for v, end, status in zip(series, column(run.records[arm], "endpoint_day"), column(run.records[arm], "status"), strict=False):
        if status != "ok":
            continue
        stop = len(t) if end is None else int(np.searchsorted(t, end)) + 1
        ax.plot(t[:stop], np.maximum(np.asarray(v, float)[:stop], FLOOR_MM3), color=colour, lw=0.5, alpha=0.35)
        if end is not None:
            ax.plot(t[stop - 1], max(float(v[stop - 1]), FLOOR_MM3), "x", color=colour, ms=3, alpha=0.6)


FLOOR_MM3 = 0.1  # volumes below are drawn at this floor of the log axis


def group_curves(summary: dict, out: Path, footer: str, *, name: str = "group_curves.png", title: str = "", run=None) -> Path:
    """Per lesion: the median volume of the animals still on study (numbers on study in the legend at the last day
    drawn), on a log axis, and with ``run`` one thin line per animal ending at its cull; culled animals are not
    frozen into the group curve. Without the on-study median (streamed cohorts, older results) the carried-forward
    median is drawn and its legend says so."""
    arms = summary["arms"]
    lesion_ids = sorted({lid for arm in arms for lid in arm.get("lesions", {})})
    fig, axes = plt.subplots(1, max(1, len(lesion_ids)), figsize=(5 * max(1, len(lesion_ids)), 4), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, lid in zip(axes[0], lesion_ids, strict=False):
        for k, arm in enumerate(arms):
            les = arm.get("lesions", {}).get(lid)
            if not les:
                continue
            colour = colours[k % len(colours)]
            if run is not None:
                _animal_lines(ax, run, arm["name"], lid, colour)
            t = np.asarray(les["time_days"], float)
            at_risk = np.asarray(les["n_at_risk"], int)
            on_study = les.get("median_volume_on_study_mm3")
            values = np.array([np.nan if v is None else v for v in (on_study or les["median_volume_mm3"])], float)
            if on_study is not None:
                values[at_risk == 0] = np.nan
            last = int(np.nonzero(np.isfinite(values))[0][-1]) if np.isfinite(values).any() else 0
            label = f"{arm['name']} (n on study {at_risk[0]} -> {at_risk[last]})" if on_study is not None else \
                f"{arm['name']} (median, culled carried forward)"
            ax.plot(t, np.maximum(values, FLOOR_MM3), color=colour, lw=2, label=label)
            band = les.get("median_volume_on_study_mm3_ci90" if on_study is not None else "median_volume_mm3_ci90")
            if band:  # --uncertainty: the 90% credible band of the drawn median over the posterior draws
                low, high = ([np.nan if v is None else max(v, FLOOR_MM3) for v in row] for row in band)
                ax.fill_between(t, low, high, color=colour, alpha=0.18, lw=0)
        ax.set_yscale("log")
        ax.set_title(f"{title}{lid}: median volume of the animals on study" + ("; thin: each animal, x: cull" if run else ""),
                     fontsize=8)
        ax.set_xlabel("day")
        ax.set_ylabel("volume (mm^3, log)")
        ax.legend(fontsize=6)
    fig.subplots_adjust(bottom=0.2)
    return _save(fig, out / name, footer)
