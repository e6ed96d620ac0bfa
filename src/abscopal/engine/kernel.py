"""Kernel of the compiled engine (plain Python; compiled.py compiles it with numba).

Not imported directly: compiled.py copies this source into a cache file whose name is the hash of this
file and of model/_generated.py, so that numba's on-disk cache can never serve machine code built from
an older model definition (numba does not track changes of called functions in other files).
"""

import math

import numba as nb
import numpy as np

from abscopal.engine.dopri import KERNEL_TABLEAU, STATUS_FAILED, STATUS_OK
from abscopal.model import _generated as generated

# Not cached on their own: numba keys a cache on the defining file (_generated.py) and would not notice a change in
# model/vmath.py, which the right-hand side inlines; the kernel functions that call them are cached in the hashed
# copy of this file (compiled.kernel) with their code linked in.
_rhs = nb.njit(nogil=True)(generated.rhs_scalar)
_event = nb.njit(nogil=True)(generated.event_scalar)

# Dormand-Prince 5(4) coefficients: the one table is dopri.py's; numba freezes these module floats as constants
(_A21, _A31, _A32, _A41, _A42, _A43, _A51, _A52, _A53, _A54, _A61, _A62, _A63, _A64, _A65, _B1, _B3, _B4, _B5, _B6,
 _E1, _E3, _E4, _E5, _E6, _E7, _C2, _C3, _C4, _C5) = KERNEL_TABLEAU


@nb.njit(cache=True, nogil=True)
def _pk_factors(y, h, pk_index, pk_v, pk_vi, pk_lam, pk_exact, z, f):
    """Exact drug compartments (engine/linear.py): modal amounts z (A, 3) of the step's start state and their
    decay factors f (A, 3, 5) at the stage times c2..c5 and c6 = c7 = 1."""
    for a in range(pk_index.shape[0]):
        if not pk_exact[a]:
            continue
        y0 = y[pk_index[a, 0]]
        y1 = y[pk_index[a, 1]]
        y2 = y[pk_index[a, 2]]
        for m in range(3):
            z[a, m] = pk_vi[a, m, 0] * y0 + pk_vi[a, m, 1] * y1 + pk_vi[a, m, 2] * y2
            lam = pk_lam[a, m]
            if lam == 0.0 or z[a, m] == 0.0:
                for i in range(5):
                    f[a, m, i] = 1.0
            else:
                f[a, m, 0] = math.exp(lam * h * _C2)
                f[a, m, 1] = math.exp(lam * h * _C3)
                f[a, m, 2] = math.exp(lam * h * _C4)
                f[a, m, 3] = math.exp(lam * h * _C5)
                f[a, m, 4] = math.exp(lam * h)


@nb.njit(cache=True, nogil=True)
def _pk_stage(dst, i, pk_index, pk_v, pk_exact, z, f):
    """Write the exact drug amounts at stage time i (0..4 for c2..c5, 1) into the stage state dst."""
    for a in range(pk_index.shape[0]):
        if not pk_exact[a]:
            continue
        z0 = z[a, 0] * f[a, 0, i]
        z1 = z[a, 1] * f[a, 1, i]
        z2 = z[a, 2] * f[a, 2, i]
        for q in range(3):
            dst[pk_index[a, q]] = max(pk_v[a, q, 0] * z0 + pk_v[a, q, 1] * z1 + pk_v[a, q, 2] * z2, 0.0)


@nb.njit(cache=True, nogil=True)
def _stops(t, y, active, par, lpar, apar, offsets, wl, wa, t_out, ev_time, ev_l, ev_s, ev_a, nonneg, out, io, ie):
    """Record due outputs, then apply due events; return the new (output index, event index)."""
    n_out = t_out.shape[0]
    n_ev = ev_time.shape[0]
    if io < n_out and t_out[io] <= t:
        for j in range(y.shape[0]):
            out[io, j] = y[j]
        io += 1
    while ie < n_ev and ev_time[ie] <= t:
        _event(y, active, par, lpar, apar, offsets, wl, wa, ev_l[ie], ev_s[ie], ev_a[ie])
        ie += 1
    for j in range(y.shape[0]):
        if nonneg[j] and y[j] < 0.0:
            y[j] = 0.0
    return io, ie


