"""What a fit reports: the posterior table, identifiability warnings, goodness of fit and predictive draws.

- Table: mean, median and 90% interval (5th-95th percentile) of each fitted parameter over the kept draws,
  in the parameter's unit, beside its prior.
- Identifiability, on the log scale where the priors live: a marginal is "flat" when its posterior standard
  deviation is more than FLAT_RATIO of the prior's (the data hardly moved it: the value reported is mostly the
  prior); two parameters are "correlated" when the posterior correlation of their logs exceeds CORRELATION
  in size (the data fix a combination of them, not each one).
- Goodness of fit: the fraction of observations inside their 90% posterior-predictive interval (a fresh
  subject-level random effect and residual noise per draw, each subject starting from its own first
  measurement); near 0.9 is a calibrated fit, far below means the model misses the data. Also the root mean
  square error of log measurements against the predictive median, per group.
"""

from __future__ import annotations

import math

import numpy as np

FLAT_RATIO = 0.7
CORRELATION = 0.8
PREDICTIVE_DRAWS = 40


def parameter_table(model, samples: np.ndarray) -> list[dict]:
    rows = []
    for j, label in enumerate(model.labels):
        x = np.exp(samples[:, j])
        if j < len(model.priors):
            p = model.priors[j]
            unit, prior = p.unit, p.to_dict()
        elif label.startswith("omega"):
            unit, prior = "1", {"distribution": "lognormal", "median": model.omega0, "sd_log": 0.5,
                                "bounds": [0, None], "meaning": "SD of log doubling time between subjects"}
        else:
            unit, prior = "1", {"distribution": "lognormal", "median": model.sigma0, "sd_log": 0.5,
                                "bounds": [0, None], "meaning": "residual SD of a log measurement"}
        lo, med, hi = np.percentile(x, [5, 50, 95])
        rows.append({"name": label, "unit": unit, "mean": _tidy(x.mean()), "median": _tidy(med),
                     "ci90": [_tidy(lo), _tidy(hi)], "prior": prior, "fitted": j < len(model.priors)})
    return rows


def _tidy(x: float) -> float:
    return float(f"{float(x):.6g}")


def identifiability(model, samples: np.ndarray) -> dict:
    sd = samples.std(axis=0)
    ratio = sd / model.prior_sd()
    warnings, pairs = [], []
    for j, label in enumerate(model.labels):
        if ratio[j] > FLAT_RATIO:
            warnings.append(f"{label}: flat marginal (posterior SD {ratio[j]:.2f} x the prior's on the log scale): "
                            "the data hardly inform it; its interval is mostly the prior")
    if samples.shape[1] > 1 and samples.shape[0] > 2:
        corr = np.corrcoef(samples.T)
        for a in range(len(model.labels)):
            for b in range(a + 1, len(model.labels)):
                r = float(corr[a, b])
                pairs.append({"parameters": [model.labels[a], model.labels[b]], "correlation": round(r, 3)})
                if abs(r) > CORRELATION:
                    warnings.append(f"{model.labels[a]} and {model.labels[b]}: posterior correlation {r:+.2f}: the "
                                    "data fix a combination of the two, not each one")
    return {"warnings": warnings, "sd_ratio_to_prior": {k: round(float(v), 3) for k, v in zip(model.labels, ratio, strict=True)},
            "correlations": pairs, "flat_ratio": FLAT_RATIO, "correlation_threshold": CORRELATION}


