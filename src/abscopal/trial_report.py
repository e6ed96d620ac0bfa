"""Printed summary and files of a trial or cohort run."""

from __future__ import annotations

import sys
from pathlib import Path

from .jsonout import json_text
from .report import provenance_line
from .trial.store import column
from .vocabulary import NOTICE


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
    """A median time with its interval; a bound that is null was not reached: ``168 (84-NR)``, never ``(84--)``."""
    if m["value"] is None:
        return "not reached" + _ci90(m.get("ci90"), 1.0, spec, "NR")
    lo = "NR" if m["ci_low"] is None else format(m["ci_low"], spec)
    hi = "NR" if m["ci_high"] is None else format(m["ci_high"], spec)
    return f"{m['value']:{spec}} ({lo}-{hi}){_ci90(m.get('ci90'), 1.0, spec, 'NR')}"


def summary_text(result: dict) -> str:
    lines = [f"{result['name']}  ({result['species']})", ""]
    u = result.get("uncertainty")
    if u:
        lines += [f"[90% CrI ...]: 90% credible interval over {u['draws']} draws of the posterior ensemble ({u['ensemble']}; "
                  f"calibrated on this model: {u.get('model_status', 'not recorded')}); (...): 95% sampling interval of the "
                  "point estimate", ""]
    for arm in result["arms"]:
        lines.append(f"arm {arm['name']}: n = {arm['n']} (failed {arm['n_failed']}, out-of-field evaluable {arm['n_evaluable']})")
        if result["species"] == "human":
            lines.append(f"  ORR overall {_r(arm['orr']['overall'])}   in field {_r(arm['orr']['in_field'])}   out of field {_r(arm['orr']['out_of_field'])}")
            endpoint = arm.get("survival_endpoint", "PFS")
            lymph = arm.get("lymphopenia") or {}
            grade3 = lymph.get("grade3plus_rate")
            lines.append(f"  abscopal {_abscopal(arm)}   CR {_r(arm['complete_response_rate'])}   "
                         f"median {endpoint} {_m(arm['median_pfs_days'])} d   median OS {_m(arm['median_os_days'])} d")
            lines.append(f"  median ALC nadir {arm['alc_nadir_median_per_ul'] or 0:.0f}{_ci90(arm.get('alc_nadir_median_per_ul_ci90'))} /uL"
                         + (f"   lymphopenia CTCAE grade >= 3 {_r(grade3)}" if grade3 else ""))
        else:
            free = arm.get("tumour_free_rate")
            count = f" ({free['count']}/{arm['n'] - arm['n_failed']})" if free and free["rate"] is not None else ""
            lines.append(f"  tumour-free {100 * (arm['tumour_free_fraction'] or 0):.0f}%{count}{_ci90(arm.get('tumour_free_fraction_ci90'), 100)}   "
                         f"abscopal {_abscopal(arm)}   median days to endpoint {_m(arm['median_endpoint_day'])}   "
                         f"median ALC nadir {arm['alc_nadir_median_per_ul'] or 0:.0f}{_ci90(arm.get('alc_nadir_median_per_ul_ci90'))} /uL")
            volumes = arm.get("volume_at_day") or {}
            if volumes:
                lines.append(f"  median volume at day {arm['volume_day']:g}: "
                             + ", ".join(f"{lid} {v['median_volume_mm3']:.0f} mm^3" for lid, v in volumes.items()))
    if any(arm["abscopal_rate"] is None for arm in result["arms"]):
        lines.append("(abscopal n/a: no irradiated lesion in that arm; " + ("its out-of-field ORR is the comparator)" if result["species"] == "human" else "compare its out-of-field lesion volumes)"))
    if result["species"] == "human":
        lines.append("PFS: first of RECIST 1.1 progression (a new lesion included) or death; EFS (single-lesion designs): "
                     "recurrence, new lesion or death. Lymphopenia: CTCAE v5.0 grade of the ALC nadir.")
    if result["species"] == "mouse":
        for comp in result["comparisons"]:
            lines += ["", _mouse_comparison(comp)]
        lines += _biomarker_lines(result)
        lines += _closing(result)
        return "\n".join(lines)
    for comp in result["comparisons"]:
        a, b = comp["arms"]
        diff, hr = comp["orr_out_of_field_difference"], comp["pfs_hazard_ratio"]
        diff_text = "-" if diff is None else f"{100 * diff:+.1f} points{_ci90(comp.get('orr_out_of_field_difference_ci90'), 100, '+.1f')}"
        fisher = "-" if comp["fisher_p"] is None else f"{comp['fisher_p']:.3g}{_ci90(comp.get('fisher_p_ci90'), 1.0, '.3g')}"
        hr_text = "-" if hr["value"] is None else f"{_hr(hr)}{_ci90(hr.get('ci90'), 1.0, '.2f')}"
        logrank = "-" if comp["logrank_p"] is None else f"{comp['logrank_p']:.3g}{_ci90(comp.get('logrank_p_ci90'), 1.0, '.3g')}"
        lines += ["", f"{b} vs {a}: out-of-field ORR difference {diff_text} (Fisher p {fisher}); PFS HR {hr_text} (log-rank p {logrank})"]
    lines += _biomarker_lines(result)
    lines += _closing(result)
    return "\n".join(lines)


