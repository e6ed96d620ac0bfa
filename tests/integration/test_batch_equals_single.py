"""One call simulates 1,000 subjects; each equals its own single run (relative 1e-9)."""

import numpy as np

from abscopal.simulate import simulate, simulate_many
from tests.helpers import mouse_base, scenario


def _subject(k: int):
    rng = np.random.default_rng(k)
    dose = [2.0, 6.0, 8.0, 12.0, 20.0][k % 5]
    fractions = [5, 3, 3, 2, 1][k % 5]
    doc = mouse_base(
        tumour=["tsa", "ct26", "4t1", "mc38"][k % 4],
        patient={"lesions": [
            {"id": "primary", "site": "flank", "volume": f"{rng.uniform(30, 200):.4f} mm^3"},
            {"id": "secondary", "site": "flank", "volume": f"{rng.uniform(20, 150):.4f} mm^3"},
        ]},
        radiotherapy=[{"lesions": ["primary"], "dose": f"{dose} Gy", "fractions": fractions, "start": f"day {k % 3}"}],
        drugs=[{"agent": ["anti-ctla-4", "anti-pd-l1", "anti-pd-1"][k % 3], "dose": f"{rng.uniform(100, 250):.3f} ug",
                "every": "3 days", "start": f"day {k % 4}", "count": 3}],
        simulation={"duration": "20 days"},
    )
    return scenario(doc)


def test_thousand_subjects_in_one_call_equal_single_runs():
    scenarios = [_subject(k) for k in range(1000)]
    batch = simulate_many(scenarios)
    assert len(batch) == 1000
    assert all(r.trajectory.status == "ok" for r in batch)
    for k in [0, 1, 7, 123, 500, 999]:
        single = simulate(scenarios[k])
        np.testing.assert_allclose(batch[k].trajectory.volume_mm3, single.trajectory.volume_mm3, rtol=1e-9, atol=0)
        np.testing.assert_allclose(batch[k].trajectory.alc, single.trajectory.alc, rtol=1e-9)
        np.testing.assert_allclose(batch[k].trajectory.concentration, single.trajectory.concentration, rtol=1e-9, atol=1e-300)
