"""Printed summary and files of a trial or cohort run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..report import provenance_line
from ..vocabulary import NOTICE


class ProgressBar:
    """A one-line progress bar on standard error (subjects done / total)."""

    def __init__(self, total_arms: int, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.total_arms = total_arms

    def __call__(self, done: int, total: int) -> None:
        filled = int(self.width * done / max(total, 1))
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} subjects x {self.total_arms} arms")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _r(rate: dict) -> str:
    if rate["rate"] is None:
        return "-"
    return f"{100 * rate['rate']:.1f}% ({100 * rate['ci_low']:.1f}-{100 * rate['ci_high']:.1f})"


def _m(m: dict) -> str:
    if m["value"] is None:
        return "not reached"
    lo = "-" if m["ci_low"] is None else f"{m['ci_low']:.0f}"
    hi = "-" if m["ci_high"] is None else f"{m['ci_high']:.0f}"
    return f"{m['value']:.0f} ({lo}-{hi})"


def summary_text(result: dict) -> str:
    lines = [f"{result['name']}  ({result['species']})", ""]
    for arm in result["arms"]:
        lines.append(f"arm {arm['name']}: n = {arm['n']} (failed {arm['n_failed']}, out-of-field evaluable {arm['n_evaluable']})")
        if result["species"] == "human":
            lines.append(f"  ORR overall {_r(arm['orr']['overall'])}   in field {_r(arm['orr']['in_field'])}   out of field {_r(arm['orr']['out_of_field'])}")
            lines.append(f"  abscopal {_r(arm['abscopal_rate'])}   CR {_r(arm['complete_response_rate'])}   "
                         f"median PFS {_m(arm['median_pfs_days'])} d   median OS {_m(arm['median_os_days'])} d   "
                         f"median ALC nadir {arm['alc_nadir_median_per_ul'] or 0:.0f} /uL")
        else:
            lines.append(f"  tumour-free {100 * (arm['tumour_free_fraction'] or 0):.0f}%   abscopal {_r(arm['abscopal_rate'])}   "
                         f"median days to endpoint {_m(arm['median_endpoint_day'])}   median ALC nadir {arm['alc_nadir_median_per_ul'] or 0:.0f} /uL")
    for comp in result["comparisons"]:
        a, b = comp["arms"]
        diff, hr = comp["orr_out_of_field_difference"], comp["pfs_hazard_ratio"]
        diff_text = "-" if diff is None else f"{100 * diff:+.1f} points"
        fisher = "-" if comp["fisher_p"] is None else f"{comp['fisher_p']:.3g}"
        hr_text = "-" if hr["value"] is None else f"{hr['value']:.2f} ({hr['ci_low']:.2f}-{hr['ci_high']:.2f})"
        logrank = "-" if comp["logrank_p"] is None else f"{comp['logrank_p']:.3g}"
        lines += ["", f"{b} vs {a}: out-of-field ORR difference {diff_text} (Fisher p {fisher}); PFS HR {hr_text} (log-rank p {logrank})"]
    if "power" in result:
        p = result["power"]
        lines.append(f"power ({p['endpoint']}, n = {p['n_per_arm']} per arm, alpha {p['alpha']}): {100 * p['power']:.0f}%")
    lines += ["", provenance_line(result["provenance"]), NOTICE]
    return "\n".join(lines)


def write_subject_table(run, path: Path) -> Path:
    rows = []
    for arm, records in run.records.items():
        for r in records:
            row = {"arm": arm}
            row.update({k: v for k, v in r.items() if not isinstance(v, (list, dict))})
            rows.append(row)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(rows)
        out = path.with_suffix(".parquet")
        pq.write_table(table, out)
        return out
    except ImportError:  # pragma: no cover - pyarrow is a dependency; CSV is the fallback
        import csv

        out = path.with_suffix(".csv")
        keys = sorted({k for row in rows for k in row})
        with out.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=keys)
            writer.writeheader()
            writer.writerows(rows)
        return out


def write_outputs(run, result: dict, out: Path, biomarkers: list[dict] | None) -> list[Path]:
    from . import plots

    out.mkdir(parents=True, exist_ok=True)
    footer = provenance_line(result["provenance"])
    paths = [write_subject_table(run, out / "subjects")]
    (out / "result.json").write_text(json.dumps(result, indent=1, allow_nan=False) + "\n")
    paths.append(out / "result.json")
    if run.design.species == "human":
        paths += [plots.waterfall(run, out, footer), plots.spider(run, out, footer), plots.swimmer(run, out, footer),
                  plots.kaplan_meier(run, out, footer, "pfs"), plots.kaplan_meier(run, out, footer, "os")]
    else:
        paths.append(plots.kaplan_meier(run, out, footer, "endpoint") if any(r.get("endpoint_event") for rs in run.records.values() for r in rs) else None)
    if any("lesions" in arm for arm in result["arms"]):
        paths.append(plots.group_curves(result, out, footer))
    if biomarkers:
        (out / "biomarkers.json").write_text(json.dumps(biomarkers, indent=1) + "\n")
        paths += [out / "biomarkers.json", plots.forest(biomarkers, out, footer)]
    return [p for p in paths if p is not None]
