"""Text summaries of an ``abscopal.validation/2`` result: the per-target table and the part totals."""

from __future__ import annotations


def result_word(row: dict) -> str:
    if row["passed"] is None:
        return "out of scope"
    word = "pass" if row["passed"] else "FAIL"
    if not row["counted"]:
        word += " (not counted)"
    return word


def probability_text(row: dict) -> str:
    p = row.get("pass_probability")
    return "-" if p is None else f"{p:.0%}"


def totals_lines(data: dict) -> list[str]:
    def part(name: str, t: dict) -> str:
        return (f"{name}: directions {t['passed']} of {t['total']}, numeric checks {t['numeric']['passed']} of "
                f"{t['numeric']['total']}")

    seeds = data["seeds"]
    rule = f"pass probability >= 0.8 over {seeds} seeds" if seeds > 1 else "one seed (the encoded one)"
    return [
        f"counted targets: {data['total']} ({data['negative']} negative or null); {data['out_of_scope']} out of scope; "
        f"not counted: {len(data['not_counted'])}; scored by {rule}",
        part("calibration part", data["calibration"]),
        part("held-out part", data["heldout"]),
        part("  of which never fitted", data["heldout_never_fitted"]),
        part("all counted", data),
    ]


def validation_table(data: dict, seconds: float) -> str:
    lines = [f"{'target':<58}{'split':<12}{'result':<20}{'p(pass)':<9}simulated"]
    for row in data["targets"]:
        sim = ", ".join(f"{k}={v:.3g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in row["simulated"].items())
        lines.append(f"{row['id'][:57]:<58}{row['split']:<12}{result_word(row):<20}{probability_text(row):<9}{sim[:100]}")
    lines += totals_lines(data)
    lines.append(f"run time {seconds:.0f} s")
    return "\n".join(lines)
