"""Layout of the state vector of one subject: lesion blocks, systemic states, drug compartments.

``y[:, LESION_BLOCK(k)]`` holds lesion state k for all L lesion slots; systemic and drug states follow.
"""

from __future__ import annotations

from dataclasses import dataclass

LESION_STATES = (
    ("log_cells", "ln of viable clonogenic tumour cells", "ln(cells)"),
    ("doomed", "lethally irradiated cells not yet cleared (part of the measured volume)", "cells"),
    ("effectors", "tumour-specific effector CD8 T cells in the lesion", "cells"),
    ("pdl1", "PD-L1 level of the lesion (0..1)", "1"),
    ("suppression", "local immunosuppression index (Tregs, MDSC, TGF-beta)", "1"),
    ("ifn", "type I IFN (cGAS-STING) signal of the lesion", "1"),
    ("trex1", "induced Trex1 level (0..1)", "1"),
    ("dc", "mature antigen-loaded dendritic cells from this lesion in its draining node (relative)", "1"),
    ("node", "function of the lesion's draining node (0..1)", "1"),
    ("stroma", "non-malignant stroma / fibrosis volume of the lesion (part of the measured volume)", "mm^3"),
)
SYSTEMIC_STATES = (
    ("primed", "primed tumour-specific CD8 T cells expanding in the nodes", "cells"),
    ("blood_effectors", "circulating tumour-specific effector CD8 T cells", "cells"),
    ("alc", "absolute lymphocyte count", "1/uL"),
    ("marrow", "relative marrow lymphopoiesis (0..1)", "1"),
    ("dc_abundance", "relative dendritic-cell abundance (1 = baseline)", "1"),
)
DRUG_STATES = (
    ("depot", "drug amount at the absorption site (i.p. / s.c.)", "mg"),
    ("central", "drug amount in the central compartment", "mg"),
    ("peripheral", "drug amount in the peripheral compartment", "mg"),
)

L_IDX = {name: k for k, (name, _, _) in enumerate(LESION_STATES)}
S_IDX = {name: k for k, (name, _, _) in enumerate(SYSTEMIC_STATES)}
D_IDX = {name: k for k, (name, _, _) in enumerate(DRUG_STATES)}


@dataclass(frozen=True)
class Layout:
    n_lesions: int
    n_agents: int

    @property
    def n_lesion_states(self) -> int:
        return len(LESION_STATES) * self.n_lesions

    @property
    def size(self) -> int:
        return self.n_lesion_states + len(SYSTEMIC_STATES) + len(DRUG_STATES) * self.n_agents

    def lesion(self, name: str) -> slice:
        k = L_IDX[name]
        return slice(k * self.n_lesions, (k + 1) * self.n_lesions)

    def systemic(self, name: str) -> int:
        return self.n_lesion_states + S_IDX[name]

    def drug(self, name: str) -> slice:
        start = self.n_lesion_states + len(SYSTEMIC_STATES) + D_IDX[name] * self.n_agents
        return slice(start, start + self.n_agents)

    def log_states(self) -> list[int]:
        """Indices of states held in log space (may be negative)."""
        s = self.lesion("log_cells")
        return list(range(s.start, s.stop))
