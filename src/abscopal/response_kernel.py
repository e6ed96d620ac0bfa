"""RECIST 1.1 and iRECIST of response.py as numba loops over plain arrays (loaded by response_compiled.py).

The per-subject Python of response.py (lesion objects, small NumPy calls, dictionaries) cost a cohort more than a
quarter of a subject's CPU time; these loops do the same arithmetic on arrays, in the same order, so that every
category, index and sum is bit-identical to the reference (tests/unit/test_response_compiled.py runs both).

Conventions: ``D`` is (scans, lesions) in mm, ``base`` the baseline diameter per lesion, ``node`` whether a
lesion is a lymph node, ``site`` an integer code per organ, ``idx`` the lesions (columns of ``D``) that form
the set assessed, in listed order. Categories are integer codes: RECIST CR 0, PR 1, SD 2, PD 3, NE -1;
iRECIST iCR 0, iPR 1, iSD 2, iUPD 3, iCPD 4. Index results are -1 for "none".

This file is plain Python compiled with numba ``cache=True``; response_compiled.py loads it from a copy named by
the hash of this file and of response.py, whose constants it reads, so that the on-disk cache never serves code
built from older rules.
"""

import math

import numba as nb
import numpy as np

from abscopal.response import (
    _EPS,
    CONFIRM_DAYS,
    ICPD_GROWTH_MM,
    MAX_TARGETS,
    MAX_TARGETS_PER_SITE,
    MIN_NODE_TARGET_MM,
    MIN_TARGET_MM,
    NODE_NORMAL_MM,
    NON_TARGET_PD_ABSOLUTE_MM,
    NON_TARGET_PD_INCREASE,
    PD_ABSOLUTE_MM,
    PD_INCREASE,
    PR_DECREASE,
)

CR, PR, SD, PD, NE = 0, 1, 2, 3, -1
ICR, IPR, ISD, IUPD, ICPD = 0, 1, 2, 3, 4
_TARGET, _NON_TARGET, _NEW = 1, 2, 4
_DBL_MAX = np.finfo(np.float64).max


@nb.njit(cache=True, nogil=True)
def _sum_pd(total, nadir):
    return total - (1.0 + PD_INCREASE) * nadir >= -_EPS and total - nadir >= PD_ABSOLUTE_MM - _EPS


@nb.njit(cache=True, nogil=True)
def _non_target_pd(total, nadir):
    return (total - (1.0 + NON_TARGET_PD_INCREASE) * nadir >= -_EPS
            and total - nadir >= NON_TARGET_PD_ABSOLUTE_MM - _EPS)


@nb.njit(cache=True, nogil=True)
def _gone(d, is_node, disappearance_mm):
    """response._gone for one diameter: below the threshold, or missing (NaN) when the threshold is above 0."""
    threshold = NODE_NORMAL_MM if is_node else disappearance_mm
    if d < threshold:
        return True
    return threshold > 0.0 and math.isnan(d)


@nb.njit(cache=True, nogil=True)
def _nan_to_num(d):
    if math.isnan(d):
        return 0.0
    if d == math.inf:
        return _DBL_MAX
    if d == -math.inf:
        return -_DBL_MAX
    return d


@nb.njit(cache=True, nogil=True)
def select_targets(base, node, site, idx):
    """response.select_targets: positions in ``idx`` of the targets, largest first, ties in listed order."""
    n = idx.shape[0]
    taken = np.zeros(n, dtype=np.bool_)
    for j in range(n):  # not measurable: never a candidate
        k = idx[j]
        taken[j] = not (base[k] >= (MIN_NODE_TARGET_MM if node[k] else MIN_TARGET_MM))
    per_site = np.zeros(site.shape[0] + 1, dtype=np.int64)
    chosen = np.empty(min(n, MAX_TARGETS), dtype=np.int64)
    count = 0
    while count < MAX_TARGETS:
        best = -1
        for j in range(n):  # the largest remaining candidate, first listed on ties (sorted by (-size, k))
            if not taken[j] and (best < 0 or base[idx[j]] > base[idx[best]]):
                best = j
        if best < 0:
            break
        taken[best] = True
        code = site[idx[best]]
        if per_site[code] >= MAX_TARGETS_PER_SITE:
            continue
        per_site[code] += 1
        chosen[count] = best
        count += 1
    return chosen[:count]


