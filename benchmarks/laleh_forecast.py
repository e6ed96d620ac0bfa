"""Forecasting benchmark on real per-lesion scans (Laleh et al. 2022): fit the early scans, forecast the last ones.

For every lesion with at least 6 scans, each model is fitted to all scans but the last K (K = 2 by default,
as in the TumorGrowth.jl "model battle" on the same data) and forecasts the K held-back scans; the error of the
forecast of the last scan (mm of longest diameter, and as a share of the lesion's first diameter) is
summarised over lesions, overall and per study arm.

Models:

- the six classical growth laws that Laleh et al. compare (exponential, logistic, classic and general Gompertz,
  classic and general Bertalanffy), fitted by least squares (scipy) on the lesion volume, as the paper did;
- ``last_value``: the last early scan carried forward (no model; the reference any model must beat);
- ``abscopal``: the kinetics of ``abscopal fit``'s clinical path (design examples/fit_clinical_atezolizumab.yaml,
  ``doubling_time`` and ``kill_rate`` fitted): the posterior mode of the fitting module's own prior and
  likelihood for one lesion (the random effect fixed at 0: with one lesion it only duplicates
  ``doubling_time``), found by a 9 x 9 grid and Nelder-Mead, instead of an MCMC chain per lesion.

The data are not part of the repository. The script reads ``flat_patient_data.csv`` from ``--data``,
$ABSCOPAL_LALEH_DIR, or ``shared/data/laleh2022`` beside the checkout (or one level up), and exits with a
message when it finds none. Each lesion's fits are cached (``--cache``, git-ignored), so a rerun or a larger
``--limit`` only fits what is new:

    nice -n 10 .venv/bin/python benchmarks/laleh_forecast.py --limit 0 --json benchmarks/results/laleh_forecast.json

(all 640 lesions, about 10 minutes on 2 shared cores from an empty cache; docs/forecasting.md has the results).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares, minimize

ROOT = Path(__file__).resolve().parents[1]
DATA_NAME = "flat_patient_data.csv"
DESIGN = ROOT / "examples/fit_clinical_atezolizumab.yaml"
VOLUME_FACTOR = 0.52  # the source's volume of a lesion: 0.52 x diameter^3 (checked on every row with a diameter)
MIN_READINGS = 6
CACHE_FORMAT = 2  # the layout of a cached lesion's file
# Each model's fit version: bump one when its fit changes, and a rerun refits that model only (the cache keeps
# the others).
VERSIONS = {"last_value": 1, "exponential": 1, "logistic": 1, "gompertz": 1, "general_gompertz": 3,
            "classic_bertalanffy": 1, "general_bertalanffy": 1, "abscopal": 1}
CLOSE_MM = 5.0  # a forecast "within 5 mm" of the scan
CLOSE_SHARE = 0.2  # or within 20% of the lesion's first diameter
CLASSICAL = ("exponential", "logistic", "gompertz", "general_gompertz", "classic_bertalanffy", "general_bertalanffy")


# -- data ---------------------------------------------------------------------------------------------------------
def find_data(explicit: str | None = None) -> Path | None:
    """The data file: ``explicit`` (a file or its folder; only it when given), else $ABSCOPAL_LALEH_DIR, else
    shared/data/laleh2022 beside the checkout or one level up."""
    if explicit:
        candidates = [Path(explicit)]
    else:
        candidates = [Path(os.environ["ABSCOPAL_LALEH_DIR"])] if os.environ.get("ABSCOPAL_LALEH_DIR") else []
        candidates += [ROOT.parent / "shared/data/laleh2022", ROOT.parents[1] / "shared/data/laleh2022"]
    for c in candidates:
        path = c if c.suffix == ".csv" else c / DATA_NAME
        if path.is_file():
            return path
    return None


def lesions(path: Path):
    """Lesions with at least MIN_READINGS scans on distinct days, sorted by day; and how many were left out."""
    import pandas as pd

    table = pd.read_csv(path)
    out, repeated = [], 0
    for pid, rows in table.groupby("Pt_hashID", sort=True):
        if len(rows) < MIN_READINGS:
            continue
        rows = rows.sort_values("T_days", kind="stable")
        days = rows.T_days.to_numpy(float)
        if np.any(np.diff(days) <= 0):  # two scans on one day: which is later is unknown
            repeated += 1
            continue
        out.append({"id": pid, "arm": str(rows.Study_Arm.iloc[0]), "days": days,
                    "diameter": rows.Lesion_diam.to_numpy(float)})
    return out, repeated


# -- classical growth laws (volume v at time t after the first scan; parameters on a log scale where positive) --
def _bertalanffy(t, v0, vinf, omega, lam):
    if abs(lam) < 1e-6:
        return _gompertz(t, v0, vinf, omega)
    base = vinf**lam + (v0**lam - vinf**lam) * np.exp(-omega * t)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.where(base > 0, np.abs(base) ** (1.0 / lam), 0.0 if lam > 0 else np.inf)


def _gompertz(t, v0, vinf, omega):
    return vinf * np.exp(np.log(v0 / vinf) * np.exp(-omega * t))


def curve(name: str, t, p) -> np.ndarray:
    """Volume of model ``name`` at times ``t`` (days after the first scan) for parameter vector ``p``."""
    t = np.asarray(t, float)
    with np.errstate(over="ignore", under="ignore"):
        if name == "exponential":  # dv/dt = omega v
            return np.exp(p[0] + p[1] * t)
        v0, vinf, omega = math.exp(p[0]), math.exp(p[1]), math.exp(p[2])
        if name == "logistic":  # dv/dt = omega v (1 - v/vinf)
            return vinf * v0 / (v0 + (vinf - v0) * np.exp(-omega * t))
        if name == "gompertz":  # dv/dt = omega v log(vinf/v)
            return _gompertz(t, v0, vinf, omega)
        if name == "classic_bertalanffy":  # dv/dt = a v^(2/3) - b v
            return _bertalanffy(t, v0, vinf, omega, 1.0 / 3.0)
        if name == "general_bertalanffy":  # dv/dt = a v^(1-lam) - b v; lam -> 0 is Gompertz
            return _bertalanffy(t, v0, vinf, omega, p[3])
    if name == "general_gompertz":
        return _general_gompertz(t, p)
    raise ValueError(name)


EXTINCT = -30.0  # log volume (mm^3) below which a lesion is gone


def _general_gompertz(t, p, max_steps: int = 4000) -> np.ndarray:
    """dv/dt = v^lam (beta - alpha log v) (lam = 1: Gompertz), as the paper's script writes it. No closed form:
    classical Runge-Kutta in y = log v with steps kept inside its stability region (h x |df/dy| <= 1; small
    volumes make the equation stiff), plain Python floats since a least-squares fit calls it thousands of
    times. p = log v0, beta, log alpha, lam. NaN where it would need more than ``max_steps`` steps."""
    y, beta, alpha, lam = float(p[0]), float(p[1]), math.exp(p[2]), float(p[3])
    ts = np.asarray(t, float)
    grid = sorted(set(float(x) for x in ts) | {0.0})

    def f(y):
        return math.exp(min((lam - 1.0) * y, 700.0)) * (beta - alpha * y)

    values, now, steps = {0.0: y}, 0.0, 0
    try:
        for target in grid[1:]:
            segment = target - now
            while now < target - 1e-12 and y > EXTINCT:
                stiff = math.exp(min((lam - 1.0) * y, 700.0)) * (alpha + abs(lam - 1.0) * abs(beta - alpha * y))
                h = min(target - now, segment / 8.0, 1.0 / max(stiff, 1e-12))
                k1 = f(y)
                k2 = f(y + 0.5 * h * k1)
                k3 = f(y + 0.5 * h * k2)
                k4 = f(y + h * k3)
                y += h * (k1 + 2 * k2 + 2 * k3 + k4) / 6.0
                now += h
                steps += 1
                if steps > max_steps or not math.isfinite(y):
                    return np.full(ts.shape, np.nan)
            now = target
            values[target] = y if y > EXTINCT else -math.inf  # shrunk to nothing (in finite time when lam < 1)
    except OverflowError:
        return np.full(ts.shape, np.nan)
    with np.errstate(over="ignore"):
        return np.exp(np.array([values[float(x)] for x in ts]))


def _starts(name: str, t, v):
    """Starting points: first volume, a plateau below, at or above the last one, slow or fast approach."""
    v0 = math.log(max(v[0], 1e-3))
    last = math.log(max(v[-1], 1e-3 * max(v)))
    if name == "general_gompertz":  # plateau near the last volume, slow or fast; lam from Gompertz to 2/3
        return [np.array([v0, rate * last, math.log(rate), lam]) for rate in (0.01, 0.05) for lam in (0.85,)]
    if name == "exponential":
        span = max(t[-1] - t[0], 1.0)
        slope = (math.log(max(v[-1], 1e-3)) - v0) / span
        return [np.array([v0, slope]), np.array([v0, 0.0])]
    starts = []
    for plateau in (last, last - 1.0, last + 1.0):
        for rate in (math.log(0.01), math.log(0.05)):
            p = [v0, plateau, rate]
            if name == "general_bertalanffy":
                p.append(0.3)
            starts.append(np.array(p))
    return starts


def _bounds(name: str, v):
    lo, hi = math.log(max(max(v), 1.0) * 1e-4), math.log(max(max(v), 1.0) * 1e3)
    if name == "exponential":
        return [lo, -0.2], [hi, 0.2]
    if name == "general_gompertz":  # lam in [2/3, 1] as in the paper's script
        return [lo, -20.0, math.log(1e-5), 2.0 / 3.0], [hi, 20.0, math.log(1.0), 1.0]
    low, high = [lo, lo, math.log(1e-5)], [hi, hi, math.log(1.0)]
    if name == "general_bertalanffy":
        low.append(-1.0)
        high.append(1.0)
    return low, high


def fit_classical(name: str, t, v) -> np.ndarray | None:
    """Least squares on volume (scaled by the largest fitted volume); the best of a few starts, None if all fail."""
    t, v = np.asarray(t, float), np.asarray(v, float)
    scale = max(float(np.max(v)), 1e-9)
    low, high = _bounds(name, v)

    def residuals(p):
        r = (curve(name, t, p) - v) / scale
        return np.where(np.isfinite(r), r, 1e3)

    best = None
    for p0 in _starts(name, t, v):
        p0 = np.clip(p0, np.array(low) + 1e-9, np.array(high) - 1e-9)
        try:
            res = least_squares(residuals, p0, bounds=(low, high), method="trf", max_nfev=400)
        except (ValueError, FloatingPointError):
            continue
        if best is None or res.cost < best.cost:
            best = res
    return None if best is None else best.x


def diameter_of(volume) -> np.ndarray:
    return np.cbrt(np.maximum(np.asarray(volume, float), 0.0) / VOLUME_FACTOR)


# -- abscopal's clinical kinetics -------------------------------------------------------------------------------
def _write_scans(path: Path, days, diameter) -> None:
    lines = ["patient,day,lesion,diameter_mm"] + [f"p,{d:g},target,{x:g}" for d, x in zip(days, diameter, strict=True)]
    path.write_text("\n".join(lines) + "\n")


def fit_abscopal(days, diameter, k: int, design: Path = DESIGN, grid: int = 9, maxfev: int = 200) -> dict:
    """Posterior mode of (doubling_time, kill_rate, sigma_log) of `abscopal fit`'s model on the early scans of one
    lesion, and its forecast of every later scan (mm). The lesion's clock is moved so that its first scan is not
    after the first infusion (day 0), which the fit's design requires (a shift of at most a day in these data)."""
    from abscopal.fitting.data import read_data
    from abscopal.fitting.design import load_design
    from abscopal.fitting.model import FitModel

    days = np.asarray(days, float)
    days = days - max(days[0], 0.0)
    plan = load_design(design)
    with tempfile.TemporaryDirectory() as tmp:
        early, full = Path(tmp) / "early.csv", Path(tmp) / "full.csv"
        _write_scans(early, days[:-k], diameter[:-k])
        _write_scans(full, days, diameter)
        model = FitModel(read_data(early, list(plan.arms), plan.lesion_ids), plan, ["doubling_time", "kill_rate"])
        whole = FitModel(read_data(full, list(plan.arms), plan.lesion_ids), plan, ["doubling_time", "kill_rate"])
    center, sd = model.prior_center(), model.prior_sd()

    def vectors(x):  # x: (M, 3) = log doubling_time, log kill_rate, log sigma; omega at its prior median
        x = np.atleast_2d(x)
        return np.column_stack([x[:, 0], x[:, 1], np.full(len(x), center[2]), x[:, 2]])

    def neg_log_post(x):
        u = vectors(x)
        lp = model.log_prior(u)
        out = np.full(len(u), 1e12)
        ok = np.isfinite(lp)
        if ok.any():
            ll = model.subject_loglik(u[ok], np.zeros((int(ok.sum()), 1, 1)))[:, 0, 0]
            out[ok] = -(lp[ok] + ll)
        return out

    offsets = np.linspace(-3.0, 3.0, grid)
    cand = np.array([[center[0] + a * sd[0], center[1] + b * sd[1], center[3]] for a in offsets for b in offsets])
    values = neg_log_post(cand)
    start = cand[int(np.argmin(values))]
    res = minimize(lambda x: float(neg_log_post(x)[0]), start, method="Nelder-Mead",
                   options={"maxfev": maxfev, "xatol": 0.02, "fatol": 0.01})
    x = res.x if res.fun <= values.min() else start
    u = vectors(x)[0]
    logv = whole.simulate([whole.values_of(u)], np.ones((1, 1)))
    pred = np.exp(whole.predicted(logv)[0, 0, :])  # every scan after the first, in mm
    return {"doubling_time": float(math.exp(x[0])), "kill_rate": float(math.exp(x[1])), "sigma_log": float(math.exp(x[2])),
            "neg_log_posterior": float(min(res.fun, values.min())), "simulations": int(model.simulations + whole.simulations),
            "forecast_mm": [float(v) for v in pred[-k:]]}


