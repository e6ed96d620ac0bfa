"""M9 low-dose bath: resident lymphocytes in the entry, exit and scatter volume around a treated lesion's field
(lymphocytes.bath_survival; docs/model.md). Off when bath_volume_factor is 0, more kill with more fractions of
a fixed total, less with protons, none around an explicit site block."""

import numpy as np
import pytest

from abscopal.model.lymphocytes import bath_survival, lymphocyte_survival
from abscopal.simulate import simulate
from tests.helpers import human_base, scenario

VALUES = {"bath_volume_factor": 10.0, "bath_max_volume": 5000.0, "bath_dose_ratio": 0.2, "bath_lymphocyte_density": 1.4e-5,
          "lymphocyte_alpha": 0.73, "lymphocyte_beta": 0.0}


def test_bath_survival_is_the_resident_kill_of_the_low_dose_volume():
    share = 1.4e-5 * 10.0 * 300.0
    expected = 1.0 - share * (1.0 - lymphocyte_survival(0.4, 0.73, 0.0))
    assert bath_survival(2.0, 300.0, VALUES) == pytest.approx(expected)
    assert bath_survival(2.0, 300.0, dict(VALUES, bath_volume_factor=0.0)) == 1.0  # off: exactly no effect
    assert bath_survival(2.0, 300.0, VALUES, modality_factor=0.46) > bath_survival(2.0, 300.0, VALUES)  # protons
    assert bath_survival(2.0, 1e9, dict(VALUES, bath_max_volume=1e9)) == pytest.approx(lymphocyte_survival(0.4, 0.73, 0.0))  # share capped at 1
    # a fixed total in more, smaller fractions kills more (the kill per fraction saturates with dose)
    many = bath_survival(2.0, 300.0, VALUES) ** 30
    few = bath_survival(12.0, 300.0, VALUES) ** 5
    assert many < few


def _alc(doc):
    result = simulate(scenario(doc)).to_dict()
    t, alc = np.array(result["time_days"]), np.array(result["alc_per_ul"])
    return alc.min() / alc[0], np.interp(90.0, t, alc) / alc[0]


def _course(dose, fractions, overrides, extra=()):
    rt = [{"lesions": ["lung1"], "dose": dose, "fractions": fractions, "schedule": "weekdays"}, *extra]
    return human_base(radiotherapy=rt, overrides=overrides, simulation={"duration": "120 days"})


def test_the_bath_deepens_lymphopenia_of_a_conventional_course_more_than_of_a_short_one():
    on = {"bath_volume_factor": 20.0, "bath_dose_ratio": 0.2}
    off = {"bath_volume_factor": 0.0}
    conv_on, conv_off = _alc(_course("2 Gy", 30, on)), _alc(_course("2 Gy", 30, off))
    short_on, short_off = _alc(_course("8 Gy", 3, on)), _alc(_course("8 Gy", 3, off))
    assert conv_on[0] < conv_off[0] and short_on[0] < short_off[0]
    assert conv_off[0] - conv_on[0] > short_off[0] - short_on[0]  # the 30-fraction course loses more to the bath
    assert conv_on[1] < short_on[1]  # and is still lower three months on


def test_an_explicit_site_block_gets_no_further_bath():
    block = {"site": "lung", "field_size": "800 cm^3", "dose": "0.33 Gy", "fractions": 30, "schedule": "weekdays"}
    only_site = lambda factor: human_base(radiotherapy=[block], overrides={"bath_volume_factor": factor})  # noqa: E731
    assert _alc(only_site(0.0)) == _alc(only_site(50.0))


def test_the_low_dose_volume_is_capped_at_a_body_region():
    capped = dict(VALUES, bath_max_volume=1000.0)
    assert bath_survival(2.0, 1400.0, capped) == pytest.approx(bath_survival(2.0, 100.0, capped))  # both at 1,000 cm^3
    assert bath_survival(2.0, 50.0, capped) > bath_survival(2.0, 100.0, capped)  # below the cap: m_B V_F
