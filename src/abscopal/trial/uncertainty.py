"""What a trial run contributes to credible bands over the posterior draws: Kaplan-Meier curves on a fixed grid.

The intervals of the summary figures come from the per-draw summaries; the survival curves are not in the
summary, so each draw's curves are read here, on the point run's time grid, for the command line to band point
by point (``abscopal.inference.intervals.series_bounds``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import endpoints
from .run import TrialRun
from .store import column


def endpoints_of(run: TrialRun) -> tuple[str, ...]:
    """The time-to-event endpoints that have Kaplan-Meier figures: PFS and OS for humans, the endpoint for mice."""
    return ("pfs", "os") if run.design.species == "human" else ("endpoint",)


def survival_rows(records, endpoint: str, duration: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(durations, events) of the records that have the endpoint; a mouse that never reached the endpoint volume
    is censored at the end of follow-up (:func:`abscopal.trial.endpoints.endpoint_survival`, never dropped)."""
    if endpoint == "endpoint":
        return endpoints.endpoint_survival(column(records, "endpoint_day"), column(records, "endpoint_event"), duration)
    rows = []
    for d, e in zip(column(records, f"{endpoint}_day"), column(records, f"{endpoint}_event"), strict=True):
        if d is None and endpoint == "endpoint" and e is False:
            d = duration
        if d is not None and e is not None:
            rows.append((d, bool(e)))
    if not rows:
        return None
    durations, events = zip(*rows, strict=True)
    return np.asarray(durations, float), np.asarray(events, bool)


def survival_curves(run: TrialRun, grid: Sequence[float]) -> dict[str, dict[str, list[float]]]:
    """``{endpoint: {arm: S(t) at each grid time}}`` (Kaplan-Meier)."""
    from lifelines import KaplanMeierFitter

    out: dict[str, dict[str, list[float]]] = {}
    for endpoint in endpoints_of(run):
        out[endpoint] = {}
        for arm, records in run.records.items():
            rows = survival_rows(records, endpoint, run.design.duration)
            if rows is None:
                continue
            kmf = KaplanMeierFitter().fit(*rows)
            out[endpoint][arm] = [float(s) for s in kmf.survival_function_at_times(list(grid)).to_numpy()]
    return out
