"""What reaches an unirradiated mouse tumour after RT to another one (docs/calibration.md, thirty-eighth session):
two flank tumours (irradiated 100 mm^3, unirradiated 50 mm^3, buchwald2020's assumed sizes), one dose to the first,
one mouse of the mouse population (seed 2020). Every day it prints, for the unirradiated lesion, its cells, effector
T cells and their ratio to targets, PD-L1, engagement, suppression and kill per viable cell (1/day), and the primed and
circulating effectors; the same for an untreated mouse beside it when ``--control``.

    .venv/bin/python calibration/probes/abscopal_reach/secondary.py [TUMOUR] [DOSE] [DAYS] [DRUG]
    (defaults: b16f10 "20 Gy" 14 none; DRUG may be anti_ctla4 or anti_pd1, given on days 0, 3 and 6 at the model's
    mouse dose)

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


def run(tumour: str, dose: str | None, days: int, drug: str):
    doc = {"abscopal": 1, "name": "abscopal reach", "species": "mouse", "tumour": tumour,
           "patient": {"lesions": [{"id": "irr", "site": "flank", "volume": "100 mm^3"},
                                   {"id": "sec", "site": "flank", "volume": "50 mm^3"}]},
           "simulation": {"duration": f"{days} days"}}
    if dose:
        doc["radiotherapy"] = [{"lesions": ["irr"], "dose": dose, "fractions": 1}]
    if drug != "none":
        doc["drugs"] = [{"agent": drug, "dose": "10 mg/kg" if drug == "anti_pd1" else "200 ug", "days": [0, 3, 6]}]
    spec = parse_population({"size": 1, "seed": 2020}, "mouse")
    result = simulate_many([sample_subject(parse_scenario(doc), spec, 0)])[0]
    return result.subject, result.trajectory


def main(tumour: str = "b16f10", dose: str = "20 Gy", days: str = "14", drug: str = "none") -> None:
    for label, d in (("treated", dose), ("control", None)):
        subject, tr = run(tumour, d, int(days), drug if d else "none")
        layout = make_batch([subject]).layout
        print(f"--- {label}: unirradiated lesion")
        print(" day      cells  effectors   E:T   PD-L1 engaged  supp.  kill/day    primed     blood")
        for j in range(0, len(tr.time)):
            lesion = {name: tr.states[j, layout.lesion(name)][1] for name in L_IDX}
            inputs = {**subject.values, **lesion, **{f"o_{t}": 0.0 for t in TARGETS},
                      "flag_pd1_axis": 1.0, "immune_on": 1.0, "active": 1.0}
            q = scalar_quantities(("cells", "ratio", "engaged", "kill"), inputs)
            print(f"{tr.time[j]:4.0f} {q['cells']:10.3g} {lesion['effectors']:10.3g} {q['ratio']:6.3g} "
                  f"{lesion['pdl1']:6.2f} {q['engaged']:7.2f} {lesion['suppression']:6.2f} {q['kill']:8.3f} "
                  f"{tr.states[j, layout.systemic('primed')]:9.3g} {tr.states[j, layout.systemic('blood_effectors')]:9.3g}")


if __name__ == "__main__":
    main(*sys.argv[1:5])
