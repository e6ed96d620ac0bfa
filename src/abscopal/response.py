"""Tumour response over a set of lesions: RECIST 1.1, iRECIST and the abscopal definitions
(CONTRACT.md, Semantics: Response).

RECIST 1.1 (Eisenhauer et al. Eur J Cancer 2009;45:228-47), as implemented here:

- target lesions: at most 5, at most 2 per organ (``site``), longest diameter >= 10 mm (lymph nodes:
  short axis >= 15 mm), largest first, ties in listed order; irradiated lesions included. Nodes with
  a short axis < 10 mm at baseline are normal and are not lesions at all; every other baseline lesion
  that is not a target is a non-target lesion;
- sum of diameters: longest diameter of non-nodal targets (0 once below ``disappearance_mm``, the
  detection limit), short axis of nodal targets (always its actual value, so a normalised node still
  adds to the sum);
- CR: every non-nodal target disappeared and every nodal target < 10 mm short axis, and, when
  non-targets are tracked, every non-target gone (nodes < 10 mm); target CR with non-targets
  remaining is PR (RECIST 1.1 table 1);
- PR: sum >= 30% below the baseline sum;
- PD: sum >= 20% above the nadir (the smallest sum so far, baseline included) and >= 5 mm above it;
  or a new lesion; or unequivocal non-target progression. The last is a radiologist's judgement;
  here it is the stated proxy "the non-target diameter sum grows >= 50% and >= 10 mm over its nadir";
- SD otherwise. Best overall response: the best time-point response before the first progression.
  Confirmation (off by default, as RECIST 1.1 requires it only for non-randomised trials with response
  as primary endpoint): a CR or PR counts only when the next scan >= 4 weeks later still shows CR or
  PR (before any progression); the confirmed category is the worse of the two. An unconfirmed
  response counts as SD (SD criteria are met at that scan since it is not PD). Optional minimum
  SD duration (``min_sd_days``, protocol defined in RECIST 1.1 section 4.4.1).

iRECIST (Seymour et al. Lancet Oncol 2017;18:e143-52): RECIST 1.1 measurements, but the first PD is
unconfirmed (iUPD) and is confirmed (iCPD) at a later assessment (the protocol's 4-8 weeks; scans
< 4 weeks after the iUPD may confirm only by additional new lesions) by further growth: target sum
>= 5 mm above the iUPD sum when targets caused the iUPD (increases are cumulative from the iUPD
scan), any growth of non-targets when they caused it, new-lesion target sum +5 mm or any growth of
new non-target lesions when new lesions caused it, any additional new lesion, or RECIST 1.1 PD in a
category that did not cause the iUPD. Without confirmation the time point stays iUPD (no change)
or, when the disease that caused the iUPD no longer meets PD (targets below the PD bar, non-targets
no longer progressing, new lesions gone or -- iRECIST FAQ, scenario B -- targets shrinking further
from the iUPD scan), it becomes iSD/iPR/iCR against baseline and the bar is reset: a later iUPD is
again judged against the nadir and must again be confirmed. The best iRECIST response is the best
time-point response (iCR < iPR < iSD < iUPD < iCPD), responses after an unconfirmed iUPD included
(Seymour 2017, table 3).

Abscopal definitions: ``golden2015`` (Golden et al. Lancet Oncol 2015;16:795-803: >= 30% decrease of
the longest diameter of any non-irradiated lesion) and ``recist_out_of_field`` (RECIST 1.1 CR or PR
computed only on the out-of-field target lesions).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

import numpy as np


def scan_indices(t: np.ndarray, every: float, until: float, baseline: float = 0.0, *,
                 include_baseline: bool = False) -> list[int]:
    """The scan schedule: indices into the output grid ``t`` of the scans every ``every`` days after ``baseline``
    up to ``until`` (inclusive), each the output time nearest the scan day; the baseline scan itself too when asked.

    One definition for the single-subject summary, the trial read-outs and the validation probes, so that
    they can never disagree about which days were scanned."""
    first = baseline if include_baseline else baseline + every
    t = np.asarray(t, float)
    return [int(np.argmin(np.abs(t - s))) for s in np.arange(first, until + 1e-9, every)]


ORDER = {"CR": 0, "PR": 1, "SD": 2, "PD": 3}
IORDER = {"iCR": 0, "iPR": 1, "iSD": 2, "iUPD": 3, "iCPD": 4}
MIN_TARGET_MM = 10.0
MIN_NODE_TARGET_MM = 15.0
NODE_NORMAL_MM = 10.0
MAX_TARGETS = 5
MAX_TARGETS_PER_SITE = 2
PR_DECREASE = 0.30
PD_INCREASE = 0.20
PD_ABSOLUTE_MM = 5.0
NON_TARGET_PD_INCREASE = 0.50  # proxy for unequivocal non-target progression
NON_TARGET_PD_ABSOLUTE_MM = 10.0
CONFIRM_DAYS = 28.0  # RECIST 1.1 confirmation, and the earliest iRECIST confirmation of iUPD
ICPD_GROWTH_MM = 5.0
_EPS = 1e-9  # mm; thresholds are inclusive ("exactly -30%" is PR)


@dataclass(frozen=True)
class LesionTrack:
    """One lesion's diameters (mm) at the scan times; NaN before it exists."""

    id: str
    site: str
    baseline_diameter: float
    diameters: np.ndarray


