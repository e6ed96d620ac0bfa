"""Warnings for input that is valid but implausible: a drug dose above its label's highest single dose, a
lesion larger than practice sees, a dose per fraction beyond the usual range of the LQ model.

These are warnings, not errors: the run goes on (exit status 0), because a user may mean it (a dose-escalation
experiment, a bulky sarcoma). They catch the common slip of a wrong unit or an extra zero, which the loader cannot
refuse because the value is inside its hard limits. Every threshold below names its source, or says that it is an
assumption from clinical or laboratory practice.
"""

from __future__ import annotations

from dataclasses import dataclass

from .scenario.model import Scenario


@dataclass(frozen=True)
class LabelMaximum:
    """The highest single dose (per administration) of one agent in one basis (mg, mg/kg, mg/m2, IU/kg...)."""

    species: str
    agent: str
    amount: float
    basis: str
    source: str


# The highest dose per administration in the dosing section (2.x) of each US prescribing information; where a
# label has both flat and weight-based doses both are listed, and a dose warns only above the larger of them
# for the subject's weight and body surface area. Mouse agents have no label: their thresholds are stated
# assumptions, about five to ten times the usual research dose.
LABEL_MAXIMA: tuple[LabelMaximum, ...] = (
    LabelMaximum("human", "pembrolizumab", 400.0, "mg", "KEYTRUDA US label: 200 mg every 3 weeks or 400 mg every 6 weeks"),
    LabelMaximum("human", "nivolumab", 480.0, "mg", "OPDIVO US label: 240 mg every 2 weeks or 480 mg every 4 weeks"),
    LabelMaximum("human", "cemiplimab", 350.0, "mg", "LIBTAYO US label: 350 mg every 3 weeks"),
    LabelMaximum("human", "atezolizumab", 1680.0, "mg", "TECENTRIQ US label: 840 mg q2w, 1200 mg q3w or 1680 mg q4w"),
    LabelMaximum("human", "durvalumab", 1500.0, "mg", "IMFINZI US label: 1500 mg every 3 or 4 weeks"),
    LabelMaximum("human", "durvalumab", 20.0, "mg/kg", "IMFINZI US label: 20 mg/kg every 4 weeks below 30 kg"),
    LabelMaximum("human", "avelumab", 800.0, "mg", "BAVENCIO US label: 800 mg every 2 weeks"),
    LabelMaximum("human", "avelumab", 10.0, "mg/kg", "BAVENCIO first US label (2017): 10 mg/kg every 2 weeks"),
    LabelMaximum("human", "ipilimumab", 10.0, "mg/kg", "YERVOY US label: 10 mg/kg, adjuvant melanoma"),
    LabelMaximum("human", "tremelimumab", 300.0, "mg", "IMJUDO US label: 300 mg single dose with durvalumab (uHCC)"),
    LabelMaximum("human", "tremelimumab", 4.0, "mg/kg", "IMJUDO US label: 4 mg/kg below 30 kg"),
    LabelMaximum("human", "gm-csf", 0.25, "mg/m2", "LEUKINE (sargramostim) US label: 250 ug/m^2/day"),
    LabelMaximum("human", "il-2", 600_000.0, "IU/kg", "PROLEUKIN (aldesleukin) US label: 600,000 IU/kg every 8 hours"),
    LabelMaximum("human", "fresolimumab", 15.0, "mg/kg", "investigational, no label: the highest phase I dose "
                 "(Morris JC et al. PLoS One 2014;9:e90353)"),
    LabelMaximum("human", "poly-iclc", 2.0, "mg", "investigational, no label: assumption, the top of the usual "
                 "1-2 mg vaccine-adjuvant dose"),
    *(LabelMaximum("mouse", agent, 1.0, "mg", "no label: assumption, about five times the usual 100-250 ug i.p. "
                   "dose of a research antibody (50 mg/kg in a 20 g mouse)")
      for agent in ("anti-pd-1", "anti-pd-l1", "anti-ctla-4", "anti-tgf-beta", "anti-ox40", "anti-cd137")),
    LabelMaximum("mouse", "flt3l", 0.1, "mg", "no label: assumption, ten times the 10 ug daily dose of "
                 "Maraskovsky E et al. J Exp Med 1996;184:1953-62"),
    LabelMaximum("mouse", "gm-csf", 0.05, "mg", "no label: assumption, ten times the usual few ug per day"),
    LabelMaximum("mouse", "il-2", 1_000_000.0, "IU", "no label: assumption, ten times the usual 10^5 IU i.p. dose"),
)

