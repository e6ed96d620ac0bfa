"""Figures of a single run: lesion diameters with RT fractions and drug doses marked, ALC, and drug
concentration and occupancy. Every figure carries the research-use notice and the provenance."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .report import provenance_line  # noqa: E402
from .vocabulary import NOTICE  # noqa: E402


def _footer(fig, prov: dict) -> None:
    fig.text(0.01, 0.01, provenance_line(prov) + "\n" + NOTICE, fontsize=6, color="0.35", va="bottom")


def _band(ax, t, bounds, colour) -> None:
    """The 90% credible band of a series (``key_ci90`` = [low, high], from --uncertainty), when there is one."""
    if not bounds:
        return
    low, high = ([float("nan") if v is None else v for v in row] for row in bounds)
    ax.fill_between(t, low, high, color=colour, alpha=0.18, lw=0)


def _mark_treatment(ax, d: dict) -> None:
    for block in d.get("radiotherapy", []):
        for day in block["days"]:
            ax.axvline(day, color="tab:red", alpha=0.25, lw=1)
    for drug in d.get("drugs", []):
        for day in drug["dose_days"]:
            ax.plot([day], [0], marker="^", color="tab:purple", transform=ax.get_xaxis_transform(), clip_on=False, ms=5)


def plot_result(result, out_dir) -> list[Path]:
    d = result.to_dict()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = d["time_days"]
    paths = []

    fig, ax = plt.subplots(figsize=(8, 4.8))
    for les in d["lesions"]:
        style = "-" if les["irradiated"] else "--"
        (line,) = ax.plot(t, les["diameter_mm"], style, label=f"{les['id']} ({les['site']}{', RT' if les['irradiated'] else ''})")
        _band(ax, t, les.get("diameter_mm_ci90"), line.get_color())
    _mark_treatment(ax, d)
    ax.set_xlabel("day")
    ax.set_ylabel("diameter (mm)" if d["species"] == "human" else "equivalent-sphere diameter (mm)")
    band = f"; shaded: 90% credible band over {d['uncertainty']['draws']} posterior draws" if "uncertainty" in d else ""
    ax.set_title(textwrap.fill(f"{d['name']}: lesions (red lines: RT fractions; triangles: drug doses{band})", 95), fontsize=8)
    ax.legend(fontsize=7)
    fig.subplots_adjust(bottom=0.2)
    _footer(fig, d["provenance"])
    paths.append(out / "lesions.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(t, d["alc_per_ul"], color="tab:green")
    _band(ax, t, d.get("alc_per_ul_ci90"), "tab:green")
    _mark_treatment(ax, d)
    ax.set_xlabel("day")
    ax.set_ylabel("ALC (/uL)")
    ax.set_title("Absolute lymphocyte count", fontsize=9)
    fig.subplots_adjust(bottom=0.22)
    _footer(fig, d["provenance"])
    paths.append(out / "alc.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    if d["drugs"]:
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
        for drug in d["drugs"]:
            ax1.plot(t, drug["concentration_ug_per_ml"], label=drug["agent"])
            ax2.plot(t, drug["occupancy"], label=f"{drug['agent']} ({drug['target']})")
        ax1.set_ylabel("serum concentration (ug/mL)")
        ax1.set_yscale("symlog", linthresh=0.1)
        ax2.set_ylabel("target occupancy")
        ax2.set_ylim(0, 1.02)
        ax2.set_xlabel("day")
        ax1.legend(fontsize=7)
        _mark_treatment(ax2, d)
        fig.subplots_adjust(bottom=0.15)
        _footer(fig, d["provenance"])
        paths.append(out / "drugs.png")
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)
    return paths