def _is_node(les: LesionTrack) -> bool:
    return les.site == "lymph_node"


def is_measurable(les: LesionTrack, diameter: float | None = None) -> bool:
    """RECIST 1.1 measurability: longest diameter >= 10 mm, nodes short axis >= 15 mm."""
    d = les.baseline_diameter if diameter is None else diameter
    return bool(d >= (MIN_NODE_TARGET_MM if _is_node(les) else MIN_TARGET_MM))


def _choose(lesions: list[LesionTrack], candidates: list[int], sizes: dict[int, float]) -> list[int]:
    ranked = sorted(candidates, key=lambda k: (-sizes[k], k))
    chosen, per_site = [], {}
    for k in ranked:
        site = lesions[k].site
        if per_site.get(site, 0) >= MAX_TARGETS_PER_SITE:
            continue
        chosen.append(k)
        per_site[site] = per_site.get(site, 0) + 1
        if len(chosen) == MAX_TARGETS:
            break
    return chosen


def select_targets(lesions: list[LesionTrack]) -> list[int]:
    """Indices of the RECIST 1.1 target lesions, largest first (ties in listed order)."""
    measurable = [k for k, les in enumerate(lesions) if is_measurable(les)]
    return _choose(lesions, measurable, {k: lesions[k].baseline_diameter for k in measurable})


@dataclass(frozen=True)
class Assessment:
    """RECIST 1.1 over a set of lesions. ``responses`` are the raw time-point responses; ``best`` uses
    the confirmed ones when confirmation was asked for. ``sums[s]`` is the target sum at scan s and
    ``nadirs[s]`` the nadir that scan's PD was judged against (baseline included)."""

    responses: list[str]  # per scan
    best: str  # CR | PR | SD | PD | NE
    progression_index: int | None
    sums: tuple[float, ...] = ()
    baseline_sum: float | None = None
    nadirs: tuple[float, ...] = ()
    targets: tuple[int, ...] = ()
    confirmed: tuple[str, ...] | None = None
    at: str | None = None  # response at scan ``at_index`` when asked for

    def response_at(self, index: int) -> str:
        """Response at scan ``index``: PD once progressed, else that scan's (confirmed) category."""
        if not self.responses:
            return "NE"
        if self.progression_index is not None and self.progression_index <= index:
            return "PD"
        return (self.confirmed or self.responses)[index]


@dataclass(frozen=True)
class _Burden:
    targets: list[int]
    sums: np.ndarray
    baseline_sum: float
    target_gone: np.ndarray  # bool per scan: target CR
    nt_sums: np.ndarray | None  # None when non-targets are not tracked or absent
    nt_base: float
    nt_gone: np.ndarray  # bool per scan: non-targets all gone (True when untracked)


