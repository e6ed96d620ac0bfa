"""calibration/derive_tumour_values.py: the derivations behind a tumour file's "derived" type-level values."""

import math
import sys
from pathlib import Path

import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "calibration"))

import derive_tumour_values as dtv  # noqa: E402


def _write(tmp_path: Path, leuk_rows: list[tuple], cib_rows: list[tuple]) -> tuple[Path, Path]:
    leuk = tmp_path / "leuk.tsv"
    leuk.write_text("".join(f"{t}\t{b}\t{v}\n" for t, b, v in leuk_rows))
    cib = tmp_path / "cib.tsv"
    cib.write_text("SampleID\tCancerType\tB.cells.naive\tT.cells.CD8\n"
                   + "".join(f"{s}\t{t}\t0.1\t{v}\n" for s, t, v in cib_rows))
    return leuk, cib


def test_cd8_abundance_is_leukocyte_fraction_times_cd8_share_per_sample(tmp_path):
    leuk, cib = _write(
        tmp_path,
        [("SKCM", "TCGA-AA-0001-06A-11D-A1", 0.4), ("SKCM", "TCGA-AA-0002-06A-11D-A1", 0.2),
         ("CESC", "TCGA-BB-0001-01A-11D-A1", 0.3),
         ("CESC", "TCGA-BB-0001-01A-21D-A2", 0.1)],  # a second aliquot of the same sample: averaged to 0.2
        [("TCGA.AA.0001.06A.11R.A1.07", "SKCM", 0.1), ("TCGA.AA.0002.06A.11R.A1.07", "SKCM", 0.3),
         ("TCGA.AA.0002.06A.11R.A1.07", "SKCM", 0.3),  # a duplicated row: dropped
         ("TCGA.BB.0001.01A.11R.A1.07", "CESC", 0.5)])
    by_type = dtv.cd8_abundance(leuk, cib)
    assert sorted(by_type["SKCM"]) == pytest.approx([0.04, 0.06])
    assert list(by_type["CESC"]) == pytest.approx([0.1])


def test_the_command_prints_each_types_access_relative_to_melanoma(tmp_path, capsys):
    leuk, cib = _write(tmp_path, [("SKCM", "TCGA-AA-0001-06A-11D-A1", 0.5), ("CESC", "TCGA-BB-0001-01A-11D-A1", 0.5)],
                       [("TCGA.AA.0001.06A.11R.A1.07", "SKCM", 0.2), ("TCGA.BB.0001.01A.11R.A1.07", "CESC", 0.1)])
    assert dtv.main(["cd8-access", str(leuk), str(cib), "--types", "CESC"]) == 0
    out = capsys.readouterr().out
    assert "relative to SKCM 0.50" in out and "effector_extraction 0.025" in out


def test_an_unknown_type_or_a_missing_file_is_an_input_error(tmp_path, capsys):
    leuk, cib = _write(tmp_path, [("SKCM", "TCGA-AA-0001-06A-11D-A1", 0.5)], [("TCGA.AA.0001.06A.11R.A1.07", "SKCM", 0.2)])
    assert dtv.main(["cd8-access", str(leuk), str(cib), "--types", "XXXX"]) == 2
    assert "XXXX" in capsys.readouterr().err
    assert dtv.main(["cd8-access", str(tmp_path / "absent.tsv"), str(cib)]) == 2


def test_pdl1_mean_puts_the_given_share_at_or_above_one_percent():
    m = dtv.pdl1_mean(0.378, 2.0)
    assert stats.beta.sf(0.01, 2 * m, 2 * (1 - m)) == pytest.approx(0.378, abs=1e-9)
    assert dtv.pdl1_mean(0.6) > m  # more tumours positive, higher mean
    with pytest.raises(ValueError):
        dtv.pdl1_mean(1.2)


def test_tmb_median_inverts_the_share_above_ten_per_megabase():
    sigma = math.sqrt(math.log(2.0))
    median = dtv.tmb_median([0.13], cv=1.0)
    assert stats.norm.sf((math.log(10.0) - math.log(median)) / sigma) == pytest.approx(0.13, abs=1e-9)
    assert dtv.tmb_median([0.13, 0.096]) == pytest.approx((dtv.tmb_median([0.13]) + dtv.tmb_median([0.096])) / 2)
