"""Text summaries printed by the command line."""

from __future__ import annotations

from .vocabulary import NOTICE


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
            f"{_fmt(les['tcp'], '.3f'):>8}"
        )
    u = d.get("uncertainty")
    if u:
        lines += ["", f"90% credible intervals over {u['draws']} draws of the posterior ensemble ({u['ensemble']}):"]
        for les in d["lesions"]:
            lines.append(f"{les['id']:<14}best % {_interval(les.get('best_change_pct_ci90'))}   final % "
                         f"{_interval(les.get('final_change_pct_ci90'))}   TCP {_interval(les.get('tcp_ci90'), '.3f')}   "
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