def _gone(les: LesionTrack, d: np.ndarray, disappearance_mm: float) -> np.ndarray:
    """Below the disappearance threshold at each scan; a missing (NaN) diameter counts as 0 mm.

    The same as ``np.nan_to_num(d) < threshold`` (infinities compare alike), without nan_to_num's cost:
    this runs once per lesion and assessment of every subject of a cohort."""
    d = np.asarray(d, dtype=float)
    threshold = NODE_NORMAL_MM if _is_node(les) else disappearance_mm
    gone = d < threshold
    if threshold > 0.0:
        gone |= np.isnan(d)
    return gone


def _burden(lesions: list[LesionTrack], disappearance_mm: float, use_non_targets: bool) -> _Burden | None:
    targets = select_targets(lesions)
    if not targets or len(lesions[0].diameters) == 0:
        return None
    d = np.array([np.asarray(lesions[k].diameters, dtype=float) for k in targets])
    nodes = np.array([_is_node(lesions[k]) for k in targets])
    seen = np.where(nodes[:, None], d, np.where(d < disappearance_mm, 0.0, d))
    target_gone = np.all([_gone(lesions[k], lesions[k].diameters, disappearance_mm) for k in targets], axis=0)
    non_targets = [k for k in range(len(lesions)) if k not in targets
                   and not (_is_node(lesions[k]) and lesions[k].baseline_diameter < NODE_NORMAL_MM)]
    n_scans = d.shape[1]
    nt_sums, nt_base, nt_gone = None, 0.0, np.ones(n_scans, dtype=bool)
    if use_non_targets and non_targets:
        nt_sums = np.array([np.nan_to_num(np.asarray(lesions[k].diameters, dtype=float)) for k in non_targets]).sum(axis=0)
        nt_base = float(sum(lesions[k].baseline_diameter for k in non_targets))
        nt_gone = np.all([_gone(lesions[k], lesions[k].diameters, disappearance_mm) for k in non_targets], axis=0)
    base = float(sum(lesions[k].baseline_diameter for k in targets))
    return _Burden(targets, seen.sum(axis=0), base, target_gone, nt_sums, nt_base, nt_gone)


def _sum_pd(total: float, nadir: float) -> bool:
    return bool(total - (1.0 + PD_INCREASE) * nadir >= -_EPS and total - nadir >= PD_ABSOLUTE_MM - _EPS)


def _non_target_pd(total: float, nadir: float) -> bool:
    return bool(total - (1.0 + NON_TARGET_PD_INCREASE) * nadir >= -_EPS
                and total - nadir >= NON_TARGET_PD_ABSOLUTE_MM - _EPS)


def _non_pd_category(b: _Burden, s: int, new_present: bool = False) -> str:
    """CR / PR / SD at scan s when it is not PD (RECIST 1.1 table 1)."""
    if b.target_gone[s]:
        return "CR" if b.nt_gone[s] and not new_present else "PR"
    return "PR" if b.sums[s] - (1.0 - PR_DECREASE) * b.baseline_sum <= _EPS else "SD"


def _first_new_scan(new_lesions: list[LesionTrack] | None, disappearance_mm: float) -> int | None:
    if not new_lesions:
        return None
    seen = [np.nonzero(~_gone(les, les.diameters, disappearance_mm))[0] for les in new_lesions]
    firsts = [int(idx[0]) for idx in seen if idx.size]
    return min(firsts) if firsts else None


def _confirm(responses: list[str], days: np.ndarray, progression: int | None, min_days: float) -> list[str]:
    out = list(responses)
    for i, r in enumerate(responses):
        if r not in ("CR", "PR"):
            continue
        j = next((j for j in range(i + 1, len(responses)) if days[j] - days[i] >= min_days - _EPS), None)
        if j is None or (progression is not None and progression <= j) or responses[j] not in ("CR", "PR"):
            out[i] = "SD"
        else:
            out[i] = max(r, responses[j], key=ORDER.get)
    return out


