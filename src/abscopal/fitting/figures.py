"""Fit figures: posterior-predictive bands per group with the data over them, and the marginals against priors.

Bands pool each group's subjects (each from its own first measurement, with a fresh random effect and
residual noise per posterior draw) by day of the data's clock: the 90% and 50% predictive intervals and the
median. Every subject's measurements are drawn over them, one line per subject; values at the detection
limit are drawn as open markers on it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..plots import finish, grid_shape, new_figure, wrap

PANEL_W, PANEL_H = 3.3, 2.6


def _bands(model, curves: np.ndarray, group: str, slot: int):
    by_day: dict[int, list] = {}
    for i, s in enumerate(model.data.subjects):
        if s.group != group:
            continue
        last = math.ceil(s.times[-1]) if s.times else 0
        for t in range(0, last + 1):
            day = int(round(s.start_day + t))
            by_day.setdefault(day, []).extend(np.exp(curves[:, i, t, slot]).tolist())
    days = sorted(by_day)
    if not days:
        return None
    q = np.array([np.nanpercentile(by_day[d], [5, 25, 50, 75, 95]) for d in days])
    return np.array(days, float), q


def predictive_figure(model, pred: dict, path: Path, footer: str) -> Path:
    data = model.data
    groups = data.groups
    mouse = data.kind == "mouse"
    lesions = model.design.lesion_ids if mouse else [None]
    measured = {les for s in data.subjects for les in s.lesions}
    lesions = [les for les in lesions if les in measured or les is None]
    rows, cols = (len(lesions), len(groups)) if mouse else grid_shape(len(groups))
    body = new_figure(max(PANEL_W * cols, 5.0), PANEL_H * rows)
    axes = np.atleast_2d(body.subplots(rows, cols, squeeze=False, sharey=True))
    panels = [(r, c) for r in range(rows) for c in range(cols)]
    for n, (group, lesion) in enumerate([(g, les) for les in lesions for g in groups] if mouse else [(g, None) for g in groups]):
        r, c = (lesions.index(lesion), groups.index(group)) if mouse else panels[n]
        ax = axes[r, c]
        slot = 0 if lesion is None else model.design.lesion_ids.index(lesion)
        band = _bands(model, pred["curves"], group, slot)
        if band is not None:
            days, q = band
            ax.fill_between(days, q[:, 0], q[:, 4], color="tab:blue", alpha=0.18, lw=0, label="90% predictive")
            ax.fill_between(days, q[:, 1], q[:, 3], color="tab:blue", alpha=0.3, lw=0, label="50% predictive")
            ax.plot(days, q[:, 2], color="tab:blue", lw=1.2, label="predictive median")
        for s in data.subjects:
            if s.group != group:
                continue
            first = (s.initial_mm3.get(lesion) if mouse else
                     sum((6 * v / math.pi) ** (1 / 3) for v in s.initial_mm3.values()))
            if first is None:
                continue
            pts = [(s.start_day, first, False)] + [(s.start_day + t, v, cz) for t, les, v, cz in
                                                   zip(s.times, s.lesions, s.values, s.censored, strict=True) if les == lesion]
            x = [p[0] for p in pts]
            y = [p[1] for p in pts]
            ax.plot(x, y, color="0.25", lw=0.6, alpha=0.7)
            ax.scatter([p[0] for p in pts if not p[2]], [p[1] for p in pts if not p[2]], s=7, color="0.1", zorder=3)
            cz = [p for p in pts if p[2]]
            if cz:
                ax.scatter([p[0] for p in cz], [p[1] for p in cz], s=9, facecolors="none", edgecolors="0.1", zorder=3)
        ax.set_yscale("log")
        title = group if lesion is None else f"{group}: {lesion}"
        ax.set_title(wrap(title, 48), fontsize=8)  # a scenario design's group is its (long) name
        ax.set_xlabel("day", fontsize=7)
        if c == 0:
            ax.set_ylabel("volume (mm^3)" if mouse else "sum of diameters (mm)", fontsize=7)
        ax.tick_params(labelsize=7)
    used = len(lesions) * len(groups) if mouse else len(groups)
    for k in range(used, rows * cols):
        axes[panels[k]].set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        body.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=7, frameon=False)
    return finish(body, path, footer)


def marginals_figure(model, samples: np.ndarray, path: Path, footer: str) -> Path:
    n = len(model.labels)
    rows, cols = grid_shape(n, 3)
    body = new_figure(PANEL_W * cols, 2.2 * rows)
    axes = np.atleast_2d(body.subplots(rows, cols, squeeze=False))
    center, sd = model.prior_center(), model.prior_sd()
    for j, label in enumerate(model.labels):
        ax = axes[j // cols, j % cols]
        x = samples[:, j]
        ax.hist(x, bins=30, density=True, color="tab:blue", alpha=0.6, label="posterior")
        grid = np.linspace(min(x.min(), center[j] - 3 * sd[j]), max(x.max(), center[j] + 3 * sd[j]), 200)
        ax.plot(grid, np.exp(-0.5 * ((grid - center[j]) / sd[j]) ** 2) / (sd[j] * math.sqrt(2 * math.pi)),
                color="0.3", lw=1, ls="--", label="prior")
        unit = model.priors[j].unit if j < len(model.priors) else "1"
        ax.set_xlabel(f"log {label}" + ("" if unit in ("1", "") else f" ({unit})"), fontsize=7)
        ax.tick_params(labelsize=7)
    for k in range(n, rows * cols):
        axes[k // cols, k % cols].set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    body.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=7, frameon=False)
    return finish(body, path, footer)


def trace_figure(model, chain: np.ndarray, burn: int, path: Path, footer: str) -> Path:
    n = len(model.labels)
    body = new_figure(7.0, 1.1 * n)
    axes = body.subplots(n, 1, squeeze=False, sharex=True)[:, 0]
    for j, label in enumerate(model.labels):
        axes[j].plot(chain[:, :, j], color="tab:blue", alpha=0.25, lw=0.5)
        axes[j].axvline(burn, color="0.3", lw=0.8, ls=":")
        axes[j].set_ylabel(f"log {label}", fontsize=6)
        axes[j].tick_params(labelsize=6)
    axes[-1].set_xlabel("step (dotted: end of burn-in)", fontsize=7)
    return finish(body, path, footer)
