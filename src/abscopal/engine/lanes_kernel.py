"""Template of the lanes kernel: several subjects in lock-step per thread (plain Python; lanes.py compiles it).

Not imported directly: lanes.py appends the right-hand side generated for the batch's numbers of lesions and
agents and lanes (model/codegen.py, lanes_source), sets ``W``, writes the result into the cache folder under a
name that hashes all of its sources, and imports that copy, so that numba's on-disk cache serves the machine
code to later processes and never serves code built from other sources.

Each thread takes a block of subjects and integrates W of them at once: one call of the generated right-hand
side computes the derivatives of all W lanes in SIMD instructions, and the stage sums and the error norm are
loops over the lanes that the compiler vectorises too. Every lane keeps its own time, step size, step
control, events, outputs and status, exactly as kernel.integrate_subject does for one subject: same tableau,
same formulas in the same order, same stops, so that a subject's trajectory is the same bit for bit in any
lane, with any W, in any block, and in the scalar kernel (tests/unit/test_lanes.py). When a lane's subject
ends, the next subject of the block takes the lane; lanes without a subject step with h = 0 until the block
ends.

Arrays are flat with the lanes last: state element j of lane w is y[j * W + w] (parameters, lesion
parameters and ``active`` likewise; see codegen._LanesWriter). Indices are unsigned (numba then emits no
negative-index wrap-around, which keeps the loops analysable for LLVM's vectoriser).
"""

import math

import numba as nb
import numpy as np

from abscopal.engine.dopri import KERNEL_TABLEAU, STATUS_FAILED, STATUS_OK
from abscopal.model import _generated as generated
from abscopal.model.vmath import vexp, vlog, vpow  # noqa: F401  (used by the appended right-hand side)

W = 8  # lanes; lanes.py writes the chosen number here
rhs_lanes = None  # lanes.py appends the generated right-hand side below, which replaces this name

_event = nb.njit(nogil=True)(generated.event_scalar)  # not cached on its own: see kernel.py

