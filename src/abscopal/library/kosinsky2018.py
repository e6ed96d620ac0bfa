"""Kosinsky et al. 2018 (J Immunother Cancer 6:17; BioModels BIOMD0000000863): CT26 under radiotherapy
and anti-PD-(L)1, as ``model: Kosinsky2018``.

The published QSP model, with the parameter values of its Table 1
(``parameters/models/kosinsky2018.toml``) and the antibody pharmacokinetics the paper describes, run
through the same scenario files, engine (:mod:`abscopal.engine`) and JSON results as the flagship model.
Day 0 of a scenario is tumour implantation with all immune states at zero, as in the paper and in the
BioModels curation (TV = 15 uL at day 0); the scenario's single lesion gives TV(0).

States (one tumour; volumes in uL = mm^3, cell counts, PD-L1 level 0..1; mAb amounts in mg)::

    TV, TVd, U, nTeff, dTeff, PDL1, depot_a, central_a   (a = each antibody of the scenario)

Equations (the SBML's reactions, with the radiation term written for fraction impulses)::

    TCD   = mu*TVd/(TV+TVd) + e*dTeff + d0              tumour cell death rate function
    DCm   = TCD^2 / (TCD^2 + Ktcd^2)                     mature dendritic cells
    X     = DCm*(TV+TVd)                                 systemic antigen presentation (Ag_sys)
    ISC   = X / (X + S_R)                                immunosuppressive cells
    IAR   = (1 - PDL1/(1 + mAb/K_D)) * (1 - ISC)         immune activation rate
    dTV/dt    = r*TV*(1 - TV/TVmax) - 0.2*alpha/(tau*delta^2)*U^2*TV - (e*dTeff + d0)*TV
    dTVd/dt   = 0.2*alpha/(tau*delta^2)*U^2*TV - mu*TVd
    dU/dt     = -U/tau
    dnTeff/dt = kLN*X/(X + S_L) + IAR*(kpro - kdif)*nTeff - kel*nTeff
    ddTeff/dt = IAR*kdif*nTeff - kapo*dTeff
    dPDL1/dt  = kpdl*dTeff/(Kpdl + dTeff) - kpdl*PDL1
    d depot/dt = -ka*depot;  d central/dt = ka*depot - kel_mAb*central
    mAb [nM] = sum_a central_a / Vd, converted with molecular_weight (150 kDa)

Radiation. The paper drives the model with a dose rate R(t): TV loses alpha*R*TV to TVd and DSBs form at
delta*R. A fraction of d Gy delivered as an impulse therefore gives, at the fraction time,
``TV <- TV*exp(-alpha*d)``, the killed volume moving to TVd, and ``U <- U + delta*d``; the U^2 term then
adds the quadratic kill (with repair at rate 1/tau it integrates to 0.1*alpha*d^2, i.e. alpha/beta 10 Gy).
tau = 0.02 day is the DSB repair *time* (Table 1); BIOMD0000000863 writes the repair flux as tau*U, a units
slip that cannot matter there (its radiation_Dose is fixed at 0) but would make the quadratic kill
enormous with radiation, so repair here is U/tau.

Antibody. BIOMD0000000863 keeps mAb as a constant 0; the paper's i.p. PK is added: each dose (mg/kg x
body weight, bioavailability 1) goes into an i.p. depot (ka 8/day) feeding one compartment (Vd 3 mL,
kel 0.15/day); the free concentration in nM is compared with K_D = 30 nM. Anti-PD-1 is accepted too: the
paper uses the same K_D term for PD-L1 and PD-1 blockade (Table 1, "PD-L1(PD-1) binding affinity").

Readouts. Lesion volume = TV + TVd (the paper's TV_tot); viable cells = TV x cell_density (mouse shared
value) for ``controlled``/``tcp``. Kosinsky has no blood lymphocytes: the ALC series is the constant
baseline (``patient.alc`` or the CT26 parameter set's ``alc_baseline``), reported only because the
contract's JSON carries it.

Not modelled here (refused with an input error): more than one lesion, lesions that appear later, nodal
or partial-coverage RT, site-only RT fields, agents other than anti-PD-L1/anti-PD-1, a host other than
``competent``, mechanism switches, parameter overrides, PD-L1 TPS/TMB covariates and population blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import SimpleNamespace

import numpy as np

from ..errors import InputError
from ..parameters import load_parameter_set
from ..parameters.store import Entry, parse_entries

MODEL = "Kosinsky2018"
PARAMETER_FILE = "models/kosinsky2018.toml"
AGENTS = ("anti-pd-l1", "anti-pd-1")
# canonical units of the model's parameters
UNITS = {
    "r": "1/day", "TVmax": "uL", "d0": "1/day", "TV0": "uL", "kLN": "1/day", "S_L": "1", "omega_SL": "1",
    "kpro": "1/day", "kdif": "1/day", "kel": "1/day", "kapo": "1/day", "e": "1/day", "Kpdl": "1",
    "kpdl": "1/day", "Ktcd": "1/day", "S_R": "1", "alpha": "1/Gy", "delta": "1/Gy", "tau": "day",
    "mu": "1/day", "Vd": "mL", "ka": "1/day", "kel_mAb": "1/day", "K_D": "nM", "molecular_weight": "kDa",
    "bioavailability": "1", "a": "uL", "b": "1",
}
# values of the mouse CT26 parameter set used for readouts (canonical units of the flagship)
READOUT_VALUES = {"cell_density": "1/mm^3", "new_lesion_diameter": "mm", "disappearance_diameter": "mm",
                  "alc_baseline": "1/uL", "body_weight": "kg", "body_surface_area": "m^2"}
TV, TVD, U, NTEFF, DTEFF, PDL1 = range(6)
N_CORE = 6
STATE_NAMES = ("TV", "TVd", "U", "nTeff", "dTeff", "PDL1")


@cache
def parameter_entries() -> dict[str, Entry]:
    """Entries (value, unit, source) of ``parameters/models/kosinsky2018.toml``."""
    import tomllib

    text = resources.files("abscopal.parameters").joinpath(PARAMETER_FILE).read_text()
    return parse_entries(tomllib.loads(text)["parameters"], PARAMETER_FILE)


def kosinsky_parameters() -> dict[str, float]:
    """Table 1 values in the model's canonical units (day, uL, Gy, nM, mL, kDa; counts as numbers)."""
    entries = parameter_entries()
    missing = set(UNITS) - set(entries)
    if missing:
        raise KeyError(f"{PARAMETER_FILE}: missing {sorted(missing)}")
    return {name: _to(entries[name], unit) for name, unit in UNITS.items()}


