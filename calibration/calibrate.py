"""Calibration of the flagship model's parameters to the validation targets: mouse values to the preclinical
targets (the default), human values to the clinical targets (``--species human``).

Data: the preclinical (mouse) or clinical (human) targets of ``src/abscopal/validation/targets`` (each the published experiment of an
entry of calibration_targets.yaml, encoded as a design plus direction and numeric checks written before fitting).

Objective: for every check ``L op R`` the signed relative margin (R - L)/(|L| + |R|) (sign so that > 0 passes;
``and`` = min, ``or`` = max, interval checks = the tighter side), capped at +0.05 so that passed checks stop
pulling, summed over all checks of those targets. Maximised by a random-perturbation hill climb (1-3 parameters
per step, log-normal steps of sd 0.35) from the values now in the parameter files; parameters are shared mouse
values (``name``), tumour values (``tumour.name``) and, for humans, population values (``pop.name``: the
between-patient spreads of parameters/populations/human.toml). Run with

    .venv/bin/python calibration/calibrate.py --steps 300 --seed 12 --out fit.json

The values frozen in the parameter files come from this hill climb (seed 12, 300 steps) run on 2026-12-03 from
the then file values, with first guesses for the terms new that day (priming_threshold 0.026, priming_hill 4.6,
priming_rate 2.1e8/day, damage_recruitment_gain 7.2, dc_suppression_gain 0.5, doomed_target_weight 0.13,
ifn_dose_scale 8 Gy, ...; the prior value of each is in its entry's note): objective -1.87 -> 2.01, 45 -> 52 of
58 checks, then refined by a second run (seed 13, 400 steps) from those values: objective 2.32 -> 2.49, 59 -> 60
of 65 checks (numeric checks now included); then a third run (seed 14, 400 steps) with eight more free
parameters: 2.49 -> 2.87, 63 of 65 checks. A run now starts from the fitted values, i.e. refines them. Deterministic for a given seed; 300 steps
take ~10 min on 2 cores. The human values come from ``--species human`` runs (seed 21, then seed 24 with
``--start`` from its best, then seed 33 after the model changes of the second session; docs/calibration.md),
~27-35 s per step. ``--samples 2`` scores every check on a second
population sample too (seeds +1000), at twice the cost, so that a fit cannot lean on the luck of the encoded seeds.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import dataclasses
import io
import json
import math
import random

from abscopal.inference import patch
from abscopal.inference.patch import _clear, _tumour_entry, values  # noqa: F401  (the in-process swap; tests use it from here)
from abscopal.validation import suite
from abscopal.validation.expressions import evaluate

# Shared parameters only: per-tumour values come from tumour-level evidence, never from a fit (2026-12-04); the
# mouse parameters the Morris screen of the calibration part cannot identify (tgfb_block_max, tgfb_share,
# til_proliferation_half_ratio) are fixed (calibration/runs/mouse/screen/screen.md).
PARAMETERS = (
    "priming_threshold", "priming_hill", "priming_rate", "damage_recruitment_gain", "dc_suppression_gain",
    "doomed_target_weight", "suppression_rt_gain", "ctla4_priming_gain", "ifn_half_maturation", "ifn_basal",
    "ifn_dose_scale", "effector_death_rate", "exhaustion_gain", "kill_rate", "til_proliferation_rate",
    "trex1_max_inhibition", "treg_share", "suppression_rate", "flt3_dc_gain", "pdl1_max_inhibition",
)
HUMAN_PARAMETERS = (
    "priming_threshold", "priming_hill", "priming_rate", "alc_priming_exponent", "ctla4_priming_gain", "gmcsf_dc_gain",
    "doomed_target_weight", "kill_rate", "exhaustion_gain", "pdl1_max_inhibition", "systemic_suppression_burden",
    "effector_death_rate", "til_proliferation_rate", "suppression_rt_gain", "treg_share", "stroma_remodel_rate",
    "burden_suppression_gain",
    "pop.antigenicity_cv", "pop.priming_cv", "pop.suppression_cv", "pop.alpha_cv", "pop.stromal_fraction_logit_sd",
    "pop.hypoxic_fraction_logit_sd",
)
BOUNDS = {"pop.stromal_fraction_logit_sd": (0.05, 3.0), "pop.hypoxic_fraction_logit_sd": (0.05, 3.0),
          "priming_hill": (1.0, 8.0), "trex1_max_inhibition": (0.5, 0.995), "doomed_target_weight": (0.005, 1.0),
          "tgfb_block_max": (0.05, 0.99), "tgfb_share": (0.0, 0.95), "treg_share": (0.05, 0.95), "pdl1_max_inhibition": (0.05, 0.99),
          "burden_suppression_gain": (0.0, 5.0)}


def target_ids(species: str) -> list[str]:
    """The calibration part's targets of the species (never the held-out part: abscopal.validation.split)."""
    from abscopal.validation.split import split_of

    kind = "preclinical" if species == "mouse" else "clinical"
    return [t.id for t in suite.load_targets().values()
            if t.kind == kind and t.status == "encoded" and split_of(t.id) == "calibration" and not t.readback]