def assess(
    lesions: list[LesionTrack],
    *,
    disappearance_mm: float,
    new_lesion_scan: int | None = None,
    use_non_targets: bool = True,
    new_lesions: list[LesionTrack] | None = None,
    confirm: bool = False,
    scan_days: np.ndarray | list[float] | None = None,
    confirm_days: float = CONFIRM_DAYS,
    min_sd_days: float = 0.0,
    at_index: int | None = None,
) -> Assessment:
    """RECIST 1.1 at each scan over the baseline ``lesions``.

    New lesions: ``new_lesion_scan`` (the first scan showing one) and/or ``new_lesions`` (tracks, NaN
    or below detection before they appear). ``confirm`` and ``min_sd_days`` need ``scan_days`` (the
    day of each scan). ``at_index`` fills ``Assessment.at`` with the response at that scan.
    """
    b = _burden(lesions, disappearance_mm, use_non_targets)
    if b is None:
        return Assessment([], "NE", None, at="NE" if at_index is not None else None)
    n_scans = len(b.sums)
    if (confirm or min_sd_days > 0) and scan_days is None:
        raise ValueError("confirmation and a minimum SD duration need scan_days")
    days = np.asarray(scan_days, dtype=float) if scan_days is not None else None
    first_new = [s for s in (new_lesion_scan, _first_new_scan(new_lesions, disappearance_mm)) if s is not None]
    new_scan = min(first_new) if first_new else None
    responses, nadirs, progression = [], [], None
    nadir, nt_nadir = b.baseline_sum, b.nt_base
    for s in range(n_scans):
        total = float(b.sums[s])
        nadirs.append(nadir)
        progressed = (_sum_pd(total, nadir) or (new_scan is not None and s >= new_scan)
                      or (b.nt_sums is not None and _non_target_pd(float(b.nt_sums[s]), nt_nadir)))
        response = "PD" if progressed else _non_pd_category(b, s)
        responses.append(response)
        nadir = min(nadir, total)
        if b.nt_sums is not None:
            nt_nadir = min(nt_nadir, float(b.nt_sums[s]))
        if progressed and progression is None:
            progression = s
    confirmed = tuple(_confirm(responses, days, progression, confirm_days)) if confirm else None
    seq = list(confirmed) if confirmed is not None else responses
    before = range(progression if progression is not None else n_scans)
    eligible = [seq[k] for k in before if seq[k] != "SD" or min_sd_days <= 0 or days[k] >= min_sd_days - _EPS]
    best = min(eligible, key=ORDER.get) if eligible else ("PD" if progression is not None else "NE")
    out = Assessment(responses, best, progression, tuple(float(x) for x in b.sums), b.baseline_sum,
                     tuple(nadirs), tuple(b.targets), confirmed)
    if at_index is not None:
        if not 0 <= at_index < n_scans:
            raise ValueError(f"at_index {at_index} outside the {n_scans} scans")
        out = replace(out, at=out.response_at(at_index))
    return out


# ---------------------------------------------------------------------------------------------- iRECIST

@dataclass(frozen=True)
class IRecistAssessment:
    responses: list[str]  # per scan: iCR | iPR | iSD | iUPD | iCPD
    best: str  # best time-point response, or NE
    iupd_index: int | None  # first iUPD
    icpd_index: int | None
    icpd_day: float | None  # needs scan_days
    sums: tuple[float, ...] = ()


@dataclass(frozen=True)
class _NewBurden:
    ever: np.ndarray  # cumulative number of new lesions seen by each scan
    present: np.ndarray  # number visible at each scan
    nlt: np.ndarray  # new-lesion target sum (measurable at first sight; <= 5, <= 2 per organ)
    nlnt: np.ndarray  # new-lesion non-target diameter sum