@nb.njit(cache=True, nogil=True)
def burden(D, base, node, site, idx, disappearance_mm, use_non_targets):
    """response._burden: (targets as positions in idx, sums, baseline sum, target gone, has non-target sums,
    non-target sums, non-target baseline sum, non-targets gone). No targets: an empty target array."""
    n_scans = D.shape[0]
    targets = select_targets(base, node, site, idx)
    sums = np.zeros(n_scans)
    target_gone = np.ones(n_scans, dtype=np.bool_)
    nt_sums = np.zeros(n_scans)
    nt_gone = np.ones(n_scans, dtype=np.bool_)
    if targets.shape[0] == 0 or n_scans == 0:
        return targets[:0], sums, 0.0, target_gone, False, nt_sums, 0.0, nt_gone
    for m in range(targets.shape[0]):  # rows added in target order, as ndarray.sum(axis=0) does
        k = idx[targets[m]]
        for s in range(n_scans):
            d = D[s, k]
            seen = d if node[k] else (0.0 if d < disappearance_mm else d)
            sums[s] = seen if m == 0 else sums[s] + seen
            if not _gone(d, node[k], disappearance_mm):
                target_gone[s] = False
    base_sum = 0.0
    for m in range(targets.shape[0]):
        base_sum += base[idx[targets[m]]]
    has_nt = False
    nt_base = 0.0
    if use_non_targets:
        for j in range(idx.shape[0]):
            k = idx[j]
            is_target = False
            for m in range(targets.shape[0]):
                if targets[m] == j:
                    is_target = True
            if is_target or (node[k] and base[k] < NODE_NORMAL_MM):
                continue
            for s in range(n_scans):
                d = _nan_to_num(D[s, k])
                nt_sums[s] = d if not has_nt else nt_sums[s] + d
                if not _gone(D[s, k], node[k], disappearance_mm):
                    nt_gone[s] = False
            nt_base += base[k]
            has_nt = True
    return targets, sums, base_sum, target_gone, has_nt, nt_sums, nt_base, nt_gone


@nb.njit(cache=True, nogil=True)
def _non_pd_category(s, sums, base_sum, target_gone, nt_gone, new_present):
    if target_gone[s]:
        return CR if nt_gone[s] and not new_present else PR
    return PR if sums[s] - (1.0 - PR_DECREASE) * base_sum <= _EPS else SD


@nb.njit(cache=True, nogil=True)
def assess(D, base, node, site, idx, disappearance_mm, use_non_targets, new_scan, confirm, days, confirm_days,
           min_sd_days):
    """response.assess. Returns (evaluable, responses, confirmed, best, progression, sums, baseline sum, nadirs,
    targets as positions in idx); not evaluable (no target, no scan): best NE and empty arrays."""
    targets, sums, base_sum, target_gone, has_nt, nt_sums, nt_base, nt_gone = burden(
        D, base, node, site, idx, disappearance_mm, use_non_targets)
    n_scans = D.shape[0]
    empty = np.zeros(0, dtype=np.int64)
    if targets.shape[0] == 0 or n_scans == 0:
        return False, empty, empty, NE, -1, np.zeros(0), 0.0, np.zeros(0), targets
    responses = np.empty(n_scans, dtype=np.int64)
    nadirs = np.empty(n_scans)
    progression = -1
    nadir, nt_nadir = base_sum, nt_base
    for s in range(n_scans):
        total = sums[s]
        nadirs[s] = nadir
        progressed = (_sum_pd(total, nadir) or (new_scan >= 0 and s >= new_scan)
                      or (has_nt and _non_target_pd(nt_sums[s], nt_nadir)))
        responses[s] = PD if progressed else _non_pd_category(s, sums, base_sum, target_gone, nt_gone, False)
        if total < nadir:  # min(nadir, total): the first unless the second is smaller
            nadir = total
        if has_nt and nt_sums[s] < nt_nadir:
            nt_nadir = nt_sums[s]
        if progressed and progression < 0:
            progression = s
    confirmed = responses.copy()
    if confirm:
        for i in range(n_scans):
            r = responses[i]
            if r != CR and r != PR:
                continue
            j = -1
            for jj in range(i + 1, n_scans):
                if days[jj] - days[i] >= confirm_days - _EPS:
                    j = jj
                    break
            if j < 0 or (progression >= 0 and progression <= j) or (responses[j] != CR and responses[j] != PR):
                confirmed[i] = SD
            else:
                confirmed[i] = max(r, responses[j])
    best = NE
    stop = progression if progression >= 0 else n_scans
    for k in range(stop):
        c = confirmed[k]
        if c != SD or min_sd_days <= 0 or days[k] >= min_sd_days - _EPS:
            if best == NE or c < best:
                best = c
    if best == NE and progression >= 0:
        best = PD
    return True, responses, confirmed, best, progression, sums, base_sum, nadirs, targets