def current(names=PARAMETERS, species: str = "mouse") -> dict[str, float]:
    """The file values of ``names`` (abscopal.inference.patch.current)."""
    return patch.current(names, species)


def margin(node, vals) -> float:
    if isinstance(node, ast.BoolOp):
        ms = [margin(v, vals) for v in node.values]
        return min(ms) if isinstance(node.op, ast.And) else max(ms)
    if isinstance(node, ast.Compare):
        terms, out = [node.left, *node.comparators], []
        for a, op, b in zip(terms[:-1], node.ops, terms[1:], strict=True):
            left, right = float(evaluate(ast.unparse(a), vals)), float(evaluate(ast.unparse(b), vals))
            d = (right - left) if isinstance(op, (ast.Lt, ast.LtE)) else (left - right)
            out.append(d / (abs(left) + abs(right) + 1e-12))
        return min(out)
    return 1.0 if evaluate(ast.unparse(node), vals) else -1.0


def reseeded(target, offset: int):
    """The target with its population seed moved by ``offset`` (a second sample of virtual subjects)."""
    design = copy.deepcopy(target.design)
    design["population"]["seed"] = int(design["population"].get("seed", 0)) + offset
    return dataclasses.replace(target, design=design)


def check_margins(ids, seed_offsets=(0,)) -> dict[tuple[str, str], float]:
    """Margin of every check; with several seed offsets, each check once per population sample (the
    offset-0 sample is the encoded one), so a fit cannot lean on one sample's luck."""
    out = {}
    targets = suite.load_targets()
    for offset in seed_offsets:
        results = (suite.run_targets(ids) if offset == 0 else
                   [suite.run_target(reseeded(targets[i], offset)) for i in ids if targets[i].design is not None
                    and "population" in targets[i].design])
        for result in results:
            target, vals = result.target, result.row["simulated"]
            for check in list(target.checks) + [suite._numeric_check(n) for n in target.numeric]:
                key = (target.id, check.get("text", check["expr"]) + (f" [seed +{offset}]" if offset else ""))
                try:
                    out[key] = margin(ast.parse(check["expr"], mode="eval").body, vals)
                except Exception:  # a missing observable counts as a clear failure
                    out[key] = -1.0
    return out


def objective(margins: dict, cap: float = 0.05) -> float:
    return sum(min(m, cap) for m in margins.values())


def score(candidate, ids, species: str = "mouse", seed_offsets=(0,)):
    with values(candidate, species), contextlib.redirect_stdout(io.StringIO()):
        margins = check_margins(ids, seed_offsets)
    return objective(margins), margins


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", default="fit.json")
    parser.add_argument("--species", choices=("mouse", "human"), default="mouse")
    parser.add_argument("--step-sd", type=float, default=0.35, help="SD of the log-normal step (smaller to refine)")
    parser.add_argument("--start", help="JSON of parameter values (an earlier --out) to start from instead of the files")
    parser.add_argument("--samples", type=int, default=1,
                        help="population samples per target: the encoded seed plus seeds +1000, +2000, ... (less luck, slower)")
    args = parser.parse_args(argv)
    offsets = tuple(1000 * k for k in range(max(args.samples, 1)))
    names = PARAMETERS if args.species == "mouse" else HUMAN_PARAMETERS
    ids, rng = target_ids(args.species), random.Random(args.seed)
    best = current(names, args.species)
    if args.start:
        with open(args.start) as f:
            best.update({name: float(v) for name, v in json.load(f).items() if name in best})
    best_score, best_margins = score(best, ids, args.species, offsets)
    print(f"start: objective {best_score:.3f}, {sum(m > 0 for m in best_margins.values())}/{len(best_margins)} checks pass", flush=True)
    for step in range(args.steps):
        candidate = dict(best)
        for name in rng.sample(list(names), rng.choice([1, 2, 3])):
            lo, hi = BOUNDS.get(name, (0.0, math.inf))
            candidate[name] = min(max(candidate[name] * math.exp(rng.gauss(0.0, args.step_sd)), lo), hi)
        s, margins = score(candidate, ids, args.species, offsets)
        if s > best_score:
            best, best_score, best_margins = candidate, s, margins
            print(f"step {step}: objective {s:.3f}, {sum(m > 0 for m in margins.values())}/{len(margins)} checks pass", flush=True)
            with open(args.out, "w") as f:
                json.dump(best, f, indent=1)
    for (tid, text), m in sorted(best_margins.items(), key=lambda kv: kv[1])[:10]:
        print(f"{m:+.3f} {tid}: {text[:90]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
