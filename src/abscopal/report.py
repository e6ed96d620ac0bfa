"""Text summaries printed by the command line, and the self-contained HTML report of ``--report``."""

from __future__ import annotations

import base64
import html
import shlex
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from .trial.endpoints import TCP_MEANING
from .vocabulary import NOTICE

# Human TCP is a lower bound today: the model counts every tumour cell as a clonogen (docs/trials.md, "Before you use a
# result"); printed beside TCP_MEANING so a user reading 0.000 after a curative course is not misled.
HUMAN_TCP_CAVEAT = ("Human TCP counts every tumour cell as a clonogen, so after a curative course it understates "
                    "local control (clinically about 55-70% in stage III lung, 80-90% in head and neck and cervix "
                    "after definitive chemoradiation): docs/trials.md")


def _fmt(value, spec=".1f"):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return format(value, spec)
    return str(value)


def _interval(bounds, spec=".1f", open_end="-") -> str:
    """``[lo, hi]`` of a ci90; a null bound (e.g. not reached) shows ``open_end``."""
    if not bounds:
        return "-"
    lo, hi = (open_end if b is None else format(b, spec) for b in bounds)
    return f"[{lo}, {hi}]"


def _share(p) -> str:
    return "-" if p is None else f"{100 * p:.0f}%"


def _tcp(lesion: dict) -> str:
    """TCP of an irradiated lesion; n/a for a lesion never irradiated (control there is not a radiotherapy outcome)."""
    return f"{lesion['tcp']:.3f}" if lesion["irradiated"] and lesion.get("tcp") is not None else "n/a"


def provenance_line(prov: dict) -> str:
    return (f"abscopal {prov['version']} | model {prov['model']} | parameters {prov['parameter_set']} | "
            f"scenario sha256 {prov['scenario_sha256'][:12]} | seed {prov['seed']}")


def summary_text(result) -> str:
    d = result.to_dict()
    lines = [f"{d['name']}  ({d['species']}, {d['tumour']}; status {d['status']})", ""]
    header = f"{'lesion':<14}{'site':<13}{'RT':<5}{'baseline mm':>12}{'best %':>9}{'final %':>9}{'final mm':>10}{'TCP':>8}"
    lines += [header, "-" * len(header)]
    for les in d["lesions"]:
        lines.append(
            f"{les['id']:<14}{les['site']:<13}{'yes' if les['irradiated'] else 'no':<5}{_fmt(les['baseline_diameter_mm']):>12}"
            f"{_fmt(les['best_change_pct']):>9}{_fmt(les['final_change_pct']):>9}{_fmt(les['diameter_mm'][-1]):>10}"
            f"{_tcp(les):>8}"
        )
    if any(les["irradiated"] for les in d["lesions"]):
        lines.append(TCP_MEANING)
        if d["species"] == "human":
            lines.append(HUMAN_TCP_CAVEAT)
    u = d.get("uncertainty")
    if u:
        lines += ["", f"90% credible intervals over {u['draws']} draws of the posterior ensemble ({u['ensemble']}; "
                      f"calibrated on this model: {u.get('model_status', 'not recorded')}):"]
        for les in d["lesions"]:
            tcp = _interval(les.get('tcp_ci90'), '.3f') if les["irradiated"] else "n/a"
            lines.append(f"{les['id']:<14}best % {_interval(les.get('best_change_pct_ci90'))}   final % "
                         f"{_interval(les.get('final_change_pct_ci90'))}   TCP {tcp}   "
                         f"controlled in {_share(les.get('controlled_probability'))} of draws")
    s = d["summary"]
    lines += [
        "",
        f"best overall response (RECIST 1.1): {_fmt(s['best_overall_response'])}   in field: {_fmt(s['in_field_best_response'])}"
        f"   out of field: {_fmt(s['out_of_field_best_response'])}",
        f"abscopal response (Golden 2015): {_fmt(s['abscopal_response'])}   progression day: {_fmt(s['progression_day'], '.0f')}"
        f"   ALC nadir: {_fmt(s['alc_nadir_per_ul'], '.0f')} /uL   endpoint day: {_fmt(s['endpoint_day'], '.0f')}",
    ]
    if u:
        responses = ", ".join(f"{k} {_share(v)}" for k, v in (s.get("best_overall_response_draws") or {}).items())
        lines.append(f"over the draws: best overall response {responses or '-'}   abscopal response in "
                     f"{_share(s.get('abscopal_response_probability'))}   progression day {_interval(s.get('progression_day_ci90'), '.0f', 'none')}"
                     f"   ALC nadir {_interval(s.get('alc_nadir_per_ul_ci90'), '.0f')} /uL")
    if d.get("occult_lesions"):
        grown = sum(1 for o in d["occult_lesions"] if o["final_diameter_mm"] >= result.subject.values["new_lesion_diameter"])
        lines.append(f"occult lesions: {len(d['occult_lesions'])} at baseline, {grown} detectable (>= "
                     f"{result.subject.values['new_lesion_diameter']:g} mm) at the end")
    lines += ["", provenance_line(d["provenance"]), NOTICE]
    return "\n".join(lines)


