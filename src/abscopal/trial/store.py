"""Per-subject records as columns, group curves that stream, and the chunk store that lets a killed run resume.

Records: every chunk's records become an Arrow table with one fixed schema (:data:`SCHEMA`), written to
``DIR/subjects/chunk-START-STOP.parquet`` (all arms, an ``arm`` column; DuckDB reads
``DIR/subjects/*.parquet``, pandas ``pd.read_parquet(DIR/subjects)``). :class:`RecordTable` reads them back as
a sequence of dicts and as whole columns, so a million subjects cost a few hundred bytes each, not a Python
dict each.

Group curves of a lesion (mean and median volume over the subjects of an arm, CONTRACT.md): for cohorts of
at most :data:`EXACT_SERIES_MAX` subjects every subject's series is kept and the median is exact; above that
the series are reduced inside each chunk and never held together. The streamed mean sums volumes in fixed
point (integer mm^3 plus 2^-32 mm^3 units, exact integer arithmetic), so it does not depend on the chunk size
or on the order in which chunks finish; the streamed median comes from a histogram of log10(volume) with
200 bins per decade from 1e-3 to 1e7 mm^3, so its relative error is at most 10^(1/400) - 1 = 0.58%
(volumes below 1e-3 mm^3 count as 0).

Chunk store: a chunk is finished when its Parquet file exists. Its curve partials (``DIR/chunks/*.npz``) are
written first and every file is written under a temporary name and renamed, so a run killed at any moment
leaves only whole chunks. ``DIR/manifest.json`` records what the chunks belong to (scenario hash, seed, size,
chunk size, version); a restart with the same command reuses the finished chunks and computes the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError

EXACT_SERIES_MAX = 5_000  # subjects per arm up to which every lesion series is kept (exact medians)
CACHE_MAX_ROWS = 50_000  # records per arm up to which whole columns stay cached as Python lists
DETAIL_SUBJECTS = 200  # subjects (by index) whose per-scan sum-of-diameter changes are kept for the spider plot
BINS_PER_DECADE = 200
LOG_MIN, LOG_MAX = -3.0, 7.0  # histogram range, log10(mm^3)
N_BINS = int((LOG_MAX - LOG_MIN) * BINS_PER_DECADE)  # regular bins; 0 = below 1e-3 mm^3, N_BINS + 1 = above 1e7
MEDIAN_RELATIVE_ERROR = 10 ** (1 / (2 * BINS_PER_DECADE)) - 1
FRACTION_UNITS = 2**32  # fixed-point units per mm^3 for the fractional part of streamed sums

_f, _b, _s, _i = pa.float64(), pa.bool_(), pa.string(), pa.int64()
SCHEMA = pa.schema([
    ("arm", _s), ("subject", _i), ("status", _s), ("tumour", _s), ("n_lesions", _i),
    ("baseline_alc", _f), ("pdl1_tps", _f), ("tmb", _f), ("p53_mutant", _b), ("baseline_sum_diameters_mm", _f),
    ("alc_nadir", _f), ("best_sum_change_pct", _f), ("sum_change_pct_by_scan", pa.list_(pa.list_(_f))),
    ("overall", _s), ("overall_irecist", _s), ("in_field", _s), ("out_of_field", _s),
    ("pfs_day", _f), ("pfs_event", _b), ("os_day", _f), ("os_event", _b), ("abscopal", _b), ("n_out_of_field", _i),
    ("endpoint_day", _f), ("endpoint_event", _b), ("tumour_free", _b), ("controlled_lesions", pa.map_(_s, _b)),
    # added with PFS counting death (chunks/2): RECIST progression alone, whether a lesion is irradiated in this
    # arm (the abscopal response is null otherwise), and the target-sum change at the response read-out
    ("progression_day", _f), ("irradiated", _b), ("response_change_pct", _f),
])
RECORD_KEYS = [name for name in SCHEMA.names if name != "arm"]


def records_table(arm: str, records: list[dict]) -> pa.Table:
    """One arm's records of one chunk as an Arrow table of :data:`SCHEMA` (missing keys become null)."""
    columns = {"arm": [arm] * len(records)}
    for key in RECORD_KEYS:
        values = [r.get(key) for r in records]
        if key == "sum_change_pct_by_scan":
            values = [[list(p) for p in v] if v is not None and r["subject"] < DETAIL_SUBJECTS else None
                      for r, v in zip(records, values, strict=True)]
        elif key == "controlled_lesions":
            values = [list(v.items()) if v is not None else None for v in values]
        columns[key] = values
    return pa.table(columns, schema=SCHEMA)


def _python_column(column: pa.ChunkedArray, key: str) -> list:
    values = column.to_pylist()
    if key == "controlled_lesions":
        return [dict(v) if v is not None else None for v in values]
    if key == "sum_change_pct_by_scan":
        return [[tuple(p) for p in v] if v is not None else None for v in values]
    return values


