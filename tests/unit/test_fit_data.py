"""`abscopal fit` refuses bad measurement files with exit 2 and one line naming the file, the row and the column."""

from __future__ import annotations

import pytest

from abscopal.cli import main

DESIGN = "examples/trial_mouse_tsa_four_arms.yaml"
GOOD = """group,animal,day,lesion,volume_mm3
control,m1,0,primary,60
control,m1,0,secondary,40
control,m1,3,primary,90
control,m1,3,secondary,70
rt,m2,0,primary,55
rt,m2,0,secondary,45
rt,m2,3,primary,50
rt,m2,3,secondary,60
"""


def run(tmp_path, capsys, text: str, *extra, name: str = "data.csv", design: str = DESIGN):
    path = tmp_path / name
    path.write_text(text)
    code = main(["fit", str(path), "--design", design, "--steps", "2", "--walkers", "8", "--quiet", *extra])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err, str(path)


@pytest.mark.parametrize("text, where, words", [
    (GOOD.replace("volume_mm3", "size"), "header", "missing column 'volume_mm3'"),
    (GOOD.replace("group,animal", "group,mouse"), "header", "missing column 'animal'"),
    (GOOD.replace("control,m1,3,primary,90", "control,m1,3,primary,ninety"), "row 4, column volume_mm3", "'ninety' is not a number"),
    (GOOD.replace("control,m1,3,primary,90", "control,m1,3,primary,90 mm3"), "row 4, column volume_mm3", "is not a number"),
    (GOOD.replace("control,m1,3,primary,90", "control,m1,3,primary,-5"), "row 4, column volume_mm3", "negative value -5"),
    (GOOD.replace("control,m1,3,primary,90", "control,m1,-1,primary,90"), "row 4, column day", "is not after day 0"),
    (GOOD.replace("control,m1,3,primary,90", "control,m1,0,primary,90"), "row 4, column day", "is not after day 0"),
    (GOOD.replace("rt,m2,3,primary,50", "radiation,m2,3,primary,50"), "row 8, column group", "unknown group 'radiation'"),
    (GOOD.replace("rt,m2,3,primary,50", "rt,m2,3,left,50"), "row 8, column lesion", "unknown lesion 'left'"),
    (GOOD.replace("control,m1,3,primary,90", "control,,3,primary,90"), "row 4, column animal", "empty value"),
    (GOOD.replace("control,m1,0,primary,60", "control,m1,0,primary,0"), "row 2, column volume_mm3", "detection limit"),
])
def test_bad_data_is_refused_with_row_and_column(tmp_path, capsys, text, where, words):
    code, err, path = run(tmp_path, capsys, text)
    assert code == 2
    assert len(err) == 1, err
    assert err[0].startswith(f"{path}: {where}: ")
    assert words in err[0]


def test_calipers_and_one_line_errors_for_them(tmp_path, capsys):
    text = "group,animal,day,lesion,length_mm,width_mm\ncontrol,m1,0,primary,6,abc\n"
    code, err, path = run(tmp_path, capsys, text)
    assert code == 2 and err == [f"{path}: row 2, column width_mm: 'abc' is not a number; expected a finite number (no units in the cell)"]


def test_first_measurement_after_treatment_is_refused(tmp_path, capsys):
    text = GOOD.replace("rt,m2,0,", "rt,m2,1,").replace("rt,m2,3,", "rt,m2,4,")
    code, err, path = run(tmp_path, capsys, text)
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"{path}: row 6, column day: ") and "after its group's first treatment" in err[0]


def test_an_animal_in_two_groups_is_refused(tmp_path, capsys):
    text = GOOD.replace("rt,m2", "rt,m1")
    code, err, path = run(tmp_path, capsys, text)
    assert code == 2 and len(err) == 1 and "row 6, column group" in err[0] and "one group per animal" in err[0]


def test_unknown_parameter_and_file_type(tmp_path, capsys):
    code, err, _ = run(tmp_path, capsys, GOOD, "--parameters", "doubling_tme")
    assert code == 2 and len(err) == 1 and "unknown parameter 'doubling_tme'" in err[0] and "doubling_time" in err[0]
    code, err, path = run(tmp_path, capsys, GOOD, name="data.xlsx")
    assert code == 2 and len(err) == 1 and err[0].startswith(f"{path}: ") and ".csv or .parquet" in err[0]


def test_parquet_rows_are_counted_from_one(tmp_path, capsys):
    import pandas as pd

    frame = pd.read_csv(__import__("io").StringIO(GOOD))
    frame.loc[3, "volume_mm3"] = -1.0
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    code = main(["fit", str(path), "--design", DESIGN, "--steps", "2", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[0].startswith(f"{path}: row 4, column volume_mm3: negative value")


def test_clinical_columns_are_checked(tmp_path, capsys):
    text = "patient,day,lesion,diameter\np1,0,lung,20\n"
    code, err, path = run(tmp_path, capsys, text, design="examples/nsclc_pembrolizumab_alone.yaml")
    assert code == 2 and len(err) == 1 and err[0].startswith(f"{path}: header: missing column 'diameter_mm'")


def test_reading_good_data(tmp_path):
    from abscopal.fitting.data import read_data

    path = tmp_path / "data.csv"
    path.write_text(GOOD.replace("rt,m2,3,primary,50", "rt,m2,3,primary,0"))
    data = read_data(path, ["control", "rt"], ["primary", "secondary"])
    assert [s.id for s in data.subjects] == ["m1", "m2"]
    assert data.subjects[0].initial_mm3 == {"primary": 60.0, "secondary": 40.0}
    assert data.subjects[1].censored == [True, False]  # 0 is "below the detection limit", not dropped
    assert data.n_observations == 4