def _new_burden(new_lesions: list[LesionTrack] | None, new_lesion_scan: int | None, n: int,
                disappearance_mm: float) -> _NewBurden:
    ever, present = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    nlt, nlnt = np.zeros(n), np.zeros(n)
    if new_lesion_scan is not None:  # an unmeasured new lesion: present from then on, constant size
        ever[new_lesion_scan:] += 1
        present[new_lesion_scan:] += 1
    lesions = new_lesions or []
    if any(len(les.diameters) != n for les in lesions):
        raise ValueError(f"new-lesion tracks must have one diameter per scan ({n})")
    first, size = {}, {}
    for k, les in enumerate(lesions):
        visible = np.nonzero(~_gone(les, les.diameters, disappearance_mm))[0]
        if visible.size:
            first[k] = int(visible[0])
            size[k] = float(les.diameters[first[k]])
    targets: list[int] = []
    per_site: dict[str, int] = {}
    for k in sorted(first, key=lambda k: (first[k], -size[k], k)):  # chosen as new lesions appear
        site = lesions[k].site
        if is_measurable(lesions[k], size[k]) and len(targets) < MAX_TARGETS \
                and per_site.get(site, 0) < MAX_TARGETS_PER_SITE:
            targets.append(k)
            per_site[site] = per_site.get(site, 0) + 1
    for k in first:
        d = np.nan_to_num(np.asarray(lesions[k].diameters, dtype=float))
        vis = ~_gone(lesions[k], d, disappearance_mm)
        ever[first[k]:] += 1
        present += vis
        if k in targets:
            nlt += np.where(vis | _is_node(lesions[k]), d, 0.0)
        else:
            nlnt += np.where(vis, d, 0.0)
    return _NewBurden(ever, present, nlt, nlnt)


def assess_irecist(
    lesions: list[LesionTrack],
    *,
    disappearance_mm: float,
    new_lesions: list[LesionTrack] | None = None,
    new_lesion_scan: int | None = None,
    use_non_targets: bool = True,
    scan_days: np.ndarray | list[float] | None = None,
    confirm_days: float = CONFIRM_DAYS,
) -> IRecistAssessment:
    """iRECIST time-point responses and best response (Seymour 2017; see the module docstring)."""
    b = _burden(lesions, disappearance_mm, use_non_targets)
    if b is None:
        return IRecistAssessment([], "NE", None, None, None)
    n = len(b.sums)
    days = np.asarray(scan_days, dtype=float) if scan_days is not None else None
    nb = _new_burden(new_lesions, new_lesion_scan, n, disappearance_mm)
    responses: list[str] = []
    nadir, nt_nadir = b.baseline_sum, b.nt_base
    known_new, nlt_nadir = 0, None  # new lesions already accounted for by a reset iUPD
    state = None  # open iUPD: categories and the values at the iUPD scan
    first_iupd = icpd = None
    for s in range(n):
        if icpd is not None:
            responses.append("iCPD")
            continue
        total = float(b.sums[s])
        nt = float(b.nt_sums[s]) if b.nt_sums is not None else 0.0
        t_pd = _sum_pd(total, nadir)
        nt_pd = b.nt_sums is not None and _non_target_pd(nt, nt_nadir)
        new_pd = nb.ever[s] > known_new or (nlt_nadir is not None and _sum_pd(float(nb.nlt[s]), nlt_nadir))
        if state is None:
            cats = {c for c, flag in (("target", t_pd), ("non_target", nt_pd), ("new", new_pd)) if flag}
            if cats:
                state = {"cats": cats, "index": s, "sum": total, "nt": nt, "nlt": float(nb.nlt[s]),
                         "nlnt": float(nb.nlnt[s]), "ever": int(nb.ever[s])}
                first_iupd = s if first_iupd is None else first_iupd
                response = "iUPD"
            else:
                response = "i" + _non_pd_category(b, s, new_present=bool(nb.present[s]))
        else:
            cats = state["cats"]
            early = days is not None and days[s] - days[state["index"]] < confirm_days - _EPS
            growth = (("target" in cats and total - state["sum"] >= ICPD_GROWTH_MM - _EPS)
                      or ("target" not in cats and t_pd)
                      or ("non_target" in cats and nt > state["nt"] + _EPS)
                      or ("non_target" not in cats and nt_pd)
                      or ("new" in cats and (nb.nlt[s] - state["nlt"] >= ICPD_GROWTH_MM - _EPS
                                             or nb.nlnt[s] > state["nlnt"] + _EPS)))
            if nb.ever[s] > state["ever"] or (growth and not early):
                icpd = s
                response = "iCPD"
            else:
                resolved = (not ("target" in cats and t_pd) and not ("non_target" in cats and nt_pd)
                            and ("new" not in cats or nb.present[s] == 0 or total < state["sum"] - _EPS))
                if resolved:
                    state, known_new = None, int(nb.ever[s])
                    nlt_nadir = float(nb.nlt[s]) if nb.present[s] else None
                    response = "i" + _non_pd_category(b, s, new_present=bool(nb.present[s]))
                else:
                    response = "iUPD"
        responses.append(response)
        nadir = min(nadir, total)
        nt_nadir = min(nt_nadir, nt)
        if nlt_nadir is not None:
            nlt_nadir = min(nlt_nadir, float(nb.nlt[s]))
    best = min(responses, key=IORDER.get) if responses else "NE"
    icpd_day = float(days[icpd]) if icpd is not None and days is not None else None
    return IRecistAssessment(responses, best, first_iupd, icpd, icpd_day, tuple(float(x) for x in b.sums))