def predictive(model, samples: np.ndarray, rng: np.random.Generator, draws: int = PREDICTIVE_DRAWS) -> dict:
    """Posterior-predictive draws: per draw a posterior vector, a random effect per subject and residual noise.

    Returns ``log_pred`` (draws, subjects, T, lesions or 1) of noisy predictions on the model's grid and
    ``obs_pred`` (draws, n_obs) at the observations."""
    pick = samples[rng.choice(len(samples), size=min(draws, len(samples)), replace=len(samples) < draws)]
    omega, sigma = np.exp(pick[:, -2]), np.exp(pick[:, -1])
    n_subj = len(model.scenarios)
    z = rng.standard_normal((len(pick), n_subj))
    # One "node" per subject and draw: simulate each subject with its own factor (K = subjects, keep the diagonal).
    logv_all = []
    for m, u in enumerate(pick):
        factors = np.exp(omega[m] * z[m])[None, :]
        logv = _simulate_own_factor(model, model.values_of(u), factors[0])
        logv_all.append(logv)
    logv = np.stack(logv_all)  # (D, N, T, L)
    if model.data.kind == "clinical":
        from ..simulate import diameter_from_volume

        d = diameter_from_volume(np.exp(logv))
        with np.errstate(divide="ignore"):
            curves = np.log(np.nansum(np.where(np.isfinite(d), d, 0.0), axis=3))[..., None]
        curves = np.where(np.isfinite(logv[..., :1]), curves, np.nan)
    else:
        curves = logv
    noisy = curves + sigma[:, None, None, None] * rng.standard_normal(curves.shape)
    pred_obs = model.predicted(logv[:, :, None, :, :])[:, 0, :]  # (D, n_obs) without noise
    noisy_obs = pred_obs + sigma[:, None] * rng.standard_normal(pred_obs.shape)
    return {"curves": noisy, "obs_pred": noisy_obs, "obs_mean": pred_obs}


def _simulate_own_factor(model, theta: dict, factors: np.ndarray) -> np.ndarray:
    """(subjects, T, lesions) log volumes with subject i's doubling time multiplied by factors[i]."""
    saved = model.scenarios
    out = []
    # simulate() multiplies every subject by every factor; run subjects one factor each by building the batch here.
    import dataclasses

    from ..model.subject import subject_from_scenario
    from ..simulate import run_subjects
    from .model import DT_BOUND

    dt = theta.get("doubling_time")
    scenarios = []
    for scenario, f in zip(saved, factors, strict=True):
        base = {k: v for k, v in theta.items() if k != "doubling_time"}
        fixed = tuple((n, v) for n, v in scenario.overrides if n not in theta and n != "doubling_time")
        dt0 = dt if dt is not None else float(dict(scenario.overrides).get("doubling_time", model.doubling_time0))
        dt_i = min(max(float(dt0 * f), DT_BOUND.low), DT_BOUND.high)
        over = fixed + tuple((n, repr(float(v))) for n, v in base.items()) + (("doubling_time", repr(dt_i)),)
        scenarios.append(dataclasses.replace(scenario, overrides=over))
    trajectories = run_subjects([subject_from_scenario(s) for s in scenarios], model.duration, 1.0, rtol=model.rtol)
    model.simulations += len(scenarios)
    n_les = max(len(s.patient.lesions) for s in saved)
    for scenario, tr in zip(saved, trajectories, strict=True):
        arr = np.full((len(tr.time), n_les), np.nan)
        if tr.status == "ok":
            v = tr.volume_mm3[:, : len(scenario.patient.lesions)]
            arr[:, : v.shape[1]] = np.log(np.maximum(v, 1e-12))
        out.append(arr)
    return np.stack(out)


def goodness_of_fit(model, pred: dict) -> dict:
    obs = model.obs
    y = obs["log_value"]
    lo, med, hi = np.nanpercentile(pred["obs_pred"], [5, 50, 95], axis=0)
    cens = obs["censored"]
    inside = np.where(cens, lo <= y, (lo <= y) & (y <= hi))
    groups = {}
    for g in model.data.groups:
        idx = np.array([model.data.subjects[k].group == g for k in obs["subject"]])
        if not idx.any():
            continue
        keep = idx & ~cens
        groups[g] = {"n_observations": int(idx.sum()), "coverage90": round(float(inside[idx].mean()), 3),
                     "rmse_log": round(float(np.sqrt(np.mean((y[keep] - med[keep]) ** 2))), 4) if keep.any() else None}
    keep = ~cens
    return {"coverage90": round(float(inside.mean()), 3) if len(y) else None,
            "rmse_log": round(float(np.sqrt(np.mean((y[keep] - med[keep]) ** 2))), 4) if keep.any() else None,
            "n_censored": int(cens.sum()), "groups": groups,
            "meaning": "coverage90: share of observations inside their 90% posterior-predictive interval (0.9 when "
                       "the model and its noise describe the data); rmse_log: root mean square of log(measured) - "
                       "log(predictive median)"}


def log_volume_sd(x) -> float:
    return float(np.std(x)) if len(x) else math.nan