@nb.njit(cache=True, nogil=True)
def integrate_subject(y, active, par, lpar, apar, offsets, t_out, ev_time, ev_l, ev_s, ev_a, nonneg,
                      rtol, atol, h0, max_steps, out, pk_index, pk_v, pk_vi, pk_lam, pk_exact, weight):
    """Integrate one subject in place; outputs into out (T, n). Returns (status, accepted, rejected).

    pk_*: the exact drug compartments (engine/linear.py); weight (n,): each state's weight in the error norm
    (0 for the exactly solved compartments).
    """
    n = y.shape[0]
    n_out = t_out.shape[0]
    n_ev = ev_time.shape[0]
    wl = np.empty((generated.N_LESION_WORK, active.shape[0]))
    wa = np.empty((generated.N_AGENT_WORK, apar.shape[1]))
    k1 = np.empty(n)
    k2 = np.empty(n)
    k3 = np.empty(n)
    k4 = np.empty(n)
    k5 = np.empty(n)
    k6 = np.empty(n)
    k7 = np.empty(n)
    tmp = np.empty(n)
    y_new = np.empty(n)
    pk_z = np.zeros((pk_index.shape[0], 3))
    pk_f = np.ones((pk_index.shape[0], 3, 5))
    t_end = t_out[n_out - 1]
    t = 0.0
    h = h0
    io, ie = _stops(t, y, active, par, lpar, apar, offsets, wl, wa, t_out, ev_time, ev_l, ev_s, ev_a, nonneg, out, 0, 0)
    accepted = 0
    rejected = 0
    fresh = False  # k1 holds f(y) when True (first same as last)
    while io < n_out:
        if accepted + rejected >= max_steps:
            return STATUS_FAILED, accepted, rejected
        t_stop = t_out[io]
        if ie < n_ev and ev_time[ie] < t_stop:
            t_stop = ev_time[ie]
        if t_end < t_stop:
            t_stop = t_end
        h_try = min(h, t_stop - t)
        if not fresh:
            _rhs(y, k1, active, par, lpar, apar, offsets, wl, wa)
        _pk_factors(y, h_try, pk_index, pk_v, pk_vi, pk_lam, pk_exact, pk_z, pk_f)
        for j in range(n):
            tmp[j] = y[j] + h_try * (_A21 * k1[j])
        _pk_stage(tmp, 0, pk_index, pk_v, pk_exact, pk_z, pk_f)
        _rhs(tmp, k2, active, par, lpar, apar, offsets, wl, wa)
        for j in range(n):
            tmp[j] = y[j] + h_try * (_A31 * k1[j] + _A32 * k2[j])
        _pk_stage(tmp, 1, pk_index, pk_v, pk_exact, pk_z, pk_f)
        _rhs(tmp, k3, active, par, lpar, apar, offsets, wl, wa)
        for j in range(n):
            tmp[j] = y[j] + h_try * (_A41 * k1[j] + _A42 * k2[j] + _A43 * k3[j])
        _pk_stage(tmp, 2, pk_index, pk_v, pk_exact, pk_z, pk_f)
        _rhs(tmp, k4, active, par, lpar, apar, offsets, wl, wa)
        for j in range(n):
            tmp[j] = y[j] + h_try * (_A51 * k1[j] + _A52 * k2[j] + _A53 * k3[j] + _A54 * k4[j])
        _pk_stage(tmp, 3, pk_index, pk_v, pk_exact, pk_z, pk_f)
        _rhs(tmp, k5, active, par, lpar, apar, offsets, wl, wa)
        for j in range(n):
            tmp[j] = y[j] + h_try * (_A61 * k1[j] + _A62 * k2[j] + _A63 * k3[j] + _A64 * k4[j] + _A65 * k5[j])
        _pk_stage(tmp, 4, pk_index, pk_v, pk_exact, pk_z, pk_f)
        _rhs(tmp, k6, active, par, lpar, apar, offsets, wl, wa)
        for j in range(n):
            y_new[j] = y[j] + h_try * (_B1 * k1[j] + _B3 * k3[j] + _B4 * k4[j] + _B5 * k5[j] + _B6 * k6[j])
        _pk_stage(y_new, 4, pk_index, pk_v, pk_exact, pk_z, pk_f)
        _rhs(y_new, k7, active, par, lpar, apar, offsets, wl, wa)
        err = 0.0
        finite = True
        for j in range(n):
            e = h_try * (_E1 * k1[j] + _E3 * k3[j] + _E4 * k4[j] + _E5 * k5[j] + _E6 * k6[j] + _E7 * k7[j]) * weight[j]
            scale = atol + rtol * max(abs(y[j]), abs(y_new[j]))
            r = abs(e) / scale
            if not (math.isfinite(y_new[j]) and math.isfinite(r)):
                finite = False
            elif r > err:
                err = r
        accept = finite and err <= 1.0
        if not finite:
            factor = 0.2
        elif err > 0.0:
            factor = min(5.0, max(0.2, 0.9 * err ** -0.2))
        else:
            factor = 5.0
        if accept:
            accepted += 1
            t += h_try
            h_next = h_try * factor
            h = max(h_next, h) if h_try < h else h_next
            clamped = False
            for j in range(n):
                v = y_new[j]
                if nonneg[j] and v < 0.0:
                    v = 0.0
                    clamped = True
                y[j] = v
            for j in range(n):
                k1[j] = k7[j]
            fresh = not clamped
            if t >= t_stop - 1e-12 * max(1.0, abs(t_stop)):
                t = t_stop
                ie_before = ie
                io, ie = _stops(t, y, active, par, lpar, apar, offsets, wl, wa, t_out, ev_time, ev_l, ev_s, ev_a,
                                nonneg, out, io, ie)
                if ie != ie_before:
                    fresh = False  # an event changed the state: f(y) is computed afresh; an output alone keeps it
        else:
            rejected += 1
            h = h_try * factor
            fresh = True  # k1 holds f(y): computed this iteration or carried in, and y did not change
        if h < 1e-12:
            return STATUS_FAILED, accepted, rejected
    return STATUS_OK, accepted, rejected


@nb.njit(cache=True, parallel=True)
def integrate_cohort(y0, active0, par, lpar, apar, offsets, t_out, ev_time, ev_l, ev_s, ev_a, nonneg,
                     rtol, atol, h0, max_steps, out, status, steps, pk_index, pk_v, pk_vi, pk_lam,
                     pk_exact, weight):
    """All subjects of a batch in parallel threads: y0 (S, n) ... out (S, T, n) filled, status (S,)."""
    S = y0.shape[0]
    for s in nb.prange(S):
        y = y0[s].copy()
        active = active0[s].copy()
        st, acc, rej = integrate_subject(y, active, par[s], lpar[s], apar, offsets, t_out, ev_time[s], ev_l[s],
                                         ev_s[s], ev_a[s], nonneg, rtol, atol, h0, max_steps, out[s], pk_index, pk_v,
                                         pk_vi, pk_lam, pk_exact, weight)
        status[s] = st
        steps[s, 0] = acc
        steps[s, 1] = rej
