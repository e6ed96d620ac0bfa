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


def test_dose_cli():
    out = subprocess.run([sys.executable, "-m", "abscopal", "dose", "8 Gy x 3", "--alpha-beta", "10 Gy", "--json", "-"],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["bed_gy"] == pytest.approx(43.2) and data["eqd2_gy"] == pytest.approx(36.0)


def test_dose_cli_bad_scheme_exit_2():
    out = subprocess.run([sys.executable, "-m", "abscopal", "dose", "8 Gy"], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr
