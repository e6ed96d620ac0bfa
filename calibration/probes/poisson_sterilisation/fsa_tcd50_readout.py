"""Where FSa's TCD50 moves under PS (docs/calibration.md, thirty-sixth session): stone1979's FSa lesion (leg, 8 mm),
one dose of 30-80 Gy, competent and T-cell-deficient hosts, 200 mice of the mouse population (seed 1979), 90 days.
Prints per arm the share sterilised (viable cells at the end below the lesion's draw N_x E_k), the share below one
cell (the readout before PS), the share held small (< 1,000 cells) without being sterilised, and the mean Poisson
probability exp(-N_min). Needs the PS candidate: run it on a tree with
calibration/candidates/2026-12-07_poisson_sterilisation_PS_full.diff applied (on main every lesion has E_k = 1):

    git worktree add /tmp/ps HEAD --detach && git -C /tmp/ps apply calibration/candidates/2026-12-07_poisson_sterilisation_PS_full.diff
    PYTHONPATH=/tmp/ps/src .venv/bin/python calibration/probes/poisson_sterilisation/fsa_tcd50_readout.py
"""

from __future__ import annotations

import numpy as np

from abscopal.population import parse_population, sample_subject
from abscopal.scenario.load import parse_scenario
from abscopal.simulate import _subject_for, run_subjects


def arm(dose: float, host: str | None, size: int = 200) -> tuple[float, float, float, float]:
    doc = {"abscopal": 1, "name": "fsa single dose", "species": "mouse", "tumour": "fsa",
           "patient": {"lesions": [{"id": "tumour", "site": "leg", "diameter": "8 mm"}]},
           "radiotherapy": [{"lesions": ["tumour"], "dose": f"{dose:g} Gy", "fractions": 1}],
           "simulation": {"duration": "90 days"}}
    if host:
        doc["host"] = {"immune": host}
    base = parse_scenario(doc)
    spec = parse_population({"size": size, "seed": 1979}, "mouse")
    subjects = [_subject_for(sample_subject(base, spec, k), k) for k in range(size)]
    runs = run_subjects(subjects, 90.0, 1.0)
    scale = subjects[0].values["extinction_scale"]
    n_end = np.array([tr.viable_cells[-1, 0] for tr in runs])
    n_min = np.array([tr.viable_cells[1:, 0].min() for tr in runs])
    draw = np.array([getattr(s.lesions[0], "extinction_draw", 1.0) for s in subjects])
    sterilised = n_end < scale * draw
    held = ~sterilised & (n_end < 1e3)
    return sterilised.mean(), (n_end < 1.0).mean(), held.mean(), float(np.mean(np.exp(-n_min / scale)))


def main() -> None:
    print("host              dose  sterilised  below 1 cell  held small  mean exp(-N_min)")
    for host in (None, "t_cell_deficient"):
        for dose in (30, 40, 50, 60, 70, 80):
            row = arm(dose, host)
            print(f"{host or 'competent':<17} {dose:>4}  {row[0]:>10.3f}  {row[1]:>12.3f}  {row[2]:>10.3f}  {row[3]:>16.3f}")


if __name__ == "__main__":
    main()