# --- the self-contained HTML report (--report FILE.html) -------------------------------------------------------
# One file that opens offline: figures embedded as base64 PNG, styles inline, no script and no external URL.
# Plain string templates with html.escape (jinja2 is not a dependency of the package).

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #222; }
.notice { border: 2px solid #b00; background: #fff0f0; padding: 0.6em 1em; font-weight: 600; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
"""


def html_table(caption: str, header: list[str], rows: list[list]) -> str:
    """An HTML table; numbers right-aligned, every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f'<td class="num">{_number(v)}</td>' if isinstance(v, int | float) and not isinstance(v, bool)
                        else f"<td>{html.escape(_fmt(v))}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    return f"<h3>{html.escape(caption)}</h3>\n<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _number(v: float) -> str:
    """3 significant digits, whole numbers from 1000 on (no exponent for an ALC of 3683)."""
    if isinstance(v, int):
        return str(v)
    if v != v or v in (float("inf"), float("-inf")):
        return "-"
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def _figure(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    name = html.escape(Path(path).name)
    return f'<figure><img src="data:image/png;base64,{data}" alt="{name}"><figcaption>{name}</figcaption></figure>'


def report_provenance(prov: dict, command_line: list[str] | None) -> list[list]:
    """Rows of the provenance table: the result's provenance, the model fingerprint, the date and the command."""
    try:
        from .validation.cache import model_fingerprint

        fingerprint = model_fingerprint()
    except Exception:  # the fingerprint is informative only: a report is written without it
        fingerprint = None
    rows = [["abscopal version", prov.get("version")], ["model", prov.get("model")],
            ["parameter set", prov.get("parameter_set")], ["scenario sha256", prov.get("scenario_sha256")],
            ["seed", prov.get("seed")], ["model fingerprint (sha256 of the code and data that set values)", fingerprint],
            ["written (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")],
            ["command line", shlex.join(command_line) if command_line else None]]
    return [[k, "-" if v is None else str(v)] for k, v in rows]


def html_report(*, title: str, summary: str, tables: list[str], figures: list[Path], scenario_file: str | Path,
                provenance: dict, command_line: list[str] | None = None) -> str:
    """The whole report as one HTML string: notice, printed summary, tables, figures, the scenario file as run
    and the provenance."""
    try:
        scenario_text = Path(scenario_file).read_text(encoding="utf-8", errors="replace")
    except OSError:
        scenario_text = "(the scenario file could not be read back)"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(title)} - abscopal report</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f"<h1>{html.escape(title)}</h1>", f'<p class="notice">{html.escape(NOTICE)}</p>',
        "<h2>Summary</h2>", f"<pre>{html.escape(summary)}</pre>", *tables,
        "<h2>Figures</h2>", *(_figure(p) for p in figures),
        "<h2>Scenario as run</h2>", f"<p>{html.escape(str(scenario_file))}</p>", f"<pre>{html.escape(scenario_text)}</pre>",
        "<h2>Provenance</h2>", html_table("", ["item", "value"], report_provenance(provenance, command_line)),
        f'<p class="notice">{html.escape(NOTICE)}</p>', "</body>", "</html>",
    ]
    return "\n".join(parts) + "\n"


def write_html(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def simulate_tables(d: dict) -> list[str]:
    lesions = [[les["id"], les["site"], les["irradiated"], les["baseline_diameter_mm"], les["best_change_pct"],
                les["final_change_pct"], les["diameter_mm"][-1] if les["diameter_mm"] else None,
                les["tcp"] if les["irradiated"] else None] for les in d["lesions"]]
    s = d["summary"]
    summary = [[key.replace("_", " "), value] for key, value in s.items() if not isinstance(value, dict | list)]
    return [html_table("Lesions", ["lesion", "site", "irradiated", "baseline (mm)", "best change (%)",
                                   "final change (%)", "final (mm)", "TCP (irradiated lesions)"], lesions),
            html_table("Response and blood counts", ["figure", "value"], summary)]


def simulate_report(path: str | Path, result, scenario_file: str | Path, command_line: list[str] | None = None) -> Path:
    """``abscopal simulate --report``: the figures are drawn afresh into a temporary folder and embedded."""
    d = result.to_dict()
    with tempfile.TemporaryDirectory() as folder:
        figures = result.plot(folder)
        text = html_report(title=d["name"], summary=summary_text(result), tables=simulate_tables(d), figures=figures,
                           scenario_file=scenario_file, provenance=d["provenance"], command_line=command_line)
    return write_html(path, text)


def results_report(path: str | Path, *, title: str, summary: str, tables: list[str], write_figures, input_file: str | Path,
                   provenance: dict, command_line: list[str] | None = None) -> Path:
    """``--report`` of the commands whose result object writes its own files (fit, optimise): ``write_figures(folder)``
    writes them into a temporary folder, and the PNG files among them are embedded."""
    with tempfile.TemporaryDirectory() as folder:
        figures = sorted(p for p in map(Path, write_figures(folder)) if p.suffix == ".png")
        text = html_report(title=title, summary=summary, tables=tables, figures=figures, scenario_file=input_file,
                           provenance=provenance, command_line=command_line)
    return write_html(path, text)


def optimisation_tables(result: dict) -> list[str]:
    def m(obj):
        return [obj.get("value"), obj.get("ci_low"), obj.get("ci_high")] if isinstance(obj, dict) else [obj, None, None]

    rows = [[r.get("rank"), r.get("label", ""), *m(r.get("objective"))] for r in result.get("regimens", [])]
    standard = result.get("standard") or {}
    rows.append(["standard", standard.get("label", ""), *m(standard.get("objective"))])
    return [html_table(f"Regimens ranked by {result.get('objective', 'the objective')}",
                       ["rank", "regimen", "objective", "95% low", "95% high"], rows)]


def fit_tables(result: dict) -> list[str]:
    rows = [[p.get("name"), p.get("unit"), p.get("mean"), p.get("median"), *(p.get("ci90") or [None, None]),
             (p.get("prior") or {}).get("median") if isinstance(p.get("prior"), dict) else p.get("prior")]
            for p in result.get("parameters", [])]
    return [html_table("Posterior", ["parameter", "unit", "mean", "median", "90% low", "90% high", "prior median"], rows)]