# -- one lesion -------------------------------------------------------------------------------------------------
def _fit_one(name: str, days, diam, k: int) -> dict:
    started = time.perf_counter()
    if name == "last_value":
        entry = {"forecast_mm": [float(diam[-k - 1])] * k}
    elif name == "abscopal":
        try:
            entry = fit_abscopal(days, diam, k)
        except Exception as exc:  # noqa: BLE001 - a lesion the model cannot take is a failed forecast, not a crash
            entry = {"forecast_mm": None, "error": f"{type(exc).__name__}: {exc}"[:200]}
    else:
        t = days - days[0]
        volume = VOLUME_FACTOR * diam**3
        p = fit_classical(name, t[:-k], volume[:-k])
        entry = {"forecast_mm": None} if p is None else {
            "parameters": [float(x) for x in p], "forecast_mm": [float(x) for x in diameter_of(curve(name, t[-k:], p))]}
    entry["seconds"] = round(time.perf_counter() - started, 3)
    entry["version"] = VERSIONS[name]
    observed = diam[-k:]
    f = entry.get("forecast_mm")
    if f is None or not np.all(np.isfinite(f)):
        entry["abs_error_last_mm"] = None
    else:
        entry["abs_error_last_mm"] = float(abs(f[-1] - observed[-1]))
        entry["mae_mm"] = float(np.mean(np.abs(np.asarray(f) - observed)))
    return entry


