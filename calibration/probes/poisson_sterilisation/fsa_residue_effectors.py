"""Why T cells do not finish a small irradiated residue in the mouse model (docs/calibration.md, thirty-sixth session,
PS): stone1979's FSa lesion (leg, 8 mm), one 40 Gy dose in competent mice, 12 mice of the mouse population (seed
1979), 90 days. For each mouse it prints the fewest viable tumour cells after the dose, the day, the effector T cells
in the lesion then and their ratio, and the cells at the end (regrown or not).

    .venv/bin/python calibration/probes/poisson_sterilisation/fsa_residue_effectors.py
"""

from __future__ import annotations

import numpy as np

from abscopal.population import parse_population, sample_subject
from abscopal.scenario.load import parse_scenario
from abscopal.simulate import make_batch, simulate_many


def main(size: int = 12) -> None:
    doc = {"abscopal": 1, "name": "fsa 40 Gy", "species": "mouse", "tumour": "fsa",
           "patient": {"lesions": [{"id": "tumour", "site": "leg", "diameter": "8 mm"}]},
           "radiotherapy": [{"lesions": ["tumour"], "dose": "40 Gy", "fractions": 1}], "simulation": {"duration": "90 days"}}
    base = parse_scenario(doc)
    spec = parse_population({"size": size, "seed": 1979}, "mouse")
    results = simulate_many([sample_subject(base, spec, k) for k in range(size)])
    layout = make_batch([results[0].subject]).layout
    print("mouse  nadir day  fewest cells  effectors then  E:T then   cells on day 90")
    for k, result in enumerate(results):
        tr = result.trajectory
        cells = tr.viable_cells[:, 0]
        effectors = tr.states[:, layout.lesion("effectors")][:, 0]
        j = int(np.argmin(cells[1:])) + 1
        print(f"{k:>5}  {tr.time[j]:>9.0f}  {cells[j]:>12.3g}  {effectors[j]:>14.3g}  {effectors[j] / max(cells[j], 1e-30):>8.3g}   {cells[-1]:>14.3g}")


if __name__ == "__main__":
    main()