# Dormand-Prince 5(4) coefficients: the one table is dopri.py's
(_A21, _A31, _A32, _A41, _A42, _A43, _A51, _A52, _A53, _A54, _A61, _A62, _A63, _A64, _A65, _B1, _B3, _B4, _B5, _B6,
 _E1, _E3, _E4, _E5, _E6, _E7, _C2, _C3, _C4, _C5) = KERNEL_TABLEAU


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _pk_factors(y, w, h, pk_index, pk_vi, pk_lam, pk_exact, z, f):
    """kernel._pk_factors for lane w (same arithmetic): modal amounts z[w] and their decay factors f[w]."""
    WU = np.uint64(W)
    wu = np.uint64(w)
    for a in range(pk_index.shape[0]):
        if not pk_exact[a]:
            continue
        y0 = y[np.uint64(pk_index[a, 0]) * WU + wu]
        y1 = y[np.uint64(pk_index[a, 1]) * WU + wu]
        y2 = y[np.uint64(pk_index[a, 2]) * WU + wu]
        for m in range(3):
            z[w, a, m] = pk_vi[a, m, 0] * y0 + pk_vi[a, m, 1] * y1 + pk_vi[a, m, 2] * y2
            lam = pk_lam[a, m]
            if lam == 0.0 or z[w, a, m] == 0.0:
                for i in range(5):
                    f[w, a, m, i] = 1.0
            else:
                f[w, a, m, 0] = math.exp(lam * h * _C2)
                f[w, a, m, 1] = math.exp(lam * h * _C3)
                f[w, a, m, 2] = math.exp(lam * h * _C4)
                f[w, a, m, 3] = math.exp(lam * h * _C5)
                f[w, a, m, 4] = math.exp(lam * h)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _pk_stage(dst, i, pk_index, pk_v, pk_exact, z, f, live):
    """kernel._pk_stage for every live lane: exact drug amounts at stage time i written into dst."""
    WU = np.uint64(W)
    for w in range(W):
        if not live[w]:
            continue
        wu = np.uint64(w)
        for a in range(pk_index.shape[0]):
            if not pk_exact[a]:
                continue
            z0 = z[w, a, 0] * f[w, a, 0, i]
            z1 = z[w, a, 1] * f[w, a, 1, i]
            z2 = z[w, a, 2] * f[w, a, 2, i]
            for q in range(3):
                dst[np.uint64(pk_index[a, q]) * WU + wu] = max(pk_v[a, q, 0] * z0 + pk_v[a, q, 1] * z1
                                                               + pk_v[a, q, 2] * z2, 0.0)


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _spread(hq, h_try, n):
    """hq[j * W + w] = h_try[w]: each lane's step at every element of its state."""
    WU = np.uint64(W)
    for q in range(np.uint64(n * W)):
        hq[q] = h_try[q % WU]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _errors(rq, y, y_new, hq, k1, k3, k4, k5, k6, k7, weight, rtol, atol, n):
    """Each element's scaled error |e| / (atol + rtol max(|y|, |y_new|)) as kernel.integrate_subject computes it,
    NaN where it or the new value is not finite."""
    WU = np.uint64(W)
    for q in range(np.uint64(n * W)):
        e = hq[q] * (_E1 * k1[q] + _E3 * k3[q] + _E4 * k4[q] + _E5 * k5[q] + _E6 * k6[q] + _E7 * k7[q]) * weight[q // WU]
        scale = atol + rtol * max(abs(y[q]), abs(y_new[q]))
        r = abs(e) / scale
        rq[q] = r if (math.isfinite(y_new[q]) and math.isfinite(r)) else math.nan


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _stage2(dst, y, h, k1, n):
    """The stage sums of kernel.integrate_subject, term for term, for every lane: h holds each element's
    lane's step (spread by _spread), so that the loop runs flat over all elements and vectorises."""
    for q in range(np.uint64(n * W)):
        dst[q] = y[q] + h[q] * (_A21 * k1[q])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _stage3(dst, y, h, k1, k2, n):
    for q in range(np.uint64(n * W)):
        dst[q] = y[q] + h[q] * (_A31 * k1[q] + _A32 * k2[q])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _stage4(dst, y, h, k1, k2, k3, n):
    for q in range(np.uint64(n * W)):
        dst[q] = y[q] + h[q] * (_A41 * k1[q] + _A42 * k2[q] + _A43 * k3[q])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _stage5(dst, y, h, k1, k2, k3, k4, n):
    for q in range(np.uint64(n * W)):
        dst[q] = y[q] + h[q] * (_A51 * k1[q] + _A52 * k2[q] + _A53 * k3[q] + _A54 * k4[q])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _stage6(dst, y, h, k1, k2, k3, k4, k5, n):
    for q in range(np.uint64(n * W)):
        dst[q] = y[q] + h[q] * (_A61 * k1[q] + _A62 * k2[q] + _A63 * k3[q] + _A64 * k4[q] + _A65 * k5[q])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _stage7(dst, y, h, k1, k3, k4, k5, k6, n):
    for q in range(np.uint64(n * W)):
        dst[q] = y[q] + h[q] * (_B1 * k1[q] + _B3 * k3[q] + _B4 * k4[q] + _B5 * k5[q] + _B6 * k6[q])


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _load_subject(s, w, y, active, par_l, lpar_l, y0, active0, par, lpar):
    """Put subject s's initial state and parameters into lane w."""
    WU = np.uint64(W)
    wu = np.uint64(w)
    for j in range(y0.shape[1]):
        y[np.uint64(j) * WU + wu] = y0[s, j]
    for i in range(active0.shape[1]):
        active[np.uint64(i) * WU + wu] = active0[s, i]
    for p in range(par.shape[1]):
        par_l[np.uint64(p) * WU + wu] = par[s, p]
    L = lpar.shape[2]
    for k in range(lpar.shape[1]):
        for i in range(L):
            lpar_l[np.uint64(k * L + i) * WU + wu] = lpar[s, k, i]


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _stops_lane(w, s, t, y, active, par, lpar, apar, offsets, wl, wa, t_out, ev_time, ev_l, ev_s, ev_a, nonneg,
                out, io, ie, ycol, acol):
    """kernel._stops for lane w (subject s): record a due output, apply due events, clamp; new (io, ie)."""
    WU = np.uint64(W)
    wu = np.uint64(w)
    n = nonneg.shape[0]
    L = acol.shape[0]
    n_out = t_out.shape[0]
    n_ev = ev_time.shape[1]
    if io < n_out and t_out[io] <= t:
        for j in range(n):
            out[s, io, j] = y[np.uint64(j) * WU + wu]
        io += 1
    if ie < n_ev and ev_time[s, ie] <= t:
        for j in range(n):
            ycol[j] = y[np.uint64(j) * WU + wu]
        for i in range(L):
            acol[i] = active[np.uint64(i) * WU + wu]
        while ie < n_ev and ev_time[s, ie] <= t:
            _event(ycol, acol, par[s], lpar[s], apar, offsets, wl, wa, ev_l[s, ie], ev_s[s, ie], ev_a[s, ie])
            ie += 1
        for j in range(n):
            y[np.uint64(j) * WU + wu] = ycol[j]
        for i in range(L):
            active[np.uint64(i) * WU + wu] = acol[i]
    for j in range(n):
        q = np.uint64(j) * WU + wu
        if nonneg[j] and y[q] < 0.0:
            y[q] = 0.0
    return io, ie


@nb.njit(cache=True, nogil=True, error_model="numpy")
def _take(w, next_subject, last, subject, live, t, h, h0, io, ie, fresh, accepted, rejected, status, steps, y, active,
          par_l, lpar_l, y0, active0, par, lpar, apar, offsets, wl, wa, t_out, ev_time, ev_l, ev_s, ev_a, nonneg, out,
          ycol, acol):
    """Give lane w the block's next subject (its outputs and events at t = 0 applied, as kernel.integrate_subject
    does before its first step); a subject with nothing to integrate ends at once with status OK and no steps. The
    lane is left without a subject (live False) when the block has none left. Returns the new next_subject."""
    while next_subject < last:
        s = next_subject
        next_subject += 1
        _load_subject(s, w, y, active, par_l, lpar_l, y0, active0, par, lpar)
        io[w], ie[w] = _stops_lane(w, s, 0.0, y, active, par, lpar, apar, offsets, wl, wa, t_out, ev_time, ev_l, ev_s,
                                   ev_a, nonneg, out, 0, 0, ycol, acol)
        if io[w] >= t_out.shape[0]:
            status[s] = STATUS_OK
            steps[s, 0] = 0
            steps[s, 1] = 0
            continue
        subject[w] = s
        live[w] = True
        t[w] = 0.0
        h[w] = h0
        accepted[w] = 0
        rejected[w] = 0
        fresh[w] = False
        return next_subject
    live[w] = False
    subject[w] = -1
    return next_subject


@nb.njit(cache=True, nogil=True, error_model="numpy")
def integrate_block(first, last, y0, active0, par, lpar, apar, offsets, t_out, ev_time, ev_l, ev_s, ev_a, nonneg,
                    rtol, atol, h0, max_steps, out, status, steps, pk_index, pk_v, pk_vi, pk_lam, pk_exact, weight):
    """Subjects first..last-1, W at a time; fills out[s], status[s] and steps[s] as kernel.integrate_subject."""
    n = y0.shape[1]
    L = active0.shape[1]
    A = apar.shape[1]
    P = par.shape[1]
    K = lpar.shape[1]
    n_out = t_out.shape[0]
    t_end = t_out[n_out - 1]
    WU = np.uint64(W)
    nW = n * W
    y = np.empty(nW)
    k1 = np.zeros(nW)
    k2 = np.zeros(nW)
    k3 = np.zeros(nW)
    k4 = np.zeros(nW)
    k5 = np.zeros(nW)
    k6 = np.zeros(nW)
    k7 = np.zeros(nW)
    kf = np.zeros(nW)
    tmp = np.empty(nW)
    hq = np.zeros(nW)
    rq = np.zeros(nW)
    y_new = np.empty(nW)
    active = np.empty(L * W)
    par_l = np.empty(P * W)
    lpar_l = np.empty(K * L * W)
    ycol = np.empty(n)
    acol = np.empty(L)
    wl = np.empty((generated.N_LESION_WORK, L))
    wa = np.empty((generated.N_AGENT_WORK, A))
    pk_z = np.zeros((W, pk_index.shape[0], 3))
    pk_f = np.ones((W, pk_index.shape[0], 3, 5))
    subject = np.full(W, -1, dtype=np.int64)
    live = np.zeros(W, dtype=np.bool_)
    t = np.zeros(W)
    h = np.zeros(W)
    h_try = np.zeros(W)
    t_stop = np.zeros(W)
    err = np.zeros(W)
    finite = np.ones(W, dtype=np.bool_)
    io = np.zeros(W, dtype=np.int64)
    ie = np.zeros(W, dtype=np.int64)
    fresh = np.zeros(W, dtype=np.bool_)
    accepted = np.zeros(W, dtype=np.int64)
    rejected = np.zeros(W, dtype=np.int64)

    # every lane starts from the block's first subject, so that lanes left without a subject hold finite values
    for w in range(W):
        _load_subject(first, w, y, active, par_l, lpar_l, y0, active0, par, lpar)
    next_subject = first
    n_live = 0
    for w in range(W):
        next_subject = _take(w, next_subject, last, subject, live, t, h, h0, io, ie, fresh, accepted, rejected, status,
                             steps, y, active, par_l, lpar_l, y0, active0, par, lpar, apar, offsets, wl, wa, t_out,
                             ev_time, ev_l, ev_s, ev_a, nonneg, out, ycol, acol)
        if live[w]:
            n_live += 1

    while n_live > 0:
        # f(y) afresh for the lanes that need it (after an event, a clamp or a new subject)
        need = False
        for w in range(W):
            if live[w] and not fresh[w]:
                need = True
        if need:
            rhs_lanes(y, kf, active, par_l, lpar_l, apar)
            for w in range(W):
                if live[w] and not fresh[w]:
                    for j in range(n):
                        q = np.uint64(j) * WU + np.uint64(w)
                        k1[q] = kf[q]
        for w in range(W):
            if not live[w]:
                h_try[w] = 0.0
                continue
            s = subject[w]
            ts = t_out[io[w]]
            if ie[w] < ev_time.shape[1] and ev_time[s, ie[w]] < ts:
                ts = ev_time[s, ie[w]]
            if t_end < ts:
                ts = t_end
            t_stop[w] = ts
            h_try[w] = min(h[w], ts - t[w])
            _pk_factors(y, w, h_try[w], pk_index, pk_vi, pk_lam, pk_exact, pk_z, pk_f)
        _spread(hq, h_try, n)
        _stage2(tmp, y, hq, k1, n)
        _pk_stage(tmp, 0, pk_index, pk_v, pk_exact, pk_z, pk_f, live)
        rhs_lanes(tmp, k2, active, par_l, lpar_l, apar)
        _stage3(tmp, y, hq, k1, k2, n)
        _pk_stage(tmp, 1, pk_index, pk_v, pk_exact, pk_z, pk_f, live)
        rhs_lanes(tmp, k3, active, par_l, lpar_l, apar)
        _stage4(tmp, y, hq, k1, k2, k3, n)
        _pk_stage(tmp, 2, pk_index, pk_v, pk_exact, pk_z, pk_f, live)
        rhs_lanes(tmp, k4, active, par_l, lpar_l, apar)
        _stage5(tmp, y, hq, k1, k2, k3, k4, n)
        _pk_stage(tmp, 3, pk_index, pk_v, pk_exact, pk_z, pk_f, live)
        rhs_lanes(tmp, k5, active, par_l, lpar_l, apar)
        _stage6(tmp, y, hq, k1, k2, k3, k4, k5, n)
        _pk_stage(tmp, 4, pk_index, pk_v, pk_exact, pk_z, pk_f, live)
        rhs_lanes(tmp, k6, active, par_l, lpar_l, apar)
        _stage7(y_new, y, hq, k1, k3, k4, k5, k6, n)
        _pk_stage(y_new, 4, pk_index, pk_v, pk_exact, pk_z, pk_f, live)
        rhs_lanes(y_new, k7, active, par_l, lpar_l, apar)
        _errors(rq, y, y_new, hq, k1, k3, k4, k5, k6, k7, weight, rtol, atol, n)
        for w in range(W):
            err[w] = 0.0
            finite[w] = True
        for j in range(np.uint64(n)):
            b = j * WU
            for w in range(WU):
                r = rq[b + w]
                if r != r:
                    finite[w] = False
                elif r > err[w]:
                    err[w] = r
        for w in range(W):
            if not live[w]:
                continue
            s = subject[w]
            wu = np.uint64(w)
            accept = finite[w] and err[w] <= 1.0
            if not finite[w]:
                factor = 0.2
            elif err[w] > 0.0:
                factor = min(5.0, max(0.2, 0.9 * err[w] ** -0.2))
            else:
                factor = 5.0
            if accept:
                accepted[w] += 1
                t[w] += h_try[w]
                h_next = h_try[w] * factor
                h[w] = max(h_next, h[w]) if h_try[w] < h[w] else h_next
                clamped = False
                for j in range(n):
                    q = np.uint64(j) * WU + wu
                    v = y_new[q]
                    if nonneg[j] and v < 0.0:
                        v = 0.0
                        clamped = True
                    y[q] = v
                    k1[q] = k7[q]
                fresh[w] = not clamped
                if t[w] >= t_stop[w] - 1e-12 * max(1.0, abs(t_stop[w])):
                    t[w] = t_stop[w]
                    ie_before = ie[w]
                    io[w], ie[w] = _stops_lane(w, s, t[w], y, active, par, lpar, apar, offsets, wl, wa, t_out, ev_time,
                                               ev_l, ev_s, ev_a, nonneg, out, io[w], ie[w], ycol, acol)
                    if ie[w] != ie_before:
                        fresh[w] = False
            else:
                rejected[w] += 1
                h[w] = h_try[w] * factor
                fresh[w] = True
            # kernel.integrate_subject's order: the step-size floor, then the end of the outputs, then the step budget
            if h[w] < 1e-12:
                status[s] = STATUS_FAILED
            elif io[w] >= n_out:
                status[s] = STATUS_OK
            elif accepted[w] + rejected[w] >= max_steps:
                status[s] = STATUS_FAILED
            else:
                continue
            steps[s, 0] = accepted[w]
            steps[s, 1] = rejected[w]
            next_subject = _take(w, next_subject, last, subject, live, t, h, h0, io, ie, fresh, accepted, rejected,
                                 status, steps, y, active, par_l, lpar_l, y0, active0, par, lpar, apar, offsets, wl, wa,
                                 t_out, ev_time, ev_l, ev_s, ev_a, nonneg, out, ycol, acol)
            if not live[w]:
                n_live -= 1


@nb.njit(cache=True, parallel=True, error_model="numpy")
def integrate_blocks(bounds, y0, active0, par, lpar, apar, offsets, t_out, ev_time, ev_l, ev_s, ev_a, nonneg, rtol,
                     atol, h0, max_steps, out, status, steps, pk_index, pk_v, pk_vi, pk_lam, pk_exact, weight):
    """Blocks bounds[b]..bounds[b+1] of subjects in parallel threads, each W subjects at a time."""
    for b in nb.prange(bounds.shape[0] - 1):
        integrate_block(bounds[b], bounds[b + 1], y0, active0, par, lpar, apar, offsets, t_out, ev_time, ev_l, ev_s,
                        ev_a, nonneg, rtol, atol, h0, max_steps, out, status, steps, pk_index, pk_v, pk_vi, pk_lam,
                        pk_exact, weight)
