"""The design of a fit: which treatment each group received, read from a scenario or a trial file.

A trial file's arms are the groups (by name); a scenario file is one group. Each measured subject becomes a
scenario of its own: its group's treatment, its lesions at their first measured sizes, and the clock shifted
so that the subject's first measurement is the simulation's time 0 (a treatment day d of the design becomes
d - start_day). The design's own ``overrides:`` stay in force; the fitted parameters are laid over them.
A fitted subject's lesions grow alike (``lesion_growth_sd`` 0) unless the design's overrides set it: the
within-patient spread of lesion growth would otherwise be one fixed random draw per subject, neither fitted
nor integrated out of the likelihood.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..scenario.model import Lesion, Scenario, Simulation
from .data import FitData, Subject

SAME_GROWTH = ("lesion_growth_sd", "0.0")  # a fitted subject's lesions grow alike (module docstring)


@dataclass(frozen=True)
class Design:
    path: str
    kind: str  # "trial" or "scenario"
    arms: dict[str, Scenario]
    raw: dict[str, Any]  # the file's document, to write the fitted file from
    text: str

    @property
    def species(self) -> str:
        return next(iter(self.arms.values())).species

    @property
    def tumour(self) -> str:
        return next(iter(self.arms.values())).tumour

    @property
    def lesion_ids(self) -> list[str]:
        return [les.id for les in next(iter(self.arms.values())).patient.lesions]


def load_design(path: str | Path) -> Design:
    from ..scenario.document import read_document
    from ..scenario.load import parse_scenario
    from ..trial.design import parse_trial

    path = str(path)
    data, text = read_document(path)
    try:
        if isinstance(data, dict) and "arms" in data:
            trial = parse_trial(data, text=text, source=path)
            arms, kind = dict(trial.arms), "trial"
        else:
            scenario = parse_scenario(data, source=path, text=text)
            arms, kind = {scenario.name: scenario}, "scenario"
    except InputError as exc:
        raise exc.with_file(path) from None
    first = next(iter(arms.values()))
    if first.model != "abscopal":
        raise InputError(f"model {first.model!r} cannot be fitted", key="model", file=path,
                         expected="the flagship model (no model: key)")
    if not first.patient.lesions:
        raise InputError("no lesions", key="patient.lesions", file=path,
                         expected="the lesions the data measure (their ids and sites), e.g. {id: primary, site: flank}")
    return Design(path=path, kind=kind, arms=arms, raw=data, text=text)


def first_treatment_day(scenario: Scenario) -> float | None:
    days = [d for b in scenario.radiotherapy for d in b.days] + [d for r in scenario.drugs for d in r.days]
    return min(days) if days else None


def subject_scenario(design: Design, data: FitData, subject: Subject, duration: float) -> Scenario:
    """The scenario of one measured subject: its group's treatment, shifted to its first measurement, and its
    lesions at their first sizes (a design lesion the data do not measure keeps the design's size)."""
    arm = design.arms[subject.group]
    shift = subject.start_day
    first = first_treatment_day(arm)
    if first is not None and first < shift - 1e-9:
        raise InputError(f"the first measurement of {'animal' if data.kind == 'mouse' else 'patient'} {subject.id!r} "
                         f"(day {shift:g}) is after its group's first treatment (day {first:g})",
                         key=f"{subject.first_row}, column day", file=data.path,
                         expected="a measurement on or before the first treatment day (it gives the model's initial sizes)")
    design_lesions = {les.id: les for les in arm.patient.lesions}
    default_site = arm.patient.lesions[0].site
    lesions = []
    order = list(design_lesions) if data.kind == "mouse" else list(subject.initial_mm3)
    for lid in order:
        if lid in subject.initial_mm3:
            volume = subject.initial_mm3[lid]
            site = design_lesions[lid].site if lid in design_lesions else default_site
            lesions.append(Lesion(id=lid, site=site, diameter_mm=(6.0 * volume / math.pi) ** (1 / 3), volume_mm3=volume))
        else:
            lesions.append(design_lesions[lid])
    ids = {les.id for les in lesions}
    radiotherapy = []
    for block in arm.radiotherapy:
        kept = tuple(i for i in block.lesion_ids if i in ids)
        if block.lesion_ids and not kept and block.site is None:
            continue  # a clinical subject without the irradiated lesion: that block does not reach its data
        radiotherapy.append(dataclasses.replace(block, lesion_ids=kept, days=tuple(d - shift for d in block.days)))
    drugs = tuple(dataclasses.replace(r, days=tuple(d - shift for d in r.days)) for r in arm.drugs)
    simulation = Simulation(duration_days=duration, output_interval_days=1.0, endpoint_volume_mm3=None,
                            seed=arm.simulation.seed)
    patient = dataclasses.replace(arm.patient, lesions=tuple(lesions))
    overrides = arm.overrides if any(n == SAME_GROWTH[0] for n, _ in arm.overrides) else arm.overrides + (SAME_GROWTH,)
    return dataclasses.replace(arm, patient=patient, radiotherapy=tuple(radiotherapy), drugs=drugs, overrides=overrides,
                               simulation=simulation, population=None, name=f"{arm.name} [{subject.id}]")