def forecast_lesion(lesion: dict, k: int, with_abscopal: bool = True, cached: dict | None = None) -> dict:
    """Every model's forecast (mm) of the last ``k`` scans of ``lesion`` from its earlier scans; the fits in
    ``cached`` whose version is current are kept."""
    days, diam = lesion["days"], lesion["diameter"]
    out = {"arm": lesion["arm"], "n_scans": len(days), "k": k, "baseline_mm": float(diam[0]), "models": {}}
    names = ["last_value", *CLASSICAL] + (["abscopal"] if with_abscopal else [])
    old = (cached or {}).get("models", {})
    for name in names:
        if name in old and old[name].get("version") == VERSIONS[name]:
            out["models"][name] = old[name]
        else:
            out["models"][name] = _fit_one(name, days, diam, k)
    return out


# -- summary ----------------------------------------------------------------------------------------------------
def _stats(errors: np.ndarray, baselines: np.ndarray) -> dict:
    rel = errors / baselines
    return {"n": int(len(errors)), "median_abs_error_last_mm": round(float(np.median(errors)), 2),
            "mean_abs_error_last_mm": round(float(np.mean(errors)), 2),
            "median_rel_error_last": round(float(np.median(rel)), 3),
            f"share_within_{CLOSE_MM:g}mm": round(float(np.mean(errors <= CLOSE_MM)), 3),
            f"share_within_{CLOSE_SHARE:.0%}_of_baseline": round(float(np.mean(rel <= CLOSE_SHARE)), 3)}


