import pytest

from abscopal.errors import UnitError
from abscopal.units import parse_day, to_canonical


@pytest.mark.parametrize("text,kind,expected", [
    ("8 Gy", "absorbed_dose", 8.0), ("800 cGy", "absorbed_dose", 8.0), ("3 weeks", "time", 21.0),
    ("12 h", "time", 0.5), ("25 mm", "length", 25.0), ("2.5 cm", "length", 25.0), ("14 cm^3", "volume", 14000.0),
    ("50 mm^3", "volume", 50.0), ("1500 /uL", "concentration_cells", 1500.0), ("1.5e9 /L", "concentration_cells", 1500.0),
    ("8 /Mb", "tmb", 8.0), ("70 kg", "mass", 70.0), ("1.8 m^2", "area", 1.8),
])
def test_canonical_units(text, kind, expected):
    assert to_canonical(text, kind) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text,kind", [
    ("8 Sv", "absorbed_dose"),       # Sv is not a unit of absorbed dose here
    ("8 J/kg", "absorbed_dose"),     # nor is J/kg: Gy is its own dimension
    ("8", "absorbed_dose"),          # bare number
    ("8 mg", "absorbed_dose"),       # wrong dimension
    ("3 Gy", "time"),
    ("25 mm^3", "length"),
])
def test_wrong_or_missing_units_are_refused(text, kind):
    with pytest.raises(UnitError):
        to_canonical(text, kind, key="k")


def test_bare_number_names_the_expected_unit():
    with pytest.raises(UnitError) as info:
        to_canonical(8, "absorbed_dose", key="radiotherapy[0].dose")
    assert "Gy" in info.value.message and "radiotherapy[0].dose" in info.value.message


def test_megabase_is_not_megabarn():
    assert to_canonical("8e-6 /bp", "tmb") == pytest.approx(8.0)
    assert to_canonical("8 /Mb", "tmb") == pytest.approx(8.0)


def test_event_days():
    assert parse_day("day 0.25") == 0.25
    with pytest.raises(UnitError):
        parse_day("7")
