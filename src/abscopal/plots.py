"""Figures of a single run (lesion diameters and their change with the RECIST thresholds, ALC with the CTCAE
grades, drug concentration and occupancy), and the layout rules every figure of the package follows.

Layout: constrained layout inside a rectangle that leaves room at the bottom for the footer (provenance and the
research-use notice), legends outside the axes (several columns below the plot when they are long), sizes that
grow with the number of lesions or arms. Nothing is drawn outside the figure and no two labels overlap:
tests/integration/test_figures.py checks every text of every figure at 6 arms and 64 lesions.

The shared helpers live here, not in a module of their own, because the model fingerprint
(validation/cache.py) leaves out files named plots.py: a change of layout must not invalidate cached
validation results.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .report import provenance_line  # noqa: E402
from .vocabulary import NOTICE  # noqa: E402

DPI = 120
FOOTER_INCHES = 0.32  # two lines of 6 pt text and a margin
RECIST_PD_PCT, RECIST_PR_PCT = 20.0, -30.0  # RECIST 1.1: progression +20%, partial response -30% (sum of diameters)
# CTCAE v5.0 "lymphocyte count decreased": grade 1 < LLN to 800/uL, 2 < 800 to 500, 3 < 500 to 200, 4 < 200.
# The LLN depends on the laboratory; 1000/uL is a common adult value (assumption, stated on the figure).
CTCAE_LYMPHOCYTE_GRADES = ((1, 800.0, 1000.0), (2, 500.0, 800.0), (3, 200.0, 500.0), (4, 0.0, 200.0))
CTCAE_LLN_PER_UL = 1000.0
_GRADE_COLOURS = {1: "#fff3c4", 2: "#ffd89a", 3: "#ffb07a", 4: "#f08080"}


# --- layout shared by every figure ---------------------------------------------------------------------------

def new_figure(width: float, height: float):
    """A figure with constrained layout: returns its upper part (a subfigure of ``height`` inches, where the axes
    and their legends go); a strip of FOOTER_INCHES below it is kept for :func:`finish`'s footer."""
    fig = plt.figure(figsize=(width, height + FOOTER_INCHES), layout="constrained")
    fig.get_layout_engine().set(w_pad=0.04, h_pad=0.04, hspace=0, wspace=0)
    body, foot = fig.subfigures(2, 1, height_ratios=(height, FOOTER_INCHES))
    body._abscopal_footer = foot
    return body


def finish(body, path: Path, footer: str) -> Path:
    """Write the footer (provenance, research-use notice) under ``body``, save the whole figure as PNG, close."""
    fig = body.figure
    foot = getattr(body, "_abscopal_footer", None) or fig
    foot.text(0.005, 0.04, footer + "\n" + NOTICE, fontsize=6, color="0.35", va="bottom", ha="left")
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def grid_shape(n: int, max_columns: int = 3) -> tuple[int, int]:
    """Rows and columns of small multiples for n panels: 2 -> 1x2, 4 -> 2x2, 6 -> 2x3, 8 -> 3x3."""
    columns = min(n, max_columns) if n != 4 else 2
    return math.ceil(n / columns), columns


def wrap(text: str, width: int) -> str:
    """Break long labels (arm names, titles) on word or underscore boundaries so they fit their panel."""
    if len(text) <= width:
        return text
    if "_ " in text:
        return textwrap.fill(text, width)
    parts = textwrap.wrap(text.replace("_", "_ "), width, break_on_hyphens=True)  # a break after each "_" too
    return "\n".join(parts).replace("_ ", "_")


