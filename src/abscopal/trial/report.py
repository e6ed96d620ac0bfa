"""Printed summary and files of a trial or cohort run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..report import provenance_line
from ..vocabulary import NOTICE
from .store import column


class ProgressBar:
    """A one-line progress bar on standard error (subjects done / total), drawn by tqdm.

    Called as ``progress(done, total)`` by run_trial after every chunk. It draws only on a terminal: piped or
    redirected output (logs, CI, tests) stays free of carriage-return lines, as tqdm does with ``disable=None``.
    """

    def __init__(self, total_arms: int, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.total_arms = total_arms
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=max(total, 1), file=self.stream, disable=None, leave=True, dynamic_ncols=False,
                             bar_format=f"[{{bar:{self.width}}}] {{n}}/{{total}} subjects x {self.total_arms} arms  "
                                        "{elapsed}<{remaining}", ascii=".#", mininterval=0.2)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.close()
            self._bar = None


def _ci90(bounds, scale: float = 1.0, spec: str = ".0f", open_end: str = "-") -> str:
    """`` [90% CrI lo-hi]`` of a ci90 (--uncertainty), empty without one; a null bound shows ``open_end``."""
    if bounds is None:
        return ""
    lo, hi = (open_end if b is None else format(scale * b, spec) for b in bounds)
    return f" [90% CrI {lo} to {hi}]"


def _r(rate: dict) -> str:
    if rate["rate"] is None:
        return "-"
    return f"{100 * rate['rate']:.1f}% ({100 * rate['ci_low']:.1f}-{100 * rate['ci_high']:.1f}){_ci90(rate.get('ci90'), 100, '.1f')}"


def _m(m: dict, spec: str = ".0f") -> str:
    open_end = "NR" if spec == ".0f" else "-"
    if m["value"] is None:
        return "not reached" + _ci90(m.get("ci90"), 1.0, spec, open_end)
    lo = "-" if m["ci_low"] is None else format(m["ci_low"], spec)
    hi = "-" if m["ci_high"] is None else format(m["ci_high"], spec)
    return f"{m['value']:{spec}} ({lo}-{hi}){_ci90(m.get('ci90'), 1.0, spec, open_end)}"


def summary_text(result: dict) -> str:
    lines = [f"{result['name']}  ({result['species']})", ""]
    u = result.get("uncertainty")
    if u:
        lines += [f"[90% CrI ...]: 90% credible interval over {u['draws']} draws of the posterior ensemble ({u['ensemble']}); "
                  f"(...): 95% sampling interval of the point estimate", ""]
    for arm in result["arms"]:
        lines.append(f"arm {arm['name']}: n = {arm['n']} (failed {arm['n_failed']}, out-of-field evaluable {arm['n_evaluable']})")
        if result["species"] == "human":
            lines.append(f"  ORR overall {_r(arm['orr']['overall'])}   in field {_r(arm['orr']['in_field'])}   out of field {_r(arm['orr']['out_of_field'])}")
            lines.append(f"  abscopal {_r(arm['abscopal_rate'])}   CR {_r(arm['complete_response_rate'])}   "
                         f"median PFS {_m(arm['median_pfs_days'])} d   median OS {_m(arm['median_os_days'])} d   "
                         f"median ALC nadir {arm['alc_nadir_median_per_ul'] or 0:.0f}{_ci90(arm.get('alc_nadir_median_per_ul_ci90'))} /uL")
        else:
            lines.append(f"  tumour-free {100 * (arm['tumour_free_fraction'] or 0):.0f}%{_ci90(arm.get('tumour_free_fraction_ci90'), 100)}   "
                         f"abscopal {_r(arm['abscopal_rate'])}   median days to endpoint {_m(arm['median_endpoint_day'])}   "
                         f"median ALC nadir {arm['alc_nadir_median_per_ul'] or 0:.0f}{_ci90(arm.get('alc_nadir_median_per_ul_ci90'))} /uL")
    for comp in result["comparisons"]:
        a, b = comp["arms"]
        diff, hr = comp["orr_out_of_field_difference"], comp["pfs_hazard_ratio"]
        diff_text = "-" if diff is None else f"{100 * diff:+.1f} points{_ci90(comp.get('orr_out_of_field_difference_ci90'), 100, '+.1f')}"
        fisher = "-" if comp["fisher_p"] is None else f"{comp['fisher_p']:.3g}{_ci90(comp.get('fisher_p_ci90'), 1.0, '.3g')}"
        hr_text = "-" if hr["value"] is None else (f"{hr['value']:.2f} ({hr['ci_low']:.2f}-{hr['ci_high']:.2f})"
                                                   f"{_ci90(hr.get('ci90'), 1.0, '.2f')}")
        logrank = "-" if comp["logrank_p"] is None else f"{comp['logrank_p']:.3g}{_ci90(comp.get('logrank_p_ci90'), 1.0, '.3g')}"
        lines += ["", f"{b} vs {a}: out-of-field ORR difference {diff_text} (Fisher p {fisher}); PFS HR {hr_text} (log-rank p {logrank})"]
    if "power" in result:
        p = result["power"]
        lines.append(f"power ({p['endpoint']}, n = {p['n_per_arm']} per arm, alpha {p['alpha']}): {100 * p['power']:.0f}%")
    lines += ["", provenance_line(result["provenance"]), NOTICE]
    return "\n".join(lines)


def write_subject_table(run, folder: Path) -> Path:
    """The per-subject table: Parquet files in ``folder`` (one per chunk; all arms, an ``arm`` column).

    A run with a chunk store in ``folder``'s parent has written them already, chunk by chunk."""
    if run.out is not None and folder.parent.resolve() == Path(run.out).resolve():
        return folder
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    table = pa.concat_tables([records.table.add_column(0, "arm", pa.array([arm] * len(records), pa.string()))
                              for arm, records in run.records.items()])
    pq.write_table(table, folder / "all.parquet")
    return folder


def write_outputs(run, result: dict, out: Path, biomarkers: list[dict] | None) -> list[Path]:
    from . import plots

    out.mkdir(parents=True, exist_ok=True)
    footer = provenance_line(result["provenance"])
    bands = result.get("uncertainty", {}).get("survival_ci90")  # --uncertainty: credible bands of the KM curves
    paths = [write_subject_table(run, out / "subjects")]  # DuckDB: select * from 'DIR/subjects/*.parquet'
    (out / "result.json").write_text(json.dumps(result, indent=1, allow_nan=False) + "\n")
    paths.append(out / "result.json")
    if run.design.species == "human":
        paths += [plots.waterfall(run, out, footer), plots.spider(run, out, footer), plots.swimmer(run, out, footer),
                  plots.kaplan_meier(run, out, footer, "pfs", bands), plots.kaplan_meier(run, out, footer, "os", bands)]
    else:
        events = any(e for records in run.records.values() for e in column(records, "endpoint_event"))
        paths.append(plots.kaplan_meier(run, out, footer, "endpoint", bands) if events else None)
    if any("lesions" in arm for arm in result["arms"]):
        paths.append(plots.group_curves(result, out, footer))
    if biomarkers:
        (out / "biomarkers.json").write_text(json.dumps(biomarkers, indent=1) + "\n")
        paths += [out / "biomarkers.json", plots.forest(biomarkers, out, footer)]
    return [p for p in paths if p is not None]
