"""Many subjects stacked into arrays: parameters (S,1) / (S,L), initial states, event tables, and the
right-hand side of the flagship model evaluated for all subjects at once (no loop over subjects)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ..agents import get_agent
from ..agents.library import TARGETS
from . import host as host_mod
from .declarations import PARAMETERS
from .growth import gompertz_constant, specific_growth, stroma_target
from .immunogenic_death import antigen_uptake
from .interferon import danger_signal, trex1_induction
from .killing import engaged_pdl1, kill_rate_per_cell, pdl1_target, til_proliferation
from .lymphocytes import lymphocyte_survival
from .pharmacokinetics import combine_by_target, occupancy, pk_derivatives
from .priming import expansion_fraction
from .radiation import covered_survival
from .state import Layout
from .subject import Subject
from .suppression import suppression_target
from .trafficking import infiltration_rate

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

    # ------------------------------------------------------------------ parameters
    def _parameters(self):
        S, L = self.S, self.L
        p = SimpleNamespace()
        for decl in PARAMETERS:
            setattr(p, decl.name, np.array([[s.values[decl.name]] for s in self.subjects]))
        p.gompertz_a = gompertz_constant(p.doubling_time, p.reference_volume, p.carrying_capacity)
        p.carrying_capacity = p.carrying_capacity  # mm^3
        p.pdl1_baseline = p.pdl1_tps
        p.blood_volume_mm3 = p.blood_volume * 1e6  # L -> mm^3
        perf = np.zeros((S, L))
        for i, s in enumerate(self.subjects):
            for k, site in enumerate(s.sites):
                perf[i, k] = site["tumour_perfusion"]
        p.tumour_perfusion = perf
        flag = {name: np.array([[1.0 if s.mechanisms[name] else 0.0] for s in self.subjects]) for name in self.subjects[0].mechanisms}
        p.flags = SimpleNamespace(**flag)
        p.immune_on = np.array([[host_mod.immune_factor(s.host)] for s in self.subjects])
        p.icd_radiation_eff = np.where(flag["immunogenic_death"] > 0, p.icd_radiation, p.icd_basal)
        p.suppression_on = flag["suppression"]
        p.alc0 = np.array([[s.alc0] for s in self.subjects])
        self.p = p

    def _agents(self):
        A = self.A
        k = SimpleNamespace(ka=np.zeros(A), k10=np.zeros(A), k12=np.zeros(A), k21=np.zeros(A), vc=np.ones(A),
                            ec50=np.ones(A), treg=np.zeros(A), route_depot=np.zeros(A, dtype=bool), bio=np.ones(A))
        targets = np.zeros((A, len(TARGETS)))
        for a, key in enumerate(self.agents):
            agent = get_agent(self.species, key)
            vc, vp = agent.value("central_volume"), agent.value("peripheral_volume")
            q = agent.value("intercompartmental_clearance")
            k.vc[a] = vc
            k.k10[a] = agent.value("clearance") / vc
            k.k12[a] = q / vc if vp > 0 else 0.0
            k.k21[a] = q / vp if vp > 0 else 0.0
            k.ka[a] = agent.value("absorption_rate")
            k.route_depot[a] = agent.route != "iv" and k.ka[a] > 0
            k.bio[a] = agent.value("bioavailability")
            k.ec50[a] = agent.value("ec50")
            k.treg[a] = agent.treg_depletion
            targets[a, T[agent.target]] = 1.0
        self.k = k
        self.target_matrix = targets

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
        cells = np.ones((S, L))
        for i, s in enumerate(self.subjects):
            for k, les in enumerate(s.lesions):
                cells[i, k] = les.volume_mm3 * s.values["cell_density"]
                active[i, k] = 1.0 if les.appears_day is None or les.appears_day <= 0 else 0.0
        # the given size is the measured volume: cells plus stroma
        cells = cells * (1.0 - p.stromal_fraction)
        self.initial_cells = cells
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
    def occupancies(self, y):
        lay = self.layout
        central = y[:, lay.drug("central")]
        occ = occupancy(np.maximum(central, 0.0), self.k) if self.A else np.zeros((y.shape[0], 0))
        by_target = combine_by_target(occ, self.target_matrix) if self.A else np.zeros((y.shape[0], len(TARGETS)))
        return occ, by_target

    def rhs(self, t, y, active):
        lay, p, fl = self.layout, self.p, self.p.flags
        dy = np.empty_like(y)
        cells = np.exp(y[:, lay.lesion("log_cells")]) * active
        doomed = y[:, lay.lesion("doomed")]
        effectors = y[:, lay.lesion("effectors")]
        pdl1 = y[:, lay.lesion("pdl1")]
        supp = y[:, lay.lesion("suppression")]
        ifn = y[:, lay.lesion("ifn")]
        trex1 = y[:, lay.lesion("trex1")]
        dc = y[:, lay.lesion("dc")]
        node = y[:, lay.lesion("node")]
        primed = y[:, lay.systemic("primed")][:, None]
        blood = y[:, lay.systemic("blood_effectors")][:, None]
        alc = y[:, lay.systemic("alc")][:, None]
        marrow = y[:, lay.systemic("marrow")][:, None]
        dc_abundance = y[:, lay.systemic("dc_abundance")][:, None]

        occ, o = self.occupancies(y)
        o_t = lambda name: o[:, T[name]][:, None]  # noqa: E731
        treg_depletion = (-np.expm1(np.log1p(-np.minimum(occ * self.k.treg, 1 - 1e-15)).sum(axis=1, keepdims=True))
                          if self.A else np.zeros((y.shape[0], 1))) * fl.ctla4

        total = cells + doomed
        volume = total / p.cell_density
        ratio = effectors / np.maximum(total, 1e-9)
        engaged = engaged_pdl1(pdl1, o_t("pd1"), o_t("pdl1"), fl.pd1_axis)
        kill = kill_rate_per_cell(ratio, engaged, supp, p) * p.immune_on
        growth = specific_growth(cells, doomed, p)
        dy[:, lay.lesion("log_cells")] = (growth - kill - p.natural_death_rate) * active
        dy[:, lay.lesion("doomed")] = -p.doomed_clearance_rate * doomed
        dy[:, lay.lesion("stroma")] = p.stroma_remodel_rate * (stroma_target(volume, p) - y[:, lay.lesion("stroma")]) * active

        uptake = antigen_uptake(cells, doomed, kill, p) * active
        danger = danger_signal(ifn, o_t("tlr3"), p)
        dy[:, lay.lesion("dc")] = p.dc_turnover_rate * (dc_abundance * uptake * danger - dc)

        stimulation = dc * node
        burden = (volume * active).sum(axis=1, keepdims=True)
        systemic = 1.0 + fl.suppression * burden / p.systemic_suppression_burden
        priming_in = (p.priming_rate * (alc / p.alc_reference) ** p.alc_priming_exponent
                      * (1.0 + p.ctla4_priming_gain * o_t("ctla4") * fl.ctla4)
                      * stimulation.sum(axis=1, keepdims=True) * fl.priming * p.immune_on / systemic)
        costim = p.il2_expansion_gain * o_t("il2") + p.ox40_expansion_gain * o_t("ox40") + p.cd137_expansion_gain * o_t("cd137")
        f = expansion_fraction(costim, p)
        dy[:, lay.systemic("primed")] = (priming_in - p.node_egress_rate * (1.0 - f) * primed)[:, 0]

        entry = infiltration_rate(volume, p) * active
        if not np.all(fl.trafficking):
            share_total = stimulation.sum(axis=1, keepdims=True)
            n_active = np.maximum(active.sum(axis=1, keepdims=True), 1.0)
            share = np.where(share_total > 0, stimulation / np.where(share_total > 0, share_total, 1.0), active / n_active)
            local = entry.sum(axis=1, keepdims=True) * share
            entry = np.where(fl.trafficking > 0, entry, local)
        influx = entry * blood
        dy[:, lay.systemic("blood_effectors")] = (p.node_egress_rate * primed - p.blood_effector_death_rate * blood
                                                  - influx.sum(axis=1, keepdims=True))[:, 0]
        proliferation = til_proliferation(ratio, engaged, supp, p) * p.immune_on * active
        dy[:, lay.lesion("effectors")] = influx + (proliferation - p.effector_death_rate * (1.0 + p.exhaustion_gain * engaged)) * effectors
        dy[:, lay.lesion("pdl1")] = p.pdl1_rate * (pdl1_target(ratio, ifn, p) - pdl1)
        doomed_fraction = doomed / np.maximum(total, 1e-30)
        dy[:, lay.lesion("suppression")] = p.suppression_rate * (suppression_target(doomed_fraction, treg_depletion, o_t("tgfb"), p) - supp)
        dy[:, lay.lesion("ifn")] = -p.ifn_decay_rate * ifn
        dy[:, lay.lesion("trex1")] = -p.trex1_decay_rate * trex1
        dy[:, lay.lesion("node")] = p.node_recovery_rate * (1.0 - node)
        dy[:, lay.systemic("alc")] = (p.alc_recovery_rate * (marrow * p.alc0 - alc))[:, 0]
        dy[:, lay.systemic("marrow")] = (p.marrow_recovery_rate * (1.0 - marrow))[:, 0]
        dy[:, lay.systemic("dc_abundance")] = (p.dc_expansion_rate * (1.0 + p.flt3_dc_gain * o_t("flt3")
                                               + p.gmcsf_dc_gain * o_t("gmcsf") - dc_abundance))[:, 0]
        if self.A:
            d_dep, d_cen, d_per = pk_derivatives(y[:, lay.drug("depot")], y[:, lay.drug("central")], y[:, lay.drug("peripheral")], self.k)
            dy[:, lay.drug("depot")] = d_dep
            dy[:, lay.drug("central")] = d_cen
            dy[:, lay.drug("peripheral")] = d_per
        return dy

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
        """Apply event ``events[j]`` of subject ``rows[j]`` to ``y`` and ``active`` in place."""
        lay = self.layout
        r, e = rows, events
        activate = self.ev_activate[r, e]
        if activate.any():
            act = active[r]
            act[activate] = 1.0
            active[r] = act
            eff = y[r, lay.lesion("effectors")]
            eff = np.where(activate, self.p.effector_ratio_baseline[r] * self.initial_cells[r] * self.p.immune_on[r], eff)
            y[r, lay.lesion("effectors")] = eff
        log_cells = y[r, lay.lesion("log_cells")]
        cells = np.exp(log_cells) * active[r]
        survival = self.ev_tumour_surv[r, e]
        y[r, lay.lesion("doomed")] += cells * (1.0 - survival)
        y[r, lay.lesion("log_cells")] = log_cells + np.log(survival)
        y[r, lay.lesion("effectors")] *= self.ev_til_surv[r, e]
        trex1 = y[r, lay.lesion("trex1")]
        trex1 = trex1 + (1.0 - trex1) * self.ev_trex1[r, e]
        y[r, lay.lesion("trex1")] = trex1
        p = self.p
        y[r, lay.lesion("ifn")] += p.ifn_per_gy[r] * self.ev_ifn_dose[r, e] * (1.0 - p.trex1_max_inhibition[r] * trex1)
        node_surv = self.ev_node_surv[r, e]
        if np.any(node_surv < 1.0):
            stim = y[r, lay.lesion("dc")] * y[r, lay.lesion("node")]
            total = stim.sum(axis=1)
            killed_share = np.where(total > 0, (stim * (1.0 - node_surv)).sum(axis=1) / np.where(total > 0, total, 1.0), 0.0)
            y[r, lay.systemic("primed")] *= 1.0 - killed_share
            y[r, lay.lesion("node")] *= node_surv
        y[r, lay.systemic("alc")] *= self.ev_alc[r, e]
        y[r, lay.systemic("blood_effectors")] *= self.ev_blood[r, e]
        y[r, lay.systemic("marrow")] *= self.ev_marrow[r, e]
        if self.A:
            y[r, lay.drug("depot")] += self.ev_depot[r, e]
            y[r, lay.drug("central")] += self.ev_central[r, e]