class RecordTable(Sequence):
    """One arm's per-subject records: a sequence of dicts over an Arrow table, with whole columns on demand."""

    def __init__(self, table: pa.Table):
        self.table = table.drop_columns(["arm"]) if "arm" in table.column_names else table
        self._columns: dict[str, list] = {}

    def __len__(self) -> int:
        return self.table.num_rows

    def column(self, key: str) -> list:
        """All subjects' values of one key, in subject order (None where missing).

        Kept for small tables (fast repeated access by index); built afresh for large ones, whose Python
        lists would cost far more memory than the Arrow table (about 50 bytes a value)."""
        if key in self._columns:
            return self._columns[key]
        if key in self.table.column_names:
            values = _python_column(self.table.column(key), key)
        else:
            values = [None] * len(self)
        if len(self) <= CACHE_MAX_ROWS:
            self._columns[key] = values
        return values

    def map_item(self, key: str, item: str) -> list:
        """``record[key].get(item)`` for a map column, looked up in Arrow (no dict per subject)."""
        if key in self._columns or key not in self.table.column_names:
            return [m.get(item) if m is not None else None for m in self.column(key)]
        import pyarrow.compute as pc

        return pc.map_lookup(self.table.column(key), pa.scalar(item, pa.string()), "first").to_pylist()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return {key: self.column(key)[index] for key in self.table.column_names}

    def __iter__(self):
        for start in range(0, len(self), 4096):
            batch = self.table.slice(start, 4096)
            columns = {key: _python_column(batch.column(key), key) for key in batch.column_names}
            for i in range(batch.num_rows):
                yield {key: values[i] for key, values in columns.items()}

    def __eq__(self, other) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None


def column(records, key: str) -> list:
    """A key's values over records: a :class:`RecordTable`'s column, or the same from a list of dicts."""
    if isinstance(records, RecordTable):
        return records.column(key)
    return [r.get(key) for r in records]


def head(records, n: int) -> list[dict]:
    """The first ``n`` records as dicts (without converting a large table's whole columns)."""
    if isinstance(records, RecordTable):
        return list(RecordTable(records.table.slice(0, n)))
    return list(records[:n])


def map_item(records, key: str, item: str) -> list:
    """``record[key].get(item)`` over records (None where the map or the item is missing)."""
    if isinstance(records, RecordTable):
        return records.map_item(key, item)
    return [m.get(item) if m is not None else None for m in column(records, key)]


# ------------------------------------------------------------------------------------------- group curves
def carry_forward(volumes: np.ndarray, time_days: np.ndarray, endpoint_day: float | None) -> tuple[np.ndarray, np.ndarray]:
    """A subject's series with the value at its endpoint day carried forward, and its at-risk mask."""
    at_risk = np.ones(volumes.shape, dtype=bool)
    if endpoint_day is not None:
        stop = int(np.searchsorted(time_days, endpoint_day))
        volumes = volumes.copy()
        volumes[stop + 1:] = volumes[stop]
        at_risk[stop + 1:] = False
    return volumes, at_risk


