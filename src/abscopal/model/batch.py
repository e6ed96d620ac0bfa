"""Many subjects stacked into arrays: parameters (S,1) / (S,L), initial states, event tables, and the
right-hand side of the flagship model evaluated for all subjects at once (no loop over subjects)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ..agents import get_agent
from ..agents.library import TARGETS
from . import _generated as generated
from . import codegen
from . import host as host_mod
from .declarations import PARAMETERS
from .equations import EVENT_DATA
from .growth import gompertz_constant, stroma_target
from .interferon import trex1_induction
from .lymphocytes import lymphocyte_survival
from .radiation import covered_survival
from .state import Layout
from .subject import Subject

T = {name: k for k, name in enumerate(TARGETS)}


class Batch:
    """Arrays of S subjects with L lesion slots and A agents (padded where subjects differ)."""

    def __init__(self, subjects: list[Subject]):
        if not subjects:
            raise ValueError("a batch needs at least one subject")
        species = {s.species for s in subjects}
        if len(species) != 1:
            raise ValueError("all subjects of a batch must be of one species")
        self.species = species.pop()
        self.subjects = subjects
        S = len(subjects)
        L = max(len(s.lesions) for s in subjects)
        self.agents = sorted({a for s in subjects for a in s.agents})
        A = len(self.agents)
        self.S, self.L, self.A = S, L, A
        self.layout = Layout(L, A)
        self.slot_used = np.zeros((S, L), dtype=bool)
        for i, s in enumerate(subjects):
            self.slot_used[i, : len(s.lesions)] = True
        self._parameters()
        self._agents()
        self._events()
        self._event_parameters = codegen.event_parameters()

    # ------------------------------------------------------------------ parameters
    def _parameters(self):
        S, L = self.S, self.L
        p = SimpleNamespace()
        for decl in PARAMETERS:
            setattr(p, decl.name, np.array([[s.values[decl.name]] for s in self.subjects]))
        p.gompertz_a = gompertz_constant(p.doubling_time, p.reference_volume, p.carrying_capacity)
        p.log_carrying_capacity = np.log(p.carrying_capacity)
        p.log_perfusion_reference_volume = np.log(p.perfusion_reference_volume)
        p.pdl1_baseline = p.pdl1_tps
        p.blood_volume_mm3 = p.blood_volume * 1e6  # L -> mm^3
        perf = np.zeros((S, L))
        for i, s in enumerate(self.subjects):
            for k, site in enumerate(s.sites):
                perf[i, k] = site["tumour_perfusion"]
        p.tumour_perfusion = perf
        flag = {name: np.array([[1.0 if s.mechanisms[name] else 0.0] for s in self.subjects]) for name in self.subjects[0].mechanisms}
        p.flags = SimpleNamespace(**flag)
        for name, value in flag.items():
            setattr(p, f"flag_{name}", value)
        p.immune_on = np.array([[host_mod.immune_factor(s.host)] for s in self.subjects])
        p.icd_radiation_eff = np.where(flag["immunogenic_death"] > 0, p.icd_radiation, p.icd_basal)
        p.suppression_on = flag["suppression"]
        p.alc0 = np.array([[s.alc0] for s in self.subjects])
        volumes, growth = np.ones((S, L)), np.ones((S, L))
        for i, s in enumerate(self.subjects):
            for k, les in enumerate(s.lesions):
                volumes[i, k] = les.volume_mm3
                growth[i, k] = les.growth_factor
        p.growth_factor = growth  # M1 within-subject spread; empty slots 1
        # the given size is the measured volume: cells plus stroma
        p.initial_cells = volumes * p.cell_density * (1.0 - p.stromal_fraction)
        self.p = p

    def _agents(self):
        A = self.A
        k = SimpleNamespace(ka=np.zeros(A), k10=np.zeros(A), k12=np.zeros(A), k21=np.zeros(A), vc=np.ones(A),
                            ec50=np.ones(A), treg=np.zeros(A), route_depot=np.zeros(A, dtype=bool), bio=np.ones(A))
        targets = np.zeros((A, len(TARGETS)))
        for a, key in enumerate(self.agents):
            agent = get_agent(self.species, key)
            k.vc[a] = agent.value("central_volume")
            k.ka[a], k.k10[a], k.k12[a], k.k21[a] = agent.rate_constants()
            k.route_depot[a] = agent.route != "iv" and k.ka[a] > 0
            k.bio[a] = agent.value("bioavailability")
            k.ec50[a] = agent.value("ec50")
            k.treg[a] = agent.treg_depletion
            targets[a, T[agent.target]] = 1.0
        for t, name in enumerate(TARGETS):
            setattr(k, f"target_{name}", targets[:, t].copy())
        self.k = k
        self.target_matrix = targets
        self.offsets = SimpleNamespace(**codegen.state_offsets(self.L, A))

    # ------------------------------------------------------------------ events
    def _events(self):
        S, L, A = self.S, self.L, self.A
        times_per_subject = []
        for s in self.subjects:
            times = set(s.rt_events) | set(s.drug_events)
            times |= {les.appears_day for les in s.lesions if les.appears_day is not None}
            times_per_subject.append(sorted(times))
        E = max(1, max(len(t) for t in times_per_subject))
        self.E = E
        self.ev_time = np.full((S, E), np.inf)
        ones = lambda *shape: np.ones((S, E) + shape)  # noqa: E731
        self.ev_tumour_surv = ones(L)
        self.ev_ifn_dose = np.zeros((S, E, L))
        self.ev_trex1 = np.zeros((S, E, L))
        self.ev_til_surv = ones(L)
        self.ev_node_surv = ones(L)
        self.ev_alc = ones()
        self.ev_blood = ones()
        self.ev_marrow = ones()
        self.ev_depot = np.zeros((S, E, A))
        self.ev_central = np.zeros((S, E, A))
        self.ev_activate = np.zeros((S, E, L), dtype=bool)
        agent_index = {a: k for k, a in enumerate(self.agents)}
        for i, s in enumerate(self.subjects):
            v = s.values
            for e, time in enumerate(times_per_subject[i]):
                self.ev_time[i, e] = time
                rt = s.rt_events.get(time)
                if rt is not None:
                    for k, dose in rt.lesion_dose.items():
                        c = rt.lesion_coverage[k]
                        self.ev_tumour_surv[i, e, k] = covered_survival(dose, c, v["alpha"], v["alpha_beta"], v["hypoxic_fraction"], v["oer"])
                        self.ev_ifn_dose[i, e, k] = c * dose if s.mechanisms["interferon"] else 0.0
                        self.ev_trex1[i, e, k] = trex1_induction(dose, v["trex1_threshold"], v["trex1_hill"]) if s.mechanisms["trex1"] else 0.0
                        if s.mechanisms["lymphocyte_kill"]:
                            self.ev_til_surv[i, e, k] = (1 - c) + c * math.exp(-v["til_alpha"] * dose - v["til_beta"] * dose * dose)
                    for k in rt.node_lesions:
                        self.ev_node_surv[i, e, k] = lymphocyte_survival(rt.node_dose, v["lymphocyte_alpha"], v["lymphocyte_beta"])
                    self.ev_alc[i, e] = rt.alc_factor
                    self.ev_blood[i, e] = rt.blood_factor
                    self.ev_marrow[i, e] = rt.marrow_factor
                for agent, mg in s.drug_events.get(time, {}).items():
                    a = agent_index[agent]
                    if self.k.route_depot[a]:
                        self.ev_depot[i, e, a] += mg * self.k.bio[a]
                    else:
                        self.ev_central[i, e, a] += mg * self.k.bio[a]
                for k, les in enumerate(s.lesions):
                    if les.appears_day is not None and les.appears_day == time:
                        self.ev_activate[i, e, k] = True

    # ------------------------------------------------------------------ initial state
    def initial_state(self) -> tuple[np.ndarray, np.ndarray]:
        S, L = self.S, self.L
        lay, p = self.layout, self.p
        y = np.zeros((S, lay.size))
        active = np.zeros((S, L))
        for i, s in enumerate(self.subjects):
            for k, les in enumerate(s.lesions):
                active[i, k] = 1.0 if les.appears_day is None or les.appears_day <= 0 else 0.0
        cells = self.initial_cells = p.initial_cells
        y[:, lay.lesion("log_cells")] = np.log(cells)
        y[:, lay.lesion("stroma")] = stroma_target(cells / p.cell_density, p)
        y[:, lay.lesion("effectors")] = p.effector_ratio_baseline * cells * p.immune_on * active
        y[:, lay.lesion("pdl1")] = p.pdl1_baseline
        y[:, lay.lesion("suppression")] = p.suppression_baseline * p.suppression_on
        y[:, lay.lesion("node")] = 1.0
        y[:, lay.systemic("alc")] = p.alc0[:, 0]
        y[:, lay.systemic("marrow")] = 1.0
        y[:, lay.systemic("dc_abundance")] = 1.0
        return y, active

    # ------------------------------------------------------------------ dynamics
    def rhs(self, t, y, active):
        """Derivatives of all subjects (generated from equations.py)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return generated.rhs_numpy(y, active, self.p, self.k, self.offsets, self.L, self.A)

    def compiled_inputs(self) -> dict[str, np.ndarray]:
        """Flat arrays for the compiled engine (engine/compiled.py), in the order of _generated.py."""
        y0, active = self.initial_state()
        p, k = self.p, self.k
        S, L, A = self.S, self.L, self.A
        par = np.ascontiguousarray(np.column_stack([np.broadcast_to(getattr(p, name), (S, 1))[:, 0]
                                                    for name in generated.PARAMETERS]))
        lpar = np.ascontiguousarray(np.stack([np.broadcast_to(getattr(p, name), (S, L)) for name in generated.LESION_PARAMETERS],
                                             axis=1))
        apar = np.ascontiguousarray(np.array([getattr(k, name) for name in generated.AGENT_PARAMETERS], dtype=float)
                                    .reshape(len(generated.AGENT_PARAMETERS), A))
        offsets_map = codegen.state_offsets(L, A)
        E = self.E

        def stack(names, shape):
            if not names:
                return np.zeros((S, E, 0) + shape)
            return np.ascontiguousarray(np.stack([getattr(self, name).astype(float).reshape((S, E) + shape) for name in names], axis=2))

        return {
            "y0": np.ascontiguousarray(y0), "active": np.ascontiguousarray(active), "par": par, "lpar": lpar, "apar": apar,
            "offsets": np.array([offsets_map[name] for name in generated.OFFSET_ORDER], dtype=np.int64),
            "ev_time": np.ascontiguousarray(self.ev_time), "ev_lesion": stack(generated.EVENT_LESION, (L,)),
            "ev_systemic": stack(generated.EVENT_SYSTEMIC, ()), "ev_agent": stack(generated.EVENT_AGENT, (A,)),
            "nonneg": self.nonnegative(),
        }

    # ------------------------------------------------------------------ readout
    def nonnegative(self) -> np.ndarray:
        """Mask of states kept non-negative by the engine (all but log-space states)."""
        mask = np.ones(self.layout.size, dtype=bool)
        mask[self.layout.log_states()] = False
        return mask

    def readout(self, i: int, states: np.ndarray, t_out: np.ndarray) -> dict:
        """Observables of subject ``i`` from its output states (T, n): volumes, viable cells, ALC, drugs."""
        lay, subject = self.layout, self.subjects[i]
        L = len(subject.lesions)
        cells = np.exp(states[:, lay.lesion("log_cells")][:, :L])
        doomed = states[:, lay.lesion("doomed")][:, :L]
        stroma = states[:, lay.lesion("stroma")][:, :L]
        appears = np.array([les.appears_day if les.appears_day is not None else -np.inf for les in subject.lesions])
        exists = t_out[:, None] >= appears[None, :]
        cells = np.where(exists, cells, 0.0)
        volume = np.where(exists, (cells + doomed) / subject.values["cell_density"] + stroma, 0.0)
        cols = [self.agents.index(a) for a in subject.agents]
        conc = states[:, lay.drug("central")][:, cols] / self.k.vc[cols]
        occ = conc / (conc + self.k.ec50[cols])
        return {"viable_cells": cells, "volume_mm3": volume, "alc": states[:, lay.systemic("alc")],
                "concentration": conc, "occupancy": occ}

    # ------------------------------------------------------------------ events
    def apply_events(self, y, active, rows, events):
        """Apply event ``events[j]`` of subject ``rows[j]`` to ``y`` and ``active`` in place (equations.EVENT)."""
        r, e = rows, events
        ev = SimpleNamespace(**{name: getattr(self, name)[r, e] for name in EVENT_DATA})
        ev.ev_activate = ev.ev_activate.astype(float)
        for name, scope in EVENT_DATA.items():
            if scope == "systemic":
                setattr(ev, name, getattr(ev, name)[:, None])
        p = SimpleNamespace(**{name: getattr(self.p, name)[r] for name in self._event_parameters})
        y_rows, active_rows = y[r], active[r]
        with np.errstate(divide="ignore", invalid="ignore"):
            generated.event_numpy(y_rows, active_rows, p, self.k, ev, self.offsets, self.L, self.A)
        y[r], active[r] = y_rows, active_rows