# Sizes and doses that clinical or laboratory practice rarely sees (the loader's hard limits are higher).
WARN_LESION_DIAMETER_MM = {"human": 200.0}  # assumption: a 20 cm lesion is exceptional in solid-tumour trials
WARN_LESION_VOLUME_MM3 = {"mouse": 2000.0}  # assumption: the usual humane end point of a mouse tumour, 1.5-2 cm^3
SIZE_REASON = {
    "human": "clinical-practice assumption: lesions over 20 cm are exceptional; check the unit (mm, cm)",
    "mouse": "laboratory-practice assumption: the usual humane end point is a tumour of 1.5-2 cm^3",
}
DOSE_PER_FRACTION_REASON = ("clinical-practice assumption: single fractions above 30 Gy are rare even in "
                            "radiosurgery and SBRT, and the LQ model is untested there")


@dataclass(frozen=True)
class Implausible:
    """One warning: the key it is about and what is implausible, with the threshold and its source."""

    key: str
    message: str

    def line(self, file: str) -> str:
        return f"{file}: {self.key}: warning: {self.message}"


def _per_administration(amount: float, basis: str, weight_kg: float, bsa_m2: float, iu_per_mg: float | None) -> float | None:
    """A dose as mg (or IU when the agent has no IU-per-mg factor) given to this subject at one administration."""
    unit, _, per = basis.partition("/")
    total = amount * {"": 1.0, "kg": weight_kg, "m2": bsa_m2}[per]
    if unit == "IU":
        return total / iu_per_mg if iu_per_mg else None
    return total


def scenario_warnings(scenario: Scenario) -> list[Implausible]:
    """Every warning for one scenario, in the order of its keys."""
    from .agents import get_agent
    from .parameters.store import load_shared
    from .scenario.load import WARN_DOSE_PER_FRACTION_GY

    found: list[Implausible] = []
    species = scenario.species
    for k, lesion in enumerate(scenario.patient.lesions):
        limit = WARN_LESION_DIAMETER_MM.get(species)
        if limit is not None and lesion.diameter_mm > limit:
            found.append(Implausible(f"patient.lesions[{k}].diameter", f"{lesion.diameter_mm / 10:g} cm is above "
                                  f"{limit / 10:g} cm ({SIZE_REASON[species]})"))
        limit = WARN_LESION_VOLUME_MM3.get(species)
        if limit is not None and lesion.volume_mm3 > limit:
            found.append(Implausible(f"patient.lesions[{k}].volume", f"{lesion.volume_mm3:.4g} mm^3 is above "
                                  f"{limit:g} mm^3 ({SIZE_REASON[species]})"))
    for k, block in enumerate(scenario.radiotherapy):
        if block.dose_per_fraction_gy > WARN_DOSE_PER_FRACTION_GY:
            found.append(Implausible(f"radiotherapy[{k}].dose", f"{block.dose_per_fraction_gy:g} Gy per fraction is above "
                                  f"{WARN_DOSE_PER_FRACTION_GY:g} Gy ({DOSE_PER_FRACTION_REASON})"))
    if scenario.drugs:
        shared = load_shared(species)
        weight = scenario.patient.weight_kg or shared["body_weight"].to("kg")
        bsa = scenario.patient.bsa_m2 or shared["body_surface_area"].to("m**2")
    for k, regimen in enumerate(scenario.drugs):
        maxima = [m for m in LABEL_MAXIMA if m.species == species and m.agent == regimen.agent]
        if not maxima:
            continue
        iu_per_mg = get_agent(species, regimen.agent).iu_per_mg
        given = _per_administration(regimen.dose.amount, regimen.dose.basis, weight, bsa, iu_per_mg)
        limits = [(_per_administration(m.amount, m.basis, weight, bsa, iu_per_mg), m) for m in maxima]
        limits = [(value, m) for value, m in limits if value is not None]
        if given is None or not limits:
            continue
        top, entry = max(limits, key=lambda pair: pair[0])
        if given > top * (1 + 1e-9):
            written = f"{regimen.dose.amount:g} {regimen.dose.basis}"
            found.append(Implausible(f"drugs[{k}].dose", f"{written} of {regimen.agent} is above the highest single "
                                  f"dose {entry.amount:g} {entry.basis} ({entry.source}); check the dose and its unit"))
    return found
