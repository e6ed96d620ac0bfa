"""How a mouse tumour regrows after one dose, and what its T cells are doing meanwhile (docs/calibration.md,
thirty-seventh session, IG and IG2): one flank tumour of 100 mm^3, one dose, one mouse of the mouse population (seed
2012), 40 days. Every second day it prints the viable and doomed cells, the effector T cells in the lesion and their
ratio to the targets, PD-L1, PD-1 engagement, suppression, the kill per viable cell (1/day, from the model's own
equations), and the primed and circulating effectors.

    .venv/bin/python calibration/probes/ifng_cytostasis/infield_regrowth.py [TUMOUR] [DOSE] [HOST]
    (defaults: b16f10 "10 Gy" competent; HOST may be t_cell_deficient or cd8_depleted)

Run it on a candidate tree with PYTHONPATH=<tree>/src. Not a validation target: the scenario is a scratch design.
"""

from __future__ import annotations

import sys

from abscopal.agents.library import TARGETS
from abscopal.model.codegen import scalar_quantities
from abscopal.model.state import L_IDX
from abscopal.population import parse_population, sample_subject
from abscopal.scenario.load import parse_scenario
from abscopal.simulate import make_batch, simulate_many


def main(tumour: str = "b16f10", dose: str = "10 Gy", host: str = "competent") -> None:
    doc = {"abscopal": 1, "name": "in-field regrowth", "species": "mouse", "tumour": tumour, "host": {"immune": host},
           "patient": {"lesions": [{"id": "t", "site": "flank", "volume": "100 mm^3"}]},
           "radiotherapy": [{"lesions": ["t"], "dose": dose, "fractions": 1}], "simulation": {"duration": "40 days"}}
    spec = parse_population({"size": 1, "seed": 2012}, "mouse")
    result = simulate_many([sample_subject(parse_scenario(doc), spec, 0)])[0]
    subject, tr = result.subject, result.trajectory
    layout = make_batch([subject]).layout
    immune_on = 1.0 if host == "competent" else 0.0
    print(" day      cells     doomed  effectors   E:T   PD-L1 engaged  supp.   kill/day    primed     blood")
    for j in range(0, len(tr.time), 2):
        lesion = {name: tr.states[j, layout.lesion(name)][0] for name in L_IDX}
        inputs = {**subject.values, **lesion, **{f"o_{t}": 0.0 for t in TARGETS},
                  "flag_pd1_axis": 1.0, "immune_on": immune_on, "active": 1.0}
        q = scalar_quantities(("cells", "ratio", "engaged", "kill"), inputs)
        print(f"{tr.time[j]:4.0f} {q['cells']:10.3g} {lesion['doomed']:10.3g} {lesion['effectors']:10.3g} "
              f"{q['ratio']:6.3g} {lesion['pdl1']:6.2f} {q['engaged']:7.2f} {lesion['suppression']:6.2f} {q['kill']:9.3f} "
              f"{tr.states[j, layout.systemic('primed')]:9.3g} {tr.states[j, layout.systemic('blood_effectors')]:9.3g}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
