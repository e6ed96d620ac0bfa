"""Probe (IL2C, docs/calibration.md): the primed pool and the unirradiated lesions of one melanoma patient with
high-dose IL-2 (Curti 2020's schedule), SBRT (20 Gy to the first lesion), both, or neither.

    .venv/bin/python calibration/probes/il2_sbrt_priming_switch_melanoma.py
"""

import copy

import numpy as np

from abscopal.model.state import Layout
from abscopal.scenario.load import parse_scenario
from abscopal.simulate import simulate

BASE = {
    "abscopal": 1, "name": "probe", "species": "human", "tumour": "melanoma",
    "patient": {"lesions": [{"id": "a", "site": "lung", "diameter": "25 mm"},
                            {"id": "b", "site": "liver", "diameter": "20 mm"},
                            {"id": "c", "site": "lymph_node", "diameter": "15 mm"}]},
    "mechanisms": {"occult_lesions": False}, "simulation": {"duration": "120 days"},
}
IL2 = [{"agent": "il-2", "dose": "600000 IU/kg", "every": "8 h", "start": "day 3", "count": 14},
       {"agent": "il-2", "dose": "600000 IU/kg", "every": "8 h", "start": "day 22", "count": 14}]
RT = [{"lesions": ["a"], "dose": "20 Gy", "fractions": 1, "start": "day 0"}]
ARMS = {"none": {}, "il2": {"drugs": IL2}, "sbrt": {"radiotherapy": RT}, "sbrt_il2": {"drugs": IL2, "radiotherapy": RT}}


def main() -> None:
    for name, extra in ARMS.items():
        doc = copy.deepcopy(BASE)
        doc.update(extra)
        trajectory = simulate(parse_scenario(doc)).trajectory
        layout = Layout(trajectory.volume_mm3.shape[1], len(trajectory.agents))
        primed = trajectory.states[:, layout.systemic("primed")]
        day60 = int(np.argmin(abs(trajectory.time - 60)))
        volumes = trajectory.volume_mm3
        print(f"{name:9s} primed peak {primed.max():.3g} cells; unirradiated lesions b, c: "
              f"{volumes[0, 1]:.0f} -> {volumes[day60, 1]:.0f} and {volumes[0, 2]:.0f} -> {volumes[day60, 2]:.0f} mm^3 on day 60")


if __name__ == "__main__":
    main()
