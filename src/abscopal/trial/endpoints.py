"""Clinical endpoint rules, each in one place, so that every read-out (records, Parquet, the printed summary, the
JSON, Kaplan-Meier figures, validation probes) uses the same definition.

- PFS: the first of RECIST 1.1 progression (a new lesion included) and death, censored at the end of follow-up
  (Eisenhauer et al. Eur J Cancer 2009;45:228-47, appendix: PFS counts death from any cause). Counting death is what
  keeps median PFS at or below median OS in every arm.
- EFS: the same endpoint for early-stage designs, in which every subject enters with a single lesion: recurrence
  (RECIST progression, or a lesion seen again after every lesion had disappeared), a new lesion, or death.
- Time to endpoint (mice): the day the total tumour volume reaches ``endpoint_volume``; animals that never reach it
  are censored at the end of follow-up, never dropped.
- Lymphopenia: CTCAE v5.0 "Lymphocyte count decreased" (NCI, 27 November 2017): grade 1 < LLN to 800/uL,
  grade 2 < 800 to 500/uL, grade 3 < 500 to 200/uL, grade 4 < 200/uL. CTCAE leaves the lower limit of normal to the
  laboratory; 1000/uL is used here (a common laboratory LLN, stated assumption).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

LLN_ALC_PER_UL = 1000.0  # lower limit of normal of the absolute lymphocyte count (assumption; laboratory-specific)
CTCAE_LYMPHOCYTE_BANDS = ((200.0, 4), (500.0, 3), (800.0, 2))  # (upper bound, exclusive; grade), then < LLN: 1
CTCAE_SOURCE = "CTCAE v5.0 Lymphocyte count decreased (grade 1 <LLN-800, 2 <800-500, 3 <500-200, 4 <200 /uL; LLN 1000 /uL)"

PFS_DEFINITION = "PFS: first of RECIST 1.1 progression (a new lesion included) or death; censored at the end of follow-up"
EFS_DEFINITION = ("EFS (single-lesion, early-stage design): first of recurrence, a new lesion or death; "
                  "censored at the end of follow-up")
TCP_MEANING = ("TCP (irradiated lesions only): probability that no clonogenic tumour cell survives at the end, "
               "exp(-expected surviving clonogens); shrinkage alone is not control")


def first_event(*days: float | None) -> float | None:
    """The earliest of the given event days (None: no such event)."""
    known = [float(d) for d in days if d is not None]
    return min(known) if known else None


def progression_free(progression_day: float | None, death_day: float | None, death_event: bool | None,
                     end_day: float) -> tuple[float, bool]:
    """(day, event) of PFS/EFS: the first of progression and death; censored at ``end_day`` without either.

    ``death_day`` with ``death_event`` False is a censoring time of OS (alive at the end), not a death."""
    death = float(death_day) if death_event and death_day is not None else None
    day = first_event(progression_day, death)
    if day is None:
        return float(end_day), False
    return day, True


def recurrence_scan(diameters: np.ndarray, disappearance_mm: float) -> int | None:
    """First scan at which a lesion is seen again after every lesion had disappeared at an earlier scan.

    ``diameters``: (scans, lesions) in mm. RECIST 1.1 counts the reappearance of any lesion after a complete
    response as progression; this rule also finds it when no lesion was measurable (no target lesion)."""
    d = np.nan_to_num(np.asarray(diameters, float))
    if d.ndim != 2 or d.shape[0] == 0 or d.shape[1] == 0:
        return None
    gone = np.all(d < disappearance_mm, axis=1)
    seen_gone = np.cumsum(gone) > 0
    for s in range(1, d.shape[0]):
        if seen_gone[s - 1] and not gone[s]:
            return s
    return None


def is_early_stage(n_lesions: Iterable[int | None]) -> bool:
    """An arm is an early-stage design when every subject entered with exactly one lesion (EFS, not PFS)."""
    counts = [n for n in n_lesions if n is not None]
    return bool(counts) and all(n == 1 for n in counts)


def endpoint_survival(days: Iterable[float | None], events: Iterable[bool | None],
                      duration: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(durations, events) of time to endpoint: an animal that never reached it is censored at ``duration``.

    Records without an event flag (failed subjects) are left out; None when nothing is left."""
    rows = []
    for d, e in zip(days, events, strict=True):
        if e is None:
            continue
        if e and d is not None:
            rows.append((float(d), True))
        elif not e:
            rows.append((float(duration), False))
    if not rows:
        return None
    durations, flags = zip(*rows, strict=True)
    return np.asarray(durations, float), np.asarray(flags, bool)


def lymphopenia_grade(alc_per_ul: float | None, lln: float = LLN_ALC_PER_UL) -> int | None:
    """CTCAE v5.0 grade of "Lymphocyte count decreased" for an absolute lymphocyte count in /uL (0: not below
    the LLN); None for a missing or non-finite count."""
    if alc_per_ul is None or not math.isfinite(float(alc_per_ul)):
        return None
    x = float(alc_per_ul)
    for upper, grade in CTCAE_LYMPHOCYTE_BANDS:
        if x < upper:
            return grade
    return 1 if x < lln else 0