def _to(entry: Entry, unit: str) -> float:
    if entry.unit in ("cell", "cells") and unit == "1":
        return entry.value
    return entry.to(unit)


@dataclass
class KosinskySubject:
    """One mouse for the Kosinsky 2018 model, compatible with :func:`abscopal.simulate.build_result`."""

    species: str
    tumour: str
    lesions: list  # one LesionSpec
    values: dict[str, float]  # Table 1 (canonical units) + readout values of the mouse CT26 set
    agents: list[str]
    rt_events: dict[float, float]  # day -> Gy delivered to the tumour
    drug_events: dict[float, dict[str, float]]  # day -> agent -> mg into the i.p. depot
    alc0: float
    weight_kg: float
    host: str = "competent"
    mechanisms: dict[str, bool] = field(default_factory=dict)
    parameter_set: str = "models/kosinsky2018"
    model: str = MODEL


def check_scenario(scenario) -> None:
    """Input errors for what the Kosinsky 2018 model cannot represent (called by the scenario loader)."""
    if scenario.population is not None:
        raise InputError("a population is not supported by model Kosinsky2018", key="population",
                         expected="a single-mouse scenario (no population block, no trial) for Kosinsky2018")
    from ..scenario.limits import KOSINSKY_MAX_DURATION_DAYS

    if scenario.simulation.duration_days > KOSINSKY_MAX_DURATION_DAYS:
        raise InputError(f"{scenario.simulation.duration_days:g} days is beyond the published model's range",
                         key="simulation.duration", expected=f"at most {KOSINSKY_MAX_DURATION_DAYS:g} days for Kosinsky2018")
    lesions = scenario.patient.lesions
    if len(lesions) != 1:
        raise InputError(f"{len(lesions)} lesions given", key="patient.lesions", expected="exactly one lesion for Kosinsky2018")
    if lesions[0].appears_day is not None:
        raise InputError("a lesion that appears later is not supported", key="patient.lesions[0].appears",
                         expected="a tumour present from day 0 for Kosinsky2018")
    for name in ("pdl1_tps", "tmb_per_mb"):
        if getattr(scenario.patient, name) is not None:
            key = "patient.pdl1_tps" if name == "pdl1_tps" else "patient.tmb"
            raise InputError("not a covariate of Kosinsky2018", key=key, expected="no such covariate for Kosinsky2018")
    if scenario.overrides:
        raise InputError("parameter overrides are not supported", key="overrides",
                         expected="no overrides for Kosinsky2018 (its values are the paper's Table 1)")
    if scenario.mechanisms:
        raise InputError("Kosinsky2018 has no mechanism switches", key="mechanisms", expected="no mechanisms block for Kosinsky2018")
    if scenario.host_immune != "competent":
        raise InputError(f"host {scenario.host_immune!r} is not supported", key="host.immune", expected="competent for Kosinsky2018")
    for k, block in enumerate(scenario.radiotherapy):
        if block.site is not None:
            raise InputError("a field without the tumour is not supported", key=f"radiotherapy[{k}].site",
                             expected="lesions: [<the tumour>] for Kosinsky2018")
        if block.nodes:
            raise InputError("nodal irradiation is not represented", key=f"radiotherapy[{k}].nodes", expected="false for Kosinsky2018")
        if block.coverage != 1.0:
            raise InputError("partial coverage is not represented", key=f"radiotherapy[{k}].coverage", expected="1 for Kosinsky2018")
    for k, regimen in enumerate(scenario.drugs):
        if regimen.agent not in AGENTS:
            raise InputError(f"{regimen.agent!r} is not part of Kosinsky2018", key=f"drugs[{k}].agent",
                             expected="anti-pd-l1 or anti-pd-1 for Kosinsky2018")