def _closing(result: dict) -> list[str]:
    lines = []
    if "power" in result:
        p = result["power"]
        lines.append(f"power ({p['endpoint']}, n = {p['n_per_arm']} per arm, alpha {p['alpha']}): {100 * p['power']:.0f}%")
    return lines + ["", provenance_line(result["provenance"]), NOTICE]


def _abscopal(arm: dict) -> str:
    """The abscopal rate, or n/a in an arm where nothing is irradiated."""
    return "n/a" if arm["abscopal_rate"] is None else _r(arm["abscopal_rate"])


def _hr(m: dict) -> str:
    """A hazard ratio with its interval; a bound that is not finite (near separation) shows as '-'."""
    if m.get("value") is None:
        return "-"
    lo, hi = ("-" if b is None else f"{b:.2f}" for b in (m.get("ci_low"), m.get("ci_high")))
    return f"{m['value']:.2f} ({lo} to {hi})"


def _p(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def _mouse_comparison(comp: dict) -> str:
    """Fisher (tumour-free), log-rank and HR (time to endpoint), Mann-Whitney (volume at the named day)."""
    a, b = comp["arms"]
    hr = comp.get("endpoint_hazard_ratio") or {}
    hr_text = _hr(hr)
    volumes = comp.get("volume_mannwhitney_p") or {}
    volume_text = ", ".join(f"{lid} p {_p(p)}{_ci90(volumes.get(f'{lid}_ci90'), 1.0, '.3g')}" for lid, p in volumes.items()
                            if not lid.endswith("_ci90")) or "-"  # --uncertainty puts LESION_ci90 beside each p
    day = comp.get("volume_day")
    return (f"{b} vs {a}: tumour-free Fisher p {_p(comp.get('tumour_free_fisher_p'))}; time to endpoint log-rank p "
            f"{_p(comp.get('endpoint_logrank_p'))}, HR {hr_text}; volume at day {'-' if day is None else format(day, 'g')} "
            f"Mann-Whitney {volume_text}")


def _biomarker_lines(result: dict) -> list[str]:
    """One line per analysed arm (named) and per arm-by-biomarker interaction."""
    block = result.get("biomarkers")
    if not block:
        return []
    lines = [""]
    for entry in block.get("by_arm", []):
        aucs = ", ".join(f"{r['covariate']} {r['auc']:.2f}" for r in entry["rows"])
        lines.append(f"biomarkers, arm {entry['arm']} (AUC for abscopal response): {aucs}")
    for entry in block.get("interaction", []):
        a, b = entry["arms"]
        known = [r for r in entry["rows"] if r["p"] is not None]
        text = ", ".join(f"{r['covariate']} {r['interaction_odds_ratio_per_sd']:.2f} (p {r['p']:.2g})" for r in known)
        lines.append(f"biomarker x treatment, {b} vs {a} (ratio of odds ratios per SD, out-of-field response): {text or '-'}")
    return lines


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


def write_figures(run, result: dict, out: Path, biomarkers: dict | None) -> list[Path]:
    """The trial's figures (PNG) in ``out``: those of --out, and those the HTML report embeds."""
    from . import trial_plots as plots

    out.mkdir(parents=True, exist_ok=True)
    footer = provenance_line(result["provenance"])
    bands = result.get("uncertainty", {}).get("survival_ci90")  # --uncertainty: credible bands of the KM curves
    paths = []
    if run.design.species == "human":
        paths += [plots.waterfall(run, out, footer), plots.spider(run, out, footer), plots.swimmer(run, out, footer),
                  plots.kaplan_meier(run, out, footer, "pfs", bands), plots.kaplan_meier(run, out, footer, "os", bands)]
    else:
        events = any(e for records in run.records.values() for e in column(records, "endpoint_event"))
        paths.append(plots.kaplan_meier(run, out, footer, "endpoint", bands) if events else None)
    if any("lesions" in arm for arm in result["arms"]):
        paths.append(plots.group_curves(result, out, footer, run=run))
    rows = biomarker_rows(biomarkers)
    if rows:
        paths.append(plots.forest(rows, out, footer))
    return [p for p in paths if p is not None]


def biomarker_rows(biomarkers: dict | None) -> list[dict]:
    """The per-arm biomarker rows (each row names its arm)."""
    return [row for entry in (biomarkers or {}).get("by_arm", []) for row in entry["rows"]]


def write_outputs(run, result: dict, out: Path, biomarkers: dict | None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [write_subject_table(run, out / "subjects")]  # DuckDB: select * from 'DIR/subjects/*.parquet'
    (out / "result.json").write_text(json_text(result) + "\n")
    paths.append(out / "result.json")
    rows = biomarker_rows(biomarkers)
    if rows:
        (out / "biomarkers.json").write_text(json_text(rows) + "\n")
        paths.append(out / "biomarkers.json")
    return paths + write_figures(run, result, out, biomarkers)


def _share(fraction) -> str:
    return "-" if fraction is None else f"{100 * fraction:.0f}%"


def _rate_cell(rate: dict | None) -> str:
    return "-" if not rate or rate.get("rate") is None else _r(rate)


def trial_tables(result: dict) -> list[str]:
    """The arms, comparisons and biomarkers of a trial result as HTML tables (for the --report file)."""
    from .report import html_table

    tables = []
    if result["species"] == "human":
        header = ["arm", "n", "failed", "ORR overall", "ORR in field", "ORR out of field", "abscopal", "CR",
                  "median PFS (d)", "median OS (d)", "median ALC nadir (/uL)"]
        rows = [[a["name"], a["n"], a["n_failed"], _rate_cell(a["orr"]["overall"]), _rate_cell(a["orr"]["in_field"]),
                 _rate_cell(a["orr"]["out_of_field"]), _rate_cell(a.get("abscopal_rate")),
                 _rate_cell(a.get("complete_response_rate")), _m(a["median_pfs_days"]), _m(a["median_os_days"]),
                 a.get("alc_nadir_median_per_ul")] for a in result["arms"]]
    else:
        header = ["arm", "n", "failed", "tumour-free", "abscopal", "median days to endpoint", "median ALC nadir (/uL)"]
        rows = [[a["name"], a["n"], a["n_failed"], _share(a.get("tumour_free_fraction")), _rate_cell(a.get("abscopal_rate")),
                 _m(a["median_endpoint_day"]), a.get("alc_nadir_median_per_ul")] for a in result["arms"]]
    tables.append(html_table("Arms (rates: % with 95% interval; medians: days with 95% interval, NR: not reached)", header, rows))
    if result.get("comparisons"):
        rows = []
        for c in result["comparisons"]:
            hr = c.get("pfs_hazard_ratio") or {}
            rows.append([f"{c['arms'][1]} vs {c['arms'][0]}", c.get("orr_out_of_field_difference"), c.get("fisher_p"),
                         hr.get("value"), c.get("logrank_p"), c.get("os_logrank_p")])
        tables.append(html_table("Comparisons (as for two independent arms of size n)",
                                 ["comparison", "out-of-field ORR difference", "Fisher p", "PFS hazard ratio",
                                  "log-rank p (PFS)", "log-rank p (OS)"], rows))
    block = result.get("biomarkers")
    for entry in (block or {}).get("by_arm", []):
        rows = [[r.get("label"), r.get("auc"), r.get("auc_ci_low"), r.get("auc_ci_high")] for r in entry["rows"]]
        tables.append(html_table(f"Biomarkers, arm {entry.get('arm')}: AUC for {block.get('outcome', 'abscopal')} response",
                                 ["covariate", "AUC", "95% CI low", "95% CI high"], rows))
    return tables


def trial_report(path: str | Path, run, result: dict, biomarkers: dict | None, scenario_file: str | Path,
                 command_line: list[str] | None = None) -> Path:
    """``abscopal cohort/trial --report``: one HTML file with the summary, tables, every figure, the trial file
    and the provenance; the figures are drawn afresh into a temporary folder and embedded."""
    import tempfile

    from .report import html_report, write_html

    with tempfile.TemporaryDirectory() as folder:
        figures = write_figures(run, result, Path(folder), biomarkers)
        text = html_report(title=result["name"], summary=summary_text(result), tables=trial_tables(result),
                           figures=figures, scenario_file=scenario_file, provenance=result["provenance"],
                           command_line=command_line)
    return write_html(path, text)
