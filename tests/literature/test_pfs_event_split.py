"""What ends progression-free survival: mostly progression, not death.

KEYNOTE-002 (pembrolizumab in ipilimumab-refractory melanoma; KEYTRUDA prescribing information, efficacy table, as
reproduced in Int J Mol Sci 2016;17:1151, Table 8, PMC4964524): deaths without progression were 24 of 129 PFS events
on pembrolizumab 2 mg/kg (18.6%, Wilson 95% 12.8-26.2%), 19 of 126 on 10 mg/kg (15.1%) and 21 of 155 on chemotherapy
(13.5%, 9.0-19.8%). The probe calibration/probes/keynote002_pfs_events.yaml runs the model's version of that trial
(untreated in place of chemotherapy, whose ORR was 4%). The human death hazard's h0 was set on this probe (docs/
calibration.md, thirteenth session), so this test guards the survival model against drifting back (with the earlier
h0 the shares were 0.42 and 0.31), it is not an independent validation.

Tolerance: the published Wilson intervals widened by the model's Monte-Carlo error at 300 subjects (binomial SE about
0.025 on 200-250 events): pembrolizumab 0.10-0.28, untreated 0.07-0.22.
"""

import sys
from pathlib import Path

import yaml

from abscopal.trial.design import parse_trial
from abscopal.trial.run import run_trial

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "calibration"))

import pfs_events  # noqa: E402


def test_deaths_are_a_minority_of_pfs_events_as_in_keynote002():
    doc = yaml.safe_load((ROOT / "calibration" / "probes" / "keynote002_pfs_events.yaml").read_text())
    doc["population"]["size"] = 300
    run = run_trial(parse_trial(doc, source="keynote002 probe"), workers=2)
    pembro, untreated = (pfs_events.arm_summary(run.records[arm]) for arm in ("pembrolizumab", "untreated"))
    assert pembro["pfs_events"] > 150 and untreated["pfs_events"] > 250
    assert 0.10 <= pembro["death_share"] <= 0.28, pembro
    assert 0.07 <= untreated["death_share"] <= 0.22, untreated
    # progression comes first in time as well: median PFS well below median OS in both arms
    assert pembro["median_pfs_days"] < 0.5 * pembro["median_os_days"]
    assert untreated["median_pfs_days"] < 0.5 * untreated["median_os_days"]
