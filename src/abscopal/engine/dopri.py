"""Batched Dormand-Prince 5(4) with one step size, clock and stop list per subject.

All subjects advance together in vectorised array operations, but every subject's step-size control
uses only its own error (max-norm, so padding and lesion order do not change it), and every subject
stops exactly at its own event times and the shared output times. A subject's trajectory therefore
does not depend on which other subjects share the batch: a single run is a batch of one.

Events (RT fractions, drug doses, lesion appearance) are discontinuities: integration stops at the
event time, the output there is recorded *before* the event, then the jump is applied.
Log-space states may be negative; all other states are kept non-negative.
A subject whose step size collapses or whose state turns non-finite is marked failed and frozen;
the others go on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

STATUS_RUNNING, STATUS_OK, STATUS_FAILED = 0, 1, 2

# Dormand-Prince 5(4) tableau
C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
A = [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
B5 = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0])
B4 = np.array([5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40])
E = B5 - B4
# The same tableau as plain floats for the compiled kernels (kernel.py, lanes_kernel.py), which unpack it into
# module constants (numba freezes module floats): a21; a31 a32; a41-a43; a51-a54; a61-a65; b1 b3 b4 b5 b6 (the
# fifth-order weights); e1 e3-e7 (error weights); c2-c5. The zero coefficients (A[6][1], B5[1], E[1]) are left out.
KERNEL_TABLEAU = tuple(float(x) for x in (
    *A[1], *A[2], *A[3], *A[4], *A[5], *(B5[i] for i in (0, 2, 3, 4, 5)), *(E[i] for i in (0, 2, 3, 4, 5, 6)),
    *C[1:5]))


def integrate_batch(
    rhs: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    y0: np.ndarray,
    aux0: np.ndarray,
    t_out: np.ndarray,
    event_times: np.ndarray,
    apply_events: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None],
    *,
    nonnegative: np.ndarray,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    h0: float = 0.01,
    max_iterations: int = 2_000_000,
    progress: Callable[[float], None] | None = None,
    exact=None,
):
    """Integrate S subjects; return outputs (S, T, n), status (S,), and the final aux (S, ...).

    ``rhs(t, y, aux)``: derivatives for all subjects (t has shape (S,)).
    ``aux``: piecewise-constant per-subject data changed only by events (e.g. active lesion mask).
    ``apply_events(y, aux, rows, event_index)`` applies event ``event_index[j]`` to subject ``rows[j]``.
    ``exact``: an engine.linear.ExactPK whose compartments are solved exactly at every stage and left out of
    the error norm (None: every state is integrated by Runge-Kutta).
    """
    S, n = y0.shape
    T = len(t_out)
    y = y0.astype(float).copy()
    aux = aux0.copy()
    t = np.zeros(S)
    h = np.full(S, h0)
    out = np.full((S, T, n), np.nan)
    out_idx = np.zeros(S, dtype=int)
    ev_idx = np.zeros(S, dtype=int)
    status = np.zeros(S, dtype=int)
    n_events = event_times.shape[1]
    t_out_ext = np.append(t_out, np.inf)
    ev_ext = np.concatenate([event_times, np.full((S, 1), np.inf)], axis=1)
    rows_all = np.arange(S)
    t_end = t_out[-1]
    nonneg = np.asarray(nonnegative, dtype=bool)
    weight = exact.error_weight(n) if exact is not None else np.ones(n)

    def process_stops(rows):
        # outputs (before events at the same time)
        due = t_out_ext[out_idx[rows]] <= t[rows]
        r = rows[due]
        if r.size:
            out[r, out_idx[r]] = y[r]
            out_idx[r] += 1
        while True:
            due = ev_ext[rows, ev_idx[rows]] <= t[rows]
            r = rows[due]
            if not r.size:
                break
            apply_events(y, aux, r, ev_idx[r])
            ev_idx[r] += 1
        y[rows] = np.where(nonneg, np.maximum(y[rows], 0.0), y[rows])
        finished = rows[out_idx[rows] >= T]
        status[finished] = STATUS_OK

    process_stops(rows_all)
    iterations = 0
    k = [None] * 7
    last_report = -1.0
    while True:
        running = status == STATUS_RUNNING
        if not running.any():
            break
        iterations += 1
        if iterations > max_iterations:
            status[running] = STATUS_FAILED
            break
        t_stop = np.minimum(t_out_ext[out_idx], ev_ext[rows_all, np.minimum(ev_idx, n_events)])
        t_stop = np.minimum(t_stop, t_end)
        h_try = np.where(running, np.minimum(h, t_stop - t), 0.0)
        hc = h_try[:, None]
        k[0] = rhs(t, y, aux)
        for stage in range(1, 7):
            acc = y + hc * sum(a * k[j] for j, a in enumerate(A[stage]) if a != 0.0)
            if exact is not None:
                exact.propagate(y, C[stage] * h_try, acc)
            k[stage] = rhs(t + C[stage] * h_try, acc, aux)
        y_new = y + hc * sum(b * k[j] for j, b in enumerate(B5) if b != 0.0)
        if exact is not None:
            exact.propagate(y, h_try, y_new)
        err = hc * sum(e * k[j] for j, e in enumerate(E) if e != 0.0) * weight
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            scale = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
            err_norm = np.max(np.abs(err) / scale, axis=1)
            finite = np.isfinite(y_new).all(axis=1) & np.isfinite(err_norm)
            accept = running & finite & (err_norm <= 1.0)
            y[accept] = y_new[accept]
            t[accept] += h_try[accept]
            factor = np.where(err_norm > 0, 0.9 * err_norm ** -0.2, 5.0)
            factor = np.clip(np.where(finite, factor, 0.2), 0.2, 5.0)
        truncated = h_try < h
        h_next = h_try * factor
        h = np.where(running, np.where(accept & truncated, np.maximum(h_next, h), h_next), h)
        h = np.where(running & ~accept, h_try * factor, h)
        # snap to stops
        hit = accept & (t >= t_stop - 1e-12 * np.maximum(1.0, np.abs(t_stop)))
        t[hit] = t_stop[hit]
        if accept.any():
            y[accept] = np.where(nonneg, np.maximum(y[accept], 0.0), y[accept])
        if hit.any():
            process_stops(rows_all[hit])
        collapsed = running & (h < 1e-12)
        status[collapsed] = STATUS_FAILED
        if progress is not None:
            frac = float(np.mean(np.where(status == STATUS_RUNNING, t / t_end, 1.0)))
            if frac - last_report >= 0.01:
                progress(frac)
                last_report = frac
    return out, status, aux