def subject_from_scenario_kosinsky(scenario, values: dict[str, float] | None = None) -> KosinskySubject:
    """A :class:`KosinskySubject` from a scenario (``model: Kosinsky2018``, mouse CT26, one lesion).

    ``values`` replaces parameter values by name (canonical units of ``UNITS``), e.g. an individual
    ``S_L`` drawn from the paper's random effect.
    """
    from ..model.subject import LesionSpec, drug_event_table

    check_scenario(scenario)
    params = kosinsky_parameters()
    if values:
        unknown = set(values) - set(params)
        if unknown:
            raise KeyError(f"unknown Kosinsky2018 parameters {sorted(unknown)}")
        params.update({k: float(v) for k, v in values.items()})
    pset = load_parameter_set(scenario.species, scenario.tumour)
    readout = {name: pset[name].to(unit) for name, unit in READOUT_VALUES.items()}
    merged = {**readout, **params}
    patient = scenario.patient
    lesion = patient.lesions[0]
    irradiated = scenario.irradiated_ids
    lesions = [LesionSpec(id=lesion.id, site=lesion.site, volume_mm3=lesion.volume_mm3, irradiated=lesion.id in irradiated)]
    rt_events: dict[float, float] = {}
    for block in scenario.radiotherapy:
        if lesion.id not in block.lesion_ids or block.dose_per_fraction_gy <= 0:
            continue  # zero dose adds no stop: the untreated course is reproduced exactly
        for day in block.days:
            rt_events[day] = rt_events.get(day, 0.0) + block.dose_per_fraction_gy
    weight = patient.weight_kg or readout["body_weight"]
    bsa = patient.bsa_m2 or readout["body_surface_area"]
    drug_events = drug_event_table(scenario, weight, bsa)
    return KosinskySubject(
        species=scenario.species, tumour=scenario.tumour, lesions=lesions, values=merged,
        agents=sorted({r.agent for r in scenario.drugs}), rt_events=rt_events, drug_events=drug_events,
        alc0=patient.alc_per_ul or readout["alc_baseline"], weight_kg=weight,
    )


