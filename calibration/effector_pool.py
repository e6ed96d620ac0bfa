"""How large the model's tumour-specific T-cell pool grows, as a share of the blood CD8 T cells.

    PYTHONPATH=<tree>/src .venv/bin/python calibration/effector_pool.py TRIAL.yaml [--json FILE]

Runs the trial file in this process and, for every subject of every arm, reads the peak of the tumour-specific pool
(primed cells in the nodes plus circulating effectors, in cells) over the simulation, and divides it by the subject's
blood CD8 T cells at baseline: ALC_0 x blood volume x the CD8 share of blood lymphocytes (CD8_SHARE, a third: mean
628-660 CD8 T cells/uL in 232 healthy adults, Clin Diagn Lab Immunol 2004, PMC321350 Table 3, against an ALC of about
2,000/uL). Prints, per arm, quantiles of that share and the share of subjects above 1% and 10% of blood CD8, overall
and among out-of-field responders (a 30% fall of the sum of the out-of-field lesions' diameters at any output time,
a simple stand-in for RECIST's best response).

Published for comparison (no validation target reads these): tumour-specific CD8 T cells in the blood of patients on
checkpoint blockade are rare; a clone above 0.5% of the CD8 repertoire counts as large (Fairfax BP et al. Nat Med
2020); the peak peptide-specific response to live yellow fever vaccine is almost 1% of CD8 (Co MD et al. Immunology
2009). Used by docs/calibration.md (twentieth session, E).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

CD8_SHARE = 1.0 / 3.0


def measure(trial: str | Path) -> dict[str, list[tuple[float, bool]]]:
    """{arm: [(peak pool / blood CD8 at baseline, out-of-field responder), ...]} for every subject of a trial file,
    run in this process (one worker, chunk by chunk: each chunk simulates the arms in the file's order)."""
    from abscopal import cli
    from abscopal.trial.design import load_trial

    run = importlib.import_module("abscopal.trial.run")
    simulate = importlib.import_module("abscopal.simulate")
    arms = [name for name, _ in load_trial(trial).arms]
    rows: dict[str, list[tuple[float, bool]]] = {name: [] for name in arms}
    calls = [0]
    run_subjects, simulate_many = simulate.run_subjects, run.simulate_many

    def layout_kept(subjects, *a, **k):
        out = run_subjects(subjects, *a, **k)
        layout = simulate.make_batch(subjects).layout
        for tr in out:
            tr.layout = layout
        return out

    def recorded(scenarios, indices=None, **k):
        results = simulate_many(scenarios, indices=indices, **k)
        arm = arms[calls[0] % len(arms)]
        calls[0] += 1
        for sc, r in zip(scenarios, results, strict=True):
            rows[arm].append(_subject_row(sc, r))
        return results

    simulate.run_subjects, run.simulate_many = layout_kept, recorded
    try:
        with tempfile.TemporaryDirectory() as tmp:
            argv = sys.argv
            sys.argv = ["abscopal", "trial", str(trial), "--out", tmp, "--workers", "1"]
            try:
                cli.main()
            except SystemExit as stop:
                if stop.code not in (0, None):
                    raise
            finally:
                sys.argv = argv
    finally:
        simulate.run_subjects, run.simulate_many = run_subjects, simulate_many
    return rows


def _subject_row(scenario, result) -> tuple[float, bool]:
    tr, sub = result.trajectory, result.subject
    states = tr.states
    pool = states[:, tr.layout.systemic("primed")] + states[:, tr.layout.systemic("blood_effectors")]
    cd8 = sub.alc0 * sub.values["blood_volume"] * 1e6 * CD8_SHARE  # /uL x L x (uL per L)
    irradiated = set().union(*(set(b.lesion_ids) for b in scenario.radiotherapy)) if scenario.radiotherapy else set()
    out = [i for i, les in enumerate(sub.lesions) if les.at_baseline and les.id not in irradiated]
    responder = False
    if out:
        diam = np.cbrt(6.0 * tr.volume_mm3[:, out] / np.pi).sum(axis=1)
        responder = bool(diam[0] > 0 and diam[1:].min() <= 0.7 * diam[0])
    share = float(pool.max() / cd8) if cd8 > 0 else 0.0
    return share, responder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trial")
    parser.add_argument("--json", help="write per-subject rows {arm: [[peak share of CD8, responder], ...]} here")
    args = parser.parse_args(argv)
    rows = measure(args.trial)
    for arm, values in rows.items():
        share = np.array([v for v, _ in values])
        resp = np.array([r for _, r in values])
        q = np.quantile(share, [0.1, 0.5, 0.9, 0.99])
        print(f"{arm}: n {len(share)}; peak pool as % of blood CD8, quantiles 10/50/90/99%: "
              + " / ".join(f"{100 * x:.3g}" for x in q)
              + f"; share above 1%: {np.mean(share > 0.01):.3f}, above 10%: {np.mean(share > 0.1):.3f}")
        if resp.any():
            print(f"    out-of-field responders {resp.sum()}: median peak {100 * np.median(share[resp]):.3g}% of CD8, "
                  f"above 10%: {np.mean(share[resp] > 0.1):.3f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
