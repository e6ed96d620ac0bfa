"""Synthetic measurements made by the model itself, for parameter-recovery tests and the tutorial.

Each animal draws its doubling-time factor exp(omega z), starts from a log-normal initial volume around the
design's lesion volume, is simulated with the true values, and is measured on the given days with log-normal
noise sigma; volumes at or below the detection limit are written as 0 (as lab sheets do).
"""

from __future__ import annotations

import math

import numpy as np

from .data import DETECTION_MM3


def mouse_data(design, truth: dict[str, float], *, animals: int = 3, days=(0, 3, 6, 9, 12), omega: float = 0.2,
               sigma: float = 0.15, seed: int = 0, groups=None, initial_cv: float = 0.2):
    """A DataFrame (group, animal, day, lesion, volume_mm3) of ``animals`` per group of ``design`` (a Design)."""
    import dataclasses

    import pandas as pd

    from ..model.subject import subject_from_scenario
    from ..scenario.model import Lesion, Simulation
    from ..simulate import run_subjects

    rng = np.random.default_rng(seed)
    groups = list(groups or design.arms)
    days = np.asarray(days, float)
    duration = float(days.max() - days.min())
    base_over = dict(next(iter(design.arms.values())).overrides)
    scenarios, meta = [], []
    for g in groups:
        arm = design.arms[g]
        for a in range(animals):
            lesions = tuple(Lesion(id=les.id, site=les.site, diameter_mm=les.diameter_mm,
                                   volume_mm3=les.volume_mm3 * math.exp(initial_cv * rng.standard_normal()))
                            for les in arm.patient.lesions)
            factor = math.exp(omega * rng.standard_normal())
            values = dict(base_over)
            values.update({k: v for k, v in truth.items()})
            from ..model.subject import parameter_values

            dt = values.get("doubling_time")
            if dt is None:
                dt = parameter_values(design.species, design.tumour, arm.overrides)[0]["doubling_time"]
            values["doubling_time"] = float(dt) * factor
            shift = days.min()
            sc = dataclasses.replace(
                arm, patient=dataclasses.replace(arm.patient, lesions=lesions),
                radiotherapy=tuple(dataclasses.replace(b, days=tuple(d - shift for d in b.days)) for b in arm.radiotherapy),
                drugs=tuple(dataclasses.replace(r, days=tuple(d - shift for d in r.days)) for r in arm.drugs),
                overrides=tuple((k, repr(float(v))) for k, v in values.items()), population=None,
                simulation=Simulation(duration_days=max(duration, 1.0), output_interval_days=1.0, seed=arm.simulation.seed))
            scenarios.append(sc)
            meta.append((g, f"{g}-{a + 1}", lesions))
    trajectories = run_subjects([subject_from_scenario(s) for s in scenarios], max(duration, 1.0), 1.0)
    rows = []
    for (g, animal, lesions), tr in zip(meta, trajectories, strict=True):
        for d in days:
            j = int(round(d - days.min()))
            for k, les in enumerate(lesions):
                if d == days.min():
                    v = les.volume_mm3
                else:
                    v = tr.volume_mm3[j, k] * math.exp(sigma * rng.standard_normal())
                rows.append({"group": g, "animal": animal, "day": float(d), "lesion": les.id,
                             "volume_mm3": round(float(v), 4) if v > DETECTION_MM3 else 0.0})
    return pd.DataFrame(rows)
