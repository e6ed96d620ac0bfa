"""90% credible intervals over the draws of an ensemble, written beside every summary figure of a result.

The interval of a figure is its 5th and 95th percentile over the draws, weighted by the ensemble's weights
(equal without them): Hazen's midpoint rule, each draw standing at the middle of its share of the total weight
(numpy's ``method="hazen"`` for equal weights), so with few draws the interval is close to their range. The
point value stays the result with the file values. Draws in which a figure is null are left out of its
interval, except for times to an event (``progression_day``, ``endpoint_day``, medians of survival), where null
means "not reached": it counts as later than any time, and a bound that falls there is null.

Where a figure sits:
- rates R and medians M (CONTRACT.md): ``"ci90": [lo, hi]`` inside the object, for ``rate`` or ``value``;
- a plain number ``key``: a sibling ``key_ci90``;
- a time series ``key`` that figures draw (lesion volumes and diameters, ALC, group curves): ``key_ci90`` =
  ``[low series, high series]``;
- a category (RECIST response) ``key``: ``key_draws`` = the weighted fraction of draws per category; a yes/no
  figure: ``key_probability`` = the weighted fraction of draws in which it holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

LEVELS = (0.05, 0.95)
METHOD = "5th and 95th percentiles over the draws (Hazen midpoint rule, weighted by the ensemble's weights)"
NOT_FIGURES = frozenset({
    "schema", "name", "species", "tumour", "status", "provenance", "notice", "time_days", "n", "count", "n_evaluable",
    "n_failed", "n_at_risk", "ci_low", "ci_high", "drugs", "radiotherapy", "occult_lesions", "biomarkers",
    "power", "id", "site", "irradiated", "baseline_diameter_mm", "appears_day", "median_method", "uncertainty",
    "subject", "survival_endpoint", "criteria", "grade_counts", "volume_day",
})
SERIES = frozenset({"volume_mm3", "diameter_mm", "alc_per_ul", "mean_volume_mm3", "median_volume_mm3",
                    "median_volume_on_study_mm3"})
TIME_TO_EVENT = frozenset({"progression_day", "endpoint_day"})
CATEGORIES = frozenset({"best_overall_response", "in_field_best_response", "out_of_field_best_response"})  # may be null
YES_NO = frozenset({"abscopal_response", "controlled"})  # may be null


def weighted_quantiles(values: Sequence[float], weights: Sequence[float], levels=LEVELS) -> list[float]:
    """Quantiles of ``values`` (may hold +inf) with ``weights``, Hazen's midpoint rule."""
    x = np.asarray(values, float)
    w = np.asarray(weights, float)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    keep = w > 0
    x, w = x[keep], w[keep]
    positions = (np.cumsum(w) - 0.5 * w) / w.sum()
    out = []
    for q in levels:
        if q <= positions[0]:
            out.append(float(x[0]))
            continue
        if q >= positions[-1]:
            out.append(float(x[-1]))
            continue
        j = int(np.searchsorted(positions, q, side="right")) - 1
        frac = (q - positions[j]) / (positions[j + 1] - positions[j])
        lo, hi = x[j], x[j + 1]
        out.append(float(lo) if frac == 0 or lo == hi else (math.inf if math.isinf(hi) else float(lo + frac * (hi - lo))))
    return out


def _bounds(values: list, weights, *, time_to_event: bool = False) -> list | None:
    pairs = [(math.inf if v is None else float(v), w) for v, w in zip(values, weights, strict=True)
             if (v is not None or time_to_event) and not isinstance(v, bool)]
    if not pairs or not any(w > 0 for _, w in pairs):
        return None
    lo, hi = weighted_quantiles([v for v, _ in pairs], [w for _, w in pairs])
    return [None if math.isinf(lo) else _tidy(lo), None if math.isinf(hi) else _tidy(hi)]


def _tidy(x: float) -> float:
    return float(f"{x:.8g}")


def series_bounds(series: list[list], weights) -> list[list]:
    """``[low series, high series]``: the percentiles of each time point over the draws' series."""
    arr = np.array([[np.nan if v is None else v for v in s] for s in series], float)  # (draws, T)
    w = np.asarray(weights, float)
    low, high = np.full(arr.shape[1], np.nan), np.full(arr.shape[1], np.nan)
    for j in range(arr.shape[1]):
        ok = np.isfinite(arr[:, j]) & (w > 0)
        if ok.any():
            low[j], high[j] = weighted_quantiles(arr[ok, j], w[ok])
    return [[None if not math.isfinite(v) else _tidy(v) for v in row] for row in (low, high)]


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _fractions(values: list, weights) -> dict[str, float]:
    total = sum(weights)
    out: dict[str, float] = {}
    for v, w in zip(values, weights, strict=True):
        key = "null" if v is None else str(v)
        out[key] = out.get(key, 0.0) + w / total
    return {k: _tidy(v) for k, v in sorted(out.items())}


def with_intervals(point: dict, draws: list[dict], weights: Sequence[float]) -> dict:
    """``point`` (a result dict) with the intervals over ``draws`` (the same result per draw) beside its figures."""
    if len(draws) != len(weights):
        raise ValueError("one weight per draw")
    return _walk(point, draws, list(weights), parent="")


def _walk(node, draws: list, weights: list, parent: str):
    if isinstance(node, list):
        if node and all(isinstance(item, dict) for item in node):
            return [_walk(item, [d[i] if isinstance(d, list) and i < len(d) else None for d in draws], weights, parent)
                    for i, item in enumerate(node)]
        return node
    if not isinstance(node, dict):
        return node
    draws = [d if isinstance(d, dict) else {} for d in draws]
    if "rate" in node and "ci_low" in node:  # R
        return {**node, "ci90": _bounds([d.get("rate") for d in draws], weights)}
    if "value" in node and "ci_low" in node:  # M
        return {**node, "ci90": _bounds([d.get("value") for d in draws], weights, time_to_event=parent.startswith("median_"))}
    out = {}
    for key, value in node.items():
        out[key] = value
        if key in NOT_FIGURES:
            continue
        others = [d.get(key) for d in draws]
        if isinstance(value, (dict, list)) and not (key in SERIES and isinstance(value, list)):
            out[key] = _walk(value, others, weights, key)
        elif key in SERIES and isinstance(value, list):
            if all(isinstance(o, list) and len(o) == len(value) for o in others):
                out[f"{key}_ci90"] = series_bounds(others, weights)
        elif isinstance(value, bool) or any(isinstance(o, bool) for o in others) or key in YES_NO:
            known = [(o, w) for o, w in zip(others, weights, strict=True) if isinstance(o, bool)]
            total = sum(w for _, w in known)
            out[f"{key}_probability"] = _tidy(sum(w for o, w in known if o) / total) if total > 0 else None
        elif isinstance(value, str) or any(isinstance(o, str) for o in others) or key in CATEGORIES:
            out[f"{key}_draws"] = _fractions(others, weights)
        elif _is_number(value) or value is None:  # a figure that is null in every draw gets a null interval
            out[f"{key}_ci90"] = _bounds(others, weights, time_to_event=key in TIME_TO_EVENT)
    return out