# ----------------------------------------------------------------------- in field / out of field, abscopal

def best_change_pct(track: LesionTrack, at_index: int | None = None) -> float:
    """Best (most negative) % change of one lesion's diameter from baseline over the scans, up to and
    including ``at_index`` when given."""
    d = np.asarray(track.diameters, dtype=float)
    d = d if at_index is None else d[: at_index + 1]
    return float(100.0 * (np.nanmin(d) / track.baseline_diameter - 1.0))


def field_assessments(
    lesions: list[LesionTrack], irradiated_ids: Collection[str], *, disappearance_mm: float, **kwargs
) -> dict[str, Assessment | None]:
    """RECIST 1.1 on the irradiated (``in_field``) and the other (``out_of_field``) lesions separately,
    targets only (non-targets and new lesions belong to the overall response); None for an empty set.
    ``kwargs`` go to ``assess`` (confirm, scan_days, at_index, ...)."""
    irradiated = set(irradiated_ids)
    sets = {"in_field": [les for les in lesions if les.id in irradiated],
            "out_of_field": [les for les in lesions if les.id not in irradiated]}
    return {key: assess(group, disappearance_mm=disappearance_mm, use_non_targets=False, **kwargs) if group else None
            for key, group in sets.items()}


def golden2015(best_change_pct: list[float]) -> bool:
    """Golden et al. Lancet Oncol 2015;16:795: >= 30% decrease of the longest diameter of any
    non-irradiated lesion."""
    return any(change <= -30.0 for change in best_change_pct)


def recist_out_of_field(out_of_field: list[LesionTrack], *, disappearance_mm: float, **kwargs) -> bool | None:
    """RECIST 1.1 CR or PR computed only on the out-of-field target lesions (best response, or the
    response at ``at_index``); None when no out-of-field lesion is measurable."""
    a = assess(out_of_field, disappearance_mm=disappearance_mm, use_non_targets=False, **kwargs)
    category = a.at if a.at is not None else a.best
    return None if category == "NE" else category in ("CR", "PR")


def abscopal_response(out_of_field: list[LesionTrack], *, definition: str = "golden2015",
                      disappearance_mm: float, at_index: int | None = None, **kwargs) -> bool | None:
    """The abscopal response of one subject by ``definition`` (CONTRACT.md: golden2015 |
    recist_out_of_field); None without an out-of-field lesion (or, for recist_out_of_field, without a
    measurable one). For golden2015 with ``at_index``, the best change up to that scan is used."""
    if not out_of_field:
        return None
    if definition == "golden2015":
        return golden2015([best_change_pct(les, at_index) for les in out_of_field])
    if definition == "recist_out_of_field":
        return recist_out_of_field(out_of_field, disappearance_mm=disappearance_mm, at_index=at_index, **kwargs)
    raise ValueError(f"unknown abscopal definition {definition!r}; expected golden2015 or recist_out_of_field")