def legend_columns(labels, width_inches: float, fontsize: float = 7) -> int:
    """How many legend columns of these labels fit across ``width_inches`` (at ~0.6 em per character)."""
    longest = max((len(str(label)) for label in labels), default=1)
    column_inches = 0.45 + 0.55 * fontsize / 72 * longest
    return max(1, min(len(labels), int(width_inches * 0.95 // column_inches)))


def legend_inches(n_labels: int, columns: int, fontsize: float = 7) -> float:
    """The height a legend of n labels in ``columns`` columns takes (to grow the figure by it)."""
    return math.ceil(n_labels / columns) * fontsize * 1.6 / 72 + 0.1


def legend_below(fig, handles, labels, *, fontsize: float = 7, title: str | None = None):
    """A figure legend under the axes, in as many columns as the figure's width holds (never off the figure)."""
    if not handles:
        return None
    columns = legend_columns(labels, fig.figure.get_figwidth(), fontsize)
    return fig.legend(handles, labels, loc="outside lower center", ncols=columns, fontsize=fontsize, frameon=False,
                      title=title, title_fontsize=fontsize)


def line_colours(n: int) -> list:
    """Distinct colours for n lines: tab10 up to 10, tab20 up to 20, then evenly spaced along 'turbo'."""
    if n <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(n)]
    if n <= 20:
        return [plt.get_cmap("tab20")(i) for i in range(n)]
    return [plt.get_cmap("turbo")(x) for x in np.linspace(0.03, 0.97, n)]


def recist_lines(ax, *, labels: bool = True) -> None:
    """RECIST 1.1 reference lines on a percent-change axis: +20% (progression) and -30% (partial response)."""
    ax.axhline(RECIST_PD_PCT, color="tab:red", ls=":", lw=1)
    ax.axhline(RECIST_PR_PCT, color="tab:green", ls=":", lw=1)
    ax.axhline(0, color="0.5", lw=0.6)


def recist_handles() -> tuple[list, list]:
    return ([Line2D([], [], color="tab:red", ls=":", lw=1), Line2D([], [], color="tab:green", ls=":", lw=1)],
            ["+20% (RECIST progression)", "-30% (RECIST partial response)"])


def ctcae_bands(ax) -> tuple[list, list]:
    """Shade the CTCAE v5 grades of lymphocyte count decreased; returns legend handles and labels."""
    handles, labels = [], []
    for grade, low, high in CTCAE_LYMPHOCYTE_GRADES:
        ax.axhspan(low, high, color=_GRADE_COLOURS[grade], lw=0, zorder=0)
        handles.append(Patch(color=_GRADE_COLOURS[grade]))
        labels.append(f"CTCAE grade {grade}: {low:.0f}-{high:.0f} /uL" if low else f"CTCAE grade {grade}: < {high:.0f} /uL")
    return handles, labels


# --- single-run figures ---------------------------------------------------------------------------------------

def _band(ax, t, bounds, colour) -> None:
    """The 90% credible band of a series (``key_ci90`` = [low, high], from --uncertainty), when there is one."""
    if not bounds:
        return
    low, high = ([float("nan") if v is None else v for v in row] for row in bounds)
    ax.fill_between(t, low, high, color=colour, alpha=0.18, lw=0)


def _mark_treatment(ax, d: dict) -> tuple[list, list]:
    """RT fractions as red ticks along the top edge, drug doses as purple triangles along the bottom edge."""
    handles, labels = [], []
    rt_days = [day for block in d.get("radiotherapy", []) for day in block["days"]]
    if rt_days:
        ax.plot(rt_days, [1] * len(rt_days), ls="", marker="v", color="tab:red", ms=5,
                transform=ax.get_xaxis_transform(), clip_on=False)
        handles.append(Line2D([], [], ls="", marker="v", color="tab:red", ms=5))
        labels.append("RT fraction (top edge)")
    dose_days = [day for drug in d.get("drugs", []) for day in drug["dose_days"]]
    if dose_days:
        ax.plot(dose_days, [0] * len(dose_days), ls="", marker="^", color="tab:purple", ms=5,
                transform=ax.get_xaxis_transform(), clip_on=False)
        handles.append(Line2D([], [], ls="", marker="^", color="tab:purple", ms=5))
        labels.append("drug dose (bottom edge)")
    return handles, labels


def _pct_change(series, baseline) -> np.ndarray:
    return 100.0 * (np.asarray(series, dtype=float) / baseline - 1.0) if baseline > 0 else np.full(len(series), np.nan)


def lesion_figure(d: dict):
    """Diameters (top) and change from baseline with the RECIST thresholds (bottom), one line per lesion."""
    lesions = d["lesions"]
    t = d["time_days"]
    labels = [f"{les['id']} ({les['site']}{', RT' if les['irradiated'] else ''})" for les in lesions]
    ref_handles, ref_labels = recist_handles()
    labels += ["sum of diameters", *ref_labels]
    treat_labels = ["RT fraction (top edge)"] * bool(d.get("radiotherapy")) + ["drug dose (bottom edge)"] * bool(d.get("drugs"))
    fontsize, width = (6 if len(lesions) > 12 else 7), 8.5
    columns = legend_columns(labels + treat_labels, width, fontsize)
    fig = new_figure(width, 5.4 + legend_inches(len(labels + treat_labels), columns, fontsize))
    ax, ax_pct = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    handles = []
    for les, colour in zip(lesions, line_colours(len(lesions)), strict=True):
        style = "-" if les["irradiated"] else "--"
        (line,) = ax.plot(t, les["diameter_mm"], style, color=colour, lw=1.2 if les["irradiated"] else 0.9)
        _band(ax, t, les.get("diameter_mm_ci90"), colour)
        ax_pct.plot(t, _pct_change(les["diameter_mm"], les["diameter_mm"][0]), style, color=colour, lw=0.7, alpha=0.8)
        handles.append(line)
    total = np.sum([les["diameter_mm"] for les in lesions], axis=0) if lesions else np.zeros(len(t))
    ax_pct.plot(t, _pct_change(total, total[0] if len(total) else 0), color="k", lw=2)
    recist_lines(ax_pct)
    treat_handles, _ = _mark_treatment(ax, d)
    _mark_treatment(ax_pct, {"radiotherapy": d.get("radiotherapy", [])})
    ax.set_ylabel("diameter (mm)" if d["species"] == "human" else "equivalent-sphere\ndiameter (mm)")
    ax.set_ylim(bottom=0)
    ax_pct.set_ylabel("change from\nbaseline (%)")
    ax_pct.set_xlabel("day")
    band = f"; shaded: 90% credible band over {d['uncertainty']['draws']} posterior draws" if "uncertainty" in d else ""
    ax.set_title(wrap(f"{d['name']}: lesion diameters (solid: irradiated; dashed: not irradiated{band})", 110), fontsize=8)
    ax_pct.set_title("change of each lesion's diameter; black: sum of all lesion diameters, to which the RECIST "
                     "thresholds apply", fontsize=7)
    handles += [Line2D([], [], color="k", lw=2), *ref_handles, *treat_handles]
    fig.legend(handles, labels + treat_labels, loc="outside lower center", ncols=columns, fontsize=fontsize, frameon=False)
    return fig


def alc_figure(d: dict):
    """ALC over time from 0, with the CTCAE v5 grade bands for humans (the grading is for human blood counts)."""
    t = d["time_days"]
    fig = new_figure(8, 3.8)
    ax = fig.subplots()
    handles, labels = [], []
    if d["species"] == "human":
        handles, labels = ctcae_bands(ax)
    (line,) = ax.plot(t, d["alc_per_ul"], color="tab:blue", lw=1.5)
    _band(ax, t, d.get("alc_per_ul_ci90"), "tab:blue")
    treat_handles, treat_labels = _mark_treatment(ax, d)
    top = max([v for v in d["alc_per_ul"] if v is not None and np.isfinite(v)] or [0.0])
    ax.set_ylim(0, max(1.1 * top, 1.2 * CTCAE_LLN_PER_UL if d["species"] == "human" else 1.0))
    ax.set_xlim(min(t), max(t))
    ax.set_xlabel("day")
    ax.set_ylabel("ALC (/uL)")
    title = "Absolute lymphocyte count"
    if d["species"] == "human":
        title += f" with CTCAE v5 grades of lymphocyte count decreased (LLN taken as {CTCAE_LLN_PER_UL:.0f}/uL)"
    ax.set_title(wrap(title, 100), fontsize=8)
    legend_below(fig, [line, *handles, *treat_handles], ["ALC", *labels, *treat_labels], fontsize=7)
    return fig


def drug_figure(d: dict):
    t = d["time_days"]
    fig = new_figure(8, 5.5)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    handles, labels = [], []
    for drug in d["drugs"]:
        (line,) = ax1.plot(t, drug["concentration_ug_per_ml"])
        ax2.plot(t, drug["occupancy"], color=line.get_color())
        handles.append(line)
        labels.append(f"{drug['agent']} ({drug['target']})")
    ax1.set_ylabel("serum concentration\n(ug/mL)")
    ax1.set_yscale("symlog", linthresh=0.1)
    ax2.set_ylabel("target occupancy")
    ax2.set_ylim(0, 1.02)
    ax2.set_xlabel("day")
    ax1.set_title("Drug concentration and target occupancy", fontsize=8)
    treat_handles, treat_labels = _mark_treatment(ax2, {"drugs": d["drugs"]})
    legend_below(fig, handles + treat_handles, labels + treat_labels)
    return fig


def plot_result(result, out_dir) -> list[Path]:
    d = result.to_dict()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    footer = provenance_line(d["provenance"])
    paths = [finish(lesion_figure(d), out / "lesions.png", footer), finish(alc_figure(d), out / "alc.png", footer)]
    if d["drugs"]:
        paths.append(finish(drug_figure(d), out / "drugs.png", footer))
    return paths
