"""RECIST 1.1 response over a set of lesions, and the abscopal definitions (CONTRACT.md, Response).

Rules (Eisenhauer et al. Eur J Cancer 2009;45:228-47):
- target lesions: at most 5, at most 2 per site, longest diameter >= 10 mm (lymph nodes: short axis
  >= 15 mm), largest first; irradiated lesions included;
- CR: every target lesion disappeared (below the detection diameter; nodes < 10 mm short axis);
- PR: sum of diameters >= 30% below baseline;
- PD: sum >= 20% above the nadir (baseline included) and >= 5 mm larger, or a new lesion, or
  unequivocal non-target progression (here: the non-target sum grows >= 50% and >= 10 mm over its nadir;
  a stated proxy for the radiologist's judgement);
- SD otherwise. Best response is the best before first progression; confirmation is not required.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ORDER = {"CR": 0, "PR": 1, "SD": 2, "PD": 3}
MIN_TARGET_MM = 10.0
MIN_NODE_TARGET_MM = 15.0
NODE_NORMAL_MM = 10.0


@dataclass(frozen=True)
class LesionTrack:
    """One lesion's diameters (mm) at the scan times; NaN before it exists."""

    id: str
    site: str
    baseline_diameter: float
    diameters: np.ndarray


def select_targets(lesions: list[LesionTrack]) -> list[int]:
    measurable = [
        k for k, les in enumerate(lesions)
        if les.baseline_diameter >= (MIN_NODE_TARGET_MM if les.site == "lymph_node" else MIN_TARGET_MM)
    ]
    measurable.sort(key=lambda k: (-lesions[k].baseline_diameter, k))
    chosen, per_site = [], {}
    for k in measurable:
        site = lesions[k].site
        if per_site.get(site, 0) >= 2:
            continue
        chosen.append(k)
        per_site[site] = per_site.get(site, 0) + 1
        if len(chosen) == 5:
            break
    return chosen


@dataclass(frozen=True)
class Assessment:
    responses: list[str]  # per scan
    best: str  # CR | PR | SD | PD | NE
    progression_index: int | None


def assess(
    lesions: list[LesionTrack],
    *,
    disappearance_mm: float,
    new_lesion_scan: int | None = None,
    use_non_targets: bool = True,
) -> Assessment:
    """RECIST 1.1 at each scan over ``lesions`` (baseline lesions only; new lesions via ``new_lesion_scan``)."""
    targets = select_targets(lesions)
    if not targets:
        return Assessment([], "NE", None)
    n_scans = len(lesions[0].diameters)
    d = np.array([lesions[k].diameters for k in targets])
    nodes = np.array([lesions[k].site == "lymph_node" for k in targets])
    base = np.array([lesions[k].baseline_diameter for k in targets])
    seen = np.where(nodes[:, None], d, np.where(d < disappearance_mm, 0.0, d))
    sums = seen.sum(axis=0)
    baseline_sum = base.sum()
    non_targets = [k for k in range(len(lesions)) if k not in targets]
    nt_sums = None
    if use_non_targets and non_targets:
        nt = np.array([np.nan_to_num(lesions[k].diameters) for k in non_targets])
        nt_sums = nt.sum(axis=0)
        nt_base = sum(lesions[k].baseline_diameter for k in non_targets)
    responses = []
    nadir = baseline_sum
    nt_nadir = nt_sums[0] if nt_sums is not None else None
    if nt_sums is not None:
        nt_nadir = nt_base
    progression = None
    for s in range(n_scans):
        total = sums[s]
        progressed = total >= 1.2 * nadir and total - nadir >= 5.0
        if new_lesion_scan is not None and s >= new_lesion_scan:
            progressed = True
        if nt_sums is not None and nt_sums[s] >= 1.5 * nt_nadir and nt_sums[s] - nt_nadir >= 10.0:
            progressed = True
        if progressed:
            response = "PD"
        elif np.all(np.where(nodes, d[:, s] < NODE_NORMAL_MM, d[:, s] < disappearance_mm)):
            response = "CR"
        elif total <= 0.7 * baseline_sum:
            response = "PR"
        else:
            response = "SD"
        responses.append(response)
        nadir = min(nadir, total)
        if nt_sums is not None:
            nt_nadir = min(nt_nadir, nt_sums[s])
        if response == "PD" and progression is None:
            progression = s
    if not responses:
        return Assessment([], "NE", None)
    before = responses[: progression] if progression is not None else responses
    best = min(before, key=ORDER.get) if before else "PD"
    return Assessment(responses, best, progression)


def golden2015(best_change_pct: list[float]) -> bool:
    """Golden et al. Lancet Oncol 2015;16:795: >= 30% decrease of the longest diameter of any
    non-irradiated lesion."""
    return any(change <= -30.0 for change in best_change_pct)