@nb.njit(cache=True, nogil=True)
def assess_irecist(D, base, node, site, idx, disappearance_mm, use_non_targets, ever, present, nlt, nlnt, has_days,
                   days, confirm_days):
    """response.assess_irecist, given the new-lesion burden (response._new_burden's arrays). Returns (evaluable,
    responses, best, first iUPD, iCPD, sums)."""
    targets, sums, base_sum, target_gone, has_nt, nt_sums, nt_base, nt_gone = burden(
        D, base, node, site, idx, disappearance_mm, use_non_targets)
    n = D.shape[0]
    if targets.shape[0] == 0 or n == 0:
        return False, np.zeros(0, dtype=np.int64), NE, -1, -1, np.zeros(0)
    responses = np.empty(n, dtype=np.int64)
    nadir, nt_nadir = base_sum, nt_base
    known_new = 0
    has_nlt_nadir, nlt_nadir = False, 0.0
    open_cats = 0  # categories of the open iUPD (0: none open)
    st_index, st_sum, st_nt, st_nlt, st_nlnt, st_ever = 0, 0.0, 0.0, 0.0, 0.0, 0
    first_iupd, icpd = -1, -1
    for s in range(n):
        if icpd >= 0:
            responses[s] = ICPD
            continue
        total = sums[s]
        nt = nt_sums[s] if has_nt else 0.0
        t_pd = _sum_pd(total, nadir)
        nt_pd = has_nt and _non_target_pd(nt, nt_nadir)
        new_pd = ever[s] > known_new or (has_nlt_nadir and _sum_pd(nlt[s], nlt_nadir))
        if open_cats == 0:
            cats = (_TARGET if t_pd else 0) | (_NON_TARGET if nt_pd else 0) | (_NEW if new_pd else 0)
            if cats:
                open_cats = cats
                st_index, st_sum, st_nt, st_nlt, st_nlnt, st_ever = s, total, nt, nlt[s], nlnt[s], ever[s]
                if first_iupd < 0:
                    first_iupd = s
                response = IUPD
            else:
                response = _non_pd_category(s, sums, base_sum, target_gone, nt_gone, present[s] != 0)
        else:
            cats = open_cats
            early = has_days and days[s] - days[st_index] < confirm_days - _EPS
            growth = (((cats & _TARGET) != 0 and total - st_sum >= ICPD_GROWTH_MM - _EPS)
                      or ((cats & _TARGET) == 0 and t_pd)
                      or ((cats & _NON_TARGET) != 0 and nt > st_nt + _EPS)
                      or ((cats & _NON_TARGET) == 0 and nt_pd)
                      or ((cats & _NEW) != 0 and (nlt[s] - st_nlt >= ICPD_GROWTH_MM - _EPS
                                                   or nlnt[s] > st_nlnt + _EPS)))
            if ever[s] > st_ever or (growth and not early):
                icpd = s
                response = ICPD
            else:
                resolved = (not ((cats & _TARGET) != 0 and t_pd) and not ((cats & _NON_TARGET) != 0 and nt_pd)
                            and ((cats & _NEW) == 0 or present[s] == 0 or total < st_sum - _EPS))
                if resolved:
                    open_cats, known_new = 0, ever[s]
                    has_nlt_nadir = present[s] != 0
                    nlt_nadir = nlt[s] if has_nlt_nadir else 0.0
                    response = _non_pd_category(s, sums, base_sum, target_gone, nt_gone, present[s] != 0)
                else:
                    response = IUPD
        responses[s] = response
        if total < nadir:
            nadir = total
        if nt < nt_nadir:
            nt_nadir = nt
        if has_nlt_nadir and nlt[s] < nlt_nadir:
            nlt_nadir = nlt[s]
    best = responses[0]
    for s in range(1, n):
        if responses[s] < best:
            best = responses[s]
    return True, responses, best, first_iupd, icpd, sums


