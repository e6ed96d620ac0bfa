"""docs/validation.md: the table of targets and a figure per preclinical target (group curves per arm)."""

from __future__ import annotations

from pathlib import Path

PROTOCOL = """## Protocol

The rules below are enforced by the code (`src/abscopal/validation/`) and its tests.

1. **Targets.** One file per published result in `src/abscopal/validation/targets/`: the design (a trial file),
   the observables, the *direction* checks (the published relation) and the *numeric* checks (the published
   number with its confidence interval, or a 95% binomial interval from the published n, widened only for a
   reason written in the check). A target is `negative` when the published result is null or negative: the
   treatment or combination added nothing, a knockout or depletion abolished the effect, or the population does
   not respond. Designs and checks are written from the paper before the model is run on them
   (`abscopal validate --lint` checks a file without running the model), and never edited after seeing the
   model's result: a design found wrong later is said so in its note, recorded under `amended` (date, change,
   why) and counted as failed once: the report that first scores the amended design counts the target failed
   whatever its checks say, and the entry then records where that report is (`counted_failed_in`), after which
   reports score it.
2. **Pre-registered split.** `split.py` puts a target in the held-out part when the first 8 hex digits of
   sha256("abscopal-split/1:" + id) modulo 100 are below 35. The rule and the register `split.tsv` (every id,
   its part, the date it was registered, and whether earlier calibrations had already fitted it) were committed
   before any fitting of the new corpus; rows are appended, never edited, and a test recomputes every row.
   Calibration (`calibration/calibrate.py`) reads only the calibration part. The held-out totals are reported
   on their own, and again for the held-out targets that no calibration has ever seen ("never fitted"): the 33
   targets of the first corpus were all fitted by the calibrations that ran before the split existed.
3. **Expected values.** `--seeds N` runs every design on N population seeds (the encoded seed, +1000, +2000,
   ...). Each observable is reported as its mean over seeds with its Monte-Carlo standard error
   (`simulated_se`). A target's directions pass when every direction check holds on at least 80% of the seeds
   (`pass_probability`, printed); a numeric check passes likewise. With one seed, a check passes when it holds.
   The counts themselves move by chance where checks sit near the 0.8 bar. Two disjoint blocks of 10 seeds of the
   calibration part (`calibration/seed_blocks.py`, 2026-12-06) gave 27 and 27 directions but 26 and 23 numeric
   checks, so calibration decisions compare 20-seed counts (docs/calibration.md).
4. **Immune-null control.** Every target whose claim involves immunity (`immune: true`) is run again with T
   cells absent in every arm (`host: t_cell_deficient`). A positive target whose directions still hold there
   does not test immunity: it is reported (`immune_null: passes`, `counted: false`) and not counted. A negative
   target (no benefit) may hold without T cells - a model without immunity reproduces "no benefit" trivially,
   which is why negative targets count only beside the positive ones.
5. **No read-backs.** Targets that read parameter values back or check an identity (`readback` in the file)
   cannot fail; they are reported and never counted.
6. **Totals.** Counted targets are split into the calibration part and the held-out part, each with its
   direction count (targets whose directions pass) and its numeric count (numeric checks that pass).

""".splitlines()


def _missing_line(results) -> list[str]:
    """Targets of the corpus that this report did not run (a part of the split left out, e.g. --part open)."""
    from .split import register, split_of
    from .suite import load_targets

    ran = {r.target.id for r in results}
    missing = sorted(set(load_targets()) - ran)
    if not missing:
        return []
    sealed = [i for i in missing if split_of(i) == "heldout" and register().get(i, {}).get("previously_fitted") != "yes"]
    return [f"- not run in this report: {len(missing)} targets, {len(sealed)} of them in the held-out part never fitted "
            "(kept unseen until they are run once after the model and calibration work; see docs/calibration.md)"]


def _figure(result, folder: Path) -> str | None:
    from ..trial_plots import group_curves

    summary = result.summary
    if summary is None or not any("lesions" in arm for arm in summary["arms"]):
        return None
    path = group_curves(summary, folder, result.target.citation, name=f"{result.target.id}.png", title=f"{result.target.id}: ")
    return path.name


def _time_line(results, seconds: float) -> str:
    """This run's wall time, and what the same evaluations cost when simulated: a run that read most of them from
    the cache (--cache) took seconds, while the report that runs on demand without one takes the simulation time."""
    cpu = sum(r.seconds for r in results)
    return (f"- run time: {seconds:.0f} s for this run on this machine (evaluations read from a cache take no time);"
            f" its evaluations took {cpu:,.0f} CPU-seconds when simulated, about {cpu / 2 / 60:.0f} minutes on 2"
            " cores without a cache")


def write_docs(results, out_dir: Path, seconds: float) -> Path:
    from ..vocabulary import SPECIES
    from .cache import model_fingerprint
    from .report import probability_text, totals_lines
    from .suite import validation_json

    out_dir = Path(out_dir)
    figures = out_dir / "validation"
    figures.mkdir(parents=True, exist_ok=True)
    data = validation_json(results)
    lines = [
        "# Literature validation",
        "",
        "Generated by `abscopal validate --docs docs` (do not edit by hand). Each published target is a design",
        "(scenario or trial), named observables and checks of its published direction, written before any fitting;",
        "numeric checks use the tolerance the target file justifies. Failures are listed with their reason.",
        "",
        *PROTOCOL,
        "## Results of this run",
        "",
        *[f"- {line.strip()}" for line in totals_lines(data)],
        *_missing_line(results),
        _time_line(results, seconds),
        "- model fingerprints (abscopal.validation.cache.model_fingerprint): "
        + ", ".join(f"{species} {model_fingerprint(species)[:12]}" for species in SPECIES),
        "",
        "| target | kind | split | negative | passed | p(pass) | immune-null | numeric | simulated | published | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        row = r.row
        passed = {True: "yes", False: "**no**", None: "out of scope"}[row["passed"]]
        if row["passed"] is not None and not row["counted"]:
            passed += " (not counted)"
        sim = ", ".join(f"{k} = {v:.4g}" if isinstance(v, (int, float)) else f"{k} = {v}" for k, v in row["simulated"].items())
        pub = ", ".join(f"{k}: {v}" for k, v in row["published"].items())
        numeric = f"{row['numeric_passed']}/{row['numeric_total']}" if row["numeric_total"] else "-"
        note = str(row["note"]).replace("|", "/").replace("\n", " ")
        lines.append(f"| {row['id']} | {row['kind']} | {row['split']} | {'yes' if row['negative'] else ''} | {passed} | "
                     f"{probability_text(row)} | {row['immune_null']} | {numeric} | {sim} | {pub} | {note} |")
    lines.append("")
    for r in results:
        name = _figure(r, figures)
        if name:
            lines += [f"## {r.target.id}", "", r.target.citation, "", f"Direction: {r.target.direction}", "",
                      f"![{r.target.id}](validation/{name})", ""]
    path = out_dir / "validation.md"
    path.write_text("\n".join(lines) + "\n")
    return path
