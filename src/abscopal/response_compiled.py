"""Compiled RECIST 1.1 / iRECIST: the numba loops of response_kernel.py, and drop-in versions of response.assess and
response.assess_irecist built on them.

response.py stays the reference (its docstring states the rules); the cohort evaluates every subject through
``kernel().cohort_readouts`` instead, which gives the same categories, indices and sums bit for bit at a fraction
of the cost (tests/unit/test_response_compiled.py compares the two on synthetic subjects and real cohorts).

The kernel is compiled on first use (a few seconds) and cached on disk like the integrator's
(engine/compiled.py): from a copy named by the hash of response_kernel.py and response.py, because numba's cache
does not notice a change of the constants that the kernel imports from response.py.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np

from . import response as reference
from .engine.compiled import load_copy

KERNEL = Path(__file__).with_name("response_kernel.py")
CATEGORIES = {-1: "NE", 0: "CR", 1: "PR", 2: "SD", 3: "PD"}
ICATEGORIES = {-1: "NE", 0: "iCR", 1: "iPR", 2: "iSD", 3: "iUPD", 4: "iCPD"}
_NO_DAYS = np.zeros(0)


@functools.cache
def kernel():
    """The kernel module, loaded from a copy named by the hash of its source and of response.py."""
    return load_copy(KERNEL, "abscopal_response_kernel", Path(reference.__file__))


@functools.lru_cache(maxsize=256)
def site_arrays(sites: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(is lymph node, organ code) per lesion, for a subject's tuple of lesion sites (cached: cohorts repeat them)."""
    codes: dict[str, int] = {}
    node = np.array([s == "lymph_node" for s in sites], dtype=bool)
    site = np.array([codes.setdefault(s, len(codes)) for s in sites], dtype=np.int64)
    node.flags.writeable = site.flags.writeable = False
    return node, site


def _arrays(lesions: list[reference.LesionTrack]):
    """(diameters (scans, lesions), baseline diameters, node flags, site codes, all indices) of lesion tracks."""
    n_scans = len(lesions[0].diameters) if lesions else 0
    D = np.empty((n_scans, len(lesions)))
    for k, les in enumerate(lesions):
        D[:, k] = np.asarray(les.diameters, dtype=float)
    base = np.array([les.baseline_diameter for les in lesions], dtype=float)
    node, site = site_arrays(tuple(les.site for les in lesions))
    return D, base, node, site, np.arange(len(lesions), dtype=np.int64)


def assess(lesions: list[reference.LesionTrack], *, disappearance_mm: float, new_lesion_scan: int | None = None,
           use_non_targets: bool = True, new_lesions: list[reference.LesionTrack] | None = None, confirm: bool = False,
           scan_days=None, confirm_days: float = reference.CONFIRM_DAYS, min_sd_days: float = 0.0,
           at_index: int | None = None) -> reference.Assessment:
    """response.assess through the compiled kernel (the same arguments, the same result)."""
    if not lesions or ((confirm or min_sd_days > 0) and scan_days is None):  # NE, or the reference's error
        return reference.assess(lesions, disappearance_mm=disappearance_mm, new_lesion_scan=new_lesion_scan,
                                use_non_targets=use_non_targets, new_lesions=new_lesions, confirm=confirm,
                                scan_days=scan_days, confirm_days=confirm_days, min_sd_days=min_sd_days,
                                at_index=at_index)
    D, base, node, site, idx = _arrays(lesions)
    days = np.asarray(scan_days, dtype=float) if scan_days is not None else _NO_DAYS
    from_tracks = reference._first_new_scan(new_lesions, disappearance_mm)
    first_new = [s for s in (new_lesion_scan, from_tracks) if s is not None]
    new_scan = min(first_new) if first_new else -1
    ok, responses, confirmed, best, progression, sums, base_sum, nadirs, targets = kernel().assess(
        D, base, node, site, idx, float(disappearance_mm), use_non_targets, new_scan, confirm, days,
        float(confirm_days), float(min_sd_days))
    if not ok:
        return reference.Assessment([], "NE", None, at="NE" if at_index is not None else None)
    out = reference.Assessment([CATEGORIES[c] for c in responses.tolist()], CATEGORIES[best],
                               None if progression < 0 else progression, tuple(sums.tolist()), base_sum,
                               tuple(nadirs.tolist()), tuple(targets.tolist()),
                               tuple(CATEGORIES[c] for c in confirmed.tolist()) if confirm else None)
    if at_index is not None:
        n_scans = len(responses)
        if not 0 <= at_index < n_scans:
            raise ValueError(f"at_index {at_index} outside the {n_scans} scans")
        out = dataclasses.replace(out, at=out.response_at(at_index))
    return out


def assess_irecist(lesions: list[reference.LesionTrack], *, disappearance_mm: float,
                   new_lesions: list[reference.LesionTrack] | None = None, new_lesion_scan: int | None = None,
                   use_non_targets: bool = True, scan_days=None,
                   confirm_days: float = reference.CONFIRM_DAYS) -> reference.IRecistAssessment:
    """response.assess_irecist through the compiled kernel (new-lesion tracks are summarised by the reference's
    _new_burden, whose arrays the kernel reads)."""
    if not lesions or len(lesions[0].diameters) == 0:
        return reference.assess_irecist(lesions, disappearance_mm=disappearance_mm)
    D, base, node, site, idx = _arrays(lesions)
    nb = reference._new_burden(new_lesions, new_lesion_scan, D.shape[0], disappearance_mm)
    has_days = scan_days is not None
    days = np.asarray(scan_days, dtype=float) if has_days else _NO_DAYS
    ok, responses, best, iupd, icpd, sums = kernel().assess_irecist(
        D, base, node, site, idx, float(disappearance_mm), use_non_targets, nb.ever.astype(np.int64),
        nb.present.astype(np.int64), nb.nlt.astype(float), nb.nlnt.astype(float), has_days, days, float(confirm_days))
    if not ok:
        return reference.IRecistAssessment([], "NE", None, None, None)
    return reference.IRecistAssessment([ICATEGORIES[c] for c in responses.tolist()], ICATEGORIES[best],
                                       None if iupd < 0 else iupd, None if icpd < 0 else icpd,
                                       float(days[icpd]) if icpd >= 0 and has_days else None,
                                       tuple(sums.tolist()))
