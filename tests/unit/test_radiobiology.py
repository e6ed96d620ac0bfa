import json
import subprocess
import sys

import pytest

from abscopal.radiobiology import bed, eqd2, parse_scheme, surviving_fraction, tcp


def test_bed_eqd2_hand_worked():
    # 8 Gy x 3, alpha/beta 10: BED = 24 (1 + 0.8) = 43.2 Gy; EQD2 = 43.2 / 1.2 = 36 Gy
    assert bed(8, 3, 10) == pytest.approx(43.2)
    assert eqd2(8, 3, 10) == pytest.approx(36.0)
    # 2 Gy fractions are their own EQD2 for any alpha/beta
    assert eqd2(2, 30, 3) == pytest.approx(60.0)


def test_surviving_fraction_and_tcp():
    sf = surviving_fraction(2.0, 30, 0.3, 0.03)
    assert sf == pytest.approx(pytest.approx(2.718281828459045 ** (-30 * (0.6 + 0.12))))
    assert tcp(1e9, sf) == pytest.approx(2.718281828459045 ** (-1e9 * sf))


def test_parse_scheme_sums_terms():
    assert parse_scheme("8 Gy x 3 + 2 Gy x 5") == [(8.0, 3), (2.0, 5)]


@pytest.mark.parametrize("text, terms", [("20 Gy", [(20.0, 1)]), ("3 x 8 Gy", [(8.0, 3)]), ("3x8Gy", [(8.0, 3)]),
                                         ("8Gy x3", [(8.0, 3)]), ("60 Gy / 30", [(2.0, 30)]),
                                         ("60 Gy in 30 fractions", [(2.0, 30)]), ("800 cGy x 3", [(8.0, 3)]),
                                         ("3 x 8 Gy + 20 Gy", [(8.0, 3), (20.0, 1)])])
def test_parse_scheme_reads_the_forms_clinics_write(text, terms):
    got = parse_scheme(text)
    assert [n for _, n in got] == [n for _, n in terms]
    assert [d for d, _ in got] == pytest.approx([d for d, _ in terms])


def test_dose_cli():
    out = subprocess.run([sys.executable, "-m", "abscopal", "dose", "8 Gy x 3", "--alpha-beta", "10 Gy", "--json", "-"],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["bed_gy"] == pytest.approx(43.2) and data["eqd2_gy"] == pytest.approx(36.0)


def test_dose_cli_bad_scheme_exit_2():
    # "8 Gy" alone is one fraction now; a scheme without a unit cannot say which number is the dose
    out = subprocess.run([sys.executable, "-m", "abscopal", "dose", "3 x 8"], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr
