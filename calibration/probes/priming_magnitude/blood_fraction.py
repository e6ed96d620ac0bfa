"""How large the model's circulating tumour-specific CD8 pool gets, as a share of blood CD8 T cells (docs/calibration.md,
thirty-eighth session). For N virtual subjects of a scenario it prints the median and 10-90% range of the peak number
of circulating tumour-specific effectors (state ``blood_effectors``, cells in the whole blood volume) and of that peak
as a share of the subject's blood CD8 T cells at the same time (ALC x CD8 share x blood volume).

    .venv/bin/python calibration/probes/priming_magnitude/blood_fraction.py SCENARIO.yaml [N] [CD8_SHARE]
    (defaults: 200 subjects, seed 7; CD8 share of lymphocytes 0.25, an assumption: about a quarter of blood
    lymphocytes are CD8 T cells in adults)

It also prints the peak as a share of the whole body's CD8 T cells, reading the state as the recirculating pool
rather than the cells in blood at one moment: blood holds about 2% of the body's lymphocytes (Westermann J, Pabst R.
Clin Investig 1992;70:539, recalled), so body CD8 = blood CD8 / 0.02.

Run it on a candidate tree with PYTHONPATH=<tree>/src. Not a validation target.
"""

from __future__ import annotations

import sys

import numpy as np
import yaml

from abscopal.parameters.store import load_shared
from abscopal.population import parse_population, sample_subject
from abscopal.scenario.load import parse_scenario
from abscopal.simulate import make_batch, simulate_many

BLOOD_SHARE_OF_LYMPHOCYTES = 0.02  # share of the body's lymphocytes in blood at one time (recalled; see the docstring)


def main(path: str, n: str = "200", cd8_share: str = "0.25") -> None:
    with open(path) as f:
        scenario = parse_scenario(yaml.safe_load(f))
    spec = parse_population({"size": int(n), "seed": 7}, scenario.species)
    results = simulate_many([sample_subject(scenario, spec, i) for i in range(int(n))])
    layout = make_batch([results[0].subject]).layout
    blood_ul = load_shared(scenario.species)["blood_volume"].value * 1e6  # L -> uL
    peaks, shares, body = [], [], []
    for r in results:
        cells = r.trajectory.states[:, layout.systemic("blood_effectors")]
        alc = r.trajectory.states[:, layout.systemic("alc")]
        j = int(np.argmax(cells))
        peaks.append(cells[j])
        shares.append(cells[j] / (alc[j] * float(cd8_share) * blood_ul))
        body.append(shares[-1] * BLOOD_SHARE_OF_LYMPHOCYTES)
    peaks, shares, body = np.array(peaks), np.array(shares), np.array(body)
    print(f"{path}: {n} subjects")
    print(f"  peak circulating tumour-specific effectors: median {np.median(peaks):.3g} "
          f"(10-90% {np.percentile(peaks, 10):.3g}-{np.percentile(peaks, 90):.3g}) cells")
    print(f"  as a share of blood CD8 T cells: median {np.median(shares):.3%} "
          f"(10-90% {np.percentile(shares, 10):.3%}-{np.percentile(shares, 90):.3%})")
    print(f"  as a share of the body's CD8 T cells: median {np.median(body):.3%} "
          f"(10-90% {np.percentile(body, 10):.3%}-{np.percentile(body, 90):.3%})")


if __name__ == "__main__":
    main(*sys.argv[1:4])
