"""Population local control after a standard definitive course, as a function of the share of tumour cells that are
clonogenic (a probe for a later registration; docs/calibration.md, thirty-fifth session).

For each type's typical primary (the `typical_<type>_primary.yaml` files beside this one, RT alone, competent host)
it draws N virtual patients of the type's default population (their radiosensitivity, hypoxia, growth and immune
spreads) with the lesion as given, sets the extinction damping N_x = `extinction_scale` = 1/f (M1: fewer than about
1/f viable cells hold less than one clonogen), runs the course and reads each patient's tumour control probability as
exp(-f x viable cells at the end of follow-up), i.e. exp(-expected clonogens). The mean over patients is the
population's local control at the end of follow-up. f = 1 is the model as it ships (every cell a clonogen).
With ``--fixed-alpha`` every patient gets the type's alpha (a user override fixes a parameter for every subject), which
removes the population's spread of radiosensitivity (`alpha_cv`, a fit) and shows how much of the loss of control it
makes.
With ``--readout nadir`` each patient's control is read as the Poisson probability exp(-f x fewest viable cells after
the course) instead of from the deterministic end state: the model's own extinction (growth damped by N/(N + N_x),
loss d_0) removes a residue only below N_x d_0/(g - d_0) cells, i.e. below d_0/g (about 0.002 for the human types:
d_0 ~ 3.5e-4/day, g = 0.2/day) expected clonogens, where Poisson statistics sterilise a lesion with probability
exp(-expected clonogens) (one half at 0.69). ``--population NAME=VALUE`` (repeatable) replaces a value of the human
population file for the run (alpha_cv, hypoxic_fraction_logit_sd, p53_alpha_factor, ...), to see which spread costs
the control.

    .venv/bin/python calibration/probes/definitive_rt_local_control/clonogen_share.py [--size 200] [--days 1095]
        [--readout end|nadir] [--population alpha_cv=0.23 ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path

import numpy as np

from abscopal.errors import InputError
from abscopal.inference import patch
from abscopal.population import parse_population, sample_subject
from abscopal.scenario.load import load_scenario
from abscopal.simulate import _subject_for, run_subjects

HERE = Path(__file__).resolve().parent
SHARES = (1.0, 0.1, 0.01, 0.001)


def local_control(path: Path, share: float, size: int, days: float, seed: int = 11, fixed_alpha: bool = False,
                  readout: str = "end") -> float:
    base = load_scenario(path)
    extra = [("extinction_scale", str(1.0 / share))]
    if fixed_alpha:
        from abscopal.model.subject import parameter_values

        extra.append(("alpha", str(parameter_values(base.species, base.tumour)[0]["alpha"])))
    base = dataclasses.replace(base, overrides=tuple(base.overrides) + tuple(extra))
    spec = parse_population({"size": size, "seed": seed}, base.species)
    scenarios = [sample_subject(base, spec, k) for k in range(size)]
    subjects = [_subject_for(sc, k) for k, sc in enumerate(scenarios)]
    runs = run_subjects(subjects, days, 1.0)
    row = -1 if readout == "end" else slice(None)
    tcp = [math.exp(-share * float(np.min(tr.viable_cells[row, 0]))) if tr.status == "ok" else float("nan") for tr in runs]
    return float(np.nanmean(tcp))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--days", type=float, default=1095.0)
    parser.add_argument("--fixed-alpha", action="store_true", help="every patient gets the type's alpha")
    parser.add_argument("--readout", choices=("end", "nadir"), default="end",
                        help="end: exp(-f N) at the end of follow-up (the model's deterministic extinction); "
                             "nadir: exp(-f N_min), Poisson sterilisation at the fewest cells after the course")
    parser.add_argument("--population", action="append", default=[], metavar="NAME=VALUE",
                        help="replace a value of the human population file for this run (repeatable)")
    args = parser.parse_args()
    try:
        changes = {k: float(v) for k, v in (item.split("=", 1) for item in args.population)}
    except ValueError:
        raise SystemExit("--population expects NAME=VALUE with a number, e.g. alpha_cv=0.23") from None
    try:
        with patch.values({f"pop.{name}": value for name, value in changes.items()}, "human"):
            _print_table(args, changes)
    except InputError as error:
        raise SystemExit(f"--population: {error}") from None


def _print_table(args, changes: dict[str, float]) -> None:
    spread = "the type's alpha for every patient" if args.fixed_alpha else "the population's alpha spread"
    what = f"; population values {changes}" if changes else ""
    print(f"population local control ({args.readout} readout, {args.days:.0f} days, {args.size} patients each, {spread}{what}), "
          "by clonogenic share f")
    print("type      " + "".join(f"f = {f:<8g}" for f in SHARES))
    for tumour in ("hnscc", "nsclc", "cervix"):
        path = HERE / f"typical_{tumour}_primary.yaml"
        print(f"{tumour:<10}" + "".join(f"{local_control(path, f, args.size, args.days, fixed_alpha=args.fixed_alpha, readout=args.readout):<12.3f}" for f in SHARES))


if __name__ == "__main__":
    main()