class Kosinsky2018Batch:
    """S mice of the Kosinsky 2018 model as arrays; the right-hand side has no loop over subjects.

    Layout of a state row: the six core states (``STATE_NAMES``), then one i.p. depot per agent, then one
    central compartment per agent (agents of the whole batch, in sorted order). ``aux`` is unused (S, 1).
    """

    def __init__(self, subjects: list[KosinskySubject]):
        if not subjects:
            raise ValueError("a batch needs at least one subject")
        self.subjects = subjects
        S = len(subjects)
        self.S = S
        self.agents = sorted({a for s in subjects for a in s.agents})
        self.A = len(self.agents)
        self.n = N_CORE + 2 * self.A
        self.L = 1
        p = SimpleNamespace()
        for name in UNITS:
            setattr(p, name, np.array([s.values[name] for s in subjects], dtype=float))
        p.quad = 0.2 * p.alpha / (p.tau * p.delta**2)  # coefficient of U^2 in the kill term
        # central amount (mg) -> concentration: ug/mL = 1000 x mg / Vd[mL]; nM = ug/mL x 1000 / MW[kDa]
        p.ugml_per_mg = 1000.0 / p.Vd
        p.nm_per_mg = p.ugml_per_mg * 1000.0 / p.molecular_weight
        self.p = p
        self._events()

    def _events(self):
        S, A = self.S, self.A
        times = [sorted(set(s.rt_events) | set(s.drug_events)) for s in self.subjects]
        E = max(1, max(len(t) for t in times))
        self.ev_time = np.full((S, E), np.inf)
        self.ev_dose = np.zeros((S, E))
        self.ev_depot = np.zeros((S, E, A))
        index = {a: k for k, a in enumerate(self.agents)}
        for i, s in enumerate(self.subjects):
            for e, day in enumerate(times[i]):
                self.ev_time[i, e] = day
                self.ev_dose[i, e] = s.rt_events.get(day, 0.0)
                for agent, mg in s.drug_events.get(day, {}).items():
                    self.ev_depot[i, e, index[agent]] += mg * s.values["bioavailability"]

    # ------------------------------------------------------------------ protocol
    def initial_state(self) -> tuple[np.ndarray, np.ndarray]:
        y = np.zeros((self.S, self.n))
        y[:, TV] = [s.lesions[0].volume_mm3 for s in self.subjects]  # day 0: TVd = U = immune states = 0
        return y, np.zeros((self.S, 1))

    def nonnegative(self) -> np.ndarray:
        return np.ones(self.n, dtype=bool)

    def mab_nm(self, y: np.ndarray) -> np.ndarray:
        """Total free antibody concentration (nM) of every row."""
        if not self.A:
            return np.zeros(y.shape[0])
        central = y[:, N_CORE + self.A:]
        return np.maximum(central, 0.0).sum(axis=1) * self.p.nm_per_mg

    def rhs(self, t, y, aux):
        p = self.p
        tv, tvd, u, nt, dt, pdl1 = (y[:, k] for k in range(N_CORE))
        total = tv + tvd
        safe = np.where(total > 0, total, 1.0)
        tcd = p.mu * np.where(total > 0, tvd / safe, 0.0) + p.e * dt + p.d0
        dcm = tcd**2 / (tcd**2 + p.Ktcd**2)
        x = dcm * total
        isc = x / (x + p.S_R)
        iar = (1.0 - pdl1 / (1.0 + self.mab_nm(y) / p.K_D)) * (1.0 - isc)
        dsb_kill = p.quad * u**2 * tv
        dy = np.empty_like(y)
        dy[:, TV] = p.r * tv * (1.0 - tv / p.TVmax) - dsb_kill - (p.e * dt + p.d0) * tv
        dy[:, TVD] = dsb_kill - p.mu * tvd
        dy[:, U] = -u / p.tau
        dy[:, NTEFF] = p.kLN * x / (x + p.S_L) + iar * (p.kpro - p.kdif) * nt - p.kel * nt
        dy[:, DTEFF] = iar * p.kdif * nt - p.kapo * dt
        dy[:, PDL1] = p.kpdl * dt / (p.Kpdl + dt) - p.kpdl * pdl1
        if self.A:
            A = self.A
            depot = y[:, N_CORE:N_CORE + A]
            central = y[:, N_CORE + A:]
            absorbed = p.ka[:, None] * depot
            dy[:, N_CORE:N_CORE + A] = -absorbed
            dy[:, N_CORE + A:] = absorbed - p.kel_mAb[:, None] * central
        return dy

    def apply_events(self, y, aux, rows, events):
        """Fraction impulses (TV*exp(-alpha d) -> survivors, the rest to TVd; U += delta d) and i.p. doses."""
        p = self.p
        dose = self.ev_dose[rows, events]
        survival = np.exp(-p.alpha[rows] * dose)
        tv = y[rows, TV]
        y[rows, TVD] += tv * (1.0 - survival)
        y[rows, TV] = tv * survival
        y[rows, U] += p.delta[rows] * dose
        if self.A:
            y[rows, N_CORE:N_CORE + self.A] += self.ev_depot[rows, events]

    def readout(self, i: int, states: np.ndarray, t_out: np.ndarray) -> dict:
        subject, p = self.subjects[i], self.p
        tv, tvd = states[:, TV], states[:, TVD]
        cols = [self.agents.index(a) for a in subject.agents]
        central = states[:, N_CORE + self.A:][:, cols] if cols else np.zeros((len(t_out), 0))
        conc = central * p.ugml_per_mg[i]
        nm = central * p.nm_per_mg[i]
        occ = nm / (nm + p.K_D[i]) if cols else np.zeros((len(t_out), 0))
        return {
            "viable_cells": (tv * subject.values["cell_density"])[:, None],
            "volume_mm3": (tv + tvd)[:, None],
            "alc": np.full(len(t_out), float(subject.alc0)),
            "concentration": conc,
            "occupancy": occ,
        }


def describe() -> str:
    """The model's equations (this module's docstring)."""
    return __doc__ or ""


def typical_quantiles(n: int) -> np.ndarray:
    """S_L at the n mid-quantiles (k + 0.5)/n of the paper's log-normal random effect (Table 1)."""
    from statistics import NormalDist

    p = kosinsky_parameters()
    z = np.array([NormalDist().inv_cdf((k + 0.5) / n) for k in range(n)])
    return p["S_L"] * np.exp(p["omega_SL"] * z)


__all__ = ["Kosinsky2018Batch", "KosinskySubject", "check_scenario", "describe", "kosinsky_parameters",
           "subject_from_scenario_kosinsky", "typical_quantiles", "MODEL", "STATE_NAMES"]

