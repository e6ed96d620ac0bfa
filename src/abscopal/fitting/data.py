"""Measurements to fit: long-format tables of tumour sizes, read and checked row by row.

Two kinds, told apart by their columns:

- mouse: ``group, animal, day, lesion`` and either ``volume_mm3`` or ``length_mm, width_mm`` (calipers; the
  volume is then the ellipsoid pi/6 * length * width^2, width standing for the unmeasured depth);
- clinical: ``patient, day, lesion, diameter_mm`` (longest diameter; the fit uses each scan's sum of
  diameters, as RECIST does), ``group`` optional.

Every problem is an InputError naming the file, the row (a CSV's line number, a Parquet file's row number
counted from 1) and the column, so that a user finds it in a spreadsheet. Each subject starts at its first
measurement: its lesions' first values are the model's initial sizes, and the later values are the data
the likelihood scores. A value at or below the detection limit (0 in many lab sheets: no palpable tumour) is
kept as "below the limit" (left-censored), not dropped.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

MOUSE_ID, CLINICAL_ID = "animal", "patient"
DETECTION_MM3 = 1.0  # mouse volumes at or below this are "not measurable" (a 1.2 mm sphere: below caliper reach)
DETECTION_MM = 2.0  # lesion diameters at or below this (CT slice thickness) are "not measurable"
SUFFIXES = (".csv", ".parquet", ".pq")


@dataclass
class Subject:
    """One animal or patient: its group, start day and initial sizes, and the observations to score."""

    group: str
    id: str
    start_day: float  # the day (data's clock) of the first measurement: the simulation's time 0
    first_row: str  # where that measurement is, for errors ("row 7")
    initial_mm3: dict[str, float]  # lesion id -> volume at start_day
    times: list[float] = field(default_factory=list)  # days after start_day
    lesions: list[str | None] = field(default_factory=list)  # lesion id, or None for a sum of diameters
    values: list[float] = field(default_factory=list)  # mm^3 (mouse) or mm (sum of diameters)
    censored: list[bool] = field(default_factory=list)  # at or below the detection limit


@dataclass
class FitData:
    path: str
    kind: str  # "mouse" or "clinical"
    subjects: list[Subject]
    sha256: str
    volume_from: str  # how sizes were read ("volume_mm3", "ellipsoid pi/6 L W^2", "diameter_mm")
    n_rows: int

    @property
    def n_observations(self) -> int:
        return sum(len(s.values) for s in self.subjects)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(s.group for s in self.subjects))

    @property
    def detection(self) -> float:
        return DETECTION_MM3 if self.kind == "mouse" else DETECTION_MM


def _read_table(path: Path):
    import pandas as pd

    file = str(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"unsupported file type {path.suffix or '(none)'!r}", file=file,
                         expected="a long-format table: .csv or .parquet")
    if not path.is_file():
        raise InputError("no such file", file=file, expected="a CSV or Parquet file of measurements")
    try:
        if path.suffix.lower() == ".csv":
            table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
            first = 2  # line 1 is the header
        else:
            table = pd.read_parquet(path)
            first = 1
    except Exception as exc:  # a malformed file: one line, not a traceback
        raise InputError(f"cannot be read ({exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
                         file=file, expected="a CSV file with a header row, or a Parquet file") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table, first


def _number(raw, file: str, where: str, column: str, *, allow_negative: bool = False) -> float:
    text = "" if raw is None else str(raw).strip()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
        if text == "":
            raise InputError("empty value", key=f"{where}, column {column}", file=file, expected="a number") from None
    if not math.isfinite(value):
        raise InputError(f"{text!r} is not a number", key=f"{where}, column {column}", file=file,
                         expected="a finite number (no units in the cell)")
    if value < 0 and not allow_negative:
        raise InputError(f"negative value {text}", key=f"{where}, column {column}", file=file,
                         expected="a value >= 0")
    return value


def read_data(path: str | Path, groups: list[str], lesion_ids: list[str] | None = None) -> FitData:
    """Read and check ``path`` against the design's ``groups`` (arm names) and, for mice, its ``lesion_ids``.

    With one group in the design the ``group`` column may be left out (every subject gets that group).
    """
    path = Path(path)
    file = str(path)
    table, first = _read_table(path)
    columns = list(table.columns)
    kind = "clinical" if CLINICAL_ID in columns else "mouse"
    if kind == "mouse" and MOUSE_ID not in columns:
        raise InputError(f"missing column {MOUSE_ID!r}", key="header", file=file,
                         expected="mouse data: group, animal, day, lesion, volume_mm3 (or length_mm, width_mm); "
                                  "clinical data: patient, day, lesion, diameter_mm")
    ident = MOUSE_ID if kind == "mouse" else CLINICAL_ID
    need = [ident, "day", "lesion"] + (["group"] if len(groups) > 1 else [])
    if kind == "mouse":
        if "volume_mm3" in columns:
            size_columns, volume_from = ["volume_mm3"], "volume_mm3"
        elif "length_mm" in columns or "width_mm" in columns:
            size_columns, volume_from = ["length_mm", "width_mm"], "ellipsoid pi/6 * length_mm * width_mm^2"
        else:
            size_columns, volume_from = ["volume_mm3"], "volume_mm3"
    else:
        size_columns, volume_from = ["diameter_mm"], "sum of diameter_mm per scan"
    for column in need + size_columns:
        if column not in columns:
            raise InputError(f"missing column {column!r}", key="header", file=file,
                             expected=f"columns {', '.join(need + size_columns)} (found {', '.join(columns) or 'none'})")
    if len(table) == 0:
        raise InputError("no rows", file=file, expected="at least one measurement")
    subjects: dict[tuple[str, str], Subject] = {}
    last_day: dict[tuple[str, str, str], tuple[float, str]] = {}
    per_day: dict[tuple[str, str], dict[float, dict[str, tuple[float, str]]]] = {}
    records = table.to_dict("records")
    for i, row in enumerate(records):
        where = f"row {i + first}"
        sid = str(row[ident]).strip()
        if sid == "":
            raise InputError("empty value", key=f"{where}, column {ident}", file=file, expected=f"an {ident} id")
        group = str(row["group"]).strip() if "group" in columns else groups[0]
        if group not in groups:
            from ..errors import near_miss

            raise InputError(f"unknown group {group!r}", key=f"{where}, column group", file=file,
                             expected=f"an arm of the design: {', '.join(groups)}", suggestion=near_miss(group, groups))
        lesion = str(row["lesion"]).strip()
        if lesion == "":
            raise InputError("empty value", key=f"{where}, column lesion", file=file, expected="a lesion id")
        if kind == "mouse" and lesion_ids is not None and lesion not in lesion_ids:
            from ..errors import near_miss

            raise InputError(f"unknown lesion {lesion!r}", key=f"{where}, column lesion", file=file,
                             expected=f"a lesion id of the design: {', '.join(lesion_ids)}",
                             suggestion=near_miss(lesion, lesion_ids))
        day = _number(row["day"], file, where, "day", allow_negative=True)
        if kind == "mouse" and "volume_mm3" in size_columns:
            size = _number(row["volume_mm3"], file, where, "volume_mm3")
        elif kind == "mouse":
            length = _number(row["length_mm"], file, where, "length_mm")
            width = _number(row["width_mm"], file, where, "width_mm")
            size = math.pi / 6.0 * length * width * width
        else:
            size = _number(row["diameter_mm"], file, where, "diameter_mm")
        key = (group, sid)
        other = next((s for (g, s_id), s in subjects.items() if s_id == sid and g != group), None)
        if other is not None:
            raise InputError(f"{ident} {sid!r} is in group {group!r} here but in {other.group!r} above",
                             key=f"{where}, column group", file=file, expected=f"one group per {ident}")
        previous = last_day.get((group, sid, lesion))
        if previous is not None and day <= previous[0]:
            raise InputError(f"day {day:g} is not after day {previous[0]:g} of {previous[1]} ({ident} {sid!r}, lesion {lesion!r})",
                             key=f"{where}, column day", file=file,
                             expected=f"the rows of each {ident} and lesion in increasing order of day")
        last_day[(group, sid, lesion)] = (day, where)
        if key not in subjects:
            subjects[key] = Subject(group=group, id=sid, start_day=day, first_row=where, initial_mm3={})
        per_day.setdefault(key, {}).setdefault(day, {})[lesion] = (size, where)
    detection = DETECTION_MM3 if kind == "mouse" else DETECTION_MM
    for key, subject in subjects.items():
        days = sorted(per_day[key])
        subject.start_day = days[0]
        at_start = per_day[key][days[0]]
        subject.first_row = min(at_start.values(), key=lambda v: int(v[1].split()[-1]))[1]
        all_lesions = {les for d in days for les in per_day[key][d]}
        for lesion in sorted(all_lesions):
            if lesion not in at_start:
                first_seen = next(per_day[key][d][lesion][1] for d in days if lesion in per_day[key][d])
                raise InputError(f"lesion {lesion!r} of {ident} {subject.id!r} is first measured after the {ident}'s first day "
                                 f"({days[0]:g})", key=f"{first_seen}, column day", file=file,
                                 expected=f"every lesion of an {ident} measured on its first day (the model's initial sizes)")
            size, where = at_start[lesion]
            if size <= detection:
                column = size_columns[0]
                raise InputError(f"the first measurement of lesion {lesion!r} is {size:g}, at or below the detection limit "
                                 f"{detection:g}", key=f"{where}, column {column}", file=file,
                                 expected=f"a measurable size on the {ident}'s first day (it starts the model)")
            subject.initial_mm3[lesion] = size if kind == "mouse" else math.pi * size**3 / 6.0
        for d in days[1:]:
            entries = per_day[key][d]
            if kind == "mouse":
                for lesion in sorted(entries):
                    size = entries[lesion][0]
                    subject.times.append(d - subject.start_day)
                    subject.lesions.append(lesion)
                    subject.values.append(max(size, detection))
                    subject.censored.append(size <= detection)
            elif set(entries) == all_lesions:  # a scan that measured every lesion: one sum of diameters
                total = sum(v[0] for v in entries.values())
                subject.times.append(d - subject.start_day)
                subject.lesions.append(None)
                subject.values.append(max(total, detection))
                subject.censored.append(total <= detection)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return FitData(path=file, kind=kind, subjects=list(subjects.values()), sha256=sha, volume_from=volume_from,
                   n_rows=len(records))


def observation_arrays(data: FitData) -> dict[str, np.ndarray]:
    """Flat arrays over all observations: subject index, time, lesion id, log value, censored flag."""
    subject, times, lesions, logs, censored = [], [], [], [], []
    for k, s in enumerate(data.subjects):
        subject += [k] * len(s.values)
        times += s.times
        lesions += s.lesions
        logs += [math.log(v) for v in s.values]
        censored += s.censored
    return {"subject": np.asarray(subject, int), "time": np.asarray(times, float), "lesion": lesions,
            "log_value": np.asarray(logs, float), "censored": np.asarray(censored, bool)}