def summarise(results: list[dict]) -> dict:
    """Per model over the lesions that every model forecast (a fair comparison), overall and per arm."""
    models = list(results[0]["models"])
    failed = {m: sum(r["models"][m]["abs_error_last_mm"] is None for r in results) for m in models}
    common = [r for r in results if all(r["models"][m]["abs_error_last_mm"] is not None for m in models)]
    base = np.array([r["baseline_mm"] for r in common])
    overall = {}
    for m in models:
        e = np.array([r["models"][m]["abs_error_last_mm"] for r in common])
        overall[m] = {**_stats(e, base), "mean_mae_heldout_mm": round(float(np.mean([r["models"][m]["mae_mm"] for r in common])), 2),
                      "failed": failed[m]}
    ranking = sorted(models, key=lambda m: (overall[m]["median_abs_error_last_mm"], overall[m]["mean_abs_error_last_mm"]))
    arms = {}
    for arm in sorted({r["arm"] for r in common}):
        rows = [r for r in common if r["arm"] == arm]
        b = np.array([r["baseline_mm"] for r in rows])
        arms[arm] = {m: _stats(np.array([r["models"][m]["abs_error_last_mm"] for r in rows]), b) for m in models}
    return {"lesions": len(results), "lesions_compared": len(common), "overall": overall,
            "ranking_by_median_error": ranking, "per_arm": arms}