def histogram_bins(volumes: np.ndarray) -> np.ndarray:
    """Histogram bin of each volume (uint16): 0 below 1e-3 mm^3, then 200 per decade, N_BINS + 1 above 1e7."""
    v = np.asarray(volumes, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.floor((np.log10(np.where(v > 0, v, 1e-300)) - LOG_MIN) * BINS_PER_DECADE)
    return (np.clip(raw, -1, N_BINS) + 1).astype(np.uint16)


def fixed_point(volumes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Volumes as exact integers: whole mm^3 and the fraction in 2^-32 mm^3 units (rounded)."""
    v = np.clip(np.nan_to_num(np.asarray(volumes, float), nan=0.0), 0.0, 1e12)
    whole = np.floor(v)
    return whole.astype(np.int64), np.rint((v - whole) * FRACTION_UNITS).astype(np.int64)


def stream_partial(series: np.ndarray, at_risk: np.ndarray) -> dict[str, np.ndarray]:
    """One chunk's reduction of one lesion's (subjects, T) series for the streamed group curves."""
    whole, frac = fixed_point(series)
    return {"whole": whole.sum(axis=0), "frac": frac.sum(axis=0), "at_risk": at_risk.sum(axis=0).astype(np.int64),
            "n": np.array([series.shape[0]], np.int64), "bins": histogram_bins(series)}


class CurveAccumulator:
    """Streamed group curves of one lesion in one arm: exact fixed-point mean, histogram median, at-risk counts."""

    def __init__(self, n_times: int):
        self.whole = np.zeros(n_times, np.int64)
        self.frac = np.zeros(n_times, np.int64)
        self.at_risk = np.zeros(n_times, np.int64)
        self.n = 0
        self.counts = np.zeros((n_times, N_BINS + 2), np.int64)

    def add(self, part: dict[str, np.ndarray]) -> None:
        self.whole += part["whole"]
        self.frac += part["frac"]
        self.at_risk += part["at_risk"]
        self.n += int(part["n"][0])
        bins = part["bins"].astype(np.int64)
        if bins.size:
            flat = (np.arange(bins.shape[1])[None, :] * (N_BINS + 2) + bins).ravel()
            self.counts += np.bincount(flat, minlength=self.counts.size).reshape(self.counts.shape)

    def mean(self) -> np.ndarray:
        return (self.whole.astype(float) + self.frac.astype(float) / FRACTION_UNITS) / max(self.n, 1)

    def median(self) -> np.ndarray:
        """Median from the histogram: the mean of the bin centres holding the two middle ranks."""
        centres = np.concatenate([[0.0], 10 ** (LOG_MIN + (np.arange(N_BINS) + 0.5) / BINS_PER_DECADE), [10**LOG_MAX]])
        cumulative = np.cumsum(self.counts, axis=1)
        lo = np.array([np.searchsorted(c, (self.n - 1) // 2, side="right") for c in cumulative])
        hi = np.array([np.searchsorted(c, self.n // 2, side="right") for c in cumulative])
        return 0.5 * (centres[np.minimum(lo, N_BINS + 1)] + centres[np.minimum(hi, N_BINS + 1)])


# ------------------------------------------------------------------------------------------- chunk store
CHUNKS_SCHEMA = "abscopal.chunks/2"  # /2: PFS counts death, new record columns; chunks of /1 are not reused
MANIFEST_KEYS = ("schema", "scenario_sha256", "seed", "size", "chunk_size", "version", "series")


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


@dataclass
class ChunkResult:
    """One chunk of subjects, every arm: records as Arrow tables, and the lesion series or their reduction.

    Defined here, beside the store that writes and reads it, so that run.py imports the store and never the
    reverse (no import cycle)."""

    start: int
    stop: int
    tables: dict[str, pa.Table]
    time_days: np.ndarray
    curves: dict[str, dict[str, dict[str, np.ndarray]]]  # arm -> lesion -> {"series"} or streamed partial


class ChunkStore:
    """Finished chunks of one run under ``DIR``: records as Parquet, curve partials as ``.npz``."""

    def __init__(self, out: Path, manifest: dict):
        self.out = Path(out)
        self.subjects = self.out / "subjects"
        self.partials = self.out / "chunks"
        self.subjects.mkdir(parents=True, exist_ok=True)
        self.partials.mkdir(parents=True, exist_ok=True)
        path = self.out / "manifest.json"
        manifest = {"schema": CHUNKS_SCHEMA, **manifest}
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise InputError(f"unreadable ({exc})", key="(manifest)", file=str(path),
                                 expected="the manifest.json of an earlier run, or another --out folder") from None
            for key in MANIFEST_KEYS:
                if old.get(key) != manifest.get(key):
                    raise InputError(
                        f"this folder holds chunks of another run ({key} {old.get(key)!r} there, {manifest.get(key)!r} now)",
                        key=key, file=str(path),
                        expected="the same scenario, seed, size and chunk size to resume, or another --out folder")
            # a run killed while writing a chunk leaves its temporary file (_atomic_write): the chunk is not done
            # and will be rewritten, so the stale part is removed (one run per folder at a time)
            for folder in (self.subjects, self.partials):
                for stale in folder.glob(".chunk-*.tmp"):
                    stale.unlink(missing_ok=True)
        else:
            _atomic_write(path, lambda p: p.write_text(json.dumps(manifest, indent=1) + "\n"))

    @staticmethod
    def name(chunk: range) -> str:
        return f"chunk-{chunk.start:09d}-{chunk.stop:09d}"

    def parquet(self, chunk: range) -> Path:
        return self.subjects / f"{self.name(chunk)}.parquet"

    def done(self, chunk: range) -> bool:
        return self.parquet(chunk).exists()

    def write(self, chunk: range, result) -> None:
        arrays = {"time_days": result.time_days}
        for arm, lesions in result.curves.items():
            for lid, part in lesions.items():
                for key, value in part.items():
                    arrays[f"{arm}|{lid}|{key}"] = value

        def write_npz(path: Path) -> None:
            with path.open("wb") as handle:
                np.savez(handle, **arrays)

        _atomic_write(self.partials / f"{self.name(chunk)}.npz", write_npz)
        table = pa.concat_tables(result.tables.values())
        _atomic_write(self.parquet(chunk), lambda p: pq.write_table(table, p))

    def read(self, chunk: range, arms: list[str]):
        import pyarrow.compute as pc

        table = pq.read_table(self.parquet(chunk), schema=SCHEMA)
        tables = {arm: table.filter(pc.equal(table.column("arm"), arm)) for arm in arms}
        curves: dict[str, dict[str, dict]] = {arm: {} for arm in arms}
        with np.load(self.partials / f"{self.name(chunk)}.npz") as data:
            time_days = data["time_days"]
            for key in data.files:
                if key == "time_days":
                    continue
                arm, lid, part = key.split("|")
                curves[arm].setdefault(lid, {})[part] = data[key]
        return ChunkResult(chunk.start, chunk.stop, tables, time_days, curves)
