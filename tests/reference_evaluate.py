"""trial.run.evaluate and its survival draw as they were before the compiled RECIST kernel (main at 1fada8f),
kept verbatim as the reference that tests/unit/test_response_compiled.py compares the cohort path against: every
subject's record through RECIST 1.1 / iRECIST of response.py, per-lesion NumPy and per-scan loops.

Change it together with trial.run.evaluate only when a read-out changes on purpose. Changed on purpose since:
``endpoints.confirm`` (RECIST 1.1 confirmation of CR/PR), which that code parsed but never applied;
``endpoints.progression: out_of_field`` (progression read on the lesions no arm irradiates)."""

from __future__ import annotations

import numpy as np

from abscopal import population as _population
from abscopal import response as recist
from abscopal.response import scan_indices as _scan_indices
from abscopal.simulate import diameter_from_volume
from abscopal.trial import endpoints
from abscopal.trial.design import TrialDesign
from abscopal.trial.run import TUMOUR_FREE_MM3


def evaluate(result, design: TrialDesign, k: int, targeted_any_arm: set[str]) -> dict:
    """One subject's readouts in one arm."""
    sub, tr, sc = result.subject, result.trajectory, result.scenario
    v = sub.values
    t = tr.time
    diam = diameter_from_volume(tr.volume_mm3)
    irradiated = sc.irradiated_ids
    enrolled = [i for i, les in enumerate(sub.lesions) if not les.occult and les.appears_day in (None, 0.0)]
    b = int(np.argmin(np.abs(t - design.endpoints.baseline_scan)))  # the RECIST baseline scan (day 0 by default)
    if b == 0:
        baseline = enrolled
    else:  # a later baseline scan also sees the lesions that appeared, or grew visible, before it
        baseline = [i for i, les in enumerate(sub.lesions)
                    if (les.occult and diam[b, i] >= v["new_lesion_diameter"])
                    or (not les.occult and (les.appears_day is None or les.appears_day <= t[b] + 1e-9) and diam[b, i] > 0)]
    later = [i for i in range(len(sub.lesions)) if i not in baseline]
    record = {
        "subject": k, "status": tr.status, "tumour": sc.tumour, "n_lesions": len(enrolled),
        "baseline_alc": float(tr.alc[0]), "pdl1_tps": sc.patient.pdl1_tps, "tmb": sc.patient.tmb_per_mb,
        "p53_mutant": sc.patient.p53_mutant,
        "baseline_sum_diameters_mm": float(sum(diameter_from_volume(sub.lesions[i].volume_mm3) for i in enrolled)),
        "alc_nadir": float(np.nanmin(tr.alc)) if tr.status == "ok" else None,
    }
    if tr.status != "ok":
        return record
    scans = _scan_indices(t, design.endpoints.assessments, t[-1], float(t[b]))
    new_scan = None
    for s, ti in enumerate(scans):
        if any(tr.volume_mm3[ti, i] > 0 and (diam[ti, i] >= v["new_lesion_diameter"] if sub.lesions[i].occult else True)
               for i in later):
            new_scan = s
            break

    def tracks(ids):
        return [recist.LesionTrack(sub.lesions[i].id, sub.lesions[i].site, float(diam[b, i]), diam[scans, i]) for i in ids]

    def read(assessment):
        if design.endpoints.response_at is not None and assessment.responses:
            at = int(np.argmin(np.abs(np.array([t[i] for i in scans]) - design.endpoints.response_at)))
            if assessment.progression_index is not None and assessment.progression_index <= at:
                return "PD"
            return (assessment.confirmed or assessment.responses)[at]
        return assessment.best

    def read_change(assessment) -> float | None:
        """The target-sum change (%) at the scan the response is read from (the waterfall bar beside the ORR):
        the response_at scan, or the best (smallest-sum) scan before progression; the progression scan once
        progressed."""
        if not assessment.responses or not assessment.baseline_sum:
            return None
        sums, progression = np.asarray(assessment.sums, float), assessment.progression_index
        if design.endpoints.response_at is not None:
            at = int(np.argmin(np.abs(np.array([t[i] for i in scans]) - design.endpoints.response_at)))
            index = progression if progression is not None and progression <= at else at
        elif progression == 0:
            index = 0
        else:
            index = int(np.argmin(sums[: progression if progression is not None else len(sums)]))
        return float(100.0 * (sums[index] / assessment.baseline_sum - 1.0))

    in_field = [i for i in baseline if sub.lesions[i].id in irradiated]
    out_field = [i for i in baseline if sub.lesions[i].id not in targeted_any_arm]
    dmm = v["disappearance_diameter"]
    is_human = design.species == "human"
    targets = recist.select_targets(tracks(baseline)) if scans else []
    if targets:
        ids = [baseline[j] for j in targets]
        base_sum = float(diam[b, ids].sum())
        sums = diam[np.ix_(scans, ids)].sum(axis=1)
        changes = 100.0 * (sums / base_sum - 1.0)
        record["best_sum_change_pct"] = float(changes.min())
        record["sum_change_pct_by_scan"] = [(float(t[i]), float(c)) for i, c in zip(scans, changes, strict=True)]
    else:
        record["best_sum_change_pct"] = None
        record["sum_change_pct_by_scan"] = []
    confirm = {"confirm": True, "scan_days": [float(t[i]) for i in scans]} if design.endpoints.confirm else {}
    if is_human and scans:
        overall = recist.assess(tracks(baseline), disappearance_mm=dmm, new_lesion_scan=new_scan, **confirm)
        record["overall"] = read(overall)
        record["overall_irecist"] = recist.assess_irecist(tracks(baseline), disappearance_mm=dmm, new_lesion_scan=new_scan).best
        record["in_field"] = (read(recist.assess(tracks(in_field), disappearance_mm=dmm, use_non_targets=False, **confirm))
                              if in_field else None)
        out = recist.assess(tracks(out_field), disappearance_mm=dmm, use_non_targets=False, **confirm) if out_field else None
        record["out_of_field"] = read(out) if out is not None else None
        record["response_change_pct"] = read_change(overall)
        read_on = overall
        if design.endpoints.progression == "out_of_field" and out_field:  # RECIST progression of those lesions only
            read_on = recist.assess(tracks(out_field), disappearance_mm=dmm, new_lesion_scan=new_scan, **confirm)
        progression = endpoints.first_event(
            *(float(t[scans[s]]) if s is not None else None for s in (
                read_on.progression_index, new_scan, endpoints.recurrence_scan(diam[np.ix_(scans, baseline)], dmm))))
        record["progression_day"] = progression
        record["os_day"], record["os_event"] = _overall_survival(tr, design, k)
        record["pfs_day"], record["pfs_event"] = endpoints.progression_free(progression, record["os_day"],
                                                                             record["os_event"], float(t[-1]))
    else:
        for key in ("overall", "overall_irecist", "in_field", "out_of_field", "pfs_day", "pfs_event", "os_day", "os_event",
                    "progression_day", "response_change_pct"):
            record[key] = None
        out = None
    # the abscopal response needs an irradiated lesion in this subject and arm (else it is not applicable: null)
    record["irradiated"] = any(les.id in irradiated for les in sub.lesions if not les.occult)
    if out_field and record["irradiated"]:
        if design.endpoints.abscopal_definition == "golden2015":
            idx = scans if scans else list(range(len(t)))
            record["abscopal"] = bool(any(np.min(diam[idx, i]) <= 0.7 * diam[b, i] for i in out_field))
        else:
            record["abscopal"] = record["out_of_field"] in ("CR", "PR") if out is not None else None
    else:
        record["abscopal"] = None
    record["n_out_of_field"] = len(out_field)
    visible = [i for i, les in enumerate(sub.lesions) if not les.occult]
    total = tr.volume_mm3[:, visible].sum(axis=1)
    endpoint = sc.simulation.endpoint_volume_mm3
    reached = np.nonzero(total >= endpoint)[0] if endpoint is not None else np.array([], dtype=int)
    record["endpoint_day"] = float(t[reached[0]]) if reached.size else None
    record["endpoint_event"] = bool(reached.size)
    record["tumour_free"] = bool(np.all(tr.volume_mm3[-1, visible] < TUMOUR_FREE_MM3))
    record["controlled_lesions"] = {sub.lesions[i].id: bool(tr.viable_cells[-1, i] < 1.0) for i in visible}
    return record


def _overall_survival(tr, design: TrialDesign, k: int) -> tuple[float, bool]:
    pop = _population.population_values("human")  # through the module: a parameter swap replaces it there
    burden = np.maximum(tr.volume_mm3.sum(axis=1), 1e-9)
    hazard = pop["os_baseline_hazard"] * (burden / pop["os_reference_burden"]) ** pop["os_burden_exponent"]
    t = tr.time
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (hazard[1:] + hazard[:-1]) * np.diff(t))])
    threshold = np.random.default_rng([design.population.seed, k, 99]).exponential()  # paired across arms
    hit = np.nonzero(cumulative >= threshold)[0]
    if not hit.size:
        return float(t[-1]), False
    j = int(hit[0])
    # linear interpolation of the crossing inside the output step
    frac = (threshold - cumulative[j - 1]) / max(cumulative[j] - cumulative[j - 1], 1e-300)
    return float(t[j - 1] + frac * (t[j] - t[j - 1])), True