def table(summary: dict) -> str:
    lines = [f"{summary['lesions_compared']} of {summary['lesions']} lesions forecast by every model; "
             f"error of the forecast of the last scan:",
             f"{'model':<21}{'median mm':>10}{'mean mm':>9}{'median rel':>11}{'<=5 mm':>8}{'<=20%':>7}{'failed':>7}"]
    for m in summary["ranking_by_median_error"]:
        s = summary["overall"][m]
        lines.append(f"{m:<21}{s['median_abs_error_last_mm']:>10.2f}{s['mean_abs_error_last_mm']:>9.2f}"
                     f"{s['median_rel_error_last']:>11.3f}{s[f'share_within_{CLOSE_MM:g}mm']:>8.2f}"
                     f"{s[f'share_within_{CLOSE_SHARE:.0%}_of_baseline']:>7.2f}{s['failed']:>7}")
    return "\n".join(lines)


def _cache_key(lesion_id: str, k: int, with_abscopal: bool) -> str:
    text = f"{lesion_id}|{k}|{with_abscopal}|{CACHE_FORMAT}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def run(data: Path, *, limit: int = 200, seed: int = 0, k: int = 2, with_abscopal: bool = True,
        cache: Path | None = None, progress=None) -> tuple[list[dict], dict]:
    """Fit and forecast ``limit`` lesions drawn with ``seed`` (0: all); returns per-lesion results and the summary."""
    found, repeated = lesions(data)
    order = np.random.default_rng(seed).permutation(len(found))
    chosen = [found[i] for i in (order if limit <= 0 else order[:limit])]
    results = []
    for n, lesion in enumerate(chosen, 1):
        path = cache / f"{_cache_key(lesion['id'], k, with_abscopal)}.json" if cache else None
        cached = json.loads(path.read_text()) if path is not None and path.is_file() else None
        result = forecast_lesion(lesion, k, with_abscopal, cached)
        if path is not None and result != cached:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result) + "\n")
        results.append(result)
        if progress:
            progress(n, len(chosen))
    summary = summarise(results)
    summary.update({"eligible_lesions": len(found), "left_out_repeated_days": repeated})
    return results, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="flat_patient_data.csv or its folder (default: $ABSCOPAL_LALEH_DIR, "
                                       "or shared/data/laleh2022 beside the checkout)")
    parser.add_argument("--limit", type=int, default=200, help="lesions to fit, drawn with --seed (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--holdout", type=int, default=2, help="scans held back at the end of each lesion (K)")
    parser.add_argument("--no-abscopal", action="store_true", help="classical models only (fast)")
    parser.add_argument("--cache", default=str(ROOT / "benchmarks/results/laleh_forecast_cache"))
    parser.add_argument("--json", help="write the summary here (no data rows)")
    args = parser.parse_args(argv)
    data = find_data(args.data)
    if data is None:
        print("laleh_forecast: flat_patient_data.csv not found (give --data, set ABSCOPAL_LALEH_DIR, or put "
              "shared/data/laleh2022 beside the checkout; docs/forecasting.md says where to get it)", file=sys.stderr)
        return 2
    if args.holdout < 1 or args.holdout > MIN_READINGS - 3:
        print(f"laleh_forecast: --holdout must be 1-{MIN_READINGS - 3} (at least 3 scans are fitted)", file=sys.stderr)
        return 2
    started = time.perf_counter()

    def show(done, total):
        print(f"\rlesion {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    results, summary = run(data, limit=args.limit, seed=args.seed, k=args.holdout, with_abscopal=not args.no_abscopal,
                           cache=Path(args.cache) if args.cache else None, progress=show)
    print(table(summary))
    if args.json:
        ab = [r["models"]["abscopal"] for r in results if "abscopal" in r["models"]]
        record = {
            "command": "benchmarks/laleh_forecast.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data_file": data.name, "data_sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
            "settings": {"limit": args.limit, "seed": args.seed, "holdout": args.holdout, "min_readings": MIN_READINGS,
                         "fitted_on": "lesion volume (0.52 x diameter^3), least squares, time in days",
                         "error": "absolute error of the forecast of the last scan's longest diameter (mm)"},
            "abscopal_method": None if args.no_abscopal else (
                "posterior mode of doubling_time, kill_rate and sigma_log (omega at its prior median, random effect 0) "
                "under abscopal fit's prior and likelihood with examples/fit_clinical_atezolizumab.yaml; 9x9 grid over +-3 prior SDs "
                "then Nelder-Mead (at most 200 evaluations)"),
            "abscopal_seconds_per_lesion_median": round(float(np.median([e["seconds"] for e in ab])), 2) if ab else None,
            "wall_seconds_this_run": round(time.perf_counter() - started, 1),
            **summary,
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