@nb.njit(cache=True, nogil=True)
def _read(evaluable, responses, best, progression, at):
    """trial.run's read-out of an assessment: the response at scan ``at`` (PD once progressed), else the best."""
    if at >= 0 and evaluable:
        if progression >= 0 and progression <= at:
            return PD
        return responses[at]
    return best


@nb.njit(cache=True, nogil=True)
def _argmin(x, stop):
    """np.argmin(x[:stop]): the first smallest value, or the first NaN."""
    best = 0
    for i in range(stop):
        if math.isnan(x[i]):
            return i
        if x[i] < x[best]:
            best = i
    return best


@nb.njit(cache=True, nogil=True)
def recurrence_scan(D, idx, disappearance_mm):
    """trial.endpoints.recurrence_scan on the columns ``idx`` of D (-1: none)."""
    if D.shape[0] == 0 or idx.shape[0] == 0:
        return -1
    seen_gone = False
    for s in range(D.shape[0]):
        gone = True
        for j in range(idx.shape[0]):
            if not (_nan_to_num(D[s, idx[j]]) < disappearance_mm):
                gone = False
                break
        if s >= 1 and seen_gone and not gone:
            return s
        seen_gone = seen_gone or gone
    return -1


@nb.njit(cache=True, nogil=True)
def cohort_readouts(D, base, node, site, baseline, in_field, out_field, disappearance_mm, new_scan, at, human,
                    confirm, days):
    """The RECIST read-outs of one subject in trial.run.evaluate (the reference is its Python through response.py):

    (overall evaluable, overall target positions in ``baseline``, overall read-out, overall progression, change
    evaluable, target-sum change % at the read-out scan, iRECIST best, in-field read-out, out-of-field evaluable,
    out-of-field read-out, recurrence scan). ``at``: the response_at scan (-1: best response); ``new_scan``: the
    first scan with a new lesion (-1: none); ``human`` False: targets only (no assessment is read). ``confirm``
    (endpoints.confirm): CR and PR need confirmation at a scan at least CONFIRM_DAYS later (``days``: the scan
    days), and every read-out uses the confirmed categories."""
    no_days = np.zeros(0)
    ok, responses, confirmed, best, progression, sums, base_sum, _, targets = assess(
        D, base, node, site, baseline, disappearance_mm, True, new_scan, confirm, days, CONFIRM_DAYS, 0.0)
    if not human:
        return ok, targets, NE, -1, False, 0.0, NE, NE, False, NE, -1
    overall = _read(ok, confirmed, best, progression, at)
    change_ok = ok and base_sum != 0.0
    change = 0.0
    if change_ok:
        if at >= 0:
            index = progression if progression >= 0 and progression <= at else at
        elif progression == 0:
            index = 0
        else:
            index = _argmin(sums, progression if progression >= 0 else sums.shape[0])
        change = 100.0 * (sums[index] / base_sum - 1.0)
    n = D.shape[0]
    ever = np.zeros(n, dtype=np.int64)
    if new_scan >= 0:
        ever[new_scan:] = 1
    zeros = np.zeros(n)
    _, _, ibest, _, _, _ = assess_irecist(D, base, node, site, baseline, disappearance_mm, True, ever, ever, zeros,
                                          zeros, False, no_days, 0.0)
    in_read = NE
    if in_field.shape[0]:
        iok, _, iresp, ib, iprog, _, _, _, _ = assess(D, base, node, site, in_field, disappearance_mm, False, -1,
                                                      confirm, days, CONFIRM_DAYS, 0.0)
        in_read = _read(iok, iresp, ib, iprog, at)
    out_ok, out_read = False, NE
    if out_field.shape[0]:
        ook, _, oresp, ob, oprog, _, _, _, _ = assess(D, base, node, site, out_field, disappearance_mm, False, -1,
                                                      confirm, days, CONFIRM_DAYS, 0.0)
        out_ok, out_read = True, _read(ook, oresp, ob, oprog, at)
    return (ok, targets, overall, progression, change_ok, change, ibest, in_read, out_ok, out_read,
            recurrence_scan(D, baseline, disappearance_mm))
