"""Derive a human tumour type's type-level values from published measurements, by the rules the parameter files use.

Three derivations, each printed with what it read, so a value in `src/abscopal/parameters/tumours/human/*.toml`
that says "derived" can be reproduced:

``cd8-access LEUK CIBERSORT [--types CESC SKCM ...]``
    T-cell access (`effector_extraction`, registration AC in docs/calibration.md): per TCGA type, the median over
    samples of leukocyte fraction (DNA methylation) x CIBERSORT CD8 share (RNA), with a bootstrap 95% interval, and
    its ratio to melanoma (SKCM); the type's value is 0.05 times that ratio. Inputs are the PanImmune release files
    of Thorsson V et al. Immunity 2018;48:812-30, `TCGA_all_leuk_estimate.masked.20170107.tsv` and
    `TCGA.Kallisto.fullIDs.cibersort.relative.tsv` (public; a copy is in github.com/immunitastx/
    coding_exercise_TCGA_infiltration). They are not shipped and never downloaded: pass local paths. Samples are
    keyed by the first 16 characters of the barcode; duplicate CIBERSORT rows are dropped and aliquots averaged.

``pdl1-mean --share-at-least-1pct P [--concentration C]``
    Mean tumour-cell PD-L1 TPS (`pdl1_tps`) of the beta distribution with the population file's concentration
    (default 2, `pdl1_beta_concentration`) that puts a share P of tumours at TPS >= 1%.

``tmb-median --share-above-10 P [P ...] [--cv 1.0]``
    Median TMB (`tmb`, mutations/Mb) of a log-normal with the population file's spread (`tmb_cv`) that puts a share
    P of tumours above 10 /Mb; several shares (several series) are averaged.

    .venv/bin/python calibration/derive_tumour_values.py cd8-access leuk.tsv cibersort.tsv --types CESC
    .venv/bin/python calibration/derive_tumour_values.py pdl1-mean --share-at-least-1pct 0.378
    .venv/bin/python calibration/derive_tumour_values.py tmb-median --share-above-10 0.13 0.096
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

SHARED_ACCESS = 0.05  # the shared effector_extraction, melanoma's value (human shared file)
REFERENCE = "SKCM"


def cd8_abundance(leuk_path: Path, cibersort_path: Path) -> dict[str, np.ndarray]:
    """Per TCGA type, the per-sample absolute CD8 abundance (leukocyte fraction x CIBERSORT CD8 share)."""
    import pandas as pd

    cib = pd.read_csv(cibersort_path, sep="\t").drop_duplicates("SampleID")
    cib["sample"] = cib["SampleID"].str.replace(".", "-", regex=False).str[:16]
    cd8 = cib.groupby(["sample", "CancerType"])["T.cells.CD8"].mean().reset_index()
    leuk = pd.read_csv(leuk_path, sep="\t", header=None, names=["type", "barcode", "lf"])
    leuk["sample"] = leuk["barcode"].str[:16]
    lf = leuk.groupby("sample")["lf"].mean().reset_index()
    merged = cd8.merge(lf, on="sample")
    merged["abundance"] = merged["lf"] * merged["T.cells.CD8"]
    return {t: g["abundance"].to_numpy() for t, g in merged.groupby("CancerType")}


def median_with_interval(values: np.ndarray, resamples: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    boot = [np.median(rng.choice(values, len(values))) for _ in range(resamples)]
    return float(np.median(values)), float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))


def pdl1_mean(share_at_least_1pct: float, concentration: float = 2.0) -> float:
    from scipy import optimize, stats

    if not 0.0 < share_at_least_1pct < 1.0:
        raise ValueError("the share of tumours at TPS >= 1% must lie strictly between 0 and 1")

    from abscopal.population import _pdl1_beta  # the shapes the population draws use, so the two cannot drift

    def gap(m: float) -> float:
        return stats.beta.sf(0.01, *_pdl1_beta(m, {}, concentration)) - share_at_least_1pct

    return float(optimize.brentq(gap, 1e-3, 1.0 - 1e-3))  # _pdl1_beta's own bounds on the mean


def tmb_median(shares_above_10: list[float], cv: float = 1.0) -> float:
    from scipy import stats

    from abscopal.population import _sigma  # the log-SD the population's TMB draws use

    sigma = _sigma(cv)
    medians = []
    for share in shares_above_10:
        if not 0.0 < share < 1.0:
            raise ValueError("each share of tumours above 10 /Mb must lie strictly between 0 and 1")
        medians.append(math.exp(math.log(10.0) - sigma * stats.norm.isf(share)))
    return float(np.mean(medians))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("cd8-access", help="T-cell access from TCGA CD8 abundance")
    p.add_argument("leuk", type=Path)
    p.add_argument("cibersort", type=Path)
    p.add_argument("--types", nargs="*", default=None, help="TCGA type codes (default: all)")
    p = sub.add_parser("pdl1-mean", help="mean TPS from the share at TPS >= 1%%")
    p.add_argument("--share-at-least-1pct", type=float, required=True)
    p.add_argument("--concentration", type=float, default=2.0)
    p = sub.add_parser("tmb-median", help="median TMB from shares above 10 /Mb")
    p.add_argument("--share-above-10", type=float, nargs="+", required=True)
    p.add_argument("--cv", type=float, default=1.0)
    args = parser.parse_args(argv)
    try:
        if args.command == "cd8-access":
            by_type = cd8_abundance(args.leuk, args.cibersort)
            if REFERENCE not in by_type:
                raise ValueError(f"{args.cibersort}: no {REFERENCE} samples, so there is no melanoma reference")
            reference = float(np.median(by_type[REFERENCE]))
            for t in args.types or sorted(by_type):
                if t not in by_type:
                    raise ValueError(f"TCGA type {t!r} not in the files (types: {', '.join(sorted(by_type))})")
                med, low, high = median_with_interval(by_type[t])
                print(f"{t}: n = {len(by_type[t])}, median {med:.4f} (95% {low:.4f}-{high:.4f}), "
                      f"relative to {REFERENCE} {med / reference:.2f}, effector_extraction {SHARED_ACCESS * med / reference:.3f}")
        elif args.command == "pdl1-mean":
            print(f"pdl1_tps {pdl1_mean(args.share_at_least_1pct, args.concentration):.3f}")
        else:
            print(f"tmb {tmb_median(args.share_above_10, args.cv):.2f} /Mb")
    except (OSError, ValueError, KeyError) as exc:
        print(f"derive_tumour_values: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
