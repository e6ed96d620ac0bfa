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
    # made at rtol 1e-6 (the simulations' tolerance before 2026-12-04), so that the shipped example data stay what
    # their documented command regenerates
    trajectories = run_subjects([subject_from_scenario(s) for s in scenarios], max(duration, 1.0), 1.0, rtol=1e-6)
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


# Parameter recovery: the settings of the recovery test (tests/integration/test_fit_recovery.py) and of
# benchmarks/fit_recovery.py. The truth of each data set is drawn uniformly in a range around the file values.
RECOVERY = {"design": "examples/fit_mouse_tsa_rt.yaml", "parameters": ("doubling_time", "alpha"),
            "truth_range": {"doubling_time": (2.0, 4.0), "alpha": (0.12, 0.35)}, "omega": 0.2, "sigma": 0.15,
            "animals": 1, "days": (0, 3, 6, 9, 12), "steps": 300, "walkers": 12, "nodes": 3}


def recovery_run(seed: int, root: str = ".", **changes) -> dict:
    """Make one synthetic data set (seed), fit it, and return the truth, the 90% intervals and the run's figures."""
    import tempfile
    import time
    from pathlib import Path

    from .api import fit
    from .design import load_design

    settings = {**RECOVERY, **changes}
    design_path = str(Path(root) / settings["design"])
    rng = np.random.default_rng([seed, 17])
    truth = {name: float(rng.uniform(*settings["truth_range"][name])) for name in settings["parameters"]}
    frame = mouse_data(load_design(design_path), truth, animals=settings["animals"], days=settings["days"],
                       omega=settings["omega"], sigma=settings["sigma"], seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        frame.to_csv(path, index=False)
        started = time.perf_counter()
        result = fit(path, design_path, parameters=list(settings["parameters"]), steps=settings["steps"],
                     walkers=settings["walkers"], nodes=settings["nodes"], seed=seed)
        seconds = time.perf_counter() - started
    table = {p["name"]: p for p in result.summary()["parameters"]}
    truth_all = {**truth, "omega_doubling_time": settings["omega"], "sigma_log": settings["sigma"]}
    samples = np.exp(result.samples)
    wide = {name: [float(v) for v in np.percentile(samples[:, j], [0.5, 99.5])]
            for j, name in enumerate(result.model.labels)}
    return {"seed": seed, "truth": truth_all, "ci90": {k: table[k]["ci90"] for k in truth_all}, "ci99": wide,
            "covered": {k: table[k]["ci90"][0] <= v <= table[k]["ci90"][1] for k, v in truth_all.items()},
            "converged": result.summary()["diagnostics"]["converged"],
            "max_autocorr_time": max((v for v in result.summary()["diagnostics"]["autocorr_time"].values() if v is not None),
                                     default=None),
            "simulations": result.summary()["diagnostics"]["simulations"], "seconds": round(seconds, 1)}
